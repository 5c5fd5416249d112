import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { type Config, ConfigError } from './config.js';
import { checkDatabaseMode } from './commands/database-mode.js';
import { CONNECTOR_FACTORIES } from './operators/factories.js';
import { connectorsFromFile } from './operators/registry.js';
import { recordReceipt } from './commands/otp-delivery.js';
import { smsProviderFromEnv } from './sms/config.js';
import type { SmsProvider } from './sms/provider.js';
import { type Clock, systemClock } from './core/clock.js';
import { type Gateway } from './commands/context.js';
import { DEFAULT_PREFIXES, type PrefixTable, validatePrefixTable } from './core/operators.js';
import { buildApp } from './http/app.js';
import type { OperatorConnector } from './operators/connector.js';
import { SimulatorConnector } from './operators/simulator.js';
import { recordExchanges, storeExchanges } from './operators/recording-connector.js';
import { type Database, openDatabase } from './store/database.js';
import { settingOnce } from './store/settings.js';
import { PayoutDispatcher } from './workers/payout-dispatcher.js';
import { SimulatorDesk, simulatorKey } from './operators/simulator-desk.js';
import { PayinResolver } from './workers/payin-resolver.js';
import { CallbackWorker } from './workers/callback-worker.js';
import { RetentionWorker } from './workers/retention.js';
import { RefundWorker } from './workers/refund-worker.js';
import { ProjectCache } from './commands/project-cache.js';
import type { DestinationStream } from 'pino';
import { measuredExchanges } from './metrics/metrics.js';
import { Operations } from './metrics/operations.js';
import type { LogSettings } from './http/app.js';

/**
 * Wires the adapters around the core: database, operator connector, HTTP app and workers.
 * Tests build the same thing with a swapped clock or connector.
 */
export interface Running {
  gw: Gateway;
  app: FastifyInstance;
  dispatcher: PayoutDispatcher;
  /** Resolves payins and payouts pending past the deadline (ADR 0007); tests drive it with `runOnce`. */
  resolver: PayinResolver;
  /** Delivers callbacks (ADR 0006); tests drive it with `runOnce`. */
  callbacks: CallbackWorker;
  /** Deletes what has outlived its retention (ADR 0022); tests drive it with `runOnce`. */
  retention: RetentionWorker;
  /** Sends refunds' operator legs (ADR 0024); tests drive it with `runOnce`. */
  refunds: RefundWorker;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  connector?: OperatorConnector;
  logger?: boolean;
  /** Start the payout dispatcher's and the callback worker's timers (tests drive them by hand). */
  startWorkers?: boolean;
  /** Use this database instead of opening one from the config. */
  db?: Database;
  /** Production's SMS provider for wallet OTPs, instead of the one CAURI_SMS_PROVIDER names. */
  sms?: SmsProvider;
  /** Told of each wait for an unreachable database at start-up. */
  onDatabaseRetry?: (reason: string, waitMs: number) => void;
  /** Where log lines go instead of stdout (tests); implies `logger`. */
  logStream?: DestinationStream;
  /** Node's process metrics on `/metrics` (default on). */
  processMetrics?: boolean;
  /** How long a database snapshot serves `/metrics` scrapes (default 10 s; tests: 0). */
  metricsCacheMs?: number;
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
  return db.command((tx) => settingOnce(tx, 'token_secret', randomBytes(32).toString('hex')));
}

/** The logger: off unless asked for (`npm start` asks), at `CAURI_LOG_LEVEL`, with access lines per `CAURI_ACCESS_LOG` (ADR 0020). */
function logSettingsOf(config: Config, options: StartOptions): LogSettings | false {
  if (options.logger !== true && options.logStream === undefined) return false;
  return {
    level: config.ops.logLevel,
    accessLog: config.ops.accessLog,
    ...(options.logStream !== undefined ? { stream: options.logStream } : {}),
  };
}

/** How often the resolver looks for payins and payouts pending past their deadline. */
export const RESOLVER_INTERVAL_MS = 5_000;

/**
 * The operators behind the gateway. The sandbox simulates every operator; production has only the
 * connectors of its connectors file, and an operator without one is unavailable (ADR 0009). The
 * simulator can never serve production, whoever asks for it.
 */
function operatorConnector(
  config: Config,
  options: StartOptions,
  db: Database,
  prefixes: PrefixTable,
  tokenSecret: string,
): OperatorConnector {
  const previous = config.tokenSecretPrevious;
  const clock = options.clock ?? systemClock;
  if (config.mode === 'production') {
    const connector =
      options.connector ??
      connectorsFromFile(config.connectorsFile, CONNECTOR_FACTORIES, {
        timeoutMs: config.operatorTimeoutMs,
        clock,
        publicUrl: config.publicUrl,
        env: config.env,
      });
    if (connector instanceof SimulatorConnector)
      throw new ConfigError('production never runs the operator simulator');
    return connector;
  }
  return (
    options.connector ??
    new SimulatorConnector(
      config.simulatorDelayMs,
      new SimulatorDesk({
        db,
        clock,
        prefixes,
        publicUrl: () => config.publicUrl,
        notificationKey: simulatorKey(tokenSecret),
        ...(previous !== undefined
          ? { previousNotificationKey: { key: simulatorKey(previous.secret), untilMs: previous.untilMs } }
          : {}),
      }),
    )
  );
}

