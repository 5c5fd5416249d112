import { rotateWebhookSecret } from '../../commands/callback-admin.js';
import { recordAudit } from '../../commands/console-users.js';
import { type Project } from '../../core/project.js';
import {
  type ProjectInput,
  createProject,
  rotateApiCredentials,
  updateProject,
} from '../../commands/projects.js';
import { fundSubaccount, listBalances } from '../../commands/wallets.js';
import { CALLBACK_MODES, type CallbackMode } from '../../core/callbacks.js';
import { parseAmountXof } from '../../core/money.js';
import { ALL_OPERATORS, operatorById } from '../../core/operators.js';
import { findProjectById, listProjects } from '../../store/projects.js';
import { type SafeHtml, html } from '../../util/html.js';
import { type Viewer, badge, csrfField, utc, xof } from './layout.js';
import { type Form, all, one } from './form.js';
import { type ConsoleRequest, type ConsoleRouter, type Outcome } from './router.js';

/**
 * Projects: list and create; one project's switches, allowed IPs, operators and callback settings;
 * rotation of the Apikey/API token pair and of the callback secret, each shown once; funding of
 * the project's sub-accounts (spec §1.5, §1.6; ADR 0008).
 */
const PROJECTS_LISTED_MAX = 500;

/** Notices named by `?done=`; a Map, so that `?done=constructor` names nothing (issue 10). */
const DONE = new Map([
  ['saved', 'Settings saved.'],
  ['funded', 'Sub-account funded.'],
]);

export function registerProjectPages(router: ConsoleRouter): void {
  router.page('/projects', async (r) => {
    return {
      page: {
        title: 'Projects',
        section: 'projects',
        body: html`${projectTable(await newestProjects(r))}${createForm(r.viewer)}`,
      },
    };
  });

  router.action('/projects', async (r) => {
    const input = settingsFrom(r.form);
    if (typeof input === 'string') return projectsError(r, input);
    const created = await r.deps.db.command(async (tx) => {
      const result = await createProject(tx, input, r.nowMs);
      if (result.ok)
        await recordAudit(
          tx,
          {
            username: r.viewer.username,
            action: 'project_create',
            target: result.value.project.id,
            detail: input.name,
            ip: r.ip,
          },
          r.nowMs,
        );
      return result;
    });
    if (!created.ok) return projectsError(r, created.detail ?? created.code);
    const { project, apiToken, webhookSecret } = created.value;
    const body = html`${secretBox([
      ['Apikey', project.apikey],
      ['API token', apiToken],
      ['Callback signing secret', webhookSecret],
    ])}<p><a href="/console/projects/${project.id}">Go to the project</a></p>`;
    return { page: { title: `Project ${project.name} created`, section: 'projects', body } };
  });

  router.page('/projects/:id', async (r) => projectPage(r, DONE.get(r.query.done ?? '')));

  router.action('/projects/:id', async (r) => {
    const input = settingsFrom(r.form);
    if (typeof input === 'string') return projectPage(r, undefined, input);
    const updated = await r.deps.db.command(async (tx) => {
      const result = await updateProject(tx, r.params.id ?? '', input);
      if (result.ok)
        await recordAudit(
          tx,
          {
            username: r.viewer.username,
            action: 'project_update',
            target: result.value.id,
            detail: describeSettings(result.value),
            ip: r.ip,
          },
          r.nowMs,
        );
      return result;
    });
    if (!updated.ok) return projectPage(r, undefined, updated.detail ?? updated.code);
    return { redirect: `/console/projects/${encodeURIComponent(updated.value.id)}?done=saved` };
  });

  router.action('/projects/:id/rotate-credentials', async (r) => {
    if (one(r.form, 'confirm') !== 'yes')
      return projectPage(
        r,
        undefined,
        'Tick the box to confirm: the current credentials stop working at once.',
      );
    const rotated = await r.deps.db.command(async (tx) => {
      const result = await rotateApiCredentials(tx, r.params.id ?? '', r.nowMs);
      if (result.ok)
        await recordAudit(
          tx,
          {
            username: r.viewer.username,
            action: 'credentials_rotate',
            target: result.value.project.id,
            ip: r.ip,
          },
          r.nowMs,
        );
      return result;
    });
    if (!rotated.ok) return notFound(r);
    const body = html`${secretBox([
      ['Apikey', rotated.value.project.apikey],
      ['API token', rotated.value.apiToken],
    ])}<p>The previous Apikey and API token no longer work.</p><p><a href="/console/projects/${rotated.value.project.id}">Back to the project</a></p>`;
    return { page: { title: 'New API credentials', section: 'projects', body } };
  });

  router.action('/projects/:id/rotate-webhook-secret', async (r) => {
    const rotated = await r.deps.db.command(async (tx) => {
      const result = await rotateWebhookSecret(tx, r.params.id ?? '', r.nowMs);
      if (result.ok)
        await recordAudit(
          tx,
          {
            username: r.viewer.username,
            action: 'webhook_secret_rotate',
            target: result.value.projectId,
            ip: r.ip,
          },
          r.nowMs,
        );
      return result;
    });
    if (!rotated.ok) return notFound(r);
    const body = html`${secretBox([['Callback signing secret', rotated.value.webhookSecret]])}
<p>Callbacks are signed with both the new and the previous secret for 24 hours, so receivers can switch without losing any.</p>
<p><a href="/console/projects/${rotated.value.projectId}">Back to the project</a></p>`;
    return { page: { title: 'New callback signing secret', section: 'projects', body } };
  });

  router.action('/projects/:id/fund', async (r) => fundAction(r));
}

