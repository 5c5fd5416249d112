import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWallet, fundWallet } from '../src/commands/wallets.js';
import type { Xof } from '../src/core/money.js';
import { DEMO_APIKEY, DEMO_API_TOKEN } from '../src/sandbox-seed.js';
import { openDatabase } from '../src/store/database.js';
import { type GatewayProcess, ensureBuilt, freePort, startGatewayProcess } from './gateway-process.js';
import { PG_URL, postgresUnavailable } from './harness.js';
import { ledgerProblems, readLedger } from './ledger-checks.js';

/**
 * `cauri backup` and `cauri restore` (issue 12, ADR 0021), run as their users run them: the
 * compiled CLI in a process of its own, next to a gateway process that keeps writing payouts.
 */
const ROOT = path.resolve(import.meta.dirname, '..');
const CLI_JS = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_JS, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1,
          stdout,
          stderr,
        });
      },
    );
  });
}

async function cliJson<T>(args: string[], env: Record<string, string>): Promise<T> {
  const result = await cli([...args, '--json'], env);
  if (result.code !== 0)
    throw new Error(`cauri ${args.join(' ')} exited with ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

type AccountRow = Record<string, unknown> & { id: string };

/** A SQLite file's rows, read as they are on disk. */
function readFile(file: string): { accounts: AccountRow[]; payoutTokens: Set<string>; integrity: string } {
  const db = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
  try {
    return {
      accounts: db.prepare('select * from accounts order by id').all() as AccountRow[],
      payoutTokens: new Set(
        (db.prepare('select token from payouts').all() as { token: string }[]).map((row) => row.token),
      ),
      integrity: db.pragma('integrity_check', { simple: true }) as string,
    };
  } finally {
    db.close();
  }
}

/** Every name in a directory but the database's own (its file, WAL and shared-memory index). */
const strays = (dir: string) => readdirSync(dir).filter((name) => !/^cauri\.sqlite(-wal|-shm)?$/.test(name));

const newDir = (label: string) => mkdtempSync(path.join(tmpdir(), `cauri-${label}-`));

interface TotalsJson {
  totals: {
    debitsPostedXof: number;
    creditsPostedXof: number;
    debitsPendingXof: number;
    creditsPendingXof: number;
    balanced: boolean;
  };
}

describe('cauri backup and restore on SQLite', () => {
  const dirs: string[] = [];
  let liveDir: string;
  let backupFile: string;
  let live: GatewayProcess | undefined;
  const others: GatewayProcess[] = [];
  /** Payout tokens the gateway acknowledged, and how many of them came before the backup started. */
  const acked: string[] = [];
  let ackedBeforeBackup = 0;

  const headers = {
    apikey: DEMO_APIKEY,
    authorization: `Bearer ${DEMO_API_TOKEN}`,
    'content-type': 'application/json',
    accept: 'application/json',
  };

  async function payout(url: string, n: number): Promise<string | undefined> {
    const body = {
      commande: {
        amount: 100 + (n % 7),
        description: 'Supplier',
        customer: `22670${String(110_100 + (n % 30)).padStart(6, '0')}`,
        callback_url: 'http://127.0.0.1:9/cb',
        custom_data: { transaction_id: `BK-${n}` },
      },
    };
    const response = await fetch(`${url}/pay/v01/straight/payout`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const answer = (await response.json()) as { response_code?: string; token?: unknown };
    return answer.response_code === '00' && typeof answer.token === 'string' ? answer.token : undefined;
  }

  beforeAll(async () => {
    await ensureBuilt();
    liveDir = newDir('live');
    const work = newDir('backups');
    dirs.push(liveDir, work);
    backupFile = path.join(work, 'cauri-backup.sqlite');
    live = await startGatewayProcess({ CAURI_DATA_DIR: liveDir }, await freePort());
  }, 180_000);

  afterAll(async () => {
    // SIGTERM, and SIGKILL for a gateway still finishing after 10 s: the test's data dies with it.
    const gateways = [...others, ...(live === undefined ? [] : [live])];
    await Promise.all(
      gateways.map((gateway) => Promise.race([gateway.stop(), sleep(10_000)]).then(() => gateway.kill())),
    );
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('copies the database while payouts are being written; the restored copy has the same balances, a sound ledger, and a gateway starts on it', async () => {
    const gateway = live as GatewayProcess;
    let stop = false;
    let issued = 0;
    const writers = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const token = await payout(gateway.url, issued++);
        if (token !== undefined) acked.push(token);
      }
    });
    while (acked.length < 30) await sleep(20);
    ackedBeforeBackup = acked.length;
    const backup = await cliJson<TotalsJson & { file: string; payouts: number; bytes: number }>(
      ['backup', backupFile],
      { CAURI_DATA_DIR: liveDir },
    );
    const ackedAfterBackup = acked.length;
    while (acked.length < ackedAfterBackup + 30) await sleep(20);
    stop = true;
    await Promise.all(writers);

    expect(backup.file).toBe(backupFile);
    expect(backup.totals.balanced).toBe(true);
    expect(backup.payouts).toBeGreaterThanOrEqual(ackedBeforeBackup);
    const copy = readFile(backupFile);
    expect(copy.integrity).toBe('ok');
    // Every payout acknowledged before the backup began is in it; the ones after it are not all there.
    for (const token of acked.slice(0, ackedBeforeBackup)) expect(copy.payoutTokens.has(token)).toBe(true);
    expect(acked.slice(ackedAfterBackup).some((token) => !copy.payoutTokens.has(token))).toBe(true);
    // One self-contained file: no WAL beside it, no temporary file left.
    expect(readdirSync(path.dirname(backupFile))).toEqual(['cauri-backup.sqlite']);

    const restoredDir = newDir('restored');
    dirs.push(restoredDir);
    rmSync(restoredDir, { recursive: true });
    const restore = await cli(['restore', backupFile], { CAURI_DATA_DIR: restoredDir });
    expect(restore.stderr).toBe('');
    expect(restore.stdout).toContain(`restored ${backupFile} to ${path.join(restoredDir, 'cauri.sqlite')}`);
    expect(readFile(path.join(restoredDir, 'cauri.sqlite')).accounts).toEqual(copy.accounts);
    expect(strays(restoredDir)).toEqual([]);

    // The CLI and the ledger's own checks on the restored database agree with the backup.
    const balances = await cliJson<TotalsJson>(['balances'], { CAURI_DATA_DIR: restoredDir });
    expect(balances.totals).toEqual(backup.totals);
    const db = await openDatabase({ dataDir: restoredDir });
    try {
      expect(ledgerProblems(await readLedger(db))).toEqual([]);
    } finally {
      await db.close();
    }

    const restored = await startGatewayProcess({ CAURI_DATA_DIR: restoredDir }, await freePort());
    others.push(restored);
    expect((await fetch(`${restored.url}/health`)).status).toBe(200);
    const first = acked[0] as string;
    const confirm = await fetch(`${restored.url}/pay/v01/straight/payout/confirm/?payoutToken=${first}`, {
      headers,
    });
    expect(((await confirm.json()) as { response_code: string }).response_code).toBe('00');
  }, 120_000);

  it('restore refuses a database a gateway has open, replaces it once the gateway stopped, and keeps the one it replaced', async () => {
    const before = readdirSync(liveDir).sort();
    const noForce = await cli(['restore', backupFile], { CAURI_DATA_DIR: liveDir });
    expect(noForce.code).toBe(1);
    expect(noForce.stderr).toMatch(/a database exists at .*add --force/);
    const inUse = await cli(['restore', backupFile, '--force'], { CAURI_DATA_DIR: liveDir });
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(
      /is in use \(a gateway or another cauri command has it open\): stop every gateway/,
    );
    expect(readdirSync(liveDir).sort()).toEqual(before);

    await live?.stop();
    live = undefined;
    const outcome = await cliJson<TotalsJson & { replacedKeptAt: string; payouts: number }>(
      ['restore', backupFile, '--force'],
      { CAURI_DATA_DIR: liveDir },
    );
    expect(path.dirname(outcome.replacedKeptAt)).toBe(liveDir);
    expect(strays(liveDir)).toEqual([path.basename(outcome.replacedKeptAt)]);
    // The database that was replaced is whole, with every payout, those after the backup too.
    const kept = readFile(outcome.replacedKeptAt);
    expect(kept.integrity).toBe('ok');
    for (const token of acked) expect(kept.payoutTokens.has(token)).toBe(true);
    const now = readFile(path.join(liveDir, 'cauri.sqlite'));
    expect(now.accounts).toEqual(readFile(backupFile).accounts);
    expect(now.payoutTokens.size).toBe(outcome.payouts);

    const again = await startGatewayProcess({ CAURI_DATA_DIR: liveDir }, await freePort());
    others.push(again);
    expect((await fetch(`${again.url}/health`)).status).toBe(200);
  }, 60_000);

  it('refuses what is not a sound Cauri backup, and leaves nothing behind', async () => {
    const work = newDir('bad');
    dirs.push(work);
    const target = newDir('target');
    dirs.push(target);
    const env = { CAURI_DATA_DIR: target };

    const garbage = path.join(work, 'garbage.sqlite');
    writeFileSync(garbage, randomBytes(8192));
    const truncated = path.join(work, 'truncated.sqlite');
    writeFileSync(truncated, readFileSync(backupFile).subarray(0, 8192));
    const foreign = path.join(work, 'foreign.sqlite');
    const other = new SqliteDatabase(foreign);
    other.exec('create table notes (text)');
    other.close();
    const tampered = path.join(work, 'tampered.sqlite');
    copyFileSync(backupFile, tampered);
    const edit = new SqliteDatabase(tampered);
    edit
      .prepare(
        `update accounts set credits_posted_xof = credits_posted_xof + 1 where id = (select min(id) from accounts where credits_posted_xof > 0)`,
      )
      .run();
    edit.close();

    const cases: [string, RegExp][] = [
      [garbage, /cannot copy .*garbage\.sqlite to .*: file is not a database/],
      [
        truncated,
        /cannot copy .*truncated\.sqlite to .*: database disk image is malformed|failed its check:\n {2}integrity_check: /,
      ],
      [foreign, /not a Cauri database: no table accounts/],
      [tampered, /the ledger does not balance[\s\S]*its balance differs from the sum of its transfers/],
      [path.join(work, 'missing.sqlite'), /there is no file/],
    ];
    for (const [file, message] of cases) {
      const result = await cli(['restore', file], env);
      expect(result.code, file).toBe(1);
      expect(result.stderr, file).toMatch(message);
      expect(readdirSync(target), file).toEqual([]);
    }

    const exists = await cli(['backup', backupFile], { CAURI_DATA_DIR: liveDir });
    expect(exists.code).toBe(1);
    expect(exists.stderr).toMatch(/exists; choose a new name, or add --force/);
    const none = await cli(['backup', path.join(work, 'x.sqlite')], { CAURI_DATA_DIR: target });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/there is no database at/);
    expect(existsSync(path.join(target, 'cauri.sqlite'))).toBe(false);
    const itself = await cli(['backup', path.join(liveDir, 'cauri.sqlite'), '--force'], {
      CAURI_DATA_DIR: liveDir,
    });
    expect(itself.stderr).toMatch(/is the live database itself/);
    const usage = await cli(['backup'], { CAURI_DATA_DIR: liveDir });
    expect(usage.stderr).toMatch(/usage: cauri backup FILE/);

    // A file copied from a stopped gateway is in WAL mode: it restores, and is left as it was found.
    const walMode = path.join(work, 'wal-mode.sqlite');
    copyFileSync(backupFile, walMode);
    const wal = new SqliteDatabase(walMode);
    wal.pragma('journal_mode = WAL');
    wal.close();
    const filesBefore = readdirSync(work).sort();
    const restored = await cli(['restore', walMode], env);
    expect(restored.stderr).toBe('');
    expect(readdirSync(work).sort()).toEqual(filesBefore);
    expect(readFile(path.join(target, 'cauri.sqlite')).accounts).toEqual(readFile(backupFile).accounts);
  }, 60_000);
});

const pgReason = await postgresUnavailable();
const pgDumpMissing = await new Promise<boolean>((resolve) =>
  execFile('pg_dump', ['--version'], (error) => resolve(error !== null)),
);

describe('cauri backup and restore on PostgreSQL', () => {
  it('print the pg_dump and pg_restore commands, with the password hidden, and fail', async () => {
    const env = { DATABASE_URL: 'postgres://cauri:s3cret@db.example:5432/cauri' };
    for (const command of ['backup', 'restore']) {
      const result = await cli([command, 'cauri.dump'], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `cauri ${command} works on a SQLite database; this gateway runs on PostgreSQL`,
      );
      expect(result.stderr).toContain(
        `pg_dump --format=custom --file=cauri.dump 'postgres://cauri:***@db.example:5432/cauri'`,
      );
      expect(result.stderr).toContain(
        `pg_restore --no-owner --exit-on-error --dbname='postgres://cauri:***@db.example:5432/cauri_restored' cauri.dump`,
      );
      expect(result.stderr).not.toContain('s3cret');
    }
  });

  describe.skipIf(pgReason !== undefined || pgDumpMissing)('the README commands, run for real', () => {
    const suffix = randomBytes(4).toString('hex');
    const names = [`cauri_backup_${suffix}`, `cauri_restored_${suffix}`];
    const urlOf = (name: string) => PG_URL.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
    const admin = () => new pg.Client({ connectionString: PG_URL });

    afterAll(async () => {
      const client = admin();
      await client.connect();
      for (const name of names) await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    });

    it('pg_dump -Fc then pg_restore into an empty database gives the same ledger, and cauri balances says balanced', async () => {
      const client = admin();
      await client.connect();
      for (const name of names) await client.query(`create database ${name}`);
      await client.end();
      const [sourceUrl, restoredUrl] = names.map(urlOf) as [string, string];
      const source = await openDatabase({ databaseUrl: sourceUrl, dataDir: ':memory:' });
      await source.command(async (tx) => {
        for (const [i, phone] of ['22670110201', '22670110202'].entries()) {
          await createWallet(tx, phone, null, Date.now());
          await fundWallet(tx, source.dialect, phone, (1_000 * (i + 1)) as Xof, Date.now());
        }
      });
      const dump = path.join(newDir('pgdump'), 'cauri.dump');
      const run = (file: string, args: string[]) =>
        new Promise<void>((resolve, reject) =>
          execFile(file, args, (error, _stdout, stderr) =>
            error === null ? resolve() : reject(new Error(`${file}: ${stderr}`)),
          ),
        );
      await run('pg_dump', ['--format=custom', `--file=${dump}`, sourceUrl]);
      await run('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${restoredUrl}`, dump]);
      rmSync(path.dirname(dump), { recursive: true, force: true });
      const restored = await openDatabase({ databaseUrl: restoredUrl, dataDir: ':memory:' });
      try {
        const [before, after] = [await readLedger(source), await readLedger(restored)];
        const byId = <T extends { id: string }>(rows: Iterable<T>) =>
          [...rows].sort((a, b) => a.id.localeCompare(b.id));
        expect(byId(after.accounts.values())).toEqual(byId(before.accounts.values()));
        expect(byId(after.transfers)).toEqual(byId(before.transfers));
        expect(ledgerProblems(after)).toEqual([]);
      } finally {
        await Promise.all([source.close(), restored.close()]);
      }
      const balances = await cliJson<TotalsJson>(['balances'], { DATABASE_URL: restoredUrl });
      expect(balances.totals).toMatchObject({ creditsPostedXof: 3_000, balanced: true });
    }, 60_000);
  });
});