/** Opens the configured database, retrying an unreachable server for a bounded time (one line per wait). */
export function openConfiguredDatabase(
  config: Config,
  onRetry?: (reason: string, waitMs: number) => void,
): Promise<Database> {
  return openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    ...(onRetry ? { onRetry } : {}),
  });
}

export async function startGateway(config: Config, options: StartOptions = {}): Promise<Running> {
  const opened = options.db ?? (await openConfiguredDatabase(config, options.onDatabaseRetry));
  try {
    await checkDatabaseMode(opened, config.mode);
  } catch (error) {
    if (options.db === undefined) await opened.close();
    throw error;
  }
  const prefixes = await loadPrefixes(config.operatorPrefixesFile);
  const tokenSecret = await tokenSecretOf(opened, config.tokenSecret);
  const workers: { dispatcher?: PayoutDispatcher; callbacks?: CallbackWorker; refunds?: RefundWorker } = {};
  const db = opened;
  // Workers are woken by the commits that queue their work, not before (src/store/database.ts, afterCommit).
  const unsubscribe = [
    db.onCommit('callbacks', () => workers.callbacks?.kick()),
    db.onCommit('payouts', () => workers.dispatcher?.kick()),
    db.onCommit('refunds', () => workers.refunds?.kick()),
  ];
  const operators = operatorConnector(config, options, db, prefixes, tokenSecret);
  // Wallet OTPs: the sandbox's inbox, or production's provider (ADR 0014); none means no OTP is issued.
  const sms = config.mode === 'production' ? (options.sms ?? smsProviderFromEnv(config.env)) : undefined;
  // Recently authenticated projects; this process's own changes to a project clear them (ADR 0019).
  const projects = new ProjectCache(config.authCacheMs);
  unsubscribe.push(db.onCommit('projects', () => projects.clear()));
  // Metrics, heartbeats and readiness (ADR 0020).
  const ops = new Operations(db, options.clock ?? systemClock, {
    mode: config.mode,
    metricsToken: config.ops.metricsToken,
    version: process.env.npm_package_version ?? 'unknown',
    defaultMetrics: options.processMetrics ?? true,
    ...(options.metricsCacheMs !== undefined ? { metricsCacheMs: options.metricsCacheMs } : {}),
  });
  const gw: Gateway = {
    ...(sms !== undefined ? { sms } : {}),
    db,
    config,
    clock: options.clock ?? systemClock,
    prefixes,
    // Every operator exchange is recorded for the console's transaction story (recording-connector.ts).
    connector: recordExchanges(
      operators,
      measuredExchanges(storeExchanges(db), ops.metrics),
      options.clock ?? systemClock,
    ),
    tokenSecret,
    ...(config.tokenSecretPrevious !== undefined ? { tokenSecretPrevious: config.tokenSecretPrevious } : {}),
    projects,
    ops,
  };
  const app = await buildApp(gw, {
    bodyLimitBytes: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    logger: logSettingsOf(config, options),
  });
  const leases = { leaseMs: config.dispatchLeaseMs, instanceId: config.instanceId };
  const running = new PayoutDispatcher(gw, { intervalMs: config.dispatchIntervalMs, ...leases }, (error) =>
    app.log.error({ err: error }, 'payout dispatch failed'),
  );
  workers.dispatcher = running;
  const resolver = new PayinResolver(gw, { intervalMs: RESOLVER_INTERVAL_MS, ...leases }, (error) =>
    app.log.error({ err: error }, 'pending resolution failed'),
  );
  const callbacks = new CallbackWorker(
    gw,
    {
      timeoutMs: config.callbackTimeoutMs,
      receiverConcurrencyMax: config.callbackReceiverConcurrencyMax,
      inflightMax: config.callbackInflightMax,
      intervalMs: config.callbackIntervalMs,
      allowPrivate: config.mode === 'sandbox' || config.callbackAllowPrivate,
    },
    (error) => app.log.error({ err: error }, 'callback delivery failed'),
  );
  workers.callbacks = callbacks;
  for (const worker of [running, resolver, callbacks]) ops.watch(worker.heartbeat);
  const refunds = new RefundWorker(gw, { intervalMs: config.dispatchIntervalMs, ...leases }, (error) =>
    app.log.error({ err: error }, 'refund dispatch failed'),
  );
  workers.refunds = refunds;
  const retention = new RetentionWorker(
    db,
    gw.clock,
    config.retention,
    (error) => app.log.error({ err: error }, 'retention run failed'),
    (outcomes) =>
      app.log.info({ retention: outcomes.filter((o) => o.deleted > 0) }, 'retention run deleted old records'),
  );
  for (const worker of [refunds, retention]) ops.watch(worker.heartbeat);
  sms?.onReceipt?.((receipt) => {
    recordReceipt(db, sms.name, receipt, gw.clock.nowMs()).catch((error: unknown) =>
      app.log.error({ err: error }, 'SMS receipt not recorded'),
    );
  });
  if (options.startWorkers ?? true) {
    running.start();
    resolver.start();
    callbacks.start();
    retention.start();
    refunds.start();
  }
  return {
    gw,
    app,
    dispatcher: running,
    resolver,
    callbacks,
    retention,
    refunds,
    async close() {
      await running.stop();
      await refunds.stop();
      await resolver.stop();
      await callbacks.stop();
      await retention.stop();
      await operators.close?.();
      await sms?.close();
      await app.close();
      for (const off of unsubscribe) off();
      await db.close();
    },
  };
}
