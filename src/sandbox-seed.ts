import { createProject } from './commands/projects.js';
import { createWallet, fundSubaccount, fundWallet } from './commands/wallets.js';
import { assert } from './core/assert.js';
import { xof } from './core/money.js';
import { type Database, uniqueViolation } from './store/database.js';
import { findProjectIdByApikey } from './store/projects.js';
import { newApiToken } from './commands/projects.js';
import { createConsoleUser, signInCandidate } from './commands/console-users.js';
import { hashPassword } from './core/password.js';

/**
 * The sandbox's demo data, created on first start. The demo credentials are fixed and published
 * (README), like a test key: they work only in sandbox mode, where no real money exists, and they
 * let the README's curl examples run as written.
 */
export const DEMO_APIKEY = 'CAURISANDBOXDEMO1';
export const DEMO_API_TOKEN = newApiToken(Date.UTC(2026, 0, 1), 'cauri-sandbox-demo');
export const DEMO_WALLET_PHONE = '22670123456';
export const DEMO_WALLET_BALANCE_XOF = xof(500_000);
export const DEMO_SUBACCOUNT_BALANCE_XOF = xof(1_000_000);
/** Operators whose demo sub-accounts are funded: the wallet, Orange and Moov Burkina. */
export const DEMO_FUNDED_OPERATORS = ['0', '11', '12'] as const;

export interface DemoProject {
  projectId: string;
  apikey: string;
  apiToken: string;
  walletPhone: string;
  created: boolean;
}

/** How many times seeding is tried when another instance seeds the same database at the same moment. */
const SEED_ATTEMPTS_MAX = 3;

/**
 * Seeds the demo project, wallet and sub-accounts once. Several sandbox instances may start at once
 * on one PostgreSQL database: the one whose insert loses to another's sees the unique index refuse
 * it, and the next attempt finds the project there.
 */
export async function seedSandbox(db: Database, nowMs: number): Promise<DemoProject> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await seedOnce(db, nowMs);
    } catch (error) {
      if (uniqueViolation(error) === undefined || attempt >= SEED_ATTEMPTS_MAX) throw error;
    }
  }
}

function seedOnce(db: Database, nowMs: number): Promise<DemoProject> {
  return db.command(async (tx) => {
    const existingId = await findProjectIdByApikey(tx, DEMO_APIKEY);
    if (existingId !== undefined)
      return {
        projectId: existingId,
        apikey: DEMO_APIKEY,
        apiToken: DEMO_API_TOKEN,
        walletPhone: DEMO_WALLET_PHONE,
        created: false,
      };
    const created = await createProject(
      tx,
      {
        name: 'Demo shop',
        payinEnabled: true,
        payoutEnabled: true,
        allowedIps: ['127.0.0.1', '::1'],
        fixedCredentials: { apikey: DEMO_APIKEY, token: DEMO_API_TOKEN },
      },
      nowMs,
    );
    assert(created.ok, 'demo project creation failed');
    const projectId = created.value.project.id;
    assert((await createWallet(tx, DEMO_WALLET_PHONE, 'Awa Ouédraogo', nowMs)).ok, 'demo wallet');
    assert(
      (await fundWallet(tx, db.dialect, DEMO_WALLET_PHONE, DEMO_WALLET_BALANCE_XOF, nowMs)).ok,
      'demo wallet funding',
    );
    for (const operatorId of DEMO_FUNDED_OPERATORS) {
      assert(
        (await fundSubaccount(tx, db.dialect, projectId, operatorId, DEMO_SUBACCOUNT_BALANCE_XOF, nowMs)).ok,
        'demo sub-account funding',
      );
    }
    return {
      projectId,
      apikey: DEMO_APIKEY,
      apiToken: DEMO_API_TOKEN,
      walletPhone: DEMO_WALLET_PHONE,
      created: true,
    };
  });
}

/** The sandbox's published console account (README), created at first start like the demo project. */
export const DEMO_CONSOLE_USER = 'demo';
export const DEMO_CONSOLE_PASSWORD = 'cauri-sandbox-console';

export async function seedConsoleUser(
  db: Database,
  nowMs: number,
): Promise<{ username: string; password: string; created: boolean }> {
  const shown = { username: DEMO_CONSOLE_USER, password: DEMO_CONSOLE_PASSWORD };
  if ((await db.command((tx) => signInCandidate(tx, DEMO_CONSOLE_USER))) !== undefined)
    return { ...shown, created: false };
  const hash = await hashPassword(DEMO_CONSOLE_PASSWORD);
  const created = await db.command((tx) => createConsoleUser(tx, DEMO_CONSOLE_USER, hash, nowMs));
  // Another instance may have created it a moment ago: either way the account exists.
  return { ...shown, created: created.ok };
}
