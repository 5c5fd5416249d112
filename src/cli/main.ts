import { loadConfig } from '../config.js';
import { type ProjectChanges, createProject, updateProject } from '../commands/projects.js';
import { listSms } from '../commands/sms.js';
import { createWallet, fundSubaccount, fundWallet, listBalances } from '../commands/wallets.js';
import { ledgerTotals } from '../core/ledger.js';
import { parseAmountXof } from '../core/money.js';
import { ALL_OPERATORS } from '../core/operators.js';
import type { Result } from '../core/result-codes.js';
import type { Project } from '../core/project.js';
import { type Database, openDatabase } from '../store/database.js';
import { listProjects } from '../store/projects.js';
import { allAccountBalances } from '../store/wallets.js';
import { type ParsedArgs, UsageError, checkFlags, flag, onOff, parseArgs } from './args.js';
import { SANDBOX_HELP, cliDeps, runSandboxCommand } from './sandbox-commands.js';
import { CALLBACKS_HELP, runCallbackCommand } from './callbacks.js';
import { CONSOLE_HELP, runConsoleCommand } from './console-commands.js';
import { RETENTION_HELP, runRetentionCommand } from './retention.js';
import { RECONCILE_HELP, runReconcileCommand } from './reconcile-commands.js';
import { BACKUP_HELP, isBackupCommand, runBackupCommand } from './backup-commands.js';
import { CALLBACK_MODES, type CallbackMode } from '../core/callbacks.js';

/**
 * `cauri`, the operator's CLI. It opens the same database as the server (the SQLite file under
 * CAURI_DATA_DIR, or DATABASE_URL) and runs each command as one transaction. Every command prints
 * text for people, or JSON with `--json`.
 */
const HELP = `Usage: cauri <command> [options] [--json]

  project create --name NAME [--payin on|off] [--payout on|off] [--ip IP]... [--operators all|ID,ID]
                 [--callback-url URL] [--callback-mode ligdicash|json]
                                               create an API project; print its Apikey, API token and webhook secret
  project update PROJECT_ID [same options]     change a project's switches, IPs, operators or callback URL
  project list                                 list projects
  wallet create PHONE [--name NAME] [--fund AMOUNT]
                                               create a customer wallet (and fund it)
  wallet fund PHONE AMOUNT                     add money to a customer wallet
  subaccount fund PROJECT_ID OPERATOR_ID AMOUNT
                                               fund a project's sub-account for an operator
  balances [--project PROJECT_ID] [--phone PHONE]
                                               show balances and the ledger's totals
  sms [--phone PHONE] [--limit N]              read the sandbox SMS inbox (OTPs), newest first
  operators                                    list the operator catalogue
${SANDBOX_HELP}
${CALLBACKS_HELP}
${CONSOLE_HELP}
${RETENTION_HELP}
${RECONCILE_HELP}
${BACKUP_HELP}

Environment: CAURI_DATA_DIR (default ./data) or DATABASE_URL, as for the server.`;

type Output = { json: unknown; text: string };

/** How many projects `project list` prints. */
const PROJECTS_LISTED_MAX = 1000;

