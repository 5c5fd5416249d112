import type { Tx } from './database.js';
import type { ConsoleUserTable } from './schema-payin-surface.js';

/**
 * The console's tables (migration 0006, ADR 0008): operator accounts, their sessions and the audit
 * trail. The rules (lock-out, session lifetimes, what is kept) are the commands'; this module
 * reads and writes what they decide.
 */
export interface ConsoleUser {
  id: string;
  username: string;
  lockedUntilMs: number | null;
  failedAttempts: number;
  createdAtMs: number;
  lastSignInAtMs: number | null;
}

/** A console user with the hash its password is checked against. */
export interface ConsoleUserWithHash extends ConsoleUser {
  passwordHash: string;
}

function userFromRow(row: ConsoleUserTable): ConsoleUserWithHash {
  return {
    id: row.id,
    username: row.username,
    lockedUntilMs: row.locked_until_ms === null ? null : Number(row.locked_until_ms),
    failedAttempts: Number(row.failed_attempts),
    createdAtMs: Number(row.created_at_ms),
    lastSignInAtMs: row.last_sign_in_at_ms === null ? null : Number(row.last_sign_in_at_ms),
    passwordHash: row.password_hash,
  };
}

/** The user as the commands' callers see it: without the password's hash. */
export function withoutHash(user: ConsoleUser): ConsoleUser {
  const { id, username, lockedUntilMs, failedAttempts, createdAtMs, lastSignInAtMs } = user;
  return { id, username, lockedUntilMs, failedAttempts, createdAtMs, lastSignInAtMs };
}

export async function consoleUsernameTaken(tx: Tx, username: string): Promise<boolean> {
  const existing = await tx
    .selectFrom('console_users')
    .select('id')
    .where('username', '=', username)
    .executeTakeFirst();
  return existing !== undefined;
}

export async function countConsoleUsers(tx: Tx): Promise<number> {
  const count = await tx
    .selectFrom('console_users')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(count.n);
}

export interface NewConsoleUser {
  id: string;
  username: string;
  passwordHash: string;
  nowMs: number;
}

/**
 * Inserts the user, or nothing when the username is taken: two processes creating the same user at
 * once (several sandbox instances seeding the demo account) get one user and one `undefined`, not a
 * unique-index error that would abort the transaction.
 */
