import type { Project, ProjectAuth, ProjectSettings } from '../core/project.js';
import type { Tx } from './database.js';
import { prepared } from './prepared.js';
import type { ProjectTable } from './schema.js';

/**
 * The `projects` table: the one mapping of its rows to the core's `Project`, and the queries the
 * commands, the console and the CLI run on it. Authentication's read is a prepared statement: it
 * runs on every API request that the project cache does not answer (ADR 0019).
 */
export function projectFromRow(row: ProjectTable): Project {
  return {
    id: row.id,
    name: row.name,
    apikey: row.apikey,
    payinEnabled: row.payin_enabled === 1,
    payoutEnabled: row.payout_enabled === 1,
    allowedIps: JSON.parse(row.allowed_ips) as string[],
    operatorIds: JSON.parse(row.operator_ids) as string[],
    callbackUrl: row.callback_url,
    callbackMode: row.callback_mode === 'json' ? 'json' : 'ligdicash',
    createdAtMs: Number(row.created_at_ms),
  };
}

/** What a new project stores besides its settings: the hash of its API token and its callback secret. */
export interface ProjectSecrets {
  tokenHash: string;
  webhookSecret: string;
}

export async function insertProject(tx: Tx, project: Project, secrets: ProjectSecrets): Promise<void> {
  const row: ProjectTable = {
    id: project.id,
    name: project.name,
    apikey: project.apikey,
    token_hash: secrets.tokenHash,
    payin_enabled: project.payinEnabled ? 1 : 0,
    payout_enabled: project.payoutEnabled ? 1 : 0,
    allowed_ips: JSON.stringify(project.allowedIps),
    operator_ids: JSON.stringify(project.operatorIds),
    callback_url: project.callbackUrl,
    created_at_ms: project.createdAtMs,
    callback_mode: project.callbackMode,
    webhook_secret: secrets.webhookSecret,
    webhook_secret_previous: null,
    webhook_secret_rotated_at_ms: null,
  };
  await tx.insertInto('projects').values(row).execute();
}

/** Writes the settings given; nothing when none is. */
export async function updateProjectSettings(
  tx: Tx,
  projectId: string,
  changes: ProjectSettings,
): Promise<void> {
  const set: Partial<ProjectTable> = {};
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.payinEnabled !== undefined) set.payin_enabled = changes.payinEnabled ? 1 : 0;
  if (changes.payoutEnabled !== undefined) set.payout_enabled = changes.payoutEnabled ? 1 : 0;
  if (changes.allowedIps !== undefined) set.allowed_ips = JSON.stringify(changes.allowedIps);
  if (changes.operatorIds !== undefined) set.operator_ids = JSON.stringify(changes.operatorIds);
  if (changes.callbackUrl !== undefined) set.callback_url = changes.callbackUrl;
  if (changes.callbackMode !== undefined) set.callback_mode = changes.callbackMode;
  if (Object.keys(set).length > 0)
    await tx.updateTable('projects').set(set).where('id', '=', projectId).execute();
}

export async function setProjectCredentials(
  tx: Tx,
  projectId: string,
  apikey: string,
  tokenHash: string,
): Promise<void> {
  await tx
    .updateTable('projects')
    .set({ apikey, token_hash: tokenHash })
    .where('id', '=', projectId)
    .execute();
}

/** The project a stored payin or payout names: it always exists (payins and payouts reference it). */
export async function getProject(tx: Tx, projectId: string): Promise<Project> {
  return projectFromRow(
    await tx.selectFrom('projects').selectAll().where('id', '=', projectId).executeTakeFirstOrThrow(),
  );
}

export async function findProjectById(tx: Tx, projectId: string): Promise<Project | undefined> {
  const row = await tx.selectFrom('projects').selectAll().where('id', '=', projectId).executeTakeFirst();
  return row === undefined ? undefined : projectFromRow(row);
}

export async function projectExists(tx: Tx, projectId: string): Promise<boolean> {
  const row = await tx.selectFrom('projects').select('id').where('id', '=', projectId).executeTakeFirst();
  return row !== undefined;
}

/** The id of the project with this Apikey, without reading the rest of its row. */
export async function findProjectIdByApikey(tx: Tx, apikey: string): Promise<string | undefined> {
  const row = await tx.selectFrom('projects').select('id').where('apikey', '=', apikey).executeTakeFirst();
  return row?.id;
}

const projectByApikey = prepared((tx, p: { apikey: string }) =>
  tx.selectFrom('projects').selectAll().where('apikey', '=', p.apikey),
);

/**
 * The project with this Apikey and its token's hash, for authentication: it compares the hash,
 * which the `Project` does not carry, and the project cache keeps both to compare later requests
 * with. The row is mapped here, once per read, never per cache hit.
 */
export async function findProjectAuthByApikey(tx: Tx, apikey: string): Promise<ProjectAuth | undefined> {
  const [row] = await projectByApikey.rows(tx, { apikey });
  return row === undefined ? undefined : { project: projectFromRow(row), tokenHash: row.token_hash };
}

/** Projects, oldest or newest first. */
export async function listProjects(tx: Tx, order: 'oldest' | 'newest', limit: number): Promise<Project[]> {
  const query = tx.selectFrom('projects').selectAll();
  const ordered =
    order === 'oldest' ? query.orderBy('created_at_ms') : query.orderBy('created_at_ms', 'desc');
  const rows = await ordered.limit(limit).execute();
  return rows.map(projectFromRow);
}

/** Projects by name, for the console's project filters. */
export function listProjectChoices(tx: Tx, limit: number): Promise<Array<{ id: string; name: string }>> {
  return tx.selectFrom('projects').select(['id', 'name']).orderBy('name').limit(limit).execute();
}
