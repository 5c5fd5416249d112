import type { FastifyRequest } from 'fastify';
import type { WithClock, WithDb, WithProjectCache } from '../../commands/context.js';
import { IDEMPOTENCY_KEY_LENGTH_MAX, claimKey, requestHash, settleKey } from '../../commands/idempotency.js';
import { type Project } from '../../core/project.js';
import { authenticate } from '../../commands/projects.js';
import { commandFor } from '../../commands/request-context.js';
import type { Result, Wiki } from '../../core/result-codes.js';
import { type CommandOptions, type Tx, uniqueViolation } from '../../store/database.js';
import { errorEnvelope } from '../envelope.js';

/** The result of a handler step: a body to send, or a domain failure to turn into the envelope. */
export type Outcome<T> = Result<T>;

export function envelopeOf<T>(wiki: Wiki, result: Result<T> & { ok: false }) {
  return errorEnvelope(wiki, result.code, result.detail);
}

/**
 * Runs an endpoint as one command: authentication and the work share one transaction (on SQLite,
 * one savepoint of a group commit). `work` returns the body to send.
 */
export function authenticated(
  deps: WithDb & WithProjectCache,
  request: FastifyRequest,
  wiki: Wiki,
  work: (tx: Tx, project: Project) => Promise<unknown>,
  options?: CommandOptions,
): Promise<unknown> {
  // What the command writes to payins and payouts names this request (ADR 0020).
  return commandFor(
    deps.db,
    request.id,
    async (tx) => {
      const auth = await authenticate(
        tx,
        request.headers.apikey,
        request.headers.authorization,
        deps.projects,
      );
      if (!auth.ok) return envelopeOf(wiki, auth);
      return work(tx, auth.value);
    },
    options,
  );
}

/** The `Idempotency-Key` header: absent, or false when it is empty or too long. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined | false {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined || key.length === 0 || key.length > IDEMPOTENCY_KEY_LENGTH_MAX) return false;
  return key;
}

/**
 * A create endpoint with optional `Idempotency-Key`: a repeated key with the same body replays the
 * recorded success; with another body it is refused. `create` returns `{ body, succeeded }`.
 * `options.concurrent` (database.ts) holds only for a request without a key: a retry that arrives
 * while its first request runs must wait for that one's answer (ADR 0016), which a command of the
 * same wave cannot do.
 */
export async function idempotentCreate(
  deps: WithDb & WithClock & WithProjectCache,
  request: FastifyRequest,
  wiki: Wiki,
  endpoint: string,
  create: (tx: Tx, project: Project) => Promise<{ body: unknown; succeeded: boolean }>,
  options?: CommandOptions,
): Promise<unknown> {
  try {
    return await idempotentCreateOnce(deps, request, wiki, endpoint, create, options);
  } catch (error) {
    // A safety net: claimKey's ON CONFLICT DO NOTHING leaves no unique violation on the key, but
    // should one occur, the loser rolled back entirely and a second run replays the winner's answer.
    if (uniqueViolation(error)?.includes('idempotency'))
      return idempotentCreateOnce(deps, request, wiki, endpoint, create, options);
    throw error;
  }
}

function idempotentCreateOnce(
  deps: WithDb & WithClock & WithProjectCache,
  request: FastifyRequest,
  wiki: Wiki,
  endpoint: string,
  create: (tx: Tx, project: Project) => Promise<{ body: unknown; succeeded: boolean }>,
  options?: CommandOptions,
): Promise<unknown> {
  const key = idempotencyKeyOf(request);
  const commandOptions = key === undefined ? options : { ...options, concurrent: false };
  return authenticated(
    deps,
    request,
    wiki,
    async (tx, project) => {
      if (key === false)
        return errorEnvelope(
          wiki,
          'invalid_input',
          `Idempotency-Key must have 1 to ${IDEMPOTENCY_KEY_LENGTH_MAX} characters`,
        );
      if (key === undefined) return (await create(tx, project)).body;
      const hash = requestHash(endpoint, request.body);
      // The key is taken first, before any balance row: a concurrent retry waits here for this
      // request's commit and replays its answer (ADR 0016). No command takes a key after a balance
      // row, so the order cannot deadlock.
      const owner = { projectId: project.id, key };
      const claim = await claimKey(tx, deps.db.dialect, owner, endpoint, hash, deps.clock.nowMs());
      if (claim.kind === 'replay') return claim.response;
      if (claim.kind === 'conflict') return errorEnvelope(wiki, 'idempotency_conflict');
      const { body, succeeded } = await create(tx, project);
      await settleKey(tx, owner, succeeded ? { succeeded, body } : { succeeded });
      return body;
    },
    commandOptions,
  );
}

/** Query parameter by any of its accepted names (spec §2.3, §2.8). */
export function queryParam(request: FastifyRequest, names: readonly string[]): string | undefined {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const body = (request.body ?? {}) as Record<string, unknown>;
  for (const name of names) {
    for (const source of [query, typeof body === 'object' && body !== null ? body : {}]) {
      const value = source[name];
      if (typeof value === 'string' && value.length > 0) return value;
    }
  }
  return undefined;
}
