import type { AccountBalance } from '../core/ledger.js';
import type { Tx } from './tx.js';

/**
 * What one PostgreSQL transaction knows while the commands of its group commit run in it
 * (ADR 0019), shared by every transaction object those commands are handed:
 *
 * - the balance rows the transaction holds locked `FOR UPDATE`, with their sums as its commands
 *   have left them. No other transaction can change such a row until this one ends, so a command
 *   reads an account another command of its group locked from here, without a round trip;
 * - while commands of the group run concurrently (a *wave*, `CommandOptions.concurrent`), which
 *   command is using which row. A command takes all the rows it needs at once: rows nobody in the
 *   wave has taken are its to read, and for the others it waits until every command that took them
 *   before it has finished, so that it sees their sums. Taking rows in one step, in one global
 *   order, cannot deadlock; a command that already uses rows and must wait for more would risk
 *   it, and gives the wave up instead (`WaveConflict`), which then runs again one command at a time.
 */
export interface TransactionState {
  held: Map<string, AccountBalance>;
  /** The last command of the running wave to take each row. */
  users: Map<string, WaveMember>;
}

interface WaveMember {
  rows: Set<string>;
  finished: boolean;
  done: Promise<void>;
}

/** A command of a wave needed more rows while using others, and they were in use: run the group one by one. */
export class WaveConflict extends Error {
  constructor(accountId: string) {
    super(`account ${accountId} is in use by another command of the wave`);
  }
}

const states = new WeakMap<Tx, TransactionState>();
const members = new WeakMap<Tx, WaveMember>();

/** The state of the transaction `tx` belongs to; a transaction object nobody joined starts afresh. */
export function transactionState(tx: Tx): TransactionState {
  let state = states.get(tx);
  if (state === undefined) {
    state = { held: new Map(), users: new Map() };
    states.set(tx, state);
  }
  return state;
}

/**
 * Makes `member`, a transaction object of one command of a wave, share `tx`'s state, and returns
 * the function to call once that command has finished (whether it succeeded or threw).
 */
export function joinWave(member: Tx, tx: Tx): () => void {
  states.set(member, transactionState(tx));
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const wave: WaveMember = { rows: new Set(), finished: false, done };
  members.set(member, wave);
  return () => {
    wave.finished = true;
    finish();
  };
}

/** Forgets who used which row: the wave is over. */
export function endWave(tx: Tx): void {
  transactionState(tx).users.clear();
}

/**
 * Takes the balance rows `ids` for the command on `tx`: `fresh` are the rows the transaction does
 * not hold yet and nobody else in the wave has taken (the caller reads and locks them); `ready`
 * resolves once every earlier user of the others has finished. Outside a wave, `ready` is already
 * resolved. Throws WaveConflict when it would have to wait while using other rows.
 */
export function takeRows(
  tx: Tx,
  ids: readonly string[],
): { fresh: string[]; ready: Promise<unknown> | undefined } {
  const state = transactionState(tx);
  const member = members.get(tx);
  if (member === undefined) return { fresh: ids.filter((id) => !state.held.has(id)), ready: undefined };
  const fresh: string[] = [];
  const waits: Promise<void>[] = [];
  const usesSome = member.rows.size > 0;
  for (const id of ids) {
    if (member.rows.has(id)) {
      // Its own row, which it read before and which did not exist then: read it again.
      if (!state.held.has(id)) fresh.push(id);
      continue;
    }
    const previous = state.users.get(id);
    if (previous !== undefined && !previous.finished) {
      if (usesSome) throw new WaveConflict(id);
      waits.push(previous.done);
    } else if (!state.held.has(id)) {
      fresh.push(id);
    }
  }
  for (const id of ids) {
    state.users.set(id, member);
    member.rows.add(id);
  }
  return { fresh, ready: waits.length === 0 ? undefined : Promise.all(waits) };
}