async function fundAction(r: ConsoleRequest): Promise<Outcome> {
  const projectId = r.params.id ?? '';
  const amount = parseAmountXof(one(r.form, 'amount'));
  if (amount === undefined || amount <= 0)
    return projectPage(r, undefined, 'The amount must be a whole, positive number of XOF.');
  const operatorId = one(r.form, 'operator');
  const funded = await r.deps.db.command(async (tx) => {
    const result = await fundSubaccount(tx, r.deps.db.dialect, projectId, operatorId, amount, r.nowMs);
    if (result.ok)
      await recordAudit(
        tx,
        {
          username: r.viewer.username,
          action: 'subaccount_fund',
          target: result.value.accountId,
          detail: `${amount} XOF`,
          ip: r.ip,
        },
        r.nowMs,
      );
    return result;
  });
  if (!funded.ok) return projectPage(r, undefined, funded.detail ?? funded.code.replace(/_/g, ' '));
  return { redirect: `/console/projects/${encodeURIComponent(projectId)}?done=funded` };
}

async function projectPage(r: ConsoleRequest, notice?: string, error?: string): Promise<Outcome> {
  const projectId = r.params.id ?? '';
  const found = await r.deps.db.command(async (tx) => {
    const project = await findProjectById(tx, projectId);
    return project === undefined ? undefined : { project, balances: await listBalances(tx, { projectId }) };
  });
  if (found === undefined) return notFound(r);
  const { project, balances } = found;
  const body = html`
<div class="card"><dl class="facts">
<dt>Project id</dt><dd><code>${project.id}</code></dd>
<dt>Apikey</dt><dd><code>${project.apikey}</code></dd>
<dt>Created</dt><dd>${utc(project.createdAtMs)}</dd>
<dt>Transactions</dt><dd><a href="/console/transactions?project=${project.id}">Search this project's transactions</a></dd>
</dl></div>
<h2>Settings</h2>
<div class="card">${settingsForm(r.viewer, `/console/projects/${project.id}`, project, 'Save settings')}</div>
<h2>Sub-accounts</h2>
${subaccountTable(balances)}
${fundForm(r.viewer, project)}
<h2>Credentials</h2>
<div class="card">
<form method="post" action="/console/projects/${project.id}/rotate-credentials" class="stack">${csrfField(r.viewer)}
<p>Replace the Apikey and API token. The new pair is shown once; the current pair stops working at once.</p>
<label><input type="checkbox" name="confirm" value="yes" required> I understand the current credentials stop working now</label>
<div><button type="submit" class="danger">Rotate Apikey and API token</button></div>
</form>
<form method="post" action="/console/projects/${project.id}/rotate-webhook-secret" class="stack">${csrfField(r.viewer)}
<p>Replace the secret that signs callbacks (the previous one keeps signing for 24 hours).</p>
<div><button type="submit" class="secondary">Rotate callback signing secret</button></div>
</form>
</div>`;
  return { page: { title: project.name, section: 'projects', body, notice, error } };
}

