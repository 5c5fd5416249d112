import type { FastifyInstance } from 'fastify';
import type { WithConfig } from '../../commands/context.js';
import { type Wiki, subCodeTable, wikiUrl } from '../../core/result-codes.js';
import { type SafeHtml, html } from '../../util/html.js';
import { layout, sendPage } from '../checkout/html.js';
import { type Operation } from '../openapi/operation.js';
import {
  WEBHOOKS,
  WEBHOOK_HEADERS,
  WEBHOOK_RESPONSES,
  type Webhook,
  buildOpenApiDocument,
  operationsFor,
} from '../openapi/document.js';

/**
 * `GET /openapi.json`, the OpenAPI 3.1 document of the endpoints this gateway serves (sandbox
 * endpoints in sandbox mode only), and `GET /docs`, the same as a server-rendered page with the
 * LigdiCash quirks: no script, no CDN, the payment page's CSP (checkout/html.ts).
 */
export const API_VERSION = '0.1.0';

const WIKIS: { wiki: Wiki; endpoints: string }[] = [
  { wiki: 'createInvoice', endpoints: 'E1, E2, E5 (payin creation)' },
  { wiki: 'confirmInvoice', endpoints: 'E3, E8, E9 (status) and the callback resend' },
  { wiki: 'createWithdrawal', endpoints: 'E6 (customer payout)' },
  { wiki: 'createStraightWithdrawal', endpoints: 'E7 (merchant payout)' },
];