async function run(db: Database, args: ParsedArgs, mode: string): Promise<Output> {
  const [group, action, ...rest] = args.positionals;
  const nowMs = Date.now();
  const consoleOutput = await runConsoleCommand(db, args, nowMs);
  if (consoleOutput !== undefined) return consoleOutput;
  const reconcileOutput = await runReconcileCommand(db, args, nowMs);
  if (reconcileOutput !== undefined) return reconcileOutput;
  const callbackOutput = await runCallbackCommand(
    db,
    args,
    `${group ?? ''} ${action ?? ''}`.trim(),
    rest,
    nowMs,
  );
  if (callbackOutput !== undefined) return callbackOutput;
  // Retention's settings are the server's (CAURI_RETENTION_*), read from the same environment.
  const retentionOutput = await runRetentionCommand(
    db,
    args,
    `${group ?? ''} ${action ?? ''}`.trim(),
    loadConfig().retention,
    nowMs,
  );
  if (retentionOutput !== undefined) return retentionOutput;
  const sandboxOutput = await runSandboxCommand(() => cliDeps(db), args, mode);
  if (sandboxOutput !== undefined) return sandboxOutput;
  switch (`${group ?? ''} ${action ?? ''}`.trim()) {
    case 'project create': {
      checkFlags(args, ['name', 'payin', 'payout', 'ip', 'operators', 'callback-url', 'callback-mode']);
      const name = flag(args, 'name');
      if (name === undefined) throw new UsageError('project create needs --name');
      const created = unwrap(
        await db.command((tx) =>
          createProject(
            tx,
            {
              name,
              payinEnabled: onOff(args, 'payin') ?? true,
              payoutEnabled: onOff(args, 'payout') ?? true,
              allowedIps: args.flags.get('ip') ?? [],
              operatorIds: operatorsFlag(args),
              callbackUrl: flag(args, 'callback-url'),
              callbackMode: callbackModeFlag(args),
            },
            nowMs,
          ),
        ),
      );
      const { project, apiToken, webhookSecret } = created;
      return {
        json: { ...project, apiToken, webhookSecret },
        text: `project ${project.id} "${project.name}"\n  Apikey:    ${project.apikey}\n  API token: ${apiToken}\n  (the API token is shown only now; Cauri keeps its hash)\n  Webhook secret: ${webhookSecret}\n  (verifies callback signatures; \`cauri project rotate-webhook-secret\` replaces it)`,
      };
    }
    case 'project update': {
      checkFlags(args, ['name', 'payin', 'payout', 'ip', 'operators', 'callback-url', 'callback-mode']);
      const projectId = rest[0] ?? '';
      const changes: ProjectChanges = {
        name: flag(args, 'name'),
        payinEnabled: onOff(args, 'payin'),
        payoutEnabled: onOff(args, 'payout'),
        allowedIps: args.flags.get('ip')?.filter((ip) => ip !== 'none'),
        operatorIds: operatorsFlag(args),
        callbackUrl: flag(args, 'callback-url'),
        callbackMode: callbackModeFlag(args),
      };
      const project = unwrap(await db.command((tx) => updateProject(tx, projectId, changes)));
      return { json: project, text: describeProject(project) };
    }
    case 'project list': {
      const projects = await db.command((tx) => listProjects(tx, 'oldest', PROJECTS_LISTED_MAX));
      return { json: projects, text: projects.map(describeProject).join('\n') || 'no projects' };
    }
    case 'wallet create': {
      checkFlags(args, ['name', 'fund']);
      const phone = rest[0] ?? '';
      const fund = flag(args, 'fund');
      const amount = fund === undefined ? undefined : amountArg(fund);
      const result = unwrap(
        await db.command(async (tx) => {
          const created = await createWallet(tx, phone, flag(args, 'name') ?? null, nowMs);
          if (!created.ok || amount === undefined) return created;
          const funded = await fundWallet(tx, db.dialect, phone, amount, nowMs);
          return funded.ok ? created : funded;
        }),
      );
      return {
        json: result,
        text: `wallet ${result.phone} ${result.created ? 'created' : 'already exists'}${amount ? `, funded with ${amount} XOF` : ''}`,
      };
    }
    case 'wallet fund': {
      checkFlags(args, []);
      const amount = amountArg(rest[1]);
      const result = unwrap(
        await db.command((tx) => fundWallet(tx, db.dialect, rest[0] ?? '', amount, nowMs)),
      );
      return { json: result, text: `wallet ${result.phone}: available ${result.balanceXof} XOF` };
    }
    case 'subaccount fund': {
      checkFlags(args, []);
      const [projectId = '', operatorId = ''] = rest;
      const amount = amountArg(rest[2]);
      const result = unwrap(
        await db.command((tx) => fundSubaccount(tx, db.dialect, projectId, operatorId, amount, nowMs)),
      );
      return { json: result, text: `${result.accountId}: available ${result.balanceXof} XOF` };
    }
    case 'balances':
    case 'balances ': {
      checkFlags(args, ['project', 'phone']);
      const { lines, totals } = await db.command(async (tx) => ({
        lines: await listBalances(tx, { projectId: flag(args, 'project'), phone: flag(args, 'phone') }),
        totals: ledgerTotals(await allAccountBalances(tx)),
      }));
      const table = lines.map(
        (l) =>
          `${l.accountId.padEnd(44)} posted ${String(l.postedXof).padStart(14)}  available ${String(l.availableXof).padStart(14)}  held ${l.heldXof}`,
      );
      table.push(
        `ledger: debits ${totals.debitsPostedXof} = credits ${totals.creditsPostedXof} → ${totals.balanced ? 'balanced' : 'NOT BALANCED'}`,
      );
      return { json: { accounts: lines, totals }, text: table.join('\n') };
    }
    case 'sms': {
      checkFlags(args, ['phone', 'limit']);
      if (mode !== 'sandbox') throw new UsageError('the SMS inbox exists only in sandbox mode');
      const limit = Math.min(Math.max(Number(flag(args, 'limit') ?? 10) || 10, 1), 200);
      const messages = await db.command((tx) => listSms(tx, flag(args, 'phone'), limit));
      return {
        json: messages,
        text: messages.map((m) => `${m.createdAt}  ${m.phone}  ${m.body}`).join('\n') || 'inbox empty',
      };
    }
    case 'operators': {
      const all = ALL_OPERATORS;
      return {
        json: all,
        text: all
          .map(
            (op) =>
              `${op.id.padStart(3)}  ${op.name.padEnd(22)} ${op.country.padEnd(16)} ${op.validationMode}`,
          )
          .join('\n'),
      };
    }
    default:
      throw new UsageError(
        group === undefined ? 'no command given' : `unknown command "${args.positionals.join(' ')}"`,
      );
  }
}

