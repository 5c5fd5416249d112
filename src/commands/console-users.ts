import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../core/ids.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import type { Tx } from '../store/database.js';
import {
  type AuditLine,
  type ConsoleUser,
  type ConsoleUserWithHash,
  withoutHash,
  consoleUsernameTaken,
  countConsoleUsers,
  deleteConsoleUserById,
  deleteSession,
  deleteSessionsOfUser,
  findConsoleUserById,
  findConsoleUserByName,
  findSession,
  insertAuditLine,
  insertConsoleSession,
  insertConsoleUser,
  listAuditLines,
  listConsoleUsersByName,
  pruneConsoleSessions,
  recordFailedSignIn,
  recordSuccessfulSignIn,
  setConsoleUserPassword,
  touchSession,
  unlockConsoleUserById,
} from '../store/console-users.js';

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

export async function createConsoleUser(
  tx: Tx,
  usernameRaw: string,
  passwordHash: string,
  nowMs: number,
): Promise<Result<ConsoleUser>> {
  const username = normalizeUsername(usernameRaw);
  if (username === undefined)
    return fail('invalid_input', 'a username has 2 to 64 characters: letters, digits, and . _ @ -');
  if (await consoleUsernameTaken(tx, username))
    return fail('invalid_input', `user ${username} already exists`);
  if ((await countConsoleUsers(tx)) >= CONSOLE_POLICY.usersMax)
    return fail('invalid_input', `at most ${CONSOLE_POLICY.usersMax} console users`);
  const user = await insertConsoleUser(tx, { id: newId('usr', nowMs), username, passwordHash, nowMs });
  return user === undefined ? fail('invalid_input', `user ${username} already exists`) : ok(user);
}

export function listConsoleUsers(tx: Tx): Promise<ConsoleUser[]> {
  return listConsoleUsersByName(tx, CONSOLE_POLICY.usersMax);
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
  await setConsoleUserPassword(tx, user.id, passwordHash, nowMs);
  await deleteSessionsOfUser(tx, user.id);
  return ok({ ...withoutHash(user), failedAttempts: 0, lockedUntilMs: null });
}

export async function unlockConsoleUser(tx: Tx, usernameRaw: string): Promise<Result<ConsoleUser>> {
  const user = await userNamed(tx, usernameRaw);
  if (user === undefined) return fail('not_found', `no console user ${usernameRaw}`);
  await unlockConsoleUserById(tx, user.id);
  return ok({ ...withoutHash(user), failedAttempts: 0, lockedUntilMs: null });
}

export async function deleteConsoleUser(tx: Tx, usernameRaw: string): Promise<Result<{ username: string }>> {
  const user = await userNamed(tx, usernameRaw);
  if (user === undefined) return fail('not_found', `no console user ${usernameRaw}`);
  await deleteSessionsOfUser(tx, user.id);
  await deleteConsoleUserById(tx, user.id);
  return ok({ username: user.username });
}

async function userNamed(tx: Tx, usernameRaw: string): Promise<ConsoleUserWithHash | undefined> {
  const username = normalizeUsername(usernameRaw);
  if (username === undefined) return undefined;
  return findConsoleUserByName(tx, username);
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
    passwordHash: row.passwordHash,
    lockedUntilMs: row.lockedUntilMs,
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
  const user = await findConsoleUserById(tx, userId);
  if (user === undefined) return { outcome: 'refused', lockedNow: false };
  if (user.lockedUntilMs !== null && user.lockedUntilMs > nowMs) return { outcome: 'locked' };
  if (!record.passwordMatched) {
    const failed = user.failedAttempts + 1;
    const lock = failed >= CONSOLE_POLICY.failedAttemptsMax;
    await recordFailedSignIn(tx, userId, lock ? nowMs + CONSOLE_POLICY.lockoutMs : undefined);
    return { outcome: 'refused', lockedNow: lock };
  }
  await recordSuccessfulSignIn(tx, userId, nowMs);
  const token = randomBytes(32).toString('base64url');
  // Drops ended sessions everywhere and keeps at most `sessionsPerUserMax - 1` of this user's.
  await pruneConsoleSessions(
    tx,
    userId,
    nowMs,
    nowMs - CONSOLE_POLICY.sessionIdleMs,
    CONSOLE_POLICY.sessionsPerUserMax - 1,
  );
  await insertConsoleSession(tx, {
    idHash: sessionIdHash(token),
    userId,
    nowMs,
    expiresAtMs: nowMs + CONSOLE_POLICY.sessionAbsoluteMs,
    ip: record.ip.slice(0, 64),
    userAgent: record.userAgent.slice(0, 200),
  });
  return { outcome: 'signed_in', token, userId };
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
  const session = await findSession(tx, idHash);
  if (session === undefined) return undefined;
  const lastSeenMs = session.lastSeenAtMs;
  if (session.expiresAtMs <= nowMs || lastSeenMs + CONSOLE_POLICY.sessionIdleMs <= nowMs) {
    await deleteSession(tx, idHash);
    return undefined;
  }
  if (nowMs - lastSeenMs >= CONSOLE_POLICY.sessionTouchEveryMs) await touchSession(tx, idHash, nowMs);
  return { userId: session.userId, username: session.username };
}

export async function endSession(tx: Tx, token: string): Promise<void> {
  if (!TOKEN.test(token)) return;
  await deleteSession(tx, sessionIdHash(token));
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
  await insertAuditLine(tx, newId('aud', nowMs), {
    atMs: nowMs,
    username: entry.username.slice(0, 64),
    action: entry.action.slice(0, 64),
    target: entry.target.slice(0, AUDIT_TEXT_MAX),
    detail: (entry.detail ?? '').slice(0, AUDIT_TEXT_MAX),
    ip: entry.ip.slice(0, 64),
  });
}

export function listAudit(tx: Tx, limit: number, beforeMs?: number): Promise<AuditLine[]> {
  return listAuditLines(tx, Math.min(Math.max(limit, 1), 500), beforeMs);
}
