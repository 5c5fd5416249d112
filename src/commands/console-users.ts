import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../core/ids.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import type { Tx } from '../store/database.js';
import type { ConsoleUserTable } from '../store/schema-payin-surface.js';

/**
 * Operator accounts and sessions of the console (ADR 0008). Password hashing (hundreds of
 * milliseconds of scrypt) happens outside these functions, so that no transaction, and on SQLite
 * no writer slot, is held while it runs: callers hash first, then record.
 */
export const CONSOLE_POLICY = {
  /** Failed sign-ins in a row that lock an account. */
  failedAttemptsMax: 5,
  lockoutMs: 15 * 60_000,
  /** A session ends after this long without a request… */
  sessionIdleMs: 60 * 60_000,
  /** …and this long after sign-in in any case. */
  sessionAbsoluteMs: 12 * 60 * 60_000,
  /** `last_seen_at_ms` is written at most this often, not on every page. */
  sessionTouchEveryMs: 60_000,
  sessionsPerUserMax: 10,
  usersMax: 1000,
} as const;

const USERNAME = /^[a-z0-9][a-z0-9._@-]{1,63}$/;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const AUDIT_TEXT_MAX = 500;

export function normalizeUsername(raw: string): string | undefined {
  const username = raw.trim().toLowerCase();
  return USERNAME.test(username) ? username : undefined;
}

export function sessionIdHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface ConsoleUser {
  id: string;
  username: string;
  lockedUntilMs: number | null;
  failedAttempts: number;
  createdAtMs: number;
  lastSignInAtMs: number | null;
}

function toUser(row: ConsoleUserTable): ConsoleUser {
  return {
    id: row.id,
    username: row.username,
    lockedUntilMs: row.locked_until_ms === null ? null : Number(row.locked_until_ms),
    failedAttempts: Number(row.failed_attempts),
    createdAtMs: Number(row.created_at_ms),
    lastSignInAtMs: row.last_sign_in_at_ms === null ? null : Number(row.last_sign_in_at_ms),
  };
}

export async function createConsoleUser(
  tx: Tx,
  usernameRaw: string,
  passwordHash: string,
  nowMs: number,
): Promise<Result<ConsoleUser>> {
  const username = normalizeUsername(usernameRaw);
  if (username === undefined)
    return fail('invalid_input', 'a username has 2 to 64 characters: letters, digits, and . _ @ -');
  const existing = await tx
    .selectFrom('console_users')
    .select('id')
    .where('username', '=', username)
    .executeTakeFirst();
  if (existing) return fail('invalid_input', `user ${username} already exists`);
  const count = await tx
    .selectFrom('console_users')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  if (Number(count.n) >= CONSOLE_POLICY.usersMax)
    return fail('invalid_input', `at most ${CONSOLE_POLICY.usersMax} console users`);
  const row: ConsoleUserTable = {
    id: newId('usr', nowMs),
    username,
    password_hash: passwordHash,
    failed_attempts: 0,
    locked_until_ms: null,
    created_at_ms: nowMs,
    password_changed_at_ms: nowMs,
    last_sign_in_at_ms: null,
  };
  await tx.insertInto('console_users').values(row).execute();
  return ok(toUser(row));
}

export async function listConsoleUsers(tx: Tx): Promise<ConsoleUser[]> {
  const rows = await tx
    .selectFrom('console_users')
    .selectAll()
    .orderBy('username')
    .limit(CONSOLE_POLICY.usersMax)
    .execute();
  return rows.map(toUser);
}

/** A new password ends every session of the user and lifts a lock-out. */
export async function setConsolePassword(
  tx: Tx,
  usernameRaw: string,
  passwordHash: string,
  nowMs: number,
): Promise<Result<ConsoleUser>> {
  const user = await userNamed(tx, usernameRaw);
  if (user === undefined) return fail('not_found', `no console user ${usernameRaw}`);
  await tx
    .updateTable('console_users')
    .set({
      password_hash: passwordHash,
      password_changed_at_ms: nowMs,
      failed_attempts: 0,
      locked_until_ms: null,
    })
    .where('id', '=', user.id)
    .execute();
  await tx.deleteFrom('console_sessions').where('user_id', '=', user.id).execute();
  return ok({ ...toUser(user), failedAttempts: 0, lockedUntilMs: null });
}

