import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { Dialect, Tx } from './tx.js';

/**
 * Queries built with Kysely once and run many times. Building and compiling a Kysely query costs
 * more CPU than SQLite takes to run it, and the hot commands run the same few statements over and
 * over. A prepared query is built and compiled by Kysely once per dialect and shape, with a
 * placeholder in place of each parameter, and then runs with each call's values bound to the same
 * SQL. Kysely still writes the SQL and checks the query's types; only the repetition goes.
 *
 * The shape of a call is the set of its parameters that are not undefined, and the length of each
 * array parameter: what a Kysely builder may look at (`values(row)` drops undefined columns,
 * `where(col, 'in', list)` has one `?` per element). The builder must use parameter values only as
 * values, never compute with them, and may branch only on whether one is undefined: it is called
 * with placeholders. A parameter that ends up in the SQL text is refused when the query compiles.
 *
 * The stores say which dialect each transaction they hand to a command speaks (`bindDialect`). A
 * transaction they did not open takes the ordinary path, build and run, with the same result.
 */
const dialects = new WeakMap<Tx, Dialect>();

/** Called by the stores for every transaction they hand to commands. */
export function bindDialect(tx: Tx, dialect: Dialect): void {
  dialects.set(tx, dialect);
}

const MARK = '\u0000cauri-param\u0000';
const SEP = '\u0001';
const SHAPES_MAX = 64;

type Slot = { param: string; index: number } | { value: unknown };

/** A compiled shape: the defined parameters, in order, with each array's length (-1: not an array). */
interface Compiled<R> {
  dialect: Dialect;
  /** The SQL with the deferred-write marker, made on first use. */
  deferredSql?: string;
  /** The SQL with the ride marker, made on first use. */
  rideSql?: string;
  names: string[];
  lengths: number[];
  query: CompiledQuery<R>;
  slots: Slot[];
}

export interface PreparedQuery<P, R> {
  /** Runs the query with these parameters and returns its rows. */
  rows(tx: Tx, params: P): Promise<R[]>;
  /** Runs the query with these parameters. */
  run(tx: Tx, params: P): Promise<QueryResult<R>>;
  /**
   * A write whose result nobody reads (an INSERT or UPDATE with no RETURNING): on PostgreSQL it is
   * sent with the transaction's next statement, or when the command ends, whichever comes first,
   * together with the other writes deferred meanwhile, in one round trip (database.ts). Its error,
   * if any, reaches the command at that next statement. On SQLite it runs at once.
   */
  defer(tx: Tx, params: P): Promise<void>;
  /**
   * `rows`, for a read whose rows no deferred write waiting on the transaction can change (the
   * caller knows: say, balance rows not yet locked by this transaction, which no write of it has
   * touched). On PostgreSQL the waiting writes ride in the same statement, as `WITH` parts run
   * beside the read on one snapshot (database.ts). A read that might miss a waiting write must
   * only do so where a constraint catches the miss (a unique index).
   */
  ride(tx: Tx, params: P): Promise<R[]>;
}

/** The marker of a read that deferred writes may ride with (database.ts). */
export const RIDE_MARK = '/*cauri:ride*/ ';

/** The marker of a deferred write: its verb and table, read by the PostgreSQL connection (database.ts). */
export const DEFER_MARK = /^\/\*cauri:defer (insert|update) (\w+)\*\/ /;

function deferMark(sql: string): string {
  const match = /^(insert into|update) "(\w+)"/.exec(sql);
  if (!match) throw new Error(`only an INSERT or UPDATE can be deferred: ${sql}`);
  if (/\breturning\b/i.test(sql)) throw new Error(`a deferred write returns nothing: ${sql}`);
  return `/*cauri:defer ${match[1] === 'update' ? 'update' : 'insert'} ${match[2] ?? ''}*/ `;
}

/** Whether a call has this shape; compared in place, since it runs on every call. */
function hasShape(compiled: Compiled<unknown>, dialect: Dialect, params: Record<string, unknown>): boolean {
  if (compiled.dialect !== dialect) return false;
  const { names, lengths } = compiled;
  let i = 0;
  for (const name in params) {
    const value = params[name];
    if (value === undefined) continue;
    if (names[i] !== name || lengths[i] !== (Array.isArray(value) ? value.length : -1)) return false;
    i++;
  }
  return i === names.length;
}

export function prepared<P extends object, R>(
  build: (tx: Tx, params: P) => Compilable<R>,
): PreparedQuery<P, R> {
  // Shapes come from code, so they are few; the bound only guards against a runaway caller.
  let shapes: Compiled<R>[] = [];

  function compile(tx: Tx, dialect: Dialect, params: Record<string, unknown>): Compiled<R> {
    const names: string[] = [];
    const lengths: number[] = [];
    const placeholders: Record<string, unknown> = {};
    for (const name in params) {
      const value = params[name];
      if (value === undefined) continue;
      names.push(name);
      lengths.push(Array.isArray(value) ? value.length : -1);
      placeholders[name] = Array.isArray(value)
        ? value.map((_, i) => `${MARK}${name}${SEP}${i}`)
        : `${MARK}${name}${SEP}-1`;
    }
    const query = build(tx, placeholders as P).compile();
    if (query.sql.includes(MARK))
      throw new Error(`prepared query has a parameter inside its SQL text: ${query.sql}`);
    const slots = query.parameters.map((value): Slot => {
      if (typeof value !== 'string' || !value.startsWith(MARK)) return { value };
      const [param = '', index = '-1'] = value.slice(MARK.length).split(SEP);
      return { param, index: Number(index) };
    });
    const compiled = { dialect, names, lengths, query, slots };
    if (shapes.length >= SHAPES_MAX) shapes = [];
    shapes.push(compiled);
    return compiled;
  }

  function run(tx: Tx, params: P, deferred = false, ride = false): Promise<QueryResult<R>> {
    const dialect = dialects.get(tx);
    if (dialect === undefined) return tx.executeQuery(build(tx, params));
    const values = params as Record<string, unknown>;
    const shape =
      shapes.find((candidate) => hasShape(candidate, dialect, values)) ?? compile(tx, dialect, values);
    const parameters = shape.slots.map((slot) => {
      if ('value' in slot) return slot.value;
      const value = values[slot.param];
      return slot.index >= 0 ? (value as readonly unknown[])[slot.index] : value;
    });
    if (deferred && dialect === 'postgres') {
      shape.deferredSql ??= deferMark(shape.query.sql) + shape.query.sql;
      return tx.executeQuery<R>({ ...shape.query, sql: shape.deferredSql, parameters });
    }
    if (ride && dialect === 'postgres') {
      shape.rideSql ??= RIDE_MARK + shape.query.sql;
      return tx.executeQuery<R>({ ...shape.query, sql: shape.rideSql, parameters });
    }
    return tx.executeQuery<R>({ ...shape.query, parameters });
  }

  return {
    run: (tx, params) => run(tx, params),
    async defer(tx, params) {
      await run(tx, params, true);
    },
    async ride(tx, params) {
      return (await run(tx, params, false, true)).rows;
    },
    async rows(tx, params) {
      return (await run(tx, params)).rows;
    },
  };
}
