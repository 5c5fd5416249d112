import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { newId } from '../src/core/ids.js';
import { openDatabase } from '../src/store/database.js';
import { Samples, type LatencySummary, round } from './stats.js';

/**
 * The bare ledger loop: the floor of what one durable ledger write costs on this machine. One
 * transaction per iteration posts one balanced transfer (insert the transfer row, update the two
 * balance rows) on the gateway's own schema, single-threaded, with the gateway's durability
 * settings (WAL, synchronous=FULL on SQLite; a default commit on PostgreSQL). No HTTP, no Kysely,
 * no group commit: every iteration pays its own fsync.
 */
export interface BareResult {
  ops: number;
  windowMs: number;
  opsPerSecond: number;
  latency: LatencySummary;
}

const DEBIT = 'bench:debit';
const CREDIT = 'bench:credit';
const AMOUNT_XOF = 100;

function accountRow(id: string, credits: number, nowMs: number): unknown[] {
  return [id, 'wallet', 1, 0, credits, 0, 0, nowMs];
}

const INSERT_ACCOUNT =
  'INSERT INTO accounts (id, kind, must_not_overdraw, debits_posted_xof, credits_posted_xof, debits_pending_xof, credits_pending_xof, created_at_ms) VALUES ';
const INSERT_TRANSFER =
  'INSERT INTO transfers (id, kind, pending_id, debit_account_id, credit_account_id, amount_xof, reason, subject_id, created_at_ms) VALUES ';

/** Times `iteration` back to back: `warmupMs` discarded, then `durationMs` (or `maxOps`) measured. */
async function measure(
  iteration: () => Promise<void> | void,
  warmupMs: number,
  durationMs: number,
  maxOps: number,
): Promise<BareResult> {
  const latency = new Samples();
  const warmupEnd = performance.now() + warmupMs;
  while (performance.now() < warmupEnd) await iteration();
  const start = performance.now();
  const end = start + durationMs;
  let now = start;
  while (now < end && latency.count < maxOps) {
    const t = now;
    await iteration();
    now = performance.now();
    latency.add(now - t);
  }
  const windowMs = now - start;
  return {
    ops: latency.count,
    windowMs: round(windowMs),
    opsPerSecond: round((latency.count * 1000) / windowMs, 1),
    latency: latency.summary(),
  };
}

export async function bareSqlite(
  warmupMs: number,
  durationMs: number,
  maxOps: number,
  keep: boolean,
): Promise<BareResult & { file: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cauri-bench-bare-'));
  try {
    // The gateway's schema, made by its own migrations.
    await (await openDatabase({ dataDir: dir })).close();
    const file = path.join(dir, 'cauri.sqlite');
    const raw = new SqliteDatabase(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.pragma('foreign_keys = ON');
    const nowMs = Date.now();
    const insertAccount = raw.prepare(`${INSERT_ACCOUNT}(?, ?, ?, ?, ?, ?, ?, ?)`);
    insertAccount.run(...accountRow(DEBIT, 1e12, nowMs));
    insertAccount.run(...accountRow(CREDIT, 0, nowMs));
    const insertTransfer = raw.prepare(`${INSERT_TRANSFER}(?, 'single', NULL, ?, ?, ?, 'bench', NULL, ?)`);
    const debit = raw.prepare('UPDATE accounts SET debits_posted_xof = debits_posted_xof + ? WHERE id = ?');
    const credit = raw.prepare(
      'UPDATE accounts SET credits_posted_xof = credits_posted_xof + ? WHERE id = ?',
    );
    const post = raw.transaction(() => {
      insertTransfer.run(newId('tr'), DEBIT, CREDIT, AMOUNT_XOF, Date.now());
      debit.run(AMOUNT_XOF, DEBIT);
      credit.run(AMOUNT_XOF, CREDIT);
    });
    try {
      const result = await measure(() => post.immediate(), warmupMs, durationMs, maxOps);
      return { ...result, file };
    } finally {
      raw.close();
    }
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

export async function barePostgres(
  url: string,
  warmupMs: number,
  durationMs: number,
  maxOps: number,
): Promise<BareResult> {
  await (await openDatabase({ databaseUrl: url, dataDir: ':memory:', poolSize: 1 })).close();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const nowMs = Date.now();
    await client.query(
      `${INSERT_ACCOUNT}($1, $2, $3, $4, $5, $6, $7, $8), ($9, $10, $11, $12, $13, $14, $15, $16)`,
      [...accountRow(DEBIT, 1e12, nowMs), ...accountRow(CREDIT, 0, nowMs)],
    );
    const post = async () => {
      await client.query('BEGIN');
      try {
        await client.query({
          name: 'bench_transfer',
          text: `${INSERT_TRANSFER}($1, 'single', NULL, $2, $3, $4, 'bench', NULL, $5)`,
          values: [newId('tr'), DEBIT, CREDIT, AMOUNT_XOF, Date.now()],
        });
        await client.query({
          name: 'bench_debit',
          text: 'UPDATE accounts SET debits_posted_xof = debits_posted_xof + $1 WHERE id = $2',
          values: [AMOUNT_XOF, DEBIT],
        });
        await client.query({
          name: 'bench_credit',
          text: 'UPDATE accounts SET credits_posted_xof = credits_posted_xof + $1 WHERE id = $2',
          values: [AMOUNT_XOF, CREDIT],
        });
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    };
    return await measure(post, warmupMs, durationMs, maxOps);
  } finally {
    await client.end();
  }
}
