import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { type Clock, type Gateway, systemClock } from './commands/context.js';
import { DEFAULT_PREFIXES, type PrefixTable, validatePrefixTable } from './core/operators.js';
import { buildApp } from './http/app.js';
import type { OperatorConnector } from './operators/connector.js';
import { SimulatorConnector } from './operators/simulator.js';
import { type Database, type Tx, openDatabase } from './store/database.js';
import { PayoutDispatcher } from './workers/payout-dispatcher.js';

/**
 * Wires the adapters around the core: database, operator connector, HTTP app and workers.
 * Tests build the same thing with a swapped clock or connector.
 */
export interface Running {
  gw: Gateway;
  app: FastifyInstance;
  dispatcher: PayoutDispatcher;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  connector?: OperatorConnector;
  logger?: boolean;
  /** Start the payout dispatcher's timer (tests drive it by hand). */
  startWorkers?: boolean;
  /** Use this database instead of opening one from the config. */
  db?: Database;
}

export async function loadPrefixes(file: string | undefined): Promise<PrefixTable> {
  if (file === undefined || file === '') return DEFAULT_PREFIXES;
  const parsed = validatePrefixTable(JSON.parse(readFileSync(file, 'utf8')) as unknown);
  if (typeof parsed === 'string') throw new Error(`CAURI_OPERATOR_PREFIXES_FILE ${file}: ${parsed}`);
  return Promise.resolve(parsed);
}

/** The token-signing secret: configured, or generated once and kept in the database for every instance. */
export async function tokenSecretOf(db: Database, configured: string | undefined): Promise<string> {
  if (configured !== undefined) return configured;
  return db.command(async (tx: Tx) => {
    await tx
      .insertInto('settings')
      .values({ key: 'token_secret', value: randomBytes(32).toString('hex') })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await tx.selectFrom('settings').select('value').where('key', '=', 'token_secret').executeTakeFirstOrThrow();
    return row.value;
  });
}

export async function startGateway(config: Config, options: StartOptions = {}): Promise<Running> {
  const db = options.db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  const prefixes = await loadPrefixes(config.operatorPrefixesFile);
  const tokenSecret = await tokenSecretOf(db, config.tokenSecret);
  const workers: { dispatcher?: PayoutDispatcher } = {};
  const gw: Gateway = {
    db,
    config,
    clock: options.clock ?? systemClock,
    prefixes,
    connector: options.connector ?? new SimulatorConnector(config.simulatorDelayMs),
    tokenSecret,
    onDispatchQueued: () => workers.dispatcher?.kick(),
  };
  const app = await buildApp(gw, { bodyLimitBytes: config.bodyLimitBytes, trustProxy: config.trustProxy, logger: options.logger ?? false });
  const running = new PayoutDispatcher(gw, config.dispatchIntervalMs, (error) => app.log.error({ err: error }, 'payout dispatch failed'));
  workers.dispatcher = running;
  if (options.startWorkers ?? true) running.start();
  return {
    gw,
    app,
    dispatcher: running,
    async close() {
      await running.stop();
      await app.close();
      await db.close();
    },
  };
}
