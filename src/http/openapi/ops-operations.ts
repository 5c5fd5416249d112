import { Type } from 'typebox';
import type { Operation } from './operation.js';

/** The operations endpoints beside `/health` (routes/operations.ts, ADR 0020). */
const Check = Type.Object(
  { ok: Type.Boolean(), detail: Type.String() },
  { additionalProperties: false, title: 'ReadinessCheck' },
);

const checks = Type.Record(Type.String(), Check, {
  description:
    'database_read, database_write, migrations, and one worker_<name> per worker loop of the process (payouts, resolver, callbacks).',
});

export const ReadyBody = Type.Object(
  { status: Type.Literal('ready'), checks },
  { additionalProperties: false, title: 'ReadyBody' },
);
export const NotReadyBody = Type.Object(
  { status: Type.Literal('not_ready'), checks },
  { additionalProperties: false, title: 'NotReadyBody' },
);

export const OPS_OPERATIONS: readonly Operation[] = [
  {
    method: 'get',
    path: '/ready',
    operationId: 'ready',
    summary: 'Readiness',
    description:
      "Whether this instance should receive traffic: the database answers a read and takes a write, its migrations are exactly this version's, and every worker loop started by the process has finished a pass recently. Each check is bounded to 2 s. `/health` stays the liveness probe (no database).",
    tags: ['Operations'],
    authenticated: false,
    responses: {
      '200': { description: 'Ready: every check passed.', schema: ReadyBody },
      '503': { description: 'Not ready: the failed checks say why.', schema: NotReadyBody },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    description:
      'The Prometheus text exposition (README, "Operations: metrics, health, logs", lists every metric). With `CAURI_METRICS_TOKEN` set it wants `Authorization: Bearer <token>`; without it, it answers anyone in the sandbox and, in production, only loopback and private addresses. Database-backed values are cached 10 s.',
    tags: ['Operations'],
    authenticated: false,
    parameters: [
      {
        name: 'Authorization',
        in: 'header',
        required: false,
        description: '`Bearer <CAURI_METRICS_TOKEN>` when the token is configured.',
        schema: Type.String(),
      },
    ],
    responses: {
      '200': { description: 'The metrics, `text/plain; version=0.0.4`.', contentType: 'text/plain' },
      '401': { description: 'A token is configured and was not sent, or is wrong.' },
      '404': {
        description: 'Production without a token, asked from a public address: the unknown-path answer.',
      },
    },
  },
];
