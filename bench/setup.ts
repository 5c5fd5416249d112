import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { updateProject } from '../src/commands/projects.js';
import { createWallet, fundSubaccount, fundWallet } from '../src/commands/wallets.js';
import { assert } from '../src/core/assert.js';
import type { CallbackMode } from '../src/core/callbacks.js';
import type { Xof } from '../src/core/money.js';
import { MAGIC_SUFFIXES } from '../src/operators/simulator.js';
import { PAYIN_MAGIC_SUFFIXES } from '../src/operators/simulator-desk.js';
import { type DemoProject, seedSandbox } from '../src/sandbox-seed.js';
import { openDatabase } from '../src/store/database.js';

/**
 * Unmeasured setup, through Cauri's own commands on the database the server will open: the
 * sandbox demo project (fixed credentials), funded customer wallets and a funded sub-account for
 * the payouts' operator. The server finds the demo project already there when it starts.
 */
export const WALLET_FUNDING_XOF = 1_000_000_000 as Xof;
export const SUBACCOUNT_FUNDING_XOF = 90_000_000_000 as Xof;
/** Orange Burkina: the operator of the 22670/71/72 numbers the bench wallets use. */
export const PAYOUT_OPERATOR_ID = '11';
const WALLETS_PER_COMMAND = 256;

/**
 * Distinct Orange Burkina numbers (prefixes 70, 71, 72), clear of the demo wallet 22670123456 and
 * of the simulator's magic suffixes (…0002 declines, …0005 stays pending), so that every payout
 * sent on to the simulated operator (top_up_wallet 0, merchant) completes.
 */
export function benchPhones(count: number): string[] {
  const heads = ['70', '71', '72'];
  const magic = new Set<string>([...Object.keys(MAGIC_SUFFIXES), ...Object.keys(PAYIN_MAGIC_SUFFIXES)]);
  const phones: string[] = [];
  for (let n = 900_000; phones.length < count; n++) {
    const tail = String(n).padStart(6, '0');
    if (magic.has(tail.slice(-4))) continue;
    for (const head of heads) if (phones.length < count) phones.push(`226${head}${tail}`);
  }
  return phones;
}

export interface BenchSeed extends DemoProject {
  /** The demo project's callback encoding during the run. */
  callbackMode: CallbackMode;
}

export async function seedBench(
  location: { dataDir: string; databaseUrl?: string | undefined },
  phones: readonly string[],
  callbackMode: CallbackMode | undefined,
): Promise<BenchSeed> {
  const db = await openDatabase({ ...location, poolSize: 2 });
  try {
    const nowMs = Date.now();
    const demo = await seedSandbox(db, nowMs);
    for (let i = 0; i < phones.length; i += WALLETS_PER_COMMAND) {
      const chunk = phones.slice(i, i + WALLETS_PER_COMMAND);
      await db.command(async (tx) => {
        for (const phone of chunk) {
          assert((await createWallet(tx, phone, 'Bench customer', nowMs)).ok, `bench wallet ${phone}`);
          assert(
            (await fundWallet(tx, db.dialect, phone, WALLET_FUNDING_XOF, nowMs)).ok,
            `bench wallet funding ${phone}`,
          );
        }
      });
    }
    const funded = await db.command((tx) =>
      fundSubaccount(tx, db.dialect, demo.projectId, PAYOUT_OPERATOR_ID, SUBACCOUNT_FUNDING_XOF, nowMs),
    );
    assert(funded.ok, 'bench sub-account funding');
    const project = await db.command((tx) =>
      updateProject(tx, demo.projectId, callbackMode !== undefined ? { callbackMode } : {}),
    );
    assert(project.ok, 'bench project callback mode');
    return { ...demo, callbackMode: project.value.callbackMode };
  } finally {
    await db.close();
  }
}

/** A fresh PostgreSQL schema, reached through `?options=-c search_path=…` as the test harness does. */
export async function createPgSchema(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `bench_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: baseUrl, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create schema ${schema}`);
  const url = `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return { url, drop: () => admin(`drop schema ${schema} cascade`) };
}

type Location = { dataDir: string; databaseUrl?: string | undefined };

/** Runs one read-only `select count(*) as n …` on the server's database; undefined if it cannot be read. */
async function countOf(location: Location, query: string): Promise<number | undefined> {
  try {
    if (location.databaseUrl !== undefined) {
      const client = new pg.Client({
        connectionString: location.databaseUrl,
        connectionTimeoutMillis: 5_000,
      });
      await client.connect();
      try {
        const result = await client.query<{ n: string }>(query);
        return Number(result.rows[0]?.n);
      } finally {
        await client.end();
      }
    }
    const raw = new SqliteDatabase(path.join(location.dataDir, 'cauri.sqlite'), {
      readonly: true,
      timeout: 5_000,
    });
    try {
      return Number((raw.prepare(query).get() as { n: number } | undefined)?.n);
    } finally {
      raw.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * Callback events not yet handled (outbox rows `pending` or `delivering`): whether the server's
 * callback work kept up with the load, or left a backlog behind it. Undefined if it cannot be read.
 */
export function eventBacklog(location: Location): Promise<number | undefined> {
  return countOf(location, "select count(*) as n from outbox where status in ('pending', 'delivering')");
}

const TOPUP0 = "from payouts where kind = 'customer' and top_up_wallet = 0";

/** top_up_wallet 0 payouts the dispatcher has not finished: `queued` or `sent` to the operator. */
export function payoutsNotFinal(location: Location): Promise<number | undefined> {
  return countOf(location, `select count(*) as n ${TOPUP0} and dispatch_state in ('queued', 'sent')`);
}

/**
 * top_up_wallet 0 payouts settled (dispatch done) between two server times, ms; and how many of
 * all failed (notcompleted on the wire) or were left for review after their last attempt.
 */
export async function payoutsSettled(
  location: Location,
  fromMs: number,
  toMs: number,
): Promise<{ settled: number | undefined; failed: number | undefined }> {
  const [from, to] = [Math.floor(fromMs), Math.ceil(toMs)];
  return {
    settled: await countOf(
      location,
      `select count(*) as n ${TOPUP0} and dispatch_state = 'done' and updated_at_ms >= ${from} and updated_at_ms <= ${to}`,
    ),
    failed: await countOf(
      location,
      `select count(*) as n ${TOPUP0} and (status = 'failed' or dispatch_state = 'review')`,
    ),
  };
}

/** Payouts of any kind the dispatcher has not finished (merchant and top_up_wallet 0): `queued` or `sent`. */
export function payoutsWithDispatcher(location: Location): Promise<number | undefined> {
  return countOf(location, "select count(*) as n from payouts where dispatch_state in ('queued', 'sent')");
}

/** Polls `count` every 250 ms until it reads 0 or `drainMs` passes; returns the last count and the time waited. */
export async function drain(
  count: () => Promise<number | undefined>,
  drainMs: number,
): Promise<{ left: number | undefined; waitedMs: number }> {
  const startedAt = performance.now();
  let left = await count();
  while (left !== 0 && performance.now() - startedAt < drainMs) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    left = await count();
  }
  return { left, waitedMs: Math.round(performance.now() - startedAt) };
}