export async function insertConsoleUser(tx: Tx, user: NewConsoleUser): Promise<ConsoleUser | undefined> {
  const row: ConsoleUserTable = {
    id: user.id,
    username: user.username,
    password_hash: user.passwordHash,
    failed_attempts: 0,
    locked_until_ms: null,
    created_at_ms: user.nowMs,
    password_changed_at_ms: user.nowMs,
    last_sign_in_at_ms: null,
  };
  const inserted = await tx
    .insertInto('console_users')
    .values(row)
    .onConflict((oc) => oc.column('username').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted === undefined ? undefined : withoutHash(userFromRow(row));
}

export async function listConsoleUsersByName(tx: Tx, limit: number): Promise<ConsoleUser[]> {
  const rows = await tx.selectFrom('console_users').selectAll().orderBy('username').limit(limit).execute();
  return rows.map((row) => withoutHash(userFromRow(row)));
}

export async function findConsoleUserByName(
  tx: Tx,
  username: string,
): Promise<ConsoleUserWithHash | undefined> {
  const row = await tx
    .selectFrom('console_users')
    .selectAll()
    .where('username', '=', username)
    .executeTakeFirst();
  return row === undefined ? undefined : userFromRow(row);
}

export async function findConsoleUserById(tx: Tx, userId: string): Promise<ConsoleUserWithHash | undefined> {
  const row = await tx.selectFrom('console_users').selectAll().where('id', '=', userId).executeTakeFirst();
  return row === undefined ? undefined : userFromRow(row);
}

/** A new password, which also lifts a lock-out. */
export async function setConsoleUserPassword(
  tx: Tx,
  userId: string,
  passwordHash: string,
  nowMs: number,
): Promise<void> {
  await tx
    .updateTable('console_users')
    .set({
      password_hash: passwordHash,
      password_changed_at_ms: nowMs,
      failed_attempts: 0,
      locked_until_ms: null,
    })
    .where('id', '=', userId)
    .execute();
}

export async function unlockConsoleUserById(tx: Tx, userId: string): Promise<void> {
  await tx
    .updateTable('console_users')
    .set({ failed_attempts: 0, locked_until_ms: null })
    .where('id', '=', userId)
    .execute();
}

export async function deleteConsoleUserById(tx: Tx, userId: string): Promise<void> {
  await tx.deleteFrom('console_users').where('id', '=', userId).execute();
}

/**
 * Counts a failed sign-in, in the database (so that parallel guesses all count), or, when it is
 * the one that reaches the limit, resets the count and locks the account until `lockedUntilMs`.
 */
export async function recordFailedSignIn(
  tx: Tx,
  userId: string,
  lockedUntilMs: number | undefined,
): Promise<void> {
  await tx
    .updateTable('console_users')
    .set((eb) =>
      lockedUntilMs !== undefined
        ? { failed_attempts: 0, locked_until_ms: lockedUntilMs }
        : { failed_attempts: eb('failed_attempts', '+', 1) },
    )
    .where('id', '=', userId)
    .execute();
}

export async function recordSuccessfulSignIn(tx: Tx, userId: string, nowMs: number): Promise<void> {
  await tx
    .updateTable('console_users')
    .set({ failed_attempts: 0, locked_until_ms: null, last_sign_in_at_ms: nowMs })
    .where('id', '=', userId)
    .execute();
}

export interface NewConsoleSession {
  idHash: string;
  userId: string;
  nowMs: number;
  expiresAtMs: number;
  ip: string;
  userAgent: string;
}

export async function insertConsoleSession(tx: Tx, session: NewConsoleSession): Promise<void> {
  await tx
    .insertInto('console_sessions')
    .values({
      id_hash: session.idHash,
      user_id: session.userId,
      created_at_ms: session.nowMs,
      last_seen_at_ms: session.nowMs,
      expires_at_ms: session.expiresAtMs,
      ip: session.ip,
      user_agent: session.userAgent,
    })
    .execute();
}

/**
 * Drops the sessions that ended (past `expiresAtMs`, or idle since `idleBeforeMs`) everywhere, and
 * keeps only this user's `keptMax` most recently seen.
 */
export async function pruneConsoleSessions(
  tx: Tx,
  userId: string,
  nowMs: number,
  idleBeforeMs: number,
  keptMax: number,
): Promise<void> {
  await tx
    .deleteFrom('console_sessions')
    .where((eb) => eb.or([eb('expires_at_ms', '<=', nowMs), eb('last_seen_at_ms', '<=', idleBeforeMs)]))
    .execute();
  const kept = await tx
    .selectFrom('console_sessions')
    .select('id_hash')
    .where('user_id', '=', userId)
    .orderBy('last_seen_at_ms', 'desc')
    .limit(keptMax)
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

export async function deleteSessionsOfUser(tx: Tx, userId: string): Promise<void> {
  await tx.deleteFrom('console_sessions').where('user_id', '=', userId).execute();
}

/** A session as its cookie's hash finds it, with the name of its user. */
export interface StoredSession {
  userId: string;
  username: string;
  lastSeenAtMs: number;
  expiresAtMs: number;
}

export async function findSession(tx: Tx, idHash: string): Promise<StoredSession | undefined> {
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
  return {
    userId: row.user_id,
    username: row.username,
    lastSeenAtMs: Number(row.last_seen_at_ms),
    expiresAtMs: Number(row.expires_at_ms),
  };
}

export async function touchSession(tx: Tx, idHash: string, nowMs: number): Promise<void> {
  await tx
    .updateTable('console_sessions')
    .set({ last_seen_at_ms: nowMs })
    .where('id_hash', '=', idHash)
    .execute();
}

export async function deleteSession(tx: Tx, idHash: string): Promise<void> {
  await tx.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
}

/** One line of the audit trail. */
export interface AuditLine {
  atMs: number;
  username: string;
  action: string;
  target: string;
  detail: string;
  ip: string;
}

export async function insertAuditLine(tx: Tx, id: string, line: AuditLine): Promise<void> {
  await tx
    .insertInto('console_audit')
    .values({
      id,
      at_ms: line.atMs,
      username: line.username,
      action: line.action,
      target: line.target,
      detail: line.detail,
      ip: line.ip,
    })
    .execute();
}

/** The newest audit lines, those before `beforeMs` when given. */
export async function listAuditLines(tx: Tx, limit: number, beforeMs?: number): Promise<AuditLine[]> {
  let query = tx.selectFrom('console_audit').selectAll().orderBy('id', 'desc').limit(limit);
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