export async function unlockConsoleUser(tx: Tx, usernameRaw: string): Promise<Result<ConsoleUser>> {
  const user = await userNamed(tx, usernameRaw);
  if (user === undefined) return fail('not_found', `no console user ${usernameRaw}`);
  await tx
    .updateTable('console_users')
    .set({ failed_attempts: 0, locked_until_ms: null })
    .where('id', '=', user.id)
    .execute();
  return ok({ ...toUser(user), failedAttempts: 0, lockedUntilMs: null });
}

export async function deleteConsoleUser(tx: Tx, usernameRaw: string): Promise<Result<{ username: string }>> {
  const user = await userNamed(tx, usernameRaw);
  if (user === undefined) return fail('not_found', `no console user ${usernameRaw}`);
  await tx.deleteFrom('console_sessions').where('user_id', '=', user.id).execute();
  await tx.deleteFrom('console_users').where('id', '=', user.id).execute();
  return ok({ username: user.username });
}

async function userNamed(tx: Tx, usernameRaw: string): Promise<ConsoleUserTable | undefined> {
  const username = normalizeUsername(usernameRaw);
  if (username === undefined) return undefined;
  return tx.selectFrom('console_users').selectAll().where('username', '=', username).executeTakeFirst();
}

/** What sign-in needs before the (slow, transaction-free) password check. */
export async function signInCandidate(
  tx: Tx,
  usernameRaw: string,
): Promise<{ id: string; username: string; passwordHash: string; lockedUntilMs: number | null } | undefined> {
  const row = await userNamed(tx, usernameRaw);
  if (row === undefined) return undefined;
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    lockedUntilMs: row.locked_until_ms === null ? null : Number(row.locked_until_ms),
  };
}

export type SignInOutcome =
  | { outcome: 'signed_in'; token: string; userId: string }
  | { outcome: 'refused'; lockedNow: boolean }
  | { outcome: 'locked' };

export interface SignInRecord {
  userId: string;
  passwordMatched: boolean;
  ip: string;
  userAgent: string;
  nowMs: number;
}

/**
 * Records a password check's outcome: a failure counts towards the lock-out (atomically, so that
 * parallel guesses all count), a success opens a session unless the account got locked meanwhile.
 */
export async function recordSignIn(tx: Tx, record: SignInRecord): Promise<SignInOutcome> {
  const { userId, nowMs } = record;
  const user = await tx.selectFrom('console_users').selectAll().where('id', '=', userId).executeTakeFirst();
  if (user === undefined) return { outcome: 'refused', lockedNow: false };
  if (user.locked_until_ms !== null && Number(user.locked_until_ms) > nowMs) return { outcome: 'locked' };
  if (!record.passwordMatched) {
    const failed = Number(user.failed_attempts) + 1;
    const lock = failed >= CONSOLE_POLICY.failedAttemptsMax;
    await tx
      .updateTable('console_users')
      .set((eb) =>
        lock
          ? { failed_attempts: 0, locked_until_ms: nowMs + CONSOLE_POLICY.lockoutMs }
          : { failed_attempts: eb('failed_attempts', '+', 1) },
      )
      .where('id', '=', userId)
      .execute();
    return { outcome: 'refused', lockedNow: lock };
  }
  await tx
    .updateTable('console_users')
    .set({ failed_attempts: 0, locked_until_ms: null, last_sign_in_at_ms: nowMs })
    .where('id', '=', userId)
    .execute();
  const token = randomBytes(32).toString('base64url');
  await pruneSessions(tx, userId, nowMs);
  await tx
    .insertInto('console_sessions')
    .values({
      id_hash: sessionIdHash(token),
      user_id: userId,
      created_at_ms: nowMs,
      last_seen_at_ms: nowMs,
      expires_at_ms: nowMs + CONSOLE_POLICY.sessionAbsoluteMs,
      ip: record.ip.slice(0, 64),
      user_agent: record.userAgent.slice(0, 200),
    })
    .execute();
  return { outcome: 'signed_in', token, userId };
}

