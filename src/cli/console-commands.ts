import { randomBytes } from 'node:crypto';
import {
  createConsoleUser,
  deleteConsoleUser,
  listConsoleUsers,
  setConsolePassword,
  unlockConsoleUser,
} from '../commands/console-users.js';
import { hashPassword, passwordProblem } from '../core/password.js';
import type { Result } from '../core/result-codes.js';
import type { Database } from '../store/database.js';
import { type ParsedArgs, UsageError, checkFlags } from './args.js';

/**
 * Console accounts are managed only here, by whoever can reach the database (ADR 0008): there is
 * no sign-up page. A password is read from standard input with `--password-stdin` (never from the
 * command line, where it would land in shell history and `ps`), or generated and printed once.
 */
export const CONSOLE_HELP = `  console user create USERNAME [--password-stdin]
                                               create a console account (prints a generated password
                                               unless one is read from standard input)
  console user password USERNAME [--password-stdin]
                                               set a new password; ends the user's sessions
  console user unlock USERNAME                 lift a lock-out after failed sign-ins
  console user delete USERNAME                 remove an account and its sessions
  console user list                            list console accounts`;

type Output = { json: unknown; text: string };

function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new UsageError(result.detail ?? result.code.replace(/_/g, ' '));
  return result.value;
}

async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    bytes += chunk.length;
    if (bytes > 4096) throw new UsageError('the password on standard input is too long');
  }
  return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').trimEnd();
}

/** The password to set: from standard input, or a new random one that is shown once. */
async function newPassword(args: ParsedArgs): Promise<{ password: string; generated: boolean }> {
  if (!args.booleans.has('password-stdin'))
    return { password: randomBytes(18).toString('base64url'), generated: true };
  const password = await readPasswordFromStdin();
  const problem = passwordProblem(password);
  if (problem !== undefined) throw new UsageError(problem);
  return { password, generated: false };
}

export async function runConsoleCommand(
  db: Database,
  args: ParsedArgs,
  nowMs: number,
): Promise<Output | undefined> {
  const [group, noun, action, username = ''] = args.positionals;
  if (group !== 'console') return undefined;
  if (noun !== 'user')
    throw new UsageError('console commands: console user create|password|unlock|delete|list');
  checkFlags(args, []);
  switch (action) {
    case 'create':
    case 'password': {
      const { password, generated } = await newPassword(args);
      // Hashing takes ~0.3 s: done before the transaction opens (ADR 0008).
      const hash = await hashPassword(password);
      const user = unwrap(
        await db.command((tx) =>
          action === 'create'
            ? createConsoleUser(tx, username, hash, nowMs)
            : setConsolePassword(tx, username, hash, nowMs),
        ),
      );
      const shown = generated
        ? `\n  password: ${password}\n  (shown only now; Cauri keeps a scrypt hash)`
        : '';
      return {
        json: { username: user.username, ...(generated ? { password } : {}) },
        text: `console user ${user.username} ${action === 'create' ? 'created' : 'has a new password; its sessions ended'}${shown}`,
      };
    }
    case 'unlock': {
      const user = unwrap(await db.command((tx) => unlockConsoleUser(tx, username)));
      return { json: { username: user.username }, text: `console user ${user.username} unlocked` };
    }
    case 'delete': {
      const deleted = unwrap(await db.command((tx) => deleteConsoleUser(tx, username)));
      return { json: deleted, text: `console user ${deleted.username} deleted` };
    }
    case 'list': {
      const users = await db.command((tx) => listConsoleUsers(tx));
      const line = (u: (typeof users)[number]) =>
        `${u.username.padEnd(24)} created ${new Date(u.createdAtMs).toISOString()}  last sign-in ${u.lastSignInAtMs === null ? '-' : new Date(u.lastSignInAtMs).toISOString()}${u.lockedUntilMs !== null && u.lockedUntilMs > nowMs ? `  LOCKED until ${new Date(u.lockedUntilMs).toISOString()}` : ''}`;
      return { json: users, text: users.map(line).join('\n') || 'no console users' };
    }
    default:
      throw new UsageError('console user create|password|unlock|delete|list');
  }
}