function notFound(r: ConsoleRequest): Outcome {
  return {
    status: 404,
    page: {
      title: 'No such project',
      section: 'projects',
      body: html`<p>No project <code>${r.params.id ?? ''}</code>. <a href="/console/projects">All projects</a></p>`,
    },
  };
}

async function projectsError(r: ConsoleRequest, error: string): Promise<Outcome> {
  return {
    status: 400,
    page: {
      title: 'Projects',
      section: 'projects',
      error,
      body: html`${projectTable(await newestProjects(r))}${createForm(r.viewer, r.form)}`,
    },
  };
}

async function newestProjects(r: ConsoleRequest): Promise<Project[]> {
  return r.deps.db.command((tx) => listProjects(tx, 'newest', PROJECTS_LISTED_MAX));
}

/** A project's settings as a form submitted them, before validation; also what the form shows again. */
type ProjectDraft = Pick<
  Project,
  'name' | 'payinEnabled' | 'payoutEnabled' | 'allowedIps' | 'operatorIds' | 'callbackUrl'
> & { callbackMode: string };

function draftOf(form: Form): ProjectDraft {
  return {
    name: one(form, 'name'),
    payinEnabled: one(form, 'payin') === 'on',
    payoutEnabled: one(form, 'payout') === 'on',
    allowedIps: one(form, 'allowed_ips')
      .split(/[\s,]+/)
      .filter((ip) => ip !== ''),
    operatorIds:
      form.operators_submitted === undefined ? ALL_OPERATORS.map((op) => op.id) : all(form, 'operators'),
    callbackUrl: one(form, 'callback_url'),
    callbackMode: one(form, 'callback_mode') || 'ligdicash',
  };
}

/** The settings a form submits; a string explains what is wrong. */
function settingsFrom(form: Form): (ProjectInput & { operatorIds: string[] }) | string {
  const draft = draftOf(form);
  if (draft.name === '') return 'A project needs a name.';
  const callbackMode = CALLBACK_MODES.find((m) => m === draft.callbackMode);
  if (callbackMode === undefined) return 'Unknown callback mode.';
  return { ...draft, callbackMode: callbackMode satisfies CallbackMode };
}

function describeSettings(p: Project): string {
  return `payin ${p.payinEnabled ? 'on' : 'off'}, payout ${p.payoutEnabled ? 'on' : 'off'}, IPs [${p.allowedIps.join(' ')}], operators [${p.operatorIds.join(',')}], callbacks ${p.callbackMode}`;
}

function projectTable(projects: Project[]): SafeHtml {
  if (projects.length === 0) return html`<p>No projects yet.</p>`;
  return html`<div class="table-wrap"><table>
<caption>${projects.length} project${projects.length === 1 ? '' : 's'}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Apikey</th><th scope="col">Payin</th><th scope="col">Payout</th><th scope="col">Allowed IPs</th><th scope="col">Operators</th><th scope="col">Created</th></tr></thead>
<tbody>${projects.map(
    (p) =>
      html`<tr><td><a href="/console/projects/${p.id}">${p.name}</a></td><td><code>${p.apikey}</code></td><td>${badge(p.payinEnabled ? 'on' : 'off')}</td><td>${badge(p.payoutEnabled ? 'on' : 'off')}</td><td>${p.allowedIps.join(', ') || '—'}</td><td class="num">${p.operatorIds.length}</td><td>${utc(p.createdAtMs)}</td></tr>`,
  )}</tbody></table></div>`;
}

function createForm(viewer: Viewer, form?: Form): SafeHtml {
  return html`<h2>New project</h2><div class="card">${settingsForm(viewer, '/console/projects', form === undefined ? undefined : draftOf(form), 'Create project')}</div>`;
}

