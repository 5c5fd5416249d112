import { requestResend, rotateWebhookSecret } from '../commands/callback-admin.js';
import { listDeliveries } from '../commands/callback-listing.js';
import type { Result } from '../core/result-codes.js';
import type { Database } from '../store/database.js';
import { type ParsedArgs, UsageError, checkFlags } from './args.js';

/**
 * The CLI's callback commands (ADR 0006):
 *
 *   callbacks list REF          a payin's or payout's callback events and every POST made for them
 *                               (REF: pay_… or po_… id, creation token, or evt_… event id)
 *   callbacks resend EVENT_ID   send an event again with a fresh retry cycle
 *   project rotate-webhook-secret PROJECT_ID
 *                               new signing secret; the previous one keeps signing for 24 h
 */
export const CALLBACKS_HELP = `  project rotate-webhook-secret PROJECT_ID     new callback signing secret (the old one signs 24 h more)
  callbacks list PAYIN_OR_PAYOUT_ID|TOKEN|EVENT_ID
                                               list a transaction's callback events and deliveries
  callbacks resend EVENT_ID                    send a callback event again (a running gateway delivers it)`;

type Output = { json: unknown; text: string };

function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new UsageError(result.detail ?? result.code.replace(/_/g, ' '));
  return result.value;
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

/** The output of a callback command, or undefined when the command is not one of them. */
export async function runCallbackCommand(
  db: Database,
  args: ParsedArgs,
  command: string,
  rest: string[],
  nowMs: number,
): Promise<Output | undefined> {
  switch (command) {
    case 'callbacks list': {
      checkFlags(args, []);
      const ref = rest[0];
      if (ref === undefined)
        throw new UsageError('callbacks list needs a payin or payout id, a token or an event id');
      const listing = unwrap(await db.command((tx) => listDeliveries(tx, ref)));
      const lines = [
        `${listing.subject.type} ${listing.subject.id}  status ${listing.subject.status}  project ${listing.subject.projectId}`,
      ];
      for (const event of listing.events) {
        const next =
          event.status === 'pending' || event.status === 'delivering'
            ? `  next ${iso(event.nextAttemptAtMs)}`
            : '';
        lines.push(
          `  ${event.id}  ${event.type}  ${event.status}  attempts ${event.attempts}  delivered ${iso(event.deliveredAtMs)}${next}`,
        );
        for (const post of event.posts) {
          const answer = post.httpStatus !== null ? `HTTP ${post.httpStatus}` : `error: ${post.error ?? ''}`;
          const excerpt =
            post.responseExcerpt === '' ? '' : `  ${JSON.stringify(post.responseExcerpt.slice(0, 80))}`;
          lines.push(
            `    #${post.attempt} ${post.encoding.padEnd(4)} ${iso(post.startedAtMs)}  ${answer}  ${post.latencyMs} ms  ${post.url}${excerpt}`,
          );
        }
      }
      if (listing.events.length === 0) lines.push('  no callback events (the transaction is not final yet)');
      return { json: listing, text: lines.join('\n') };
    }
    case 'callbacks resend': {
      checkFlags(args, []);
      const eventId = rest[0];
      if (eventId === undefined) throw new UsageError('callbacks resend needs an event id');
      const resent = unwrap(await db.command((tx) => requestResend(tx, eventId, undefined, nowMs)));
      return {
        json: resent,
        text: `${resent.eventId} queued for delivery (was ${resent.previousStatus}); a running gateway sends it within its callback interval`,
      };
    }
    case 'project rotate-webhook-secret': {
      checkFlags(args, []);
      const rotated = unwrap(await db.command((tx) => rotateWebhookSecret(tx, rest[0] ?? '', nowMs)));
      return {
        json: rotated,
        text: `project ${rotated.projectId}\n  Webhook secret: ${rotated.webhookSecret}\n  (callbacks are signed with both the new and the previous secret for 24 hours)`,
      };
    }
    default:
      return undefined;
  }
}
