import type { FastifyInstance } from 'fastify';
import { createConsoleUser } from '../src/commands/console-users.js';
import { hashPassword } from '../src/core/password.js';
import type { TestGateway } from './harness.js';

/**
 * A browser stand-in for console tests through the real app (in process): it keeps cookies, follows
 * nothing by itself, and fills each form's CSRF field from the last page it read, as a browser
 * submitting that page's form would.
 */
export const OPERATOR = { username: 'ops@example.com', password: 'correct horse battery staple' };

export async function addConsoleUser(
  gw: TestGateway,
  username = OPERATOR.username,
  password = OPERATOR.password,
): Promise<void> {
  const hash = await hashPassword(password);
  const created = await gw.gw.db.command((tx) => createConsoleUser(tx, username, hash, gw.clock.nowMs()));
  if (!created.ok) throw new Error(`console user: ${created.detail ?? created.code}`);
}

export interface Page {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  location: string | undefined;
}

export class ConsoleAgent {
  readonly cookies = new Map<string, string>();
  lastBody = '';

  constructor(
    private readonly app: FastifyInstance,
    private readonly ip = '127.0.0.1',
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(setCookie: unknown): void {
    const list = Array.isArray(setCookie) ? setCookie : typeof setCookie === 'string' ? [setCookie] : [];
    for (const line of list as string[]) {
      const [pair = ''] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (/Max-Age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<Page> {
    const response = await this.app.inject({
      method: 'GET',
      url,
      remoteAddress: this.ip,
      headers: { cookie: this.cookieHeader(), ...headers },
    });
    this.remember(response.headers['set-cookie']);
    this.lastBody = response.body;
    return {
      status: response.statusCode,
      headers: response.headers,
      body: response.body,
      location: response.headers.location,
    };
  }

  /** Posts a form; `csrf` defaults to the token in the last page read. */
  async post(
    url: string,
    fields: Record<string, string | string[]>,
    headers: Record<string, string> = {},
  ): Promise<Page> {
    const form = new URLSearchParams();
    const csrf = /name="csrf" value="([^"]+)"/.exec(this.lastBody)?.[1];
    if (!('csrf' in fields) && csrf !== undefined) form.append('csrf', csrf);
    for (const [name, value] of Object.entries(fields))
      for (const v of Array.isArray(value) ? value : [value]) form.append(name, v);
    const response = await this.app.inject({
      method: 'POST',
      url,
      remoteAddress: this.ip,
      headers: {
        cookie: this.cookieHeader(),
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      payload: form.toString(),
    });
    this.remember(response.headers['set-cookie']);
    if (response.statusCode !== 303) this.lastBody = response.body;
    return {
      status: response.statusCode,
      headers: response.headers,
      body: response.body,
      location: response.headers.location,
    };
  }

  async signIn(username = OPERATOR.username, password = OPERATOR.password, next = '/console'): Promise<Page> {
    await this.get(`/console/login?next=${encodeURIComponent(next)}`);
    return this.post('/console/login', { username, password, next });
  }
}

/** Text content of a page, tags stripped and whitespace collapsed, for readable assertions. */
export function textOf(body: string): string {
  return body
    .replace(/<style>[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/[ \t\r\n]+/g, ' ')
    .trim();
}