export function registerOpenApiRoutes(app: FastifyInstance, deps: WithConfig<'mode' | 'publicUrl'>): void {
  const options = { mode: deps.config.mode, publicUrl: deps.config.publicUrl, version: API_VERSION };
  const document = buildOpenApiDocument(options);
  const page = renderDocs(operationsFor(deps.config.mode), WEBHOOKS, JSON.stringify(document).length);
  app.get('/openapi.json', () => document);
  app.get('/docs', (_request, reply) => sendPage(reply, 200, page));
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

function renderOperation(op: Operation): SafeHtml {
  const params = op.parameters ?? [];
  return html`<section class="card" id="${op.operationId}" data-testid="operation">
<h2><code>${op.method.toUpperCase()} ${op.path}</code></h2>
<p><strong>${op.summary}</strong>${op.sandboxOnly === true ? ' (sandbox mode only)' : ''}</p>
<p>${op.description}</p>
<p class="muted">${op.authenticated ? 'Authentication: Apikey header and Authorization: Bearer token.' : 'No credentials.'} Tags: ${op.tags.join(', ')}.</p>
${
  params.length > 0
    ? html`<h3>Parameters</h3><table><tbody>${params.map(
        (p) =>
          html`<tr><td><code>${p.name}</code></td><td>${p.in}${p.required ? ', required' : ''}</td><td>${p.description}</td></tr>`,
      )}</tbody></table>`
    : ''
}
${
  op.requestBody
    ? html`<h3>Request body (${op.requestBody.contentType ?? 'application/json'})</h3>${op.requestBody.description !== undefined ? html`<p>${op.requestBody.description}</p>` : ''}<details><summary>Schema</summary><pre>${json(op.requestBody.schema)}</pre></details>`
    : ''
}
<h3>Responses</h3>
${Object.entries(op.responses).map(
  ([
    status,
    response,
  ]) => html`<p><strong>${status}</strong> ${response.contentType ?? (response.schema !== undefined ? 'application/json' : '')}: ${response.description}</p>
${response.schema !== undefined ? html`<details><summary>Schema</summary><pre>${json(response.schema)}</pre></details>` : ''}`,
)}
</section>`;
}

function renderQuirks(): SafeHtml {
  return html`<section class="card" id="quirks"><h2>LigdiCash quirks</h2>
<ul>
<li><strong>HTTP 200 for errors.</strong> Every LigdiCash endpoint answers HTTP 200, errors included (the Dart SDK rejects even 201; Python and PHP raise on 4xx/5xx before reading the body). Look at <code>response_code</code>: the string <code>"00"</code> for success, <code>"01"</code> for an error.</li>
<li><strong><code>Echec (CodeXX)</code>.</strong> An error's <code>response_text</code> is <code>Echec (CodeXX)</code>; the SDKs take the first run of digits as the sub-code. The same failure has a different sub-code in each endpoint family (the <code>wiki</code> of the answer), see the tables below.</li>
<li><strong>debitotp</strong> alone answers <code>{error, message}</code> instead of the envelope.</li>
<li><strong>String amounts in confirm.</strong> The confirm body has exactly 16 keys (the Python SDK rejects any other); <code>amount</code> and <code>montant</code> are digit strings and <code>operator_id</code> a string (the Dart SDK needs them so). Requests may send amounts as numbers, floats like <code>3500.0</code>, or digit strings.</li>
<li><strong><code>custom_data</code> rows.</strong> Create answers echo <code>custom_data</code> as an object (plus <code>logfile</code>); confirm answers and callbacks give rows <code>{keyof_customdata, valueof_customdata, datecreation_customdata}</code>, with <code>hash</code> and <code>logfile</code> rows added. PHP's <code>[]</code> is accepted for an empty object.</li>
<li><strong><code>notcompleted</code> / <code>nocompleted</code>.</strong> A failed transaction is status <code>notcompleted</code> (current docs) with <code>response_code</code> "00"; the JS and Dart SDK types and old samples say <code>nocompleted</code>. Treat anything but <code>completed</code> and <code>pending</code> as failed.</li>
<li><strong>Paths.</strong> The SDKs put <code>/</code> before <code>?</code> on the confirm paths; both forms are served. Payin confirm takes <code>invoiceToken</code> or <code>token</code>; payout confirm <code>withdrawalToken</code>, <code>payoutToken</code> or <code>token</code>, on either path.</li>
<li><strong>Payout wallet flag.</strong> <code>top_up_wallet</code> 1/0, or the JS SDK's <code>to_ligdicash</code> true/false.</li>
<li><strong>JS direct-payin callback bug.</strong> With <code>actions.callback_url: null</code>, the callback is <code>actions.cancel_url</code> (E2 and E5).</li>
</ul>
${WIKIS.map(
  ({
    wiki,
    endpoints,
  }) => html`<h3><code>${wiki}</code>: ${endpoints}</h3><p class="muted">${wikiUrl(wiki)}</p>
<table><tbody>${subCodeTable(wiki).map((sub) => html`<tr><td><code>Echec (Code${sub.code})</code></td><td>${sub.description}</td></tr>`)}</tbody></table>`,
)}
</section>`;
}

/** The callbacks Cauri POSTs to merchants, the `webhooks` of the document. */
function renderWebhooks(webhooks: readonly Webhook[]): SafeHtml {
  const schemas = [...new Set(webhooks.flatMap((w) => [w.schema, w.formSchema]))];
  const titleOf = (schema: unknown) => (schema as { title?: string }).title ?? '';
  return html`<section class="card" id="callbacks" data-testid="webhooks"><h2>Callbacks</h2>
<p>Cauri POSTs these to the merchant (OpenAPI <code>webhooks</code>), as <code>application/json</code> and, in the default <code>ligdicash</code> mode, again as <code>application/x-www-form-urlencoded</code> with nested values as JSON strings. See the README, "Callbacks".</p>
<ul>${webhooks.map(
    (w) =>
      html`<li id="${w.operationId}"><code>POST ${w.event}</code> <strong>${w.summary}</strong> (${titleOf(w.schema)}, ${titleOf(w.formSchema)}): ${w.description}</li>`,
  )}</ul>
<h3>Headers</h3><table><tbody>${WEBHOOK_HEADERS.map((p) => html`<tr><td><code>${p.name}</code></td><td>${p.description}</td></tr>`)}</tbody></table>
<h3>Answers</h3>
${Object.entries(WEBHOOK_RESPONSES).map(([status, response]) => html`<p><strong>${status}</strong> ${response.description}</p>`)}
${schemas.map((schema) => html`<details><summary>${titleOf(schema)}</summary><pre>${json(schema)}</pre></details>`)}
</section>`;
}

function renderDocs(operations: Operation[], webhooks: readonly Webhook[], documentChars: number): string {
  const body = html`<main>
<header class="top"><span>Cauri API reference</span></header>
<section class="card"><h1>Cauri API reference</h1>
<p>The LigdiCash Payment API as Cauri serves it, plus Cauri's own endpoints. Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1, ${documentChars} characters).</p>
<ul>${operations.map((op) => html`<li><a href="#${op.operationId}"><code>${op.method.toUpperCase()} ${op.path}</code></a> ${op.summary}</li>`)}
<li><a href="#callbacks">Callbacks</a> the requests Cauri sends to merchants</li></ul>
</section>
${renderQuirks()}
${renderWebhooks(webhooks)}
${operations.map(renderOperation)}
</main>`;
  return layout({ lang: 'en', title: 'Cauri API reference' }, body);
}
