import { CompiledQuery } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseArgs } from '../src/cli/args.js';
import { runRetentionCommand } from '../src/cli/retention.js';
import { IDEMPOTENCY_TTL_MS } from '../src/commands/idempotency.js';
import { runRetention } from '../src/commands/retention.js';
import { loadConfig } from '../src/config.js';
import {
  DAY_MS,
  DEFAULT_RETENTION_POLICY,
  RETENTION_MIN_DAYS,
  RETENTION_TARGETS,
  type RetentionPolicy,
  type RetentionTarget,
} from '../src/core/retention.js';
import type { Tx } from '../src/store/database.js';
import { RETENTION_QUERIES } from '../src/store/retention.js';
import { RetentionWorker } from '../src/workers/retention.js';
import {
  BACKENDS,
  type TestDatabase,
  type TestGateway,
  openTestDatabase,
  startTestGateway,
} from './harness.js';
import { ORANGE, walletPayin } from './http-helpers.js';
import { E1, checkoutBody } from './payin-helpers.js';

/**
 * Retention (ADR 0022) on a real database: rows older than their table's age are deleted in
 * bounded batches, young rows and what a live payment needs stay, a dry run deletes nothing.
 */
const PHONE = '22670111111';
const POLICY: RetentionPolicy = {
  keepDays: {
    callback_attempts: 90,
    operator_exchanges: 180,
    idempotency: 7,
    console_audit: 400,
    console_sessions: 1,
  },
  batchSize: 1000,
  batchesPerRunMax: 50,
  intervalMs: 0,
};

type Counts = Record<(typeof RETENTION_TARGETS)[number], number>;

async function counts(gw: TestGateway): Promise<Counts> {
  const n = async (table: (typeof RETENTION_TARGETS)[number]) =>
    Number(
      (
        await gw.gw.db.command((tx) =>
          tx
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow(),
        )
      ).n,
    );
  const result = {} as Counts;
  for (const table of RETENTION_TARGETS) result[table] = await n(table);
  return result;
}

function outboxRow(id: string, projectId: string, status: string, atMs: number) {
  return {
    id,
    project_id: projectId,
    event_type: 'payin.completed',
    subject_type: 'payin',
    subject_id: `pay_${id}`,
    status,
    attempts: 1,
    next_attempt_at_ms: atMs,
    created_at_ms: atMs,
    cycle_attempts: 1,
    lease_id: null,
    delivered_at_ms: status === 'delivered' ? atMs : null,
    receiver: 'https://shop.example',
  };
}

function attemptRow(eventId: string, attempt: number, projectId: string, atMs: number) {
  return {
    event_id: eventId,
    attempt,
    encoding: 'json',
    project_id: projectId,
    url: 'https://shop.example/cb',
    started_at_ms: atMs,
    latency_ms: 5,
    http_status: 500,
    error: null,
    response_excerpt: '',
  };
}

function exchangeRow(id: string, subjectId: string | null, atMs: number) {
  return {
    id,
    subject_id: subjectId,
    reference: `${subjectId ?? 'x'}.1`,
    operator_id: ORANGE,
    action: 'debit',
    request: '{}',
    outcome: '{}',
    error: null,
    started_at_ms: atMs,
    latency_ms: 3,
    phase: 'outcome',
  };
}

