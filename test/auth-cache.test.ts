import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_CACHE_ENTRIES_MAX, ProjectCache } from '../src/commands/project-cache.js';
import { rotateApiCredentials, updateProject } from '../src/commands/projects.js';
import type { ProjectAuth } from '../src/core/project.js';
import { BACKENDS, type TestGateway, payoutBody, startTestGateway } from './harness.js';

/**
 * Cached authentication (ADR 0019): an API call does not read its project's row each time, yet a
 * change made by this process counts at once, and one made elsewhere within the cache's lifetime.
 */
const auth = (apikey: string): ProjectAuth => ({
  project: {
    id: 'p',
    name: '',
    apikey,
    payinEnabled: true,
    payoutEnabled: true,
    allowedIps: [],
    operatorIds: [],
    callbackUrl: '',
    callbackMode: 'json',
    createdAtMs: 0,
  },
  tokenHash: 'ab',
});

describe('ProjectCache', () => {
  it('forgets an entry after its lifetime, and on clear', () => {
    let now = 0;
    const cache = new ProjectCache(1_000, () => now);
    cache.set('K', auth('K'), cache.begin());
    expect(cache.get('K')?.project.apikey).toBe('K');
    now = 999;
    expect(cache.get('K')).toBeDefined();
    now = 1_000;
    expect(cache.get('K')).toBeUndefined();
    cache.set('K', auth('K'), cache.begin());
    cache.clear();
    expect(cache.get('K')).toBeUndefined();
  });

  it('does not keep what a read found if a change committed while it read', () => {
    const cache = new ProjectCache(1_000, () => 0);
    const generation = cache.begin();
    cache.clear();
    cache.set('K', auth('K'), generation);
    expect(cache.get('K')).toBeUndefined();
  });

  it('keeps nothing with a lifetime of 0, and stays bounded', () => {
    const off = new ProjectCache(0, () => 0);
    off.set('K', auth('K'), off.begin());
    expect(off.get('K')).toBeUndefined();
    const cache = new ProjectCache(1_000, () => 0);
    for (let i = 0; i <= PROJECT_CACHE_ENTRIES_MAX; i++) cache.set(`K${i}`, auth(`K${i}`), cache.begin());
    expect(cache.get('K0')).toBeUndefined();
    expect(cache.get(`K${PROJECT_CACHE_ENTRIES_MAX}`)).toBeDefined();
  });
});

describe.each(BACKENDS)('cached authentication on %s', (backend) => {
  let gw: TestGateway;
  afterEach(async () => {
    await gw.destroy();
  });

  const payout = (headers: Record<string, string>, i: number) =>
    gw.app.inject({
      method: 'POST',
      url: '/pay/v01/withdrawal/create',
      headers,
      remoteAddress: '127.0.0.1',
      payload: JSON.stringify(payoutBody('22670123456', 100, { custom_data: { transaction_id: `AC-${i}` } })),
    });
  const code = async (response: Promise<{ body: string }>) =>
    (JSON.parse((await response).body) as { response_code: string; response_text?: string }).response_code;

  it("refuses a rotated token at once, and sees this process's switch-off at once", async () => {
    gw = await startTestGateway(backend, { config: { authCacheMs: 60_000 } });
    await gw.wallet('22670123456', 0);
    await gw.fundSub('11', 10_000);
    expect(await code(payout(gw.project.headers, 1))).toBe('00');
    const rotated = await gw.gw.db.command((tx) => rotateApiCredentials(tx, gw.project.id, 0));
    if (!rotated.ok) throw new Error('rotation failed');
    expect(await code(payout(gw.project.headers, 2))).toBe('01');
    const fresh = {
      ...gw.project.headers,
      apikey: rotated.value.project.apikey,
      authorization: `Bearer ${rotated.value.apiToken}`,
    };
    expect(await code(payout(fresh, 3))).toBe('00');
    await gw.gw.db.command((tx) => updateProject(tx, gw.project.id, { payoutEnabled: false }));
    expect(await code(payout(fresh, 4))).toBe('01');
  });

  it("sees another process's change once the cache's lifetime has passed, not before", async () => {
    gw = await startTestGateway(backend, { config: { authCacheMs: 2_000 } });
    await gw.wallet('22670123456', 0);
    await gw.fundSub('11', 10_000);
    expect(await code(payout(gw.project.headers, 1))).toBe('00');
    // Another process (the CLI, another instance) switches payouts off: nothing tells this one.
    await gw.gw.db.command((tx) =>
      tx.updateTable('projects').set({ payout_enabled: 0 }).where('id', '=', gw.project.id).execute(),
    );
    expect(await code(payout(gw.project.headers, 2))).toBe('00');
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(await code(payout(gw.project.headers, 3))).toBe('01');
  });

  it('checks a token that does not match the cached row against the database before refusing it', async () => {
    gw = await startTestGateway(backend, { config: { authCacheMs: 60_000 } });
    await gw.wallet('22670123456', 0);
    await gw.fundSub('11', 10_000);
    expect(await code(payout(gw.project.headers, 1))).toBe('00');
    // Another process rotates the token (same Apikey here, new hash): the new token works at once.
    const { hashApiToken } = await import('../src/commands/projects.js');
    await gw.gw.db.command((tx) =>
      tx
        .updateTable('projects')
        .set({ token_hash: hashApiToken('new-token') })
        .where('id', '=', gw.project.id)
        .execute(),
    );
    expect(await code(payout({ ...gw.project.headers, authorization: 'Bearer new-token' }, 2))).toBe('00');
  });
});
