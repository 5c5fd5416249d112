import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseArgs } from '../src/cli/args.js';
import { runReconcileCommand } from '../src/cli/reconcile-commands.js';
import { importStatement } from '../src/commands/reconciliation.js';
import {
  parseCsv,
  parseStatementAmount,
  parseStatementDate,
  readStatement,
} from '../src/core/reconciliation.js';
import type {
  CreditRequest,
  DebitOutcome,
  DebitRequest,
  OperatorConnector,
  OperatorOutcome,
} from '../src/operators/connector.js';
import { showImport } from '../src/store/reconciliation.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { E2, E7, straightBody } from './payin-helpers.js';

/**
 * Issue 12, reconciliation (ADR 0027): an operator statement (CSV) compared with Cauri's payouts by
 * reference, each category of finding, malformed statements refused whole with line numbers, and
 * the CLI's output.
 */
const PAID = '22670445566';
const REFUSED = '22670445577';

/** Pays every payout, except to REFUSED, which it declines; the operator's reference is OP-<id>. */
class StatementOperator implements OperatorConnector {
  requestCredit(request: CreditRequest): Promise<OperatorOutcome> {
    if (request.phone === REFUSED)
      return Promise.resolve({ state: 'failed', reason: 'payee_not_found', code: 'payee_not_found' });
    return Promise.resolve({ state: 'completed', operatorReference: `OP-${request.reference}` });
  }
  queryStatus(): Promise<OperatorOutcome> {
    return Promise.resolve({ state: 'pending' });
  }
  requestDebit(request: DebitRequest): Promise<DebitOutcome> {
    return Promise.resolve({ state: 'completed', operatorReference: `OPD-${request.reference}` });
  }
}

describe('statement CSV reading', () => {
  it('reads a BOM, semicolons, quotes with separators, doubled quotes and line breaks, and numbers lines as a spreadsheet does', () => {
    const csv =
      '\uFEFFRéférence;Montant;Statut;Date\r\n"po_a;1";"1 000";Réussi;22/11/2026 10:00\r\n"po_""b""";"2\n500,00";OK;2026-11-22\r\npo_c;300;failed;2026-11-22T10:00:00+01:00\r\n';
    const parsed = parseCsv(csv);
    expect(parsed.ok && parsed.rows.map((r) => r.lineNo)).toEqual([1, 2, 3, 5]);
    expect(parsed.ok && parsed.rows[2]?.fields[0]).toBe('po_"b"');
    const statement = readStatement(
      'reference,amount,status,date\npo_a,"2,500",success,2026-11-22 10:00:00\n=cmd|calc,5,pending,\n',
      'generic',
    );
    expect(statement).toMatchObject({
      ok: true,
      lines: [
        { reference: 'po_a', amountXof: 2500, status: 'completed' },
        { reference: '=cmd|calc', status: 'pending', occurredAtMs: null },
      ],
    });
  });

  it('refuses malformed statements with line numbers', () => {
    const bad = readStatement(
      'reference,amount,status,date\npo_a,100,success,2026-11-22\npo_b,12.5,success,2026-11-22\npo_c,100,maybe,2026-11-22\npo_d,100,success,2026-13-40\npo_e,100\n',
      'generic',
    );
    expect(bad).toEqual({
      ok: false,
      errorsCount: 4,
      errors: [
        'line 3: "12.5" is not a whole amount of XOF',
        'line 4: "maybe" is not a status this reader knows (success, failed, pending …)',
        'line 5: "2026-13-40" is not a date (YYYY-MM-DD[ HH:MM[:SS]] or DD/MM/YYYY[ HH:MM[:SS]], UTC)',
        'line 6: 2 fields where the header has 4',
      ],
    });
    expect(readStatement('ref,montant\npo_a,1\n', 'generic')).toMatchObject({
      ok: false,
      errors: ['line 1: no status column'],
    });
    expect(readStatement('', 'generic')).toMatchObject({ ok: false });
    expect(parseCsv('a,b\n"open,1\n')).toEqual({
      ok: false,
      errors: ['line 2: a quoted field is not closed'],
    });
    expect(parseCsv('a,b\nx"y,1\n')).toMatchObject({
      ok: false,
      errors: ['line 2: a quote inside an unquoted field'],
    });
    expect(parseCsv('a\n1\n2\n3\n', 2)).toEqual({ ok: false, errors: ['more than 2 lines'] });
    expect(parseCsv(`a\n${'x'.repeat(300)}\n`)).toMatchObject({ ok: false });
    expect([
      parseStatementAmount('1.000.000'),
      parseStatementAmount('-2 500 FCFA'),
      parseStatementAmount('1e3'),
      parseStatementAmount(''),
    ]).toEqual([1_000_000, 2500, undefined, undefined]);
    expect(parseStatementDate('31/02/2026')).toBeUndefined();
  });
});