describe.each(BACKENDS)('retention on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend, { config: { retention: POLICY } });
  });
  afterEach(async () => gw.destroy());

  const now = () => gw.clock.nowMs();
  const daysAgo = (days: number) => now() - days * DAY_MS - 1;
  const seed = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => gw.gw.db.command(fn);

  /** A payin still pending (a hosted invoice nobody paid) and a completed one, by their ids. */
  async function payinsOf(): Promise<{ pendingId: string; completedId: string }> {
    await gw.wallet(PHONE, 100_000);
    await walletPayin(gw, PHONE, 1500);
    await gw.call('POST', E1, { body: checkoutBody() });
    const rows = await seed((tx) => tx.selectFrom('payins').select(['id', 'status']).execute());
    const pendingId = rows.find((r) => r.status === 'pending')?.id ?? '';
    const completedId = rows.find((r) => r.status === 'completed')?.id ?? '';
    return { pendingId, completedId };
  }

  /** Two old and one young row in every table, plus the old rows a live payment needs. */
  async function seedAll(): Promise<void> {
    const { pendingId, completedId } = await payinsOf();
    const projectId = gw.project.id;
    await seed(async (tx) => {
      await tx
        .insertInto('outbox')
        .values([
          outboxRow('evt_done', projectId, 'delivered', daysAgo(100)),
          outboxRow('evt_failed', projectId, 'failed', daysAgo(100)),
          outboxRow('evt_open', projectId, 'pending', daysAgo(100)),
          outboxRow('evt_busy', projectId, 'delivering', daysAgo(100)),
        ])
        .execute();
      await tx
        .insertInto('callback_attempts')
        .values([
          attemptRow('evt_done', 1, projectId, daysAgo(91)),
          attemptRow('evt_failed', 1, projectId, daysAgo(95)),
          attemptRow('evt_done', 2, projectId, daysAgo(89)),
          attemptRow('evt_open', 1, projectId, daysAgo(99)),
          attemptRow('evt_busy', 1, projectId, daysAgo(99)),
        ])
        .execute();
      await tx
        .insertInto('operator_exchanges')
        .values([
          exchangeRow('opx_old_done', completedId, daysAgo(181)),
          exchangeRow('opx_old_orphan', null, daysAgo(200)),
          exchangeRow('opx_young', completedId, daysAgo(179)),
          exchangeRow('opx_old_pending', pendingId, daysAgo(300)),
        ])
        .execute();
      const key = (k: string, atMs: number) => ({
        project_id: projectId,
        idempotency_key: k,
        endpoint: 'withdrawal/create',
        request_hash: 'h',
        response: '{}',
        created_at_ms: atMs,
      });
      await tx
        .insertInto('idempotency')
        .values([key('old-1', daysAgo(8)), key('old-2', daysAgo(30)), key('young', daysAgo(6))])
        .execute();
      const audit = (id: string, atMs: number) => ({
        id,
        at_ms: atMs,
        username: 'ops',
        action: 'sign_in',
        target: '',
        detail: '',
        ip: '127.0.0.1',
      });
      await tx
        .insertInto('console_audit')
        .values([audit('aud_1', daysAgo(401)), audit('aud_2', daysAgo(500)), audit('aud_3', daysAgo(399))])
        .execute();
      await tx
        .insertInto('console_users')
        .values({
          id: 'usr_1',
          username: 'ops',
          password_hash: 'x',
          failed_attempts: 0,
          locked_until_ms: null,
          created_at_ms: daysAgo(600),
          password_changed_at_ms: daysAgo(600),
          last_sign_in_at_ms: null,
        })
        .execute();
      const session = (id: string, expiresAtMs: number) => ({
        id_hash: id,
        user_id: 'usr_1',
        created_at_ms: expiresAtMs - DAY_MS,
        last_seen_at_ms: expiresAtMs - DAY_MS,
        expires_at_ms: expiresAtMs,
        ip: '127.0.0.1',
        user_agent: 'test',
      });
      await tx
        .insertInto('console_sessions')
        .values([
          session('s_old', daysAgo(2)),
          session('s_older', daysAgo(40)),
          session('s_recent', now() - 3_600_000),
          session('s_live', now() + DAY_MS),
        ])
        .execute();
    });
  }

  it('deletes rows older than each table keeps, and keeps young rows and what live payments need', async () => {
    await seedAll();
    const before = await counts(gw);
    const outcomes = await gw.retention.runOnce();
    expect(Object.fromEntries(outcomes.map((o) => [o.target, o.deleted]))).toEqual({
      callback_attempts: 2,
      operator_exchanges: 2,
      idempotency: 2,
      console_audit: 2,
      console_sessions: 2,
    });
    expect(outcomes.every((o) => !o.more)).toBe(true);
    const after = await counts(gw);
    for (const target of RETENTION_TARGETS) expect(after[target], target).toBe(before[target] - 2);
    const left = await seed(async (tx) => ({
      attempts: (
        await tx
          .selectFrom('callback_attempts')
          .select(['event_id', 'attempt'])
          .orderBy('event_id')
          .orderBy('attempt')
          .execute()
      ).map((r) => `${r.event_id}#${r.attempt}`),
      exchanges: (
        await tx
          .selectFrom('operator_exchanges')
          .select('id')
          .where('id', 'like', 'opx_%')
          .orderBy('id')
          .execute()
      ).map((r) => r.id),
      keys: (await tx.selectFrom('idempotency').select('idempotency_key').execute()).map(
        (r) => r.idempotency_key,
      ),
      audit: (await tx.selectFrom('console_audit').select('id').where('username', '=', 'ops').execute()).map(
        (r) => r.id,
      ),
      sessions: (await tx.selectFrom('console_sessions').select('id_hash').orderBy('id_hash').execute()).map(
        (r) => r.id_hash,
      ),
      outbox: (
        await tx
          .selectFrom('outbox')
          .select('id')
          .where('id', 'in', ['evt_done', 'evt_failed', 'evt_open', 'evt_busy'])
          .execute()
      ).length,
    }));
    // The attempts of events still pending or in delivery stay, whatever their age.
    expect(left.attempts).toEqual(['evt_busy#1', 'evt_done#2', 'evt_open#1']);
    // A pending payin's exchanges stay; a final one's and an unattributed notification's go.
    expect(left.exchanges.filter((id) => id.startsWith('opx_old') || id === 'opx_young').sort()).toEqual([
      'opx_old_pending',
      'opx_young',
    ]);
    expect(left.keys).toEqual(['young']);
    expect(left.audit).toEqual(['aud_3']);
    expect(left.sessions).toEqual(['s_live', 's_recent']);
    // The outbox is no retention target.
    expect(left.outbox).toBe(4);
    // A second run finds nothing more.
    expect((await gw.retention.runOnce()).every((o) => o.deleted === 0)).toBe(true);
  });

  it('deletes in bounded batches, and the next run goes on where the last stopped', async () => {
    const projectId = gw.project.id;
    await seed(async (tx) => {
      await tx
        .insertInto('outbox')
        .values(outboxRow('evt_many', projectId, 'delivered', daysAgo(200)))
        .execute();
      await tx
        .insertInto('callback_attempts')
        .values(
          Array.from({ length: 10 }, (_, i) => attemptRow('evt_many', i + 1, projectId, daysAgo(100 + i))),
        )
        .execute();
    });
    const policy: RetentionPolicy = { ...POLICY, batchSize: 3, batchesPerRunMax: 2 };
    const first = await runRetention(gw.gw.db, policy, now());
    expect(first.find((o) => o.target === 'callback_attempts')).toMatchObject({ deleted: 6, more: true });
    // Oldest first: the attempts of 104 days ago and younger are left.
    const left = await seed((tx) =>
      tx.selectFrom('callback_attempts').select('attempt').orderBy('attempt').execute(),
    );
    expect(left.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
    const second = await runRetention(gw.gw.db, policy, now());
    expect(second.find((o) => o.target === 'callback_attempts')).toMatchObject({ deleted: 4, more: false });
    expect((await counts(gw)).callback_attempts).toBe(0);
  });

  it('deletes nothing in a dry run, and says what is due (cauri retention run --dry-run)', async () => {
    await seedAll();
    const before = await counts(gw);
    const dry = await runRetentionCommand(
      gw.gw.db,
      parseArgs(['retention', 'run', '--dry-run']),
      'retention run',
      POLICY,
      now(),
    );
    expect(await counts(gw)).toEqual(before);
    const { outcomes } = dry?.json as { outcomes: { target: string; due: number; deleted: number }[] };
    expect(outcomes.map((o) => [o.target, o.due, o.deleted])).toEqual(
      RETENTION_TARGETS.map((t) => [t, 2, 0]),
    );
    expect(dry?.text).toContain('nothing deleted');
    expect(dry?.text).toMatch(/callback_attempts +keep 90 days, older than \S+: 2 due/);
    const real = await runRetentionCommand(
      gw.gw.db,
      parseArgs(['retention', 'run']),
      'retention run',
      POLICY,
      now(),
    );
    expect(real?.text).toMatch(/console_audit +keep 400 days, older than \S+: 2 deleted/);
    expect((await counts(gw)).console_audit).toBe(before.console_audit - 2);
    expect(
      await runRetentionCommand(gw.gw.db, parseArgs(['retention', 'list']), 'retention list', POLICY, now()),
    ).toBeUndefined();
  });

  it('keeps a table forever when its days are 0', async () => {
    await seedAll();
    const before = await counts(gw);
    const forever: RetentionPolicy = {
      ...POLICY,
      keepDays: {
        callback_attempts: 0,
        operator_exchanges: 0,
        idempotency: 0,
        console_audit: 0,
        console_sessions: 0,
      },
    };
    const outcomes = await runRetention(gw.gw.db, forever, now());
    expect(outcomes.every((o) => o.cutoffMs === null && o.deleted === 0)).toBe(true);
    expect(await counts(gw)).toEqual(before);
    const cli = await runRetentionCommand(
      gw.gw.db,
      parseArgs(['retention', 'run']),
      'retention run',
      forever,
      now(),
    );
    expect(cli?.text).toContain('idempotency         kept forever (CAURI_RETENTION_IDEMPOTENCY_DAYS=0)');
  });

  it('runs by itself on its interval once started, and stops between batches', async () => {
    const projectId = gw.project.id;
    await seed(async (tx) => {
      await tx
        .insertInto('outbox')
        .values(outboxRow('evt_many', projectId, 'delivered', daysAgo(200)))
        .execute();
      await tx
        .insertInto('callback_attempts')
        .values(
          Array.from({ length: 4 }, (_, i) => attemptRow('evt_many', i + 1, projectId, daysAgo(100 + i))),
        )
        .execute();
    });
    const runs: number[] = [];
    const worker = new RetentionWorker(
      gw.gw.db,
      gw.clock,
      { ...POLICY, intervalMs: 20 },
      (error) => {
        throw error;
      },
      (outcomes) => runs.push(outcomes.reduce((sum, o) => sum + o.deleted, 0)),
    );
    worker.start();
    for (let i = 0; i < 200 && runs.length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    await worker.stop();
    expect(runs).toEqual([4]);
    const idle = new RetentionWorker(gw.gw.db, gw.clock, { ...POLICY, intervalMs: 0 }, () => undefined);
    idle.start();
    await idle.stop();
  });

  it('lets two runs at once delete each row once', async () => {
    const projectId = gw.project.id;
    await seed(async (tx) => {
      await tx
        .insertInto('outbox')
        .values(outboxRow('evt_many', projectId, 'delivered', daysAgo(200)))
        .execute();
      await tx
        .insertInto('callback_attempts')
        .values(
          Array.from({ length: 40 }, (_, i) => attemptRow('evt_many', i + 1, projectId, daysAgo(100 + i))),
        )
        .execute();
    });
    const policy: RetentionPolicy = { ...POLICY, batchSize: 5, batchesPerRunMax: 100 };
    const [a, b] = await Promise.all([
      runRetention(gw.gw.db, policy, now()),
      runRetention(gw.gw.db, policy, now()),
    ]);
    const deleted = (o: typeof a) => o.find((x) => x.target === 'callback_attempts')?.deleted ?? 0;
    expect(deleted(a) + deleted(b)).toBe(40);
    // A run stopped by a skip-locked short batch leaves nothing behind for the next one to miss.
    await runRetention(gw.gw.db, policy, now());
    expect((await counts(gw)).callback_attempts).toBe(0);
  });
});

