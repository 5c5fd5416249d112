/**
 * Reconciliation of an operator's statement with Cauri's records (ADR 0027), pure: a bounded CSV
 * reader, the reading of statement lines through a column mapping, and the comparison. The store
 * (commands/reconciliation.ts) loads Cauri's side and keeps the result.
 *
 * No operator publishes its statement format (../shared/spec/operator-apis.md lists none), so the
 * one preset is `generic`: a header line whose column names are matched case- and accent-blind
 * against the aliases below, French and English. Any other layout is read by naming its columns
 * (`reference=Ref. partenaire,amount=Montant,…`).
 */
export const STATEMENT_BYTES_MAX = 2 * 1024 * 1024;
export const STATEMENT_ROWS_MAX = 20_000;
export const STATEMENT_FIELD_CHARS_MAX = 256;
/** Errors reported per refused statement; more are counted, not listed. */
export const STATEMENT_ERRORS_LISTED_MAX = 20;

export type StatementColumn = 'reference' | 'operator_reference' | 'amount' | 'date' | 'status' | 'msisdn';
export const STATEMENT_COLUMNS: readonly StatementColumn[] = [
  'reference',
  'operator_reference',
  'amount',
  'date',
  'status',
  'msisdn',
];

/** Header names (normalised: lower case, no accents, only letters and digits) per column. */
const GENERIC_ALIASES: Readonly<Record<StatementColumn, readonly string[]>> = {
  reference: [
    'reference',
    'ref',
    'cauri_reference',
    'partner_reference',
    'external_reference',
    'external_id',
    'externalid',
    'reference_partenaire',
    'ref_partenaire',
    'client_reference',
  ],
  operator_reference: [
    'operator_reference',
    'transaction_id',
    'transactionid',
    'txn_id',
    'trans_id',
    'financial_transaction_id',
    'id_transaction',
    'reference_operateur',
  ],
  amount: ['amount', 'amount_xof', 'montant', 'montant_xof', 'value', 'valeur'],
  date: [
    'date',
    'datetime',
    'date_time',
    'transaction_date',
    'created_at',
    'timestamp',
    'date_heure',
    'date_transaction',
  ],
  status: ['status', 'statut', 'state', 'etat', 'result', 'resultat'],
  msisdn: ['msisdn', 'phone', 'customer', 'numero', 'telephone', 'number', 'beneficiaire', 'payee', 'payer'],
};

export const STATEMENT_FORMATS = ['generic'] as const;
export type StatementFormat = (typeof STATEMENT_FORMATS)[number];

export type CsvResult =
  { ok: true; rows: Array<{ lineNo: number; fields: string[] }> } | { ok: false; errors: string[] };

/**
 * RFC 4180 with what spreadsheets add: a UTF-8 BOM, `;` or `,` or tab as separator (the one that
 * splits the header into most fields), CRLF or LF, quoted fields with `""` and line breaks inside.
 * `lineNo` is the physical line where the record starts, as a spreadsheet numbers it. Read only:
 * nothing in a field is ever evaluated, so a `=cmd|…` cell is just text.
 */
