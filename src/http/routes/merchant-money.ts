import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { type StatementFilter } from '../../store/merchant-money.js';
import { type StatementPage, projectBalances, statementPage } from '../../commands/merchant-money.js';
import type { Project } from '../../core/project.js';
import { operatorById } from '../../core/operators.js';
import { type StatementEntry, statementCsv } from '../../core/statement.js';
import type { Tx } from '../../store/database.js';
import { errorEnvelope } from '../envelope.js';
import {
  CAURI_V1_READ_WIKI,
  CURSOR_LENGTH_MAX,
  type CauriV1Deps,
  cauriV1,
  decodeCursor,
  encodeCursor,
  parseInstantMs,
  parseLimit,
  queryValidator,
  success,
} from './cauri-v1.js';

/**
 * The merchant's money (issue 12, ADR 0023), Cauri extensions in the shape of cauri-v1.ts:
 *
 *   GET /cauri/v1/balances    each operator sub-account of the calling project, and totals
 *   GET /cauri/v1/statement   its ledger entries, newest first, with running balances;
 *                             `format=csv` answers the same page as text/csv
 *
 * Reads: no IP allow-list (that guards payouts, spec §1.4), no idempotency key.
 */
export const STATEMENT_LIMIT_DEFAULT = 100;
export const STATEMENT_LIMIT_MAX = 1_000;
/** A CSV page is a download: larger by default, still bounded. */
export const STATEMENT_CSV_LIMIT_DEFAULT = 1_000;
export const STATEMENT_CSV_LIMIT_MAX = 10_000;
export const STATEMENT_TYPES_MAX = 10;
/** The header that carries the next page's cursor of a CSV answer (JSON has `next_cursor`). */
export const NEXT_CURSOR_HEADER = 'cauri-next-cursor';

const TYPE = /^[a-z][a-z0-9_]{0,39}$/;

export const StatementQuery = Type.Object(
  {
    from: Type.Optional(
      Type.String({
        maxLength: 40,
        description: 'Inclusive start: YYYY-MM-DD (UTC) or an RFC 3339 date-time.',
      }),
    ),
    to: Type.Optional(Type.String({ maxLength: 40, description: 'Exclusive end, same forms as `from`.' })),
    operator: Type.Optional(
      Type.String({ maxLength: 8, description: 'Operator id: only that sub-account.' }),
    ),
    type: Type.Optional(
      Type.String({
        maxLength: 400,
        description: `Comma-separated transfer reasons (at most ${STATEMENT_TYPES_MAX}), e.g. wallet_payment,payout.`,
      }),
    ),
    limit: Type.Optional(
      Type.String({
        maxLength: 6,
        description: `Entries per page: JSON ${STATEMENT_LIMIT_DEFAULT} by default, at most ${STATEMENT_LIMIT_MAX}; CSV ${STATEMENT_CSV_LIMIT_DEFAULT}, at most ${STATEMENT_CSV_LIMIT_MAX}.`,
      }),
    ),
    cursor: Type.Optional(
      Type.String({ maxLength: CURSOR_LENGTH_MAX, description: 'The `next_cursor` of the previous page.' }),
    ),
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('csv')], { description: '`csv` answers text/csv.' }),
    ),
  },
  { additionalProperties: false },
);
type StatementQuery = Static<typeof StatementQuery>;
const statementQuery = queryValidator<StatementQuery>(StatementQuery);

export const BalancesQuery = Type.Object({}, { additionalProperties: false });
const balancesQuery = queryValidator<Static<typeof BalancesQuery>>(BalancesQuery);

const invalid = (detail: string) => errorEnvelope(CAURI_V1_READ_WIKI, 'invalid_input', detail);