function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new UsageError(result.detail ?? result.code.replace(/_/g, ' '));
  return result.value;
}

function amountArg(raw: string | undefined): ReturnType<typeof parseAmountXof> & number {
  const amount = parseAmountXof(raw);
  if (amount === undefined || amount <= 0)
    throw new UsageError(`"${raw ?? ''}" is not a whole, positive amount of XOF`);
  return amount;
}

function callbackModeFlag(args: ParsedArgs): CallbackMode | undefined {
  const value = flag(args, 'callback-mode');
  if (value === undefined) return undefined;
  const mode = CALLBACK_MODES.find((m) => m === value);
  if (mode === undefined) throw new UsageError(`--callback-mode takes ${CALLBACK_MODES.join(' or ')}`);
  return mode;
}

function operatorsFlag(args: ParsedArgs): string[] | undefined {
  const value = flag(args, 'operators');
  if (value === undefined || value === 'all')
    return value === 'all' ? ALL_OPERATORS.map((op) => op.id) : undefined;
  return value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
}

function describeProject(p: Project): string {
  return `${p.id}  "${p.name}"  Apikey ${p.apikey}  payin ${p.payinEnabled ? 'on' : 'off'}  payout ${p.payoutEnabled ? 'on' : 'off'}  IPs [${p.allowedIps.join(', ')}]  operators [${p.operatorIds.join(',')}]  callbacks ${p.callbackMode}`;
}

async function main(): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`cauri: ${(error as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (args.booleans.has('help') || args.positionals.length === 0) {
    process.stdout.write(HELP + '\n');
    return args.positionals.length === 0 && !args.booleans.has('help') ? 2 : 0;
  }
  const config = loadConfig();
  // Backup and restore work on the database file itself: they run without opening (and migrating) it.
  if (isBackupCommand(args)) return print(args, () => runBackupCommand(args, config, Date.now()));
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    return await print(args, () => run(db, args, config.mode));
  } finally {
    await db.close();
  }
}

/** Runs a command and prints its output (or its usage error): the exit status. */
async function print(args: ParsedArgs, command: () => Promise<Output>): Promise<number> {
  try {
    const output = await command();
    process.stdout.write(
      (args.booleans.has('json') ? JSON.stringify(output.json, null, 2) : output.text) + '\n',
    );
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      if (args.booleans.has('json')) process.stdout.write(JSON.stringify({ error: error.message }) + '\n');
      process.stderr.write(`cauri: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `cauri: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