/** Each batch reads its target's time index (migration 0016), not the whole table: SQLite's plan names it. */
describe('retention query plans on SQLite', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await openTestDatabase('sqlite');
  });
  afterAll(async () => test.destroy());

  const INDEX: Record<RetentionTarget, string> = {
    callback_attempts: 'callback_attempts_started',
    operator_exchanges: 'operator_exchanges_started',
    idempotency: 'idempotency_created',
    console_audit: 'console_audit_at',
    console_sessions: 'console_sessions_expires',
  };

  it.each(RETENTION_TARGETS)('%s', async (target) => {
    const detail = await test.db.command(async (tx) => {
      const compiled = RETENTION_QUERIES[target].deleteBatch(tx, 'sqlite', 1, 1000).compile();
      const plan = await tx.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`EXPLAIN QUERY PLAN ${compiled.sql}`, [...compiled.parameters]),
      );
      return plan.rows.map((r) => r.detail).join('; ');
    });
    expect(detail).toContain(INDEX[target]);
  });
});

describe('CAURI_RETENTION_* settings', () => {
  it('defaults to a production gateway’s ages, bounded batches and a 10-minute interval', () => {
    expect(loadConfig({}).retention).toEqual(DEFAULT_RETENTION_POLICY);
    expect(DEFAULT_RETENTION_POLICY).toMatchObject({
      batchSize: 1000,
      batchesPerRunMax: 50,
      intervalMs: 600_000,
    });
    expect(DEFAULT_RETENTION_POLICY.keepDays).toEqual({
      callback_attempts: 90,
      operator_exchanges: 180,
      idempotency: 7,
      console_audit: 400,
      console_sessions: 1,
    });
  });

  it('never deletes an idempotency record within the 24 h its replay is promised', () => {
    expect(RETENTION_MIN_DAYS.idempotency * DAY_MS).toBeGreaterThanOrEqual(IDEMPOTENCY_TTL_MS);
  });

  it('reads every setting, 0 keeping forever, and refuses what is out of bounds', () => {
    const config = loadConfig({
      CAURI_RETENTION_CALLBACK_ATTEMPTS_DAYS: '30',
      CAURI_RETENTION_OPERATOR_EXCHANGES_DAYS: '0',
      CAURI_RETENTION_IDEMPOTENCY_DAYS: '2',
      CAURI_RETENTION_CONSOLE_AUDIT_DAYS: '730',
      CAURI_RETENTION_CONSOLE_SESSIONS_DAYS: '7',
      CAURI_RETENTION_BATCH_SIZE: '500',
      CAURI_RETENTION_BATCHES_PER_RUN: '10',
      CAURI_RETENTION_INTERVAL_SECONDS: '0',
    });
    expect(config.retention).toEqual({
      keepDays: {
        callback_attempts: 30,
        operator_exchanges: 0,
        idempotency: 2,
        console_audit: 730,
        console_sessions: 7,
      },
      batchSize: 500,
      batchesPerRunMax: 10,
      intervalMs: 0,
    });
    expect(() => loadConfig({ CAURI_RETENTION_CALLBACK_ATTEMPTS_DAYS: '-1' })).toThrow(
      /CAURI_RETENTION_CALLBACK_ATTEMPTS_DAYS must be an integer from 0 to 3650/,
    );
    expect(() => loadConfig({ CAURI_RETENTION_IDEMPOTENCY_DAYS: '0.5' })).toThrow(/integer/);
    expect(() => loadConfig({ CAURI_RETENTION_BATCH_SIZE: '0' })).toThrow(/CAURI_RETENTION_BATCH_SIZE/);
    expect(() => loadConfig({ CAURI_RETENTION_BATCH_SIZE: '100000' })).toThrow(/1 to 10000/);
    expect(() => loadConfig({ CAURI_RETENTION_INTERVAL_SECONDS: 'hourly' })).toThrow(
      /CAURI_RETENTION_INTERVAL_SECONDS/,
    );
  });
});
