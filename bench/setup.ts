import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { createWallet, fundSubaccount, fundWallet } from '../src/commands/wallets.js';
import { assert } from '../src/core/assert.js';
import type { Xof } from '../src/core/money.js';
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

/** Distinct Orange Burkina numbers (prefixes 70, 71, 72), clear of the demo wallet 22670123456. */
export function benchPhones(count: number): string[] {
  const heads = ['70', '71', '72'];
  return Array.from({ length: count }, (_, i) => `226${heads[i % 3] ?? '70'}${String(900_000 + Math.floor(i / 3)).padStart(6, '0')}`);
}

export async function seedBench(location: { dataDir: string; databaseUrl?: string | undefined }, phones: readonly string[]): Promise<DemoProject> {
  const db = await openDatabase({ ...location, poolSize: 2 });
  try {
    const nowMs = Date.now();
    const demo = await seedSandbox(db, nowMs);
    for (let i = 0; i < phones.length; i += WALLETS_PER_COMMAND) {
      const chunk = phones.slice(i, i + WALLETS_PER_COMMAND);
      await db.command(async (tx) => {
        for (const phone of chunk) {
          assert((await createWallet(tx, phone, 'Bench customer', nowMs)).ok, `bench wallet ${phone}`);
          assert((await fundWallet(tx, db.dialect, phone, WALLET_FUNDING_XOF, nowMs)).ok, `bench wallet funding ${phone}`);
        }
      });
    }
    const funded = await db.command((tx) => fundSubaccount(tx, db.dialect, demo.projectId, PAYOUT_OPERATOR_ID, SUBACCOUNT_FUNDING_XOF, nowMs));
    assert(funded.ok, 'bench sub-account funding');
    return demo;
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

/**
 * Callback events not yet handled (outbox rows `pending` or `delivering`): whether the server's
 * callback work kept up with the load, or left a backlog behind it. Undefined if it cannot be read.
 */
export async function eventBacklog(location: { dataDir: string; databaseUrl?: string | undefined }): Promise<number | undefined> {
  const query = "select count(*) as n from outbox where status in ('pending', 'delivering')";
  try {
    if (location.databaseUrl !== undefined) {
      const client = new pg.Client({ connectionString: location.databaseUrl, connectionTimeoutMillis: 5_000 });
      await client.connect();
      try {
        const result = await client.query<{ n: string }>(query);
        return Number(result.rows[0]?.n);
      } finally {
        await client.end();
      }
    }
    const raw = new SqliteDatabase(path.join(location.dataDir, 'cauri.sqlite'), { readonly: true, timeout: 5_000 });
    try {
      return Number((raw.prepare(query).get() as { n: number } | undefined)?.n);
    } finally {
      raw.close();
    }
  } catch {
    return undefined;
  }
}
