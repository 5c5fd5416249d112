import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway } from './harness.js';

/**
 * Concurrent retries of one `Idempotency-Key` with an identical body (ADR 0016). On PostgreSQL
 * the requests truly run in parallel: before the key was taken first, a retry that found no
 * recorded answer ran the command too and met the first payout's `transaction_id` ("Transaction
 * already exists", Code07) instead of replaying. Now exactly one creates, every other replays it.
 */
const PAYOUT_URL = '/pay/v01/withdrawal/create';
const ORANGE = '11';
const PHONE = '22670100200';
const AMOUNT = 1000;
const CONCURRENT = 20;
const ROUNDS = 5;

describe.each(BACKENDS)('concurrent idempotent retries on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await gw.wallet(PHONE, 0);
    await gw.fundSub(ORANGE, ROUNDS * AMOUNT * 2);
  });
  afterEach(async () => gw.destroy());

  it(`${CONCURRENT} identical requests with one key and one transaction_id: one payout, ${CONCURRENT - 1} replays, ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const body = payoutBody(PHONE, AMOUNT, { custom_data: { transaction_id: `RACE-${round}` } });
      const headers = { 'idempotency-key': `retry-${round}` };
      const answers = await Promise.all(
        Array.from({ length: CONCURRENT }, () => gw.call('POST', PAYOUT_URL, { body, headers })),
      );
      const texts = answers.map(
        (answer) => `${String(answer.response_code)} ${String(answer.response_text)}`,
      );
      expect(new Set(texts), `round ${round}`).toEqual(new Set(['00 ']));
      // Every answer is the same payout: one token, the replay of the first answer.
      expect(new Set(answers.map((answer) => answer.token)).size, `round ${round}`).toBe(1);
      expect(
        answers.every((answer) => JSON.stringify(answer) === JSON.stringify(answers[0])),
        `round ${round}`,
      ).toBe(true);
      const payouts = await gw.gw.db.command((tx) =>
        tx
          .selectFrom('payouts')
          .select('id')
          .where('merchant_transaction_id', '=', `RACE-${round}`)
          .execute(),
      );
      expect(payouts, `round ${round}`).toHaveLength(1);
    }
    const keys = await gw.gw.db.command((tx) =>
      tx.selectFrom('idempotency').select(['idempotency_key', 'response']).execute(),
    );
    expect(keys).toHaveLength(ROUNDS);
    expect(keys.every((row) => row.response !== '')).toBe(true);
  });

  it('a failed first request releases the key: a retry runs the command again and may succeed', async () => {
    const body = payoutBody('22670100299', AMOUNT, { custom_data: { transaction_id: 'LATER' } });
    const headers = { 'idempotency-key': 'fails-first' };
    const failed = await gw.call('POST', PAYOUT_URL, { body, headers });
    expect(failed.response_code).toBe('01');
    expect(await gw.gw.db.command((tx) => tx.selectFrom('idempotency').selectAll().execute())).toEqual([]);
    await gw.wallet('22670100299', 0);
    expect((await gw.call('POST', PAYOUT_URL, { body, headers })).response_code).toBe('00');
    const replayed = await gw.call('POST', PAYOUT_URL, { body, headers });
    expect(replayed.response_code).toBe('00');
    expect((await gw.call('POST', PAYOUT_URL, { body: { ...body, extra: 1 }, headers })).response_code).toBe(
      '01',
    );
  });
});