/** Drops ended sessions everywhere and keeps at most `sessionsPerUserMax - 1` of this user's. */
async function pruneSessions(tx: Tx, userId: string, nowMs: number): Promise<void> {
  await tx
    .deleteFrom('console_sessions')
    .where((eb) =>
      eb.or([
        eb('expires_at_ms', '<=', nowMs),
        eb('last_seen_at_ms', '<=', nowMs - CONSOLE_POLICY.sessionIdleMs),
      ]),
    )
    .execute();
  const kept = await tx
    .selectFrom('console_sessions')
    .select('id_hash')
    .where('user_id', '=', userId)
    .orderBy('last_seen_at_ms', 'desc')
    .limit(CONSOLE_POLICY.sessionsPerUserMax - 1)
    .execute();
  let drop = tx.deleteFrom('console_sessions').where('user_id', '=', userId);
  if (kept.length > 0)
    drop = drop.where(
      'id_hash',
      'not in',
      kept.map((k) => k.id_hash),
    );
  await drop.execute();
}

export interface ConsoleSession {
  userId: string;
  username: string;
}

/** The live session a cookie names, sliding its idle deadline; undefined when absent or ended. */
export async function resolveSession(
  tx: Tx,
  token: string,
  nowMs: number,
): Promise<ConsoleSession | undefined> {
  if (!TOKEN.test(token)) return undefined;
  const idHash = sessionIdHash(token);
  const row = await tx
    .selectFrom('console_sessions')
    .innerJoin('console_users', 'console_users.id', 'console_sessions.user_id')
    .select([
      'console_sessions.user_id',
      'console_sessions.last_seen_at_ms',
      'console_sessions.expires_at_ms',
      'console_users.username',
    ])
    .where('console_sessions.id_hash', '=', idHash)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const lastSeenMs = Number(row.last_seen_at_ms);
  if (Number(row.expires_at_ms) <= nowMs || lastSeenMs + CONSOLE_POLICY.sessionIdleMs <= nowMs) {
    await tx.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
    return undefined;
  }
  if (nowMs - lastSeenMs >= CONSOLE_POLICY.sessionTouchEveryMs) {
    await tx
      .updateTable('console_sessions')
      .set({ last_seen_at_ms: nowMs })
      .where('id_hash', '=', idHash)
      .execute();
  }
  return { userId: row.user_id, username: row.username };
}

export async function endSession(tx: Tx, token: string): Promise<void> {
  if (!TOKEN.test(token)) return;
  await tx.deleteFrom('console_sessions').where('id_hash', '=', sessionIdHash(token)).execute();
}

export interface AuditEntry {
  username: string;
  action: string;
  target: string;
  detail?: string;
  ip: string;
}

/** Appends to the audit trail. Callers must never put a secret in `detail`. */
export async function recordAudit(tx: Tx, entry: AuditEntry, nowMs: number): Promise<void> {
  await tx
    .insertInto('console_audit')
    .values({
      id: newId('aud', nowMs),
      at_ms: nowMs,
      username: entry.username.slice(0, 64),
      action: entry.action.slice(0, 64),
      target: entry.target.slice(0, AUDIT_TEXT_MAX),
      detail: (entry.detail ?? '').slice(0, AUDIT_TEXT_MAX),
      ip: entry.ip.slice(0, 64),
    })
    .execute();
}

export interface AuditLine {
  atMs: number;
  username: string;
  action: string;
  target: string;
  detail: string;
  ip: string;
}

export async function listAudit(tx: Tx, limit: number, beforeMs?: number): Promise<AuditLine[]> {
  let query = tx
    .selectFrom('console_audit')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(limit, 1), 500));
  if (beforeMs !== undefined) query = query.where('at_ms', '<', beforeMs);
  const rows = await query.execute();
  return rows.map((r) => ({
    atMs: Number(r.at_ms),
    username: r.username,
    action: r.action,
    target: r.target,
    detail: r.detail,
    ip: r.ip,
  }));
}