function settingsForm(viewer: Viewer, action: string, p: ProjectDraft | undefined, submit: string): SafeHtml {
  const enabled = new Set(p?.operatorIds ?? ALL_OPERATORS.map((op) => op.id));
  const checked = (on: boolean) => (on ? html` checked` : '');
  return html`<form method="post" action="${action}" class="stack">${csrfField(viewer)}
<input type="hidden" name="operators_submitted" value="1">
<label for="name">Name</label><input id="name" name="name" type="text" required maxlength="100" value="${p?.name ?? ''}">
<fieldset><legend>Switches</legend>
<label><input type="checkbox" name="payin"${checked(p?.payinEnabled ?? true)}> Payins enabled</label>
<label><input type="checkbox" name="payout"${checked(p?.payoutEnabled ?? true)}> Payouts enabled</label>
</fieldset>
<label for="allowed_ips">Allowed IPs for payouts (up to 3, separated by spaces or commas)</label>
<input id="allowed_ips" name="allowed_ips" type="text" maxlength="200" value="${p?.allowedIps.join(', ') ?? ''}" aria-describedby="ips-help">
<p id="ips-help" class="muted">An empty list refuses every payout (LigdiCash's rule).</p>
<fieldset><legend>Enabled operators</legend>
${ALL_OPERATORS.map((op) => html`<label><input type="checkbox" name="operators" value="${op.id}"${checked(enabled.has(op.id))}> ${op.name}</label>`)}
</fieldset>
<label for="callback_url">Default callback URL</label>
<input id="callback_url" name="callback_url" type="url" maxlength="2000" value="${p?.callbackUrl ?? ''}">
<label for="callback_mode">Callback encoding</label>
<select id="callback_mode" name="callback_mode">
<option value="ligdicash"${p?.callbackMode === 'json' ? '' : html` selected`}>LigdiCash: JSON and form POSTs</option>
<option value="json"${p?.callbackMode === 'json' ? html` selected` : ''}>JSON only</option>
</select>
<div><button type="submit">${submit}</button></div>
</form>`;
}

function subaccountTable(lines: Awaited<ReturnType<typeof listBalances>>): SafeHtml {
  const subaccounts = lines.filter((l) => l.kind === 'subaccount');
  if (subaccounts.length === 0) return html`<p>No sub-account has been funded yet.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Operator</th><th scope="col" class="num">Posted</th><th scope="col" class="num">Held</th><th scope="col" class="num">Available</th></tr></thead>
<tbody>${subaccounts.map(
    (l) =>
      html`<tr><td>${operatorById(l.operatorId ?? '')?.name ?? l.operatorId ?? ''}</td><td class="num">${xof(l.postedXof)}</td><td class="num">${xof(l.heldXof)}</td><td class="num">${xof(l.availableXof)}</td></tr>`,
  )}</tbody></table></div>`;
}

function fundForm(viewer: Viewer, project: Project): SafeHtml {
  return html`<div class="card"><form method="post" action="/console/projects/${project.id}/fund" class="filters">${csrfField(viewer)}
<div><label for="fund-operator">Operator</label><select id="fund-operator" name="operator">${ALL_OPERATORS.map((op) => html`<option value="${op.id}">${op.name}</option>`)}</select></div>
<div><label for="fund-amount">Amount (XOF)</label><input id="fund-amount" name="amount" type="number" min="1" step="1" required></div>
<div><button type="submit" class="secondary">Fund sub-account</button></div>
</form><p class="muted">Funding records a manual cash-in from the operator's settlement account (LigdiCash §1.6).</p></div>`;
}

/** Secrets shown once, with what to do about it. */
export function secretBox(secrets: Array<[string, string]>): SafeHtml {
  return html`<div class="secret" role="status"><p><strong>Copy these now: they are shown only once.</strong> Cauri keeps only what it needs to check or sign with them.</p>
${secrets.map(([label, value]) => html`<p>${label}</p><code>${value}</code>`)}</div>`;
}