/** The query string as a filter, or the input error envelope. */
export function parseStatementQuery(
  query: StatementQuery,
  csv: boolean,
): StatementFilter | ReturnType<typeof invalid> {
  const fromMs = query.from === undefined ? undefined : parseInstantMs(query.from);
  if (query.from !== undefined && fromMs === undefined)
    return invalid(`from "${query.from}" is not a date (YYYY-MM-DD) or an RFC 3339 date-time`);
  const toMs = query.to === undefined ? undefined : parseInstantMs(query.to);
  if (query.to !== undefined && toMs === undefined)
    return invalid(`to "${query.to}" is not a date (YYYY-MM-DD) or an RFC 3339 date-time`);
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) return invalid('from must be before to');
  if (query.operator !== undefined && operatorById(query.operator) === undefined)
    return invalid(`unknown operator id "${query.operator}"`);
  const types = query.type === undefined ? undefined : query.type.split(',');
  if (types !== undefined && (types.length > STATEMENT_TYPES_MAX || !types.every((t) => TYPE.test(t)))) {
    return invalid(`type must be up to ${STATEMENT_TYPES_MAX} comma-separated transfer reasons`);
  }
  const limit = csv
    ? parseLimit(query.limit, STATEMENT_CSV_LIMIT_DEFAULT, STATEMENT_CSV_LIMIT_MAX)
    : parseLimit(query.limit, STATEMENT_LIMIT_DEFAULT, STATEMENT_LIMIT_MAX);
  if (limit === undefined)
    return invalid(
      `limit must be an integer from 1 to ${csv ? STATEMENT_CSV_LIMIT_MAX : STATEMENT_LIMIT_MAX}`,
    );
  let after: StatementFilter['after'];
  if (query.cursor !== undefined) {
    after = parseStatementCursor(query.cursor);
    if (after === undefined) return invalid('cursor is not one this gateway issued');
  }
  return { fromMs, toMs, operatorId: query.operator, types, after, limit };
}

export function statementCursor(key: { seq: number; side: 0 | 1 }): string {
  return encodeCursor(['s1', key.seq, key.side]);
}

function parseStatementCursor(raw: string): { seq: number; side: 0 | 1 } | undefined {
  const parts = decodeCursor(raw);
  if (parts?.length !== 3 || parts[0] !== 's1') return undefined;
  const [, seq, side] = parts;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0 || (side !== 0 && side !== 1))
    return undefined;
  return { seq, side };
}

export function entryJson(entry: StatementEntry) {
  return {
    transfer_id: entry.transferId,
    operator_id: entry.operatorId,
    direction: entry.direction,
    kind: entry.kind,
    type: entry.type,
    amount_xof: entry.amountXof,
    balance_change_xof: entry.balanceChangeXof,
    balance_after_xof: entry.balanceAfterXof,
    subject_type: entry.subjectType,
    subject_id: entry.subjectId,
    subject_token: entry.subjectToken,
    merchant_transaction_id: entry.merchantTransactionId,
    created_at: new Date(entry.createdAtMs).toISOString(),
    created_at_ms: entry.createdAtMs,
  };
}

/** The statement page of a project for a query string: the page, or the error envelope to send. */
export async function readStatement(
  tx: Tx,
  project: Project,
  rawQuery: unknown,
): Promise<{ page: StatementPage; csv: boolean } | ReturnType<typeof invalid>> {
  const parsed = statementQuery.parse(rawQuery);
  if (!parsed.ok) return invalid(parsed.detail);
  const csv = parsed.value.format === 'csv';
  const filter = parseStatementQuery(parsed.value, csv);
  if ('response_code' in filter) return filter;
  return { page: await statementPage(tx, project, filter), csv };
}

export function registerMerchantMoneyRoutes(app: FastifyInstance, deps: CauriV1Deps): void {
  const config = { config: { wiki: CAURI_V1_READ_WIKI } };
  app.get('/cauri/v1/balances', config, (request) =>
    cauriV1(deps, request, CAURI_V1_READ_WIKI, async (tx, project) => {
      const parsed = balancesQuery.parse(request.query);
      if (!parsed.ok) return invalid(parsed.detail);
      const { balances, totals } = await projectBalances(tx, project);
      return success({
        balances: balances.map((b) => ({
          operator_id: b.operatorId,
          operator_name: b.operatorName,
          posted_xof: b.postedXof,
          held_xof: b.heldXof,
          incoming_xof: b.incomingXof,
          available_xof: b.availableXof,
        })),
        totals: {
          posted_xof: totals.postedXof,
          held_xof: totals.heldXof,
          incoming_xof: totals.incomingXof,
          available_xof: totals.availableXof,
        },
      });
    }),
  );
  app.get('/cauri/v1/statement', config, async (request: FastifyRequest, reply: FastifyReply) => {
    const answer = await cauriV1(deps, request, CAURI_V1_READ_WIKI, (tx, project) =>
      readStatement(tx, project, request.query),
    );
    if (typeof answer !== 'object' || answer === null || !('page' in answer)) return answer;
    const { page, csv } = answer as { page: StatementPage; csv: boolean };
    const nextCursor = page.next === undefined ? null : statementCursor(page.next);
    if (csv) {
      if (nextCursor !== null) void reply.header(NEXT_CURSOR_HEADER, nextCursor);
      void reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="statement.csv"');
      return statementCsv(page.entries);
    }
    return success({
      entries: page.entries.map(entryJson),
      next_cursor: nextCursor,
      has_more: nextCursor !== null,
    });
  });
}
