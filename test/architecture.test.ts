import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The shape of the code (STYLE.md, "The shape of the system"; issue 13), checked on the source
 * text so that a change that breaks it fails `npm test` instead of waiting for a review:
 * - SQL lives in src/store only: no other folder builds a query;
 * - the core imports nothing outside itself, and operators/ and console/ never reach back up into
 *   commands/ or http/;
 * - no two files import each other, directly or through others (type imports included);
 * - amounts become `Xof` through `xof()` (src/core/money.ts), never a cast;
 * - commands take the narrow dependencies they use, not the whole `Gateway`;
 * - row types stay in the store: outside it, payins, payouts and projects are core types;
 * - no decision reads a status reason's prose.
 * Each rule's list of files still breaking it may only shrink: a file that no longer breaks a rule
 * must leave its list, so that it cannot slip back.
 */
const SRC = path.resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

const files = sourceFiles(SRC).map((full) => ({
  name: path.relative(SRC, full).split(path.sep).join('/'),
  text: readFileSync(full, 'utf8'),
}));

/** Relative imports and re-exports of a file, type-only ones included, as paths under src/. */
function importsOf(file: { name: string; text: string }): string[] {
  const found: string[] = [];
  for (const match of file.text.matchAll(
    /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'(\.{1,2}\/[^']+)'/g,
  )) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file.name), match[1] ?? ''));
    found.push(target.replace(/\.js$/, '.ts'));
  }
  return found;
}

/** Checks a rule: exactly the allowed files break it (none, once the work is done). */
function expectBreakers(breakers: string[], allowed: readonly string[]): void {
  const unexpected = breakers.filter((name) => !allowed.includes(name)).sort();
  const mended = allowed.filter((name) => !breakers.includes(name)).sort();
  expect({ unexpected, mended }).toEqual({ unexpected: [], mended: [] });
}

const QUERY =
  /\.(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\(|\bsql`|\bsql\.(raw|ref|id|lit|table|join|val)\(/;

/** Files outside src/store that still build queries: to be moved into store modules. */
const QUERIES_OUTSIDE_STORE: readonly string[] = [];

/** Files that still take the whole `Gateway` instead of the dependencies they use. */
const GATEWAY_USERS: readonly string[] = [];

/** Import cycles that remain, each named by its files in sorted order joined with ' > '. */
const CYCLES: readonly string[] = [];

/** Files that still cast to `Xof` instead of calling `xof()`. */
const XOF_CASTS: readonly string[] = [];

/** Files under operators/ or console/ that still import from commands/ or http/. */
const UPWARD_IMPORTS: readonly string[] = [];

/**
 * Files outside the store that still name a row type (store/schema*.ts). None: payins and their
 * invoices, payouts, refunds, bulk batches, projects (and the cache's `ProjectAuth`) and the
 * simulator's debits map to core types once in the store.
 */
const ROW_TYPE_USERS: readonly string[] = [];

/** Files that still decide on a status reason's prose instead of its code. */
const PROSE_READERS: readonly string[] = [];

/** The composition root, the file that defines the bag and the route tables it is handed to: the only ones that may name `Gateway`. */
const COMPOSITION_ROOT = [
  'gateway.ts',
  'commands/context.ts',
  'http/app.ts',
  'http/routes/index.ts',
  'http/console/index.ts',
];

describe('architecture', () => {
  it('builds SQL in src/store only', () => {
    const breakers = files
      .filter((f) => !f.name.startsWith('store/') && QUERY.test(f.text))
      .map((f) => f.name);
    expectBreakers(breakers, QUERIES_OUTSIDE_STORE);
  });

  it('keeps the core free of imports from outside it', () => {
    const outside = files
      .filter((f) => f.name.startsWith('core/'))
      .flatMap((f) =>
        importsOf(f)
          .filter((target) => !target.startsWith('core/'))
          .map((target) => `${f.name} -> ${target}`),
      );
    expect(outside).toEqual([]);
  });

  it('keeps the store to the core, itself and util/', () => {
    const outside = files
      .filter((f) => f.name.startsWith('store/'))
      .flatMap((f) =>
        importsOf(f)
          .filter((target) => !/^(core|store|util)\//.test(target))
          .map((target) => `${f.name} -> ${target}`),
      );
    expect(outside).toEqual([]);
  });

  it('keeps row types inside the store', () => {
    const breakers = files
      .filter((f) => !f.name.startsWith('store/'))
      .filter((f) => importsOf(f).some((target) => /^store\/schema[a-z-]*\.ts$/.test(target)))
      .map((f) => f.name);
    expectBreakers(breakers, ROW_TYPE_USERS);
  });

  it('never imports from commands/ or http/ into operators/ or console/', () => {
    const breakers = files
      .filter((f) => f.name.startsWith('operators/') || f.name.startsWith('console/'))
      .filter((f) =>
        importsOf(f).some((target) => target.startsWith('commands/') || target.startsWith('http/')),
      )
      .map((f) => f.name);
    expectBreakers(breakers, UPWARD_IMPORTS);
  });

  it('has no import cycles between files', () => {
    const graph = new Map(files.map((f) => [f.name, importsOf(f)]));
    expectBreakers(cyclesOf(graph), CYCLES);
  });

  it('turns numbers into Xof through xof() only', () => {
    const breakers = files
      .filter((f) => f.name !== 'core/money.ts' && /\bas Xof\b/.test(f.text))
      .map((f) => f.name);
    expectBreakers(breakers, XOF_CASTS);
  });

  it('passes narrow dependencies instead of the Gateway bag', () => {
    const breakers = files
      .filter(
        (f) =>
          !COMPOSITION_ROOT.includes(f.name) &&
          /\bGateway\b/.test(f.text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')),
      )
      .map((f) => f.name);
    expectBreakers(breakers, GATEWAY_USERS);
  });

  it('decides nothing on the prose of a status reason', () => {
    const breakers = files
      .filter((f) => /status_?[rR]eason\??\.(startsWith|endsWith|includes|match)\(/.test(f.text))
      .map((f) => f.name);
    expectBreakers(breakers, PROSE_READERS);
  });

  it('finds a cycle and a query where there is one (the checks themselves)', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cyclesOf(graph)).toEqual(['a.ts > b.ts > c.ts']);
    expect(QUERY.test("await tx.selectFrom('payins')")).toBe(true);
    expect(QUERY.test('const total = sql`count(*)`')).toBe(true);
    expect(QUERY.test('selectedFrom(list)')).toBe(false);
  });
});

/** The strongly connected components of more than one file (Tarjan), each as its sorted names. */
function cyclesOf(graph: Map<string, string[]>): string[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(target) ?? 0));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack.delete(member);
      component.push(member);
      if (member === node) break;
    }
    if (component.length > 1) cycles.push(component.sort().join(' > '));
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles.sort();
}
