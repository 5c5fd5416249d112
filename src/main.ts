import { ConfigError, loadConfig } from './config.js';
import { startGateway } from './gateway.js';
import { seedConsoleUser, seedSandbox } from './sandbox-seed.js';
import { listConsoleUsers } from './commands/console-users.js';

/** `npm start`: the gateway, in sandbox mode unless CAURI_MODE=production. */
async function main(): Promise<void> {
  const config = loadConfig();
  const running = await startGateway(config, { logger: true });
  const { app, gw } = running;
  const address = await app.listen({ host: config.host, port: config.port });
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
    lines.push(`  console:        ${baseUrl}/console   (user ${demoUser.username}, password ${demoUser.password})`);
  } else {
    const users = await gw.db.command((tx) => listConsoleUsers(tx));
    lines.push(`  console:        ${baseUrl}/console${users.length === 0 ? '   (no account yet: npx cauri console user create NAME)' : ''}`);
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

main().catch((error: unknown) => {
  process.stderr.write(`cauri: ${error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
