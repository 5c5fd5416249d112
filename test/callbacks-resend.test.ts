import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requestResend, rotateWebhookSecret } from '../src/commands/callback-admin.js';
import { listDeliveries } from '../src/commands/callback-listing.js';
import { updateProject } from '../src/commands/projects.js';
import { verifyWebhook } from '../src/core/webhook-signature.js';
import { callbacksMigration } from '../src/store/migration-0002-callbacks.js';
import { Receiver, until } from './callback-receiver.js';
import {
  attemptsOf,
  createPayout,
  errors,
  events,
  fund,
  handWorker,
  webhookSecretOf,
} from './callback-fixtures.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';

/**
 * Operating callbacks (ADR 0006): the authenticated resend endpoint, the CLI's commands (list,
 * resend, rotate the secret), and the migration that gives existing projects a secret.
 */
describe.each(BACKENDS)('callback operations on %s', (backend) => {
  let gw: TestGateway;
  let receiver: Receiver;

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    await fund(gw);
  });
  afterAll(async () => gw.destroy());
  beforeEach(async () => {
    receiver = await Receiver.start();
    errors.length = 0;
    await gw.gw.db.command((tx) => tx.deleteFrom('outbox').execute());
  });
  afterEach(async () => {
    await receiver.close();
    expect(errors).toEqual([]);
  });

  async function resend(eventId: string, headers: Record<string, string> = gw.project.headers) {
    const response = await gw.app.inject({
      method: 'POST',
      url: `/cauri/v1/callbacks/${eventId}/resend`,
      headers,
      remoteAddress: '127.0.0.1',
    });
    expect(response.statusCode).toBe(200);
    return JSON.parse(response.body) as Record<string, unknown>;
  }

  async function onlyEvent() {
    const [event] = await events(gw.gw);
    if (!event) throw new Error('no event');
    return event;
  }

  it('resends a delivered event on request, with the same id and the next attempt number', async () => {
    await createPayout(gw, receiver.url(), 'PO-RESEND');
    const worker = handWorker(gw.gw);
    await worker.runOnce();
    const event = await onlyEvent();
    expect(await resend(event.id)).toEqual({
      response_code: '00',
      response_text: '',
      description: 'Callback queued for delivery',
      event_id: event.id,
      previous_status: 'delivered',
    });
    expect(await worker.runOnce()).toBe(1);
    expect(receiver.of(event.id)).toHaveLength(4);
    expect((await attemptsOf(gw.gw, event.id)).map((a) => a.attempt)).toEqual([1, 1, 2, 2]);
    expect(await onlyEvent()).toMatchObject({ status: 'delivered', attempts: 2, cycle_attempts: 1 });
  });

  it("refuses to resend another project's event, an unknown event, or without credentials", async () => {
    await createPayout(gw, receiver.url(), 'PO-OTHER');
    const event = await onlyEvent();
    expect(await resend(event.id, gw.other.headers)).toMatchObject({
      response_code: '01',
      response_text: 'Echec (Code02)',
    });
    expect(await resend('evt_nosuchevent', gw.project.headers)).toMatchObject({
      response_code: '01',
      response_text: 'Echec (Code02)',
    });
    expect(await resend('not-an-id', gw.project.headers)).toMatchObject({
      response_code: '01',
      response_text: 'Echec (Code02)',
    });
    expect(await resend(event.id, { apikey: gw.project.apikey })).toMatchObject({
      response_code: '01',
      response_text: 'Echec (Code00)',
    });
    expect(
      await resend(event.id, { ...gw.project.headers, authorization: `Bearer ${gw.other.token}` }),
    ).toMatchObject({ response_code: '01', response_text: 'Echec (Code00)' });
    expect(await onlyEvent()).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('gives a failed event a new cycle, to the URL fixed in the meantime', async () => {
    await createPayout(gw, '', 'PO-NO-URL');
    const worker = handWorker(gw.gw);
    await worker.runOnce();
    const event = await onlyEvent();
    expect(event.status).toBe('failed');
    expect((await attemptsOf(gw.gw, event.id)).map((a) => a.error)).toEqual([
      'no callback URL for this transaction or project',
    ]);
    await gw.gw.db.command((tx) =>
      updateProject(tx, gw.project.id, { callbackUrl: receiver.url('/project-cb') }),
    );
    try {
      expect(
        await gw.gw.db.command((tx) => requestResend(tx, event.id, undefined, gw.clock.nowMs())),
      ).toMatchObject({ ok: true, value: { previousStatus: 'failed' } });
      receiver.answer = () => ({ status: 500 });
      await worker.runOnce();
      // A new cycle: the schedule starts again at 30 s.
      expect(await onlyEvent()).toMatchObject({
        status: 'pending',
        cycle_attempts: 1,
        attempts: 2,
        next_attempt_at_ms: gw.clock.nowMs() + 30_000,
      });
      expect(receiver.received.map((r) => r.path)).toEqual(['/project-cb', '/project-cb']);
    } finally {
      await gw.gw.db.command((tx) => updateProject(tx, gw.project.id, { callbackUrl: '' }));
    }
  });

  it('ignores the outcome of a delivery overtaken by a resend, and sends again', async () => {
    await createPayout(gw, receiver.url(), 'PO-RACE');
    receiver.answer = () => 'hang';
    const worker = handWorker(gw.gw, { timeoutMs: 10_000 });
    const first = worker.runOnce();
    await until(() => receiver.hanging === 1);
    const event = await onlyEvent();
    expect(await resend(event.id)).toMatchObject({ response_code: '00', previous_status: 'delivering' });
    receiver.answer = () => ({ status: 200 });
    receiver.release(500);
    await first;
    expect(await onlyEvent()).toMatchObject({ status: 'pending', lease_id: null });
    expect(await worker.runOnce()).toBe(1);
    expect(await onlyEvent()).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it("lists a transaction's deliveries by payout id, token or event id", async () => {
    const token = await createPayout(gw, receiver.url(), 'PO-LIST');
    receiver.answer = () => ({ status: 502, body: 'bad gateway' });
    await handWorker(gw.gw).runOnce();
    const event = await onlyEvent();
    const byToken = await gw.gw.db.command((tx) => listDeliveries(tx, token));
    if (!byToken.ok) throw new Error('not found');
    expect(byToken.value.subject).toMatchObject({
      type: 'payout',
      status: 'completed',
      projectId: gw.project.id,
    });
    expect(byToken.value.events).toHaveLength(1);
    expect(byToken.value.events[0]).toMatchObject({
      id: event.id,
      type: 'payout.completed',
      status: 'pending',
      attempts: 1,
    });
    expect(byToken.value.events[0]?.posts.map((p) => [p.encoding, p.httpStatus, p.responseExcerpt])).toEqual([
      ['json', 502, 'bad gateway'],
      ['form', 502, 'bad gateway'],
    ]);
    const byId = await gw.gw.db.command((tx) => listDeliveries(tx, byToken.value.subject.id));
    const byEvent = await gw.gw.db.command((tx) => listDeliveries(tx, event.id));
    expect(byId).toEqual(byToken);
    expect(byEvent).toEqual(byToken);
    expect(await gw.gw.db.command((tx) => listDeliveries(tx, 'po_unknown'))).toMatchObject({
      ok: false,
      code: 'not_found',
    });
  });

  it('signs with the new and the previous secret for a day after a rotation', async () => {
    const before = await webhookSecretOf(gw.gw, gw.project.id);
    const rotated = await gw.gw.db.command((tx) => rotateWebhookSecret(tx, gw.project.id, gw.clock.nowMs()));
    if (!rotated.ok) throw new Error('rotation failed');
    const after = rotated.value.webhookSecret;
    expect(after).not.toBe(before);
    const worker = handWorker(gw.gw);
    await createPayout(gw, receiver.url(), 'PO-ROT-1');
    await worker.runOnce();
    const now = () => Math.floor(gw.clock.nowMs() / 1000);
    const [first] = receiver.received;
    expect(first?.headers['webhook-signature']?.toString().split(' ')).toHaveLength(2);
    expect(verifyWebhook(after, first?.headers ?? {}, first?.body ?? '', now())).toBe('ok');
    expect(verifyWebhook(before, first?.headers ?? {}, first?.body ?? '', now())).toBe('ok');
    gw.clock.advance(24 * 3_600_000);
    await createPayout(gw, receiver.url(), 'PO-ROT-2');
    await worker.runOnce();
    const last = receiver.received.at(-1);
    expect(verifyWebhook(after, last?.headers ?? {}, last?.body ?? '', now())).toBe('ok');
    expect(verifyWebhook(before, last?.headers ?? {}, last?.body ?? '', now())).toBe('bad_signature');
  });
});

describe('migration 0002_callbacks', () => {
  it('gives every existing project its own secret and the LigdiCash mode', async () => {
    const db = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }),
    });
    await sql`create table projects (id text primary key, callback_url text not null)`.execute(db);
    await sql`create table outbox (id text primary key, project_id text not null, status text not null, next_attempt_at_ms bigint not null)`.execute(
      db,
    );
    await sql`insert into projects values ('prj_a', ''), ('prj_b', '')`.execute(db);
    await callbacksMigration.up(db);
    const rows = (
      await sql<{
        id: string;
        callback_mode: string;
        webhook_secret: string;
      }>`select * from projects order by id`.execute(db)
    ).rows;
    expect(rows.map((r) => r.callback_mode)).toEqual(['ligdicash', 'ligdicash']);
    expect(rows.every((r) => /^whsec_[A-Za-z0-9+/]{43}=$/.test(r.webhook_secret))).toBe(true);
    expect(rows[0]?.webhook_secret).not.toBe(rows[1]?.webhook_secret);
    await db.destroy();
  });
});
