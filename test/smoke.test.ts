import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type TestGateway, latestOtp, startTestGateway, walletPayinBody } from './harness.js';

describe.each(BACKENDS)('smoke on %s', (backend) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(backend);
    await gw.wallet('22670111111', 10_000);
  });
  afterAll(async () => gw.destroy());

  it('pays with a wallet OTP', async () => {
    expect(await gw.call('GET', '/pay/v02/debitotp/22670111111/1000')).toEqual({
      error: false,
      message: 'OTP sent. Please check your phone.',
    });
    const otp = await latestOtp(gw, '22670111111');
    const created = await gw.call('POST', '/pay/v02/debitwallet/withotp', {
      body: walletPayinBody('22670111111', 1000, otp),
    });
    expect(created.response_code).toBe('00');
  });
});
