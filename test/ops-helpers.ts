import { Writable } from 'node:stream';
import { type Config, loadConfig } from '../src/config.js';
import { createProject } from '../src/commands/projects.js';
import { createWallet, fundSubaccount } from '../src/commands/wallets.js';
import type { Xof } from '../src/core/money.js';
import { type Running, type StartOptions, startGateway } from '../src/gateway.js';
import { type Backend, ManualClock, type TestDatabase, openTestDatabase } from './harness.js';

/**
 * A gateway for the operations suites (metrics, readiness, access logs): started through
 * `startGateway` like `npm start`, on a real database, with what the harness does not pass (a log
 * stream, workers started or not, no metrics cache).
 */
export interface OpsGateway {
  running: Running;
  testDb: TestDatabase;
  clock: ManualClock;
  headers: Record<string, string>;
  projectId: string;
  /** Log lines written so far, parsed. */
  lines: Array<Record<string, unknown>>;
  /** The raw text written to the log. */
  logText(): string;
  fund(operatorId: string, amountXof: number): Promise<void>;
  wallet(phone: string): Promise<void>;
  destroy(): Promise<void>;
}

export async function startOpsGateway(
  backend: Backend,
  options: { env?: Record<string, string>; start?: Omit<StartOptions, 'db' | 'clock'> } = {},
): Promise<OpsGateway> {
  const testDb = await openTestDatabase(backend);
  const clock = new ManualClock();
  const config: Config = loadConfig({ CAURI_MODE: 'sandbox', ...options.env });
  let text = '';
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const running = await startGateway(config, {
    db: testDb.db,
    clock,
    startWorkers: false,
    logStream: stream,
    metricsCacheMs: 0,
    processMetrics: false,
    ...options.start,
  });
  const created = await testDb.db.command((tx) =>
    createProject(
      tx,
      { name: 'Ops shop', payinEnabled: true, payoutEnabled: true, allowedIps: ['127.0.0.1'] },
      clock.nowMs(),
    ),
  );
  if (!created.ok) throw new Error('project creation failed');
  const { project, apiToken } = created.value;
  return {
    running,
    testDb,
    clock,
    projectId: project.id,
    headers: {
      apikey: project.apikey,
      authorization: `Bearer ${apiToken}`,
      'content-type': 'application/json',
    },
    lines,
    logText: () => text,
    async fund(operatorId, amountXof) {
      const funded = await testDb.db.command((tx) =>
        fundSubaccount(tx, testDb.db.dialect, project.id, operatorId, amountXof as Xof, clock.nowMs()),
      );
      if (!funded.ok) throw new Error(`funding failed: ${funded.code}`);
    },
    async wallet(phone) {
      const made = await testDb.db.command((tx) => createWallet(tx, phone, null, clock.nowMs()));
      if (!made.ok) throw new Error(`wallet failed: ${made.code}`);
    },
    async destroy() {
      await running.close().catch(() => undefined);
      await testDb.destroy().catch(() => undefined);
    },
  };
}