export function parseCsv(text: string, rowsMax = STATEMENT_ROWS_MAX): CsvResult {
  if (Buffer.byteLength(text, 'utf8') > STATEMENT_BYTES_MAX)
    return { ok: false, errors: [`the file is larger than ${STATEMENT_BYTES_MAX} bytes`] };
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body.includes('\u0000'))
    return { ok: false, errors: ['the file holds NUL characters: not a text CSV'] };
  const separator = detectSeparator(body);
  const rows: Array<{ lineNo: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  const endRecord = (): string | undefined => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) rows.push({ lineNo: recordLine, fields });
    fields = [];
    field = '';
    fieldStarted = false;
    return rows.length > rowsMax ? `more than ${rowsMax} lines` : undefined;
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quoted) {
      if (c === '"') {
        if (body[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (c === separator) {
      fields.push(field);
      field = '';
      fieldStarted = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      const tooMany = endRecord();
      if (tooMany !== undefined) return { ok: false, errors: [tooMany] };
      line++;
      recordLine = line;
    } else if (c === '"') {
      return { ok: false, errors: [`line ${line}: a quote inside an unquoted field`] };
    } else {
      field += c;
      fieldStarted = true;
    }
    if (field.length > STATEMENT_FIELD_CHARS_MAX)
      return {
        ok: false,
        errors: [`line ${recordLine}: a field longer than ${STATEMENT_FIELD_CHARS_MAX} characters`],
      };
  }
  if (quoted) return { ok: false, errors: [`line ${recordLine}: a quoted field is not closed`] };
  const tooMany = endRecord();
  if (tooMany !== undefined) return { ok: false, errors: [tooMany] };
  return { ok: true, rows };
}

function detectSeparator(body: string): string {
  const header = body.slice(0, Math.max(0, body.search(/\r|\n/)) || body.length);
  let best = ',';
  let bestCount = -1;
  for (const candidate of [';', ',', '\t']) {
    const count = header.split(candidate).length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/** A header name as aliases are written: lower case, no accents, `_` between words. */
export function normalizeHeader(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

/** `reference=Ref. partenaire,amount=Montant`: explicit header names per column. */
export function parseColumnMapping(spec: string): Partial<Record<StatementColumn, string>> | string {
  const mapping: Partial<Record<StatementColumn, string>> = {};
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const column = part.slice(0, eq).trim() as StatementColumn;
    if (eq <= 0 || !STATEMENT_COLUMNS.includes(column))
      return `"${part}" is not COLUMN=HEADER with COLUMN one of ${STATEMENT_COLUMNS.join(', ')}`;
    mapping[column] = part.slice(eq + 1).trim();
  }
  return mapping;
}

export type OperatorLineStatus = 'completed' | 'failed' | 'pending';

const STATUS_WORDS: ReadonlyArray<[OperatorLineStatus, readonly string[]]> = [
  [
    'completed',
    [
      'completed',
      'complete',
      'success',
      'successful',
      'succeeded',
      'succes',
      'reussi',
      'reussie',
      'ok',
      'done',
      'paid',
      'valide',
      'validee',
      'effectue',
      'effectuee',
    ],
  ],
  [
    'failed',
    [
      'failed',
      'failure',
      'fail',
      'rejected',
      'declined',
      'cancelled',
      'canceled',
      'expired',
      'echec',
      'echoue',
      'echouee',
      'annule',
      'annulee',
      'refuse',
      'refusee',
      'notcompleted',
    ],
  ],
  ['pending', ['pending', 'processing', 'in_progress', 'en_cours', 'en_attente', 'initiated', 'ongoing']],
];

export interface StatementLine {
  lineNo: number;
  reference: string;
  operatorReference: string;
  amountXof: number;
  status: OperatorLineStatus;
  occurredAtMs: number | null;
  msisdn: string;
}

export type StatementResult =
  { ok: true; lines: StatementLine[] } | { ok: false; errors: string[]; errorsCount: number };

/** Reads the CSV's records as statement lines; any line that cannot be read refuses the whole statement. */
export function readStatement(
  text: string,
  format: StatementFormat,
  explicit: Partial<Record<StatementColumn, string>> = {},
): StatementResult {
  const csv = parseCsv(text);
  if (!csv.ok) return { ok: false, errors: csv.errors, errorsCount: csv.errors.length };
  const [header, ...records] = csv.rows;
  if (header === undefined)
    return { ok: false, errors: ['the file is empty: a header line is needed'], errorsCount: 1 };
  const columns = mapColumns(header.fields, format, explicit);
  if (typeof columns === 'string')
    return { ok: false, errors: [`line ${header.lineNo}: ${columns}`], errorsCount: 1 };
  const errors: string[] = [];
  let errorsCount = 0;
  const lines: StatementLine[] = [];
  for (const record of records) {
    const line = readLine(record.fields, columns, header.fields.length);
    if (typeof line === 'string') {
      errorsCount++;
      if (errors.length < STATEMENT_ERRORS_LISTED_MAX) errors.push(`line ${record.lineNo}: ${line}`);
      continue;
    }
    lines.push({ lineNo: record.lineNo, ...line });
  }
  if (errorsCount > 0) return { ok: false, errors, errorsCount };
  return { ok: true, lines };
}

type ColumnIndexes = Partial<Record<StatementColumn, number>>;

function mapColumns(
  names: readonly string[],
  format: StatementFormat,
  explicit: Partial<Record<StatementColumn, string>>,
): ColumnIndexes | string {
  const normalized = names.map(normalizeHeader);
  const indexes: ColumnIndexes = {};
  for (const column of STATEMENT_COLUMNS) {
    const wanted = explicit[column];
    if (wanted !== undefined) {
      const at = normalized.indexOf(normalizeHeader(wanted));
      if (at < 0) return `no column "${wanted}" for ${column}`;
      indexes[column] = at;
      continue;
    }
    const aliases = format === 'generic' ? GENERIC_ALIASES[column] : [];
    const at = normalized.findIndex((name) => aliases.includes(name));
    if (at >= 0) indexes[column] = at;
  }
  if (indexes.reference === undefined && indexes.operator_reference === undefined)
    return 'no reference column (reference or transaction_id)';
  for (const needed of ['amount', 'status'] as const)
    if (indexes[needed] === undefined) return `no ${needed} column`;
  return indexes;
}

function readLine(
  fields: readonly string[],
  columns: ColumnIndexes,
  width: number,
): Omit<StatementLine, 'lineNo'> | string {
  if (fields.length !== width) return `${fields.length} fields where the header has ${width}`;
  const value = (column: StatementColumn) =>
    columns[column] === undefined ? '' : (fields[columns[column]] ?? '').trim();
  const reference = value('reference');
  const operatorReference = value('operator_reference');
  if (reference === '' && operatorReference === '') return 'no reference';
  const amountXof = parseStatementAmount(value('amount'));
  if (amountXof === undefined) return `"${value('amount')}" is not a whole amount of XOF`;
  const status = statusOf(value('status'));
  if (status === undefined)
    return `"${value('status')}" is not a status this reader knows (success, failed, pending …)`;
  const rawDate = value('date');
  const occurredAtMs = rawDate === '' ? null : parseStatementDate(rawDate);
  if (occurredAtMs === undefined)
    return `"${rawDate}" is not a date (YYYY-MM-DD[ HH:MM[:SS]] or DD/MM/YYYY[ HH:MM[:SS]], UTC)`;
  return {
    reference,
    operatorReference,
    amountXof,
    status,
    occurredAtMs,
    msisdn: value('msisdn').replace(/[^0-9]/g, ''),
  };
}

/** Whole XOF: digits with optional thousands spaces or separators, a sign, and zero decimals. */
export function parseStatementAmount(raw: string): number | undefined {
  const compact = raw.replace(/[\s\u00a0\u202f]/g, '').replace(/(XOF|FCFA|CFA|F)$/i, '');
  const match = /^[-+]?(\d{1,3}(?:[.,']\d{3})+|\d+)(?:[.,](0{1,2}))?$/.exec(compact);
  if (match?.[1] === undefined) return undefined;
  const amount = Number(match[1].replace(/[.,']/g, ''));
  return Number.isSafeInteger(amount) ? amount : undefined;
}

function statusOf(raw: string): OperatorLineStatus | undefined {
  const word = normalizeHeader(raw);
  for (const [status, words] of STATUS_WORDS) if (words.includes(word)) return status;
  return undefined;
}

/** ISO 8601 (with or without a zone; none means UTC) or day-first `DD/MM/YYYY`, each with an optional time. */
export function parseStatementDate(raw: string): number | undefined {
  const dayFirst = /^(\d{2})\/(\d{2})\/(\d{4})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(raw);
  const iso =
    /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
      raw,
    );
  let ms: number;
  if (dayFirst) {
    const [, d, m, y, hh = '00', mm = '00', ss = '00'] = dayFirst;
    ms = Date.UTC(Number(y), Number(m) - 1, Number(d), Number(hh), Number(mm), Number(ss));
    if (new Date(ms).getUTCDate() !== Number(d) || new Date(ms).getUTCMonth() !== Number(m) - 1)
      return undefined;
  } else if (iso) {
    const zone = iso[7] ?? 'Z';
    const [, y, m, d, hh = '00', mm = '00', ss = '00'] = iso;
    ms = Date.parse(
      `${y}-${m}-${d}T${hh}:${mm}:${ss}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`,
    );
    if (
      !Number.isFinite(ms) ||
      new Date(Date.UTC(Number(y), Number(m) - 1, Number(d))).getUTCDate() !== Number(d)
    )
      return undefined;
  } else return undefined;
  const year = new Date(ms).getUTCFullYear();
  return Number.isFinite(ms) && year >= 2000 && year <= 9999 ? ms : undefined;
}

export type ReconciliationCategory =
  | 'matched'
  | 'amount_mismatch'
  | 'status_mismatch'
  | 'duplicate'
  | 'missing_in_cauri'
  | 'missing_at_operator';
export const RECONCILIATION_CATEGORIES: readonly ReconciliationCategory[] = [
  'matched',
  'amount_mismatch',
  'status_mismatch',
  'duplicate',
  'missing_in_cauri',
  'missing_at_operator',
];

/** A payin or payout of Cauri's, as the comparison needs it. */
export interface CauriRecord {
  subjectId: string;
  /** Every reference the operator may list it under: Cauri's own (`po_…`, `pay_….N`) and the operator's. */
  references: readonly string[];
  amountXof: number;
  /** `completed`, `failed` or `pending`. */
  status: OperatorLineStatus;
  /** When it reached its state (what an operator's statement dates it by). */
  atMs: number;
}

export interface Finding {
  category: ReconciliationCategory;
  lineNo: number | null;
  reference: string;
  subjectId: string | null;
  operatorAmountXof: number | null;
  cauriAmountXof: number | null;
  operatorStatus: OperatorLineStatus | null;
  cauriStatus: OperatorLineStatus | null;
  msisdn: string | null;
  occurredAtMs: number | null;
}

/**
 * Compares statement lines with Cauri's records. A line is looked up by its Cauri reference, then
 * by the operator's; found, it is matched, or differs in amount (checked first: that is money), or
 * in status (an operator's pending against Cauri's pending is a match). A second line for the same
 * transaction is a duplicate. Cauri's completed transactions within [fromMs, toMs] that no line
 * lists are missing at the operator.
 */
export function reconcile(
  lines: readonly StatementLine[],
  records: readonly CauriRecord[],
  fromMs: number,
  toMs: number,
): Finding[] {
  const byReference = new Map<string, CauriRecord>();
  for (const record of records)
    for (const reference of record.references) if (reference !== '') byReference.set(reference, record);
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const line of lines) {
    const record = byReference.get(line.reference) ?? byReference.get(line.operatorReference);
    const base = {
      lineNo: line.lineNo,
      reference: line.reference !== '' ? line.reference : line.operatorReference,
      operatorAmountXof: line.amountXof,
      operatorStatus: line.status,
      msisdn: line.msisdn === '' ? null : line.msisdn,
      occurredAtMs: line.occurredAtMs,
    };
    if (record === undefined) {
      findings.push({
        ...base,
        category: 'missing_in_cauri',
        subjectId: null,
        cauriAmountXof: null,
        cauriStatus: null,
      });
      continue;
    }
    const category: ReconciliationCategory = seen.has(record.subjectId)
      ? 'duplicate'
      : record.amountXof !== line.amountXof
        ? 'amount_mismatch'
        : record.status !== line.status
          ? 'status_mismatch'
          : 'matched';
    seen.add(record.subjectId);
    findings.push({
      ...base,
      category,
      subjectId: record.subjectId,
      cauriAmountXof: record.amountXof,
      cauriStatus: record.status,
    });
  }
  for (const record of records) {
    if (
      seen.has(record.subjectId) ||
      record.status !== 'completed' ||
      record.atMs < fromMs ||
      record.atMs > toMs
    )
      continue;
    findings.push({
      category: 'missing_at_operator',
      lineNo: null,
      reference: record.references[0] ?? record.subjectId,
      subjectId: record.subjectId,
      operatorAmountXof: null,
      cauriAmountXof: record.amountXof,
      operatorStatus: null,
      cauriStatus: record.status,
      msisdn: null,
      occurredAtMs: record.atMs,
    });
  }
  return findings;
}

/** The period a statement covers when none is given: its first to its last line's day, whole days (UTC). */
export function statementPeriod(
  lines: readonly StatementLine[],
): { fromMs: number; toMs: number } | undefined {
  const dates = lines.map((l) => l.occurredAtMs).filter((ms): ms is number => ms !== null);
  if (dates.length === 0) return undefined;
  const day = 86_400_000;
  const first = Math.min(...dates);
  const last = Math.max(...dates);
  return { fromMs: first - (first % day), toMs: last - (last % day) + day - 1 };
}
