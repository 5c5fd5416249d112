import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseForm } from '../src/http/console/form.js';
import { ConsoleAgent, OPERATOR, addConsoleUser } from './console-helpers.js';
import { BACKENDS, type TestGateway, startTestGateway } from './harness.js';
import { PageClient, checkoutBody, csrfOf, pagePath } from './payin-helpers.js';

/**
 * Issue 10: form fields named after `Object.prototype`'s members (`__proto__`, `constructor`,
 * `toString`, `hasOwnProperty`) are ordinary fields. Before, the console's form parser pushed
 * into `{}[name]`, found the inherited member and answered HTTP 500.
 */
const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
const HOSTILE = NAMES.map((name) => `${encodeURIComponent(name)}=x`).join('&');

describe('a form parsed by the console', () => {
  it("keeps every field as its own entry, the prototype's names included", () => {
    const form = parseForm(`${HOSTILE}&__proto__=y&csrf=abc`);
    expect(Object.getPrototypeOf(form)).toBeNull();
    expect(form.__proto__).toEqual(['x', 'y']);
    expect(form.constructor).toEqual(['x']);
    expect(form.csrf).toEqual(['abc']);
    expect('toString' in parseForm('')).toBe(false);
  });
});

describe.each(BACKENDS)('fields named after Object.prototype on %s', (backend) => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startTestGateway(backend);
    await addConsoleUser(gw);
  });
  afterEach(async () => gw.destroy());

  const postRaw = (agent: ConsoleAgent, url: string, payload: string) =>
    gw.app.inject({
      method: 'POST',
      url,
      headers: {
        cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload,
    });
  const csrfIn = (body: string) => /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';

  it('the sign-in form: refused or accepted as usual, never a 500', async () => {
    const agent = new ConsoleAgent(gw.app);
    await agent.get('/console/login');
    const csrf = csrfIn(agent.lastBody);
    const cases = [
      `${HOSTILE}`,
      `${HOSTILE}&csrf=${csrf}`,
      `${HOSTILE}&csrf=${csrf}&username=${encodeURIComponent(OPERATOR.username)}&password=wrong`,
    ];
    for (const payload of cases)
      expect([403, 401]).toContain((await postRaw(agent, '/console/login', payload)).statusCode);
    const signedIn = await postRaw(
      agent,
      '/console/login',
      `${HOSTILE}&csrf=${csrf}&username=${encodeURIComponent(OPERATOR.username)}&password=${encodeURIComponent(OPERATOR.password)}`,
    );
    expect(signedIn.statusCode).toBe(303);
    expect((await postRaw(agent, '/console/logout', HOSTILE)).statusCode).toBe(303);
  });

  it('a signed-in action, and pages whose query names a notice after the prototype', async () => {
    const agent = new ConsoleAgent(gw.app);
    await agent.signIn();
    await agent.get('/console/wallets');
    const csrf = csrfIn(agent.lastBody);
    expect((await postRaw(agent, '/console/wallets', HOSTILE)).statusCode).toBe(403);
    const created = await postRaw(agent, '/console/wallets', `${HOSTILE}&csrf=${csrf}&phone=22670990001`);
    expect(created.statusCode).toBe(303);
    for (const name of NAMES) {
      const page = await agent.get(
        `/console/wallets?done=${encodeURIComponent(name)}&${encodeURIComponent(name)}=1`,
      );
      expect(page.status).toBe(200);
      expect(page.body).not.toMatch(/\[object Object\]|native code/);
    }
    await agent.get('/console/projects');
    const project = /href="\/console\/projects\/(prj_[^"]+)"/.exec(agent.lastBody)?.[1] ?? '';
    expect(project).not.toBe('');
    for (const name of NAMES) {
      const page = await agent.get(`/console/projects/${project}?done=${encodeURIComponent(name)}`);
      expect(page.status).toBe(200);
      expect(page.body).not.toMatch(/\[object Object\]|native code/);
    }
  });

  it("the payment page's forms", async () => {
    const created = await gw.call('POST', '/pay/v01/redirect/checkout-invoice/create', {
      body: checkoutBody(),
    });
    const path = pagePath(created.response_text);
    const client = new PageClient(gw);
    const page = await client.get(path);
    const csrf = csrfOf(page.body);
    for (const action of ['pay', 'cancel', 'simulate', 'dial']) {
      const response = await gw.app.inject({
        method: 'POST',
        url: `${path}/${action}`,
        headers: { cookie: client.cookie ?? '', 'content-type': 'application/x-www-form-urlencoded' },
        payload: `${HOSTILE}&csrf=${csrf}&lang=en`,
      });
      expect(response.statusCode).toBe(303);
    }
  });
});