describe.each(BACKENDS)('reconciliation on %s', (backend) => {
  let gw: TestGateway;
  let dir: string;
  beforeEach(async () => {
    gw = await startTestGateway(backend, { connector: new StatementOperator() });
    await gw.fundSub('11', 100_000);
    dir = mkdtempSync(path.join(tmpdir(), 'cauri-reconcile-'));
  });
  afterEach(async () => {
    await gw.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  async function payout(phone: string, amount: number): Promise<string> {
    const created = await gw.call('POST', E7, {
      body: {
        commande: {
          amount,
          description: 'Supplier',
          customer: phone,
          callback_url: 'https://shop.example/cb',
          custom_data: {},
        },
      },
    });
    expect(created.response_code).toBe('00');
    const rows = await gw.gw.db.command((tx) =>
      tx
        .selectFrom('payouts')
        .select('id')
        .orderBy('created_at_ms', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .execute(),
    );
    gw.clock.advance(1);
    return rows[0]?.id ?? '';
  }

  /** Four paid payouts and one declined, settled; the statement of the day lists some of them. */
  async function statementCase(): Promise<{ ids: Record<string, string>; csv: string }> {
    const ids = {
      a: await payout(PAID, 1000),
      b: await payout(PAID, 2000),
      c: await payout(PAID, 3000),
      d: await payout(PAID, 4000),
      e: await payout(REFUSED, 500),
    };
    await gw.dispatcher.runOnce();
    const csv = [
      'Reference;Transaction ID;Montant;Statut;Date;MSISDN',
      `${ids.a};OP-${ids.a};1000;SUCCESS;2026-11-22 12:00:01;${PAID}`,
      `;OP-${ids.b};2 500;SUCCESS;2026-11-22 12:00:02;${PAID}`,
      `"${ids.c}";OP-${ids.c};"3000";Réussi;22/11/2026 12:00;+${PAID}`,
      `${ids.e};;500;SUCCESS;2026-11-22 12:00:04;${REFUSED}`,
      'po_unknownreference;OP-X;700;SUCCESS;2026-11-22 12:00:05;22670000000',
      `${ids.a};OP-${ids.a};1000;SUCCESS;2026-11-22 12:00:06;${PAID}`,
    ].join('\r\n');
    return { ids, csv };
  }

  it('sorts every line into a category, and finds Cauri’s completed payouts the statement lacks', async () => {
    const { ids, csv } = await statementCase();
    const outcome = await gw.gw.db.command((tx) =>
      importStatement(tx, {
        operatorId: '11',
        fileName: 'orange.csv',
        text: csv,
        format: 'generic',
        importedBy: 'test',
        nowMs: gw.clock.nowMs(),
      }),
    );
    expect(outcome).toMatchObject({
      ok: true,
      linesCount: 6,
      summary: {
        matched: 2,
        amount_mismatch: 1,
        status_mismatch: 1,
        duplicate: 1,
        missing_in_cauri: 1,
        missing_at_operator: 1,
      },
      fromMs: Date.UTC(2026, 10, 22),
      toMs: Date.UTC(2026, 10, 23) - 1,
    });
    if (!outcome.ok) return;
    const shown = await gw.gw.db.command((tx) => showImport(tx, outcome.importId));
    expect(shown?.import).toMatchObject({ operatorId: '11', mismatchesCount: 5, fileName: 'orange.csv' });
    expect(shown?.findings.map((f) => [f.category, f.lineNo, f.subjectId])).toEqual([
      ['amount_mismatch', 3, ids.b],
      ['status_mismatch', 5, ids.e],
      ['missing_in_cauri', 6, null],
      ['duplicate', 7, ids.a],
      ['missing_at_operator', null, ids.d],
    ]);
    expect(shown?.findings[0]).toMatchObject({ operatorAmountXof: 2500, cauriAmountXof: 2000 });
    expect(shown?.findings[1]).toMatchObject({ operatorStatus: 'completed', cauriStatus: 'failed' });
    const all = await gw.gw.db.command((tx) => showImport(tx, outcome.importId, { all: true }));
    expect(all?.findings.filter((f) => f.category === 'matched').map((f) => f.subjectId)).toEqual([
      ids.a,
      ids.c,
    ]);
  });

  it('limits "missing at the operator" to the period given', async () => {
    const { csv } = await statementCase();
    const outcome = await gw.gw.db.command((tx) =>
      importStatement(tx, {
        operatorId: '11',
        fileName: 's.csv',
        text: csv,
        format: 'generic',
        fromMs: Date.UTC(2026, 10, 23),
        toMs: Date.UTC(2026, 10, 24) - 1,
        importedBy: 'test',
        nowMs: gw.clock.nowMs(),
      }),
    );
    expect(outcome).toMatchObject({ ok: true, summary: { missing_at_operator: 0 } });
  });

  it('refuses a malformed statement whole, writing nothing, and an unknown operator', async () => {
    const outcome = await gw.gw.db.command((tx) =>
      importStatement(tx, {
        operatorId: '11',
        fileName: 'bad.csv',
        text: 'reference,amount,status\npo_a,abc,success\npo_b,1,success\npo_c,1,???\n',
        format: 'generic',
        importedBy: 'test',
        nowMs: gw.clock.nowMs(),
      }),
    );
    expect(outcome).toMatchObject({
      ok: false,
      errorsCount: 2,
      errors: [expect.stringMatching(/^line 2: /), expect.stringMatching(/^line 4: /)],
    });
    const count = await gw.gw.db.command((tx) =>
      tx
        .selectFrom('reconciliation_imports')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    );
    expect(Number(count.n)).toBe(0);
    const unknown = await gw.gw.db.command((tx) =>
      importStatement(tx, {
        operatorId: '99',
        fileName: 'x.csv',
        text: 'reference,amount,status\n',
        format: 'generic',
        importedBy: 'test',
        nowMs: 0,
      }),
    );
    expect(unknown).toMatchObject({ ok: false, errors: ['unknown operator "99"'] });
  });

  it('is driven from the CLI: import, list and show, and a refused file names its lines', async () => {
    const { ids, csv } = await statementCase();
    const file = path.join(dir, 'orange-2026-11-22.csv');
    writeFileSync(file, csv);
    const cli = (...argv: string[]) => runReconcileCommand(gw.gw.db, parseArgs(argv), gw.clock.nowMs());
    const imported = await cli(
      'reconcile',
      'import',
      '11',
      file,
      '--from',
      '2026-11-22',
      '--to',
      '2026-11-22',
    );
    const importId = /^(rcn_[a-z2-7]+)/.exec(imported?.text ?? '')?.[1] ?? '';
    expect(imported?.text).toContain(
      'operator 11  2026-11-22..2026-11-22  6 lines  5 mismatches  "orange-2026-11-22.csv"',
    );
    expect(imported?.text).toContain(
      'matched 2  amount_mismatch 1  status_mismatch 1  duplicate 1  missing_in_cauri 1  missing_at_operator 1',
    );
    expect(imported?.text).toMatch(
      new RegExp(`amount_mismatch +line 3 +OP-${ids.b}  operator 2500 / cauri 2000 XOF`),
    );
    expect(imported?.text).toMatch(
      new RegExp(
        `missing_at_operator +no line +${ids.d}  operator - / cauri 4000 XOF  operator - / cauri completed`,
      ),
    );
    expect((await cli('reconcile', 'list'))?.text).toContain(importId);
    const matched = await cli('reconcile', 'show', importId, '--category', 'matched');
    expect(matched?.text.split('\n').filter((l) => l.startsWith('  matched '))).toHaveLength(2);
    await expect(cli('reconcile', 'show', 'rcn_nope')).rejects.toThrow('no import rcn_nope');
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'reference,amount,status\npo_a,1,success\npo_b,x,success\n');
    await expect(cli('reconcile', 'import', '11', bad)).rejects.toThrow(
      /refused, nothing imported:\n {2}line 3: "x" is not a whole amount of XOF/,
    );
    await expect(cli('reconcile', 'import', '11', file, '--columns', 'nonsense')).rejects.toThrow(
      /--columns/,
    );
    const remapped = path.join(dir, 'remapped.csv');
    writeFileSync(remapped, `Ref partenaire,Valeur payée,Issue,Jour\n${ids.a},1000,success,2026-11-22\n`);
    const mapped = await cli(
      'reconcile',
      'import',
      '11',
      remapped,
      '--columns',
      'reference=Ref partenaire,amount=Valeur payée,status=Issue,date=Jour',
    );
    expect(mapped?.text).toContain('1 lines');
  });
  it('matches payins by their operator request reference or the operator’s own, and lists a completed one the statement lacks', async () => {
    const first = await gw.call('POST', E2, { body: straightBody(PAID, { amount: 5000, otp: '123456' }) });
    const second = await gw.call('POST', E2, { body: straightBody(PAID, { amount: 7000, otp: '123456' }) });
    const third = await gw.call('POST', E2, { body: straightBody(PAID, { amount: 9000, otp: '123456' }) });
    expect([first.response_code, second.response_code, third.response_code]).toEqual(['00', '00', '00']);
    const payins = await gw.gw.db.command((tx) =>
      tx.selectFrom('payins').select(['id', 'amount_xof', 'status']).orderBy('amount_xof').execute(),
    );
    expect(payins.map((p) => p.status)).toEqual(['completed', 'completed', 'completed']);
    const [a, b, c] = payins.map((p) => p.id);
    const csv = `reference,transaction_id,amount,status,date\n${a}.1,,5000,success,2026-11-22\n,OPD-${b}.1,7000,success,2026-11-22\n`;
    const outcome = await gw.gw.db.command((tx) =>
      importStatement(tx, {
        operatorId: '11',
        fileName: 'payins.csv',
        text: csv,
        format: 'generic',
        importedBy: 'test',
        nowMs: gw.clock.nowMs(),
      }),
    );
    expect(outcome).toMatchObject({
      ok: true,
      summary: { matched: 2, missing_at_operator: 1, missing_in_cauri: 0 },
    });
    if (!outcome.ok) return;
    const shown = await gw.gw.db.command((tx) => showImport(tx, outcome.importId));
    expect(shown?.findings.map((f) => [f.category, f.subjectId])).toEqual([
      ['missing_at_operator', `${c}.1`],
    ]);
  });
});
