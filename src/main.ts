import { ConfigError, loadConfig } from './config.js';
import { startGateway } from './gateway.js';
import { seedConsoleUser, seedSandbox } from './sandbox-seed.js';
import { listConsoleUsers } from './commands/console-users.js';
import { DatabaseModeError } from './commands/database-mode.js';
import { ConnectorConfigError } from './operators/secrets.js';
import { SmsConfigError } from './sms/provider.js';
import { DatabaseUnavailable } from './store/database.js';

/** `npm start`: the gateway, in sandbox mode unless CAURI_MODE=production. */
async function main(): Promise<void> {
  const config = loadConfig();
  const running = await startGateway(config, {
    logger: true,
    onDatabaseRetry: (reason, waitMs) =>
      process.stderr.write(
        `cauri: database not reachable yet (${reason}); retrying in ${(waitMs / 1000).toFixed(1)} s\n`,
      ),
  });
  const { app, gw } = running;
  let address: string;
  try {
    address = await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await running.close().catch(() => undefined);
    throw new StartupError(
      `cannot listen on ${config.host}:${config.port}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const baseUrl = config.publicUrl.includes(':0') ? address : config.publicUrl;
  const lines = [
    '',
    `Cauri ${config.mode} gateway listening on ${address}`,
    `  database: ${gw.db.dialect} (${gw.db.location})`,
    `  LigdiCash base URL for SDKs: ${baseUrl}/pay/v01/`,
  ];
  if (config.mode === 'sandbox') {
    const demo = await seedSandbox(gw.db, Date.now());
    lines.push(
      `  demo project ${demo.projectId}${demo.created ? ' (created)' : ''}`,
      `    Apikey:        ${demo.apikey}`,
      `    API token:     ${demo.apiToken}`,
      `  demo wallet:    ${demo.walletPhone}`,
      `  SMS inbox:      ${baseUrl}/sandbox/sms   or   npx cauri sms`,
    );
    const demoUser = await seedConsoleUser(gw.db, Date.now());
    lines.push(
      `  console:        ${baseUrl}/console   (user ${demoUser.username}, password ${demoUser.password})`,
    );
  } else {
    const served = (gw.connector as { operatorIds?: () => string[] }).operatorIds?.() ?? [];
    lines.push(`  wallet OTP SMS: ${gw.sms?.name ?? 'none (debitotp refuses; see CAURI_SMS_PROVIDER)'}`);
    lines.push(
      `  operators with a connector: ${served.length === 0 ? 'none (every payin and payout to an operator is refused; see CAURI_CONNECTORS_FILE)' : served.join(', ')}`,
    );
    const users = await gw.db.command((tx) => listConsoleUsers(tx));
    lines.push(
      `  console:        ${baseUrl}/console${users.length === 0 ? '   (no account yet: npx cauri console user create NAME)' : ''}`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n\n');
  const shutdown = (signal: string) => {
    app.log.info(`${signal}: shutting down`);
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

class StartupError extends Error {}

/**
 * Start-up failures are one line each (ADR 0009): the settings, the database, the connectors file,
 * the port. A stack trace helps nobody who mistyped a URL; LOG_LEVEL=debug prints it anyway.
 */
main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  const oneLine = message.split('\n')[0] ?? message;
  const known =
    error instanceof ConfigError ||
    error instanceof StartupError ||
    error instanceof DatabaseUnavailable ||
    error instanceof DatabaseModeError ||
    error instanceof ConnectorConfigError ||
    error instanceof SmsConfigError;
  process.stderr.write(`cauri: ${known ? oneLine : `start-up failed: ${oneLine}`}\n`);
  if (!known && process.env.LOG_LEVEL === 'debug' && error instanceof Error && error.stack !== undefined)
    process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
