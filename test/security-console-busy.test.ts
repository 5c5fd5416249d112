import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  SIGN_INS_IN_FLIGHT_MAX,
  SIGN_INS_IN_FLIGHT_PER_ADDRESS_MAX,
} from '../src/commands/console-sign-in.js';
import type * as Password from '../src/core/password.js';
import { ConsoleAgent, OPERATOR, addConsoleUser } from './console-helpers.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';

/**
 * Issue 10: console sign-in could be denied to everyone. At most 8 scrypt checks run at once and
 * the rest answer "busy", but busy answers did not count toward the per-address failure limit
 * and one address could hold all 8 slots: an address that kept flooding took every slot that
 * freed up, for ever. Now one address (an IPv6 /64) holds at most 2 slots, and every busy answer
 * counts as a failure.
 *
 * The password check is held at a gate here, so that "in flight" is a state the test controls
 * rather than a race against a 0.3 s scrypt.
 */
const gate = vi.hoisted(() => ({ held: false, calls: 0, waiting: [] as (() => void)[] }));

vi.mock('../src/core/password.js', async (importOriginal) => {
  const real = await importOriginal<typeof Password>();
  return {
    ...real,
    verifyPassword: async (password: string, stored: string): Promise<boolean> => {
      gate.calls++;
      if (gate.held) await new Promise<void>((resolve) => gate.waiting.push(resolve));
      return real.verifyPassword(password, stored);
    },
  };
});

function release(): void {
  gate.held = false;
  for (const resolve of gate.waiting.splice(0)) resolve();
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadlineMs = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadlineMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe.each(BACKENDS)('console sign-in slots on %s', (backend) => {
  let gw: TestGateway;
  let form: ConsoleAgent;
  let csrf: string;
  const pending: Promise<number>[] = [];
  let answered = 0;

  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await addConsoleUser(gw);
    form = new ConsoleAgent(gw.app);
    await form.get('/console/login');
    csrf = /name="csrf" value="([^"]+)"/.exec(form.lastBody)?.[1] ?? '';
    gate.calls = 0;
    answered = 0;
  });
  afterEach(async () => {
    release();
    await Promise.allSettled(pending.splice(0));
    await gw.destroy();
  });

  /** Posts the sign-in form from `ip`; resolves to the HTTP status. */
  function post(ip: string, password = 'not the password'): Promise<number> {
    const response = gw.app
      .inject({
        method: 'POST',
        url: '/console/login',
        remoteAddress: ip,
        headers: {
          cookie: `cauri_csrf=${form.cookies.get('cauri_csrf') ?? ''}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: new URLSearchParams({
          csrf,
          username: OPERATOR.username,
          password,
          next: '/console',
        }).toString(),
      })
      .then((r) => {
        answered++;
        return r.statusCode;
      });
    pending.push(response);
    return response;
  }

  /** Fires `ips.length` attempts while the check is held; waits until each answered "busy" or reached the check. */
  async function flood(ips: string[]): Promise<Promise<number>[]> {
    gate.held = true;
    const callsBefore = gate.calls;
    const answeredBefore = answered;
    const statuses = ips.map((ip) => post(ip));
    await until(
      () => gate.calls - callsBefore + answered - answeredBefore === ips.length,
      'every attempt to answer busy or reach the check',
    );
    return statuses;
  }

  const tally = (statuses: number[]) =>
    statuses.reduce<Record<number, number>>((out, s) => ({ ...out, [s]: (out[s] ?? 0) + 1 }), {});

  it(`one address holds at most ${SIGN_INS_IN_FLIGHT_PER_ADDRESS_MAX} checks; another still signs in meanwhile`, async () => {
    const flooding = await flood(Array<string>(12).fill('203.0.113.9'));
    expect(gate.calls).toBe(SIGN_INS_IN_FLIGHT_PER_ADDRESS_MAX);
    const other = post('198.51.100.7', OPERATOR.password);
    await until(
      () => gate.calls === SIGN_INS_IN_FLIGHT_PER_ADDRESS_MAX + 1 || answered === 12 + 1,
      'the other address to reach the check',
    );
    release();
    expect(await other).toBe(303);
    expect(tally(await Promise.all(flooding))).toEqual({
      401: SIGN_INS_IN_FLIGHT_PER_ADDRESS_MAX,
      503: 12 - SIGN_INS_IN_FLIGHT_PER_ADDRESS_MAX,
    });
  });

  it('an IPv6 /64 is one address; the total stays bounded across addresses', async () => {
    const sameNetwork = Array.from({ length: 6 }, (_, i) => `2001:db8:1:2::${(i + 1).toString(16)}`);
    expect(tally(await Promise.all(await flood(sameNetwork).finally(release)))).toEqual({
      401: SIGN_INS_IN_FLIGHT_PER_ADDRESS_MAX,
      503: 6 - SIGN_INS_IN_FLIGHT_PER_ADDRESS_MAX,
    });
    gate.calls = 0;
    const many = Array.from({ length: 12 }, (_, i) => `198.51.100.${10 + (i % 6)}`);
    const statuses = await flood(many);
    expect(gate.calls).toBe(SIGN_INS_IN_FLIGHT_MAX);
    release();
    expect(tally(await Promise.all(statuses))).toEqual({
      401: SIGN_INS_IN_FLIGHT_MAX,
      503: 12 - SIGN_INS_IN_FLIGHT_MAX,
    });
  });

  it('busy answers count toward the per-address failure limit (30 in 15 minutes)', async () => {
    const statuses = await flood(Array<string>(30).fill('203.0.113.9'));
    release();
    expect(tally(await Promise.all(statuses))).toEqual({
      401: SIGN_INS_IN_FLIGHT_PER_ADDRESS_MAX,
      503: 30 - SIGN_INS_IN_FLIGHT_PER_ADDRESS_MAX,
    });
    const callsBefore = gate.calls;
    expect(await post('203.0.113.9', OPERATOR.password)).toBe(429);
    expect(gate.calls).toBe(callsBefore);
    expect(await post('198.51.100.7', OPERATOR.password)).toBe(303);
  });
});
