import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DOWN_CONSECUTIVE_FAILURES } from '../src/core/operator-health.js';
import type { CreditRequest, OperatorConnector, OperatorOutcome } from '../src/operators/connector.js';
import { ConsoleAgent, addConsoleUser, textOf } from './console-helpers.js';
import { type TestGateway, startTestGateway } from './harness.js';
import { E7 } from './payin-helpers.js';

/**
 * The console's operator availability and reconciliation pages through the real app (in process):
 * the status table, the multipart upload (CSRF-checked, size- and path-limited), a refused file's
 * line numbers, and an import's mismatches.
 */
const PHONE = '22670445566';

class Unreachable implements OperatorConnector {
  down = true;
  requestCredit(request: CreditRequest): Promise<OperatorOutcome> {
    return this.down
      ? Promise.reject(new Error('ECONNREFUSED'))
      : Promise.resolve({ state: 'completed', operatorReference: `OP-${request.reference}` });
  }
  queryStatus(): Promise<OperatorOutcome> {
    return this.down ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve({ state: 'pending' });
  }
}

function multipart(
  fields: Record<string, string>,
  file?: { name: string; content: string },
): { body: string; type: string } {
  const boundary = '----cauri-test-boundary';
  let body = '';
  for (const [name, value] of Object.entries(fields))
    body += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  if (file)
    body += `--${boundary}\r\nContent-Disposition: form-data; name="statement"; filename="${file.name}"\r\nContent-Type: text/csv\r\n\r\n${file.content}\r\n`;
  return { body: `${body}--${boundary}--\r\n`, type: `multipart/form-data; boundary=${boundary}` };
}

describe('console operator and reconciliation pages', () => {
  let gw: TestGateway;
  let agent: ConsoleAgent;
  const operator = new Unreachable();
  beforeEach(async () => {
    gw = await startTestGateway('sqlite', { connector: operator });
    await addConsoleUser(gw);
    agent = new ConsoleAgent(gw.app);
    await agent.signIn();
  });
  afterEach(async () => gw.destroy());

  const post = async (
    fields: Record<string, string>,
    file?: { name: string; content: string },
    csrf = /name="csrf" value="([^"]+)"/.exec(agent.lastBody)?.[1] ?? '',
  ) => {
    const form = multipart({ csrf, ...fields }, file);
    return gw.app.inject({
      method: 'POST',
      url: '/console/reconciliation',
      headers: {
        cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'content-type': form.type,
      },
      payload: form.body,
    });
  };

  it('shows a down operator with its queued payouts', async () => {
    await gw.fundSub('11', 50_000);
    for (let i = 0; i < DOWN_CONSECUTIVE_FAILURES + 1; i++)
      await gw.call('POST', E7, {
        body: {
          commande: {
            amount: 1000,
            description: 'x',
            customer: PHONE,
            callback_url: 'https://shop.example/cb',
            custom_data: {},
          },
        },
      });
    await gw.dispatcher.runOnce();
    const page = await agent.get('/console/operators');
    expect(page.status).toBe(200);
    const row = /<tr data-operator="11">[\s\S]*?<\/tr>/.exec(page.body)?.[0] ?? '';
    expect(textOf(row)).toMatch(
      /^ORANGE BURKINA \(Burkina Faso\) #11 down 2026-11-22 12:00:00 6 0\.0 % \d+ ms \d+ ms 6 6$/,
    );
    expect(textOf(page.body)).toContain('1 operator is down');
  });

  it('imports a statement through the upload form and lists its mismatches; refuses bad files with line numbers', async () => {
    await agent.get('/console/reconciliation');
    const refused = await post(
      { operator: '11', format: 'generic' },
      { name: 'bad.csv', content: 'reference;amount;status\npo_a;1;success\npo_b;1,5;success\n' },
    );
    expect(refused.statusCode).toBe(400);
    expect(textOf(refused.body)).toContain(
      'bad.csv was refused; nothing was imported. line 3: "1,5" is not a whole amount of XOF',
    );
    const imported = await post(
      { operator: '11', format: 'generic', from: '2026-11-22', to: '2026-11-22' },
      {
        name: 'orange.csv',
        content: '\uFEFFreference;amount;status;date\npo_unknown;700;success;2026-11-22 10:00\n',
      },
    );
    expect(imported.statusCode).toBe(303);
    const location = String(imported.headers.location);
    expect(location).toMatch(/^\/console\/reconciliation\/rcn_[a-z2-7]+\?done=imported$/);
    const shown = await agent.get(location);
    expect(textOf(shown.body)).toContain('Statement imported: 1 mismatch.');
    expect(textOf(shown.body)).toContain('Missing in Cauri 2 po_unknown 700 XOF — completed —');
    const list = await agent.get('/console/reconciliation');
    expect(textOf(list.body)).toContain('orange.csv');
    const activity = await agent.get('/console/activity');
    expect(activity.body).toContain('reconciliation import');
  });

  it('checks the CSRF token of the upload, takes uploads on its own path only, and bounds their size', async () => {
    await agent.get('/console/reconciliation');
    expect(
      (await post({ operator: '11' }, { name: 's.csv', content: 'reference,amount,status\n' }, 'wrong'))
        .statusCode,
    ).toBe(403);
    const elsewhere = multipart({ phone: '22670445566' });
    const wallets = await gw.app.inject({
      method: 'POST',
      url: '/console/wallets',
      headers: {
        cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'content-type': elsewhere.type,
      },
      payload: elsewhere.body,
    });
    expect(wallets.statusCode).toBe(400);
    const huge = await post({ operator: '11' }, { name: 'big.csv', content: 'x'.repeat(3 * 1024 * 1024) });
    expect(huge.statusCode).toBe(400);
    expect((await agent.get('/console/reconciliation/rcn_nosuchimport')).status).toBe(404);
  });
});
