import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { importStatement } from '../commands/reconciliation.js';
import { operatorById } from '../core/operators.js';
import {
  RECONCILIATION_CATEGORIES,
  type ReconciliationCategory,
  STATEMENT_BYTES_MAX,
  STATEMENT_FORMATS,
  type StatementFormat,
  parseColumnMapping,
} from '../core/reconciliation.js';
import type { Database } from '../store/database.js';
import { type ParsedArgs, UsageError, checkFlags, flag } from './args.js';
import { type FindingView, type ImportView, listImports, showImport } from '../store/reconciliation.js';

/**
 * The CLI's reconciliation commands (ADR 0027):
 *
 *   reconcile import OPERATOR_ID FILE.csv [--from DATE] [--to DATE] [--format generic] [--columns SPEC]
 *   reconcile list
 *   reconcile show IMPORT_ID [--category all|matched|amount_mismatch|…]
 */
export const RECONCILE_HELP = `  reconcile import OPERATOR_ID FILE.csv [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--format generic]
                 [--columns reference=HEADER,amount=HEADER,…]
                                               compare an operator statement with Cauri's payins and payouts
  reconcile list                               list statement imports, newest first
  reconcile show IMPORT_ID [--category all|CATEGORY]
                                               an import's mismatches (or every line, or one category)`;

type Output = { json: unknown; text: string };

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function dayFlag(args: ParsedArgs, name: 'from' | 'to'): number | undefined {
  const raw = flag(args, name);
  if (raw === undefined) return undefined;
  const ms = DAY.test(raw) ? Date.parse(`${raw}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(ms) || day(ms) !== raw) throw new UsageError(`--${name} takes a date YYYY-MM-DD`);
  // `--to` names the last day covered, whole.
  return name === 'to' ? ms + DAY_MS - 1 : ms;
}

export function summaryText(view: ImportView): string {
  const counts = RECONCILIATION_CATEGORIES.map((c) => `${c} ${view.summary[c] ?? 0}`).join('  ');
  return `${view.id}  operator ${view.operatorId}  ${day(view.fromMs)}..${day(view.toMs)}  ${view.linesCount} lines  ${view.mismatchesCount} mismatches  "${view.fileName}"  ${iso(view.createdAtMs)} by ${view.importedBy}\n    ${counts}`;
}

function findingText(f: FindingView): string {
  const line = f.lineNo === null ? 'no line' : `line ${f.lineNo}`;
  const amounts = `operator ${f.operatorAmountXof ?? '-'} / cauri ${f.cauriAmountXof ?? '-'} XOF`;
  const statuses = `operator ${f.operatorStatus ?? '-'} / cauri ${f.cauriStatus ?? '-'}`;
  return `  ${f.category.padEnd(19)} ${line.padEnd(10)} ${f.reference}  ${amounts}  ${statuses}${f.subjectId !== null && f.subjectId !== f.reference ? `  (${f.subjectId})` : ''}`;
}

/** The output of a reconcile command, or undefined when the command is not one of them. */
export async function runReconcileCommand(
  db: Database,
  args: ParsedArgs,
  nowMs: number,
): Promise<Output | undefined> {
  const [group, action, ...rest] = args.positionals;
  if (group !== 'reconcile') return undefined;
  switch (action) {
    case 'import': {
      checkFlags(args, ['from', 'to', 'format', 'columns']);
      const [operatorId, file] = rest;
      if (operatorId === undefined || file === undefined)
        throw new UsageError('reconcile import needs an operator id and a CSV file');
      if (operatorById(operatorId) === undefined)
        throw new UsageError(`unknown operator "${operatorId}" (cauri operators lists them)`);
      const format = (flag(args, 'format') ?? 'generic') as StatementFormat;
      if (!STATEMENT_FORMATS.includes(format))
        throw new UsageError(`--format takes ${STATEMENT_FORMATS.join(', ')}`);
      const columnsSpec = flag(args, 'columns');
      const columns = columnsSpec === undefined ? {} : parseColumnMapping(columnsSpec);
      if (typeof columns === 'string') throw new UsageError(`--columns: ${columns}`);
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        throw new UsageError(`cannot read ${file}`);
      }
      if (size > STATEMENT_BYTES_MAX)
        throw new UsageError(`${file} is larger than ${STATEMENT_BYTES_MAX} bytes`);
      const text = readFileSync(file, 'utf8');
      const fromMs = dayFlag(args, 'from');
      const toMs = dayFlag(args, 'to');
      const outcome = await db.command((tx) =>
        importStatement(tx, {
          operatorId,
          fileName: path.basename(file),
          text,
          format,
          columns,
          importedBy: 'cli',
          nowMs,
          ...(fromMs !== undefined ? { fromMs } : {}),
          ...(toMs !== undefined ? { toMs } : {}),
        }),
      );
      if (!outcome.ok) {
        const more =
          outcome.errorsCount > outcome.errors.length
            ? `\n  … and ${outcome.errorsCount - outcome.errors.length} more`
            : '';
        throw new UsageError(`${file} refused, nothing imported:\n  ${outcome.errors.join('\n  ')}${more}`);
      }
      const shown = await db.command((tx) => showImport(tx, outcome.importId));
      if (shown === undefined) throw new UsageError('the import vanished');
      return {
        json: shown,
        text: [summaryText(shown.import), ...shown.findings.map(findingText)].join('\n'),
      };
    }
    case 'list': {
      checkFlags(args, []);
      const imports = await db.command((tx) => listImports(tx));
      return {
        json: imports,
        text: imports.length === 0 ? 'no statement imported yet' : imports.map(summaryText).join('\n'),
      };
    }
    case 'show': {
      checkFlags(args, ['category']);
      const importId = rest[0];
      if (importId === undefined) throw new UsageError('reconcile show needs an import id');
      const category = flag(args, 'category');
      if (
        category !== undefined &&
        category !== 'all' &&
        !RECONCILIATION_CATEGORIES.includes(category as ReconciliationCategory)
      ) {
        throw new UsageError(`--category takes all or one of ${RECONCILIATION_CATEGORIES.join(', ')}`);
      }
      const options =
        category === undefined
          ? {}
          : category === 'all'
            ? { all: true }
            : { category: category as ReconciliationCategory };
      const shown = await db.command((tx) => showImport(tx, importId, options));
      if (shown === undefined) throw new UsageError(`no import ${importId}`);
      const lines = shown.findings.length === 0 ? ['  no mismatches'] : shown.findings.map(findingText);
      if (shown.truncated) lines.push('  … more lines; --category narrows the list');
      return { json: shown, text: [summaryText(shown.import), ...lines].join('\n') };
    }
    default:
      throw new UsageError('reconcile takes import, list or show');
  }
}
