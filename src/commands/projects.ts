import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { CALLBACK_MODES, type CallbackMode, DEFAULT_CALLBACK_MODE } from '../core/callbacks.js';
import { newId, randomUpperAlnum } from '../core/ids.js';
import { ALL_OPERATORS } from '../core/operators.js';
import type { Project, ProjectSettings } from '../core/project.js';
import { type Result, fail, ok } from '../core/result-codes.js';
import { base64url } from '../core/tokens.js';
import { generateWebhookSecret } from '../core/webhook-signature.js';
import { type Tx, afterCommit } from '../store/database.js';
import {
  findProjectById,
  findProjectAuthByApikey,
  insertProject,
  listProjectChoices,
  setProjectCredentials,
  updateProjectSettings,
} from '../store/projects.js';
import type { ProjectCache } from './project-cache.js';

export const ALLOWED_IPS_MAX = 3;
export const PROJECT_NAME_LENGTH_MAX = 100;
const APIKEY_LENGTH = 17;
const CREDENTIAL_LENGTH_MAX = 2048;

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * A new API token in LigdiCash's shape: an HS256 JWT whose payload is
 * `{"id_app","id_abonne","datecreation_app"}` (spec §1.2). The signing key is random and thrown
 * away: to Cauri the token is an opaque 256-bit-strong secret whose SHA-256 it stores.
 */
export function newApiToken(nowMs: number, seed?: string): string {
  const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'HS256' }));
  const idApp = seed === undefined ? String(randomBytes(4).readUInt32BE(0) % 1_000_000) : '1';
  const payload = base64url(
    JSON.stringify({
      id_app: idApp,
      id_abonne: Number(idApp) + 1000,
      datecreation_app: new Date(nowMs).toISOString().slice(0, 19).replace('T', ' '),
      ...(seed === undefined ? { nonce: randomBytes(16).toString('hex') } : {}),
    }),
  );
  const key = seed ?? randomBytes(32).toString('hex');
  const signature = createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

export interface ProjectInput {
  name: string;
  payinEnabled: boolean;
  payoutEnabled: boolean;
  allowedIps: string[];
  /** Operator ids, or undefined for every operator in the catalogue. */
  operatorIds?: string[] | undefined;
  callbackUrl?: string | undefined;
  /** `ligdicash` (default: JSON and form POSTs) or `json` (ADR 0006). */
  callbackMode?: CallbackMode | undefined;
  /** Fixed credentials, for the sandbox's demo project only. */
  fixedCredentials?: { apikey: string; token: string } | undefined;
}

export function validateProjectSettings(input: Partial<ProjectInput>): string | undefined {
  if (input.name !== undefined && (input.name.trim() === '' || input.name.length > PROJECT_NAME_LENGTH_MAX)) {
    return `name must have 1 to ${PROJECT_NAME_LENGTH_MAX} characters`;
  }
  if (input.allowedIps !== undefined) {
    if (input.allowedIps.length > ALLOWED_IPS_MAX)
      return `at most ${ALLOWED_IPS_MAX} allowed IPs (spec §1.4)`;
    for (const ip of input.allowedIps) if (isIP(ip) === 0) return `"${ip}" is not an IP address`;
  }
  if (input.operatorIds !== undefined) {
    const known = new Set(ALL_OPERATORS.map((op) => op.id));
    for (const id of input.operatorIds) if (!known.has(id)) return `unknown operator id "${id}"`;
  }
  if (
    input.callbackUrl !== undefined &&
    input.callbackUrl !== '' &&
    !/^https?:\/\/\S+$/.test(input.callbackUrl)
  ) {
    return 'callback URL must be an http(s) URL';
  }
  if (input.callbackMode !== undefined && !CALLBACK_MODES.includes(input.callbackMode)) {
    return `callback mode must be one of ${CALLBACK_MODES.join(', ')}`;
  }
  return undefined;
}

export async function createProject(
  tx: Tx,
  input: ProjectInput,
  nowMs: number,
): Promise<Result<{ project: Project; apiToken: string; webhookSecret: string }>> {
  const invalid = validateProjectSettings(input);
  if (invalid !== undefined) return fail('invalid_input', invalid);
  const apikey = input.fixedCredentials?.apikey ?? randomUpperAlnum(APIKEY_LENGTH);
  const apiToken = input.fixedCredentials?.token ?? newApiToken(nowMs);
  const project: Project = {
    id: newId('prj'),
    name: input.name.trim(),
    apikey,
    payinEnabled: input.payinEnabled,
    payoutEnabled: input.payoutEnabled,
    allowedIps: [...input.allowedIps],
    operatorIds: [...(input.operatorIds ?? ALL_OPERATORS.map((op) => op.id))],
    callbackUrl: input.callbackUrl ?? '',
    callbackMode: input.callbackMode ?? DEFAULT_CALLBACK_MODE,
    createdAtMs: nowMs,
  };
  const webhookSecret = generateWebhookSecret();
  await insertProject(tx, project, { tokenHash: hashApiToken(apiToken), webhookSecret });
  return ok({ project, apiToken, webhookSecret });
}

export type ProjectChanges = Partial<Omit<ProjectInput, 'fixedCredentials'>>;

export async function updateProject(
  tx: Tx,
  projectId: string,
  changes: ProjectChanges,
): Promise<Result<Project>> {
  const invalid = validateProjectSettings(changes);
  if (invalid !== undefined) return fail('invalid_input', invalid);
  const settings: ProjectSettings = { ...changes };
  if (changes.name !== undefined) settings.name = changes.name.trim();
  await updateProjectSettings(tx, projectId, settings);
  afterCommit(tx, 'projects');
  const project = await findProjectById(tx, projectId);
  return project ? ok(project) : fail('not_found', `no project ${projectId}`);
}

/**
 * Authenticates a request by its `Apikey` and `Authorization: Bearer` headers (spec §1.2). Both
 * are required; the token is compared by hash in constant time; any mismatch, including another
 * project's token, is the same `auth_failed`.
 */
export async function authenticate(
  tx: Tx,
  apikey: unknown,
  authorization: unknown,
  cache?: ProjectCache,
): Promise<Result<Project>> {
  if (typeof apikey !== 'string' || typeof authorization !== 'string') return fail('auth_failed');
  if (apikey.length === 0 || apikey.length > 128 || authorization.length > CREDENTIAL_LENGTH_MAX)
    return fail('auth_failed');
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) return fail('auth_failed');
  const key = apikey.trim();
  const presented = Buffer.from(hashApiToken(match[1]), 'hex');
  const cached = cache?.get(key);
  if (cached !== undefined && timingSafeEqual(presented, Buffer.from(cached.tokenHash, 'hex')))
    return ok(cached.project);
  // Not cached, or the token does not match what is cached (it may have been rotated): the database decides.
  const generation = cache?.begin() ?? 0;
  const found = await findProjectAuthByApikey(tx, key);
  // Compare even when the key is unknown, so timing does not tell valid keys from invalid ones.
  const stored = Buffer.from(found?.tokenHash ?? '0'.repeat(64), 'hex');
  const same = timingSafeEqual(presented, stored);
  if (!found || !same) return fail('auth_failed');
  cache?.set(key, found, generation);
  return ok(found.project);
}

/** Normalises `::ffff:1.2.3.4` to `1.2.3.4` so that IPv4 allow-lists work on dual-stack sockets. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

export function ipAllowed(project: Project, ip: string): boolean {
  const client = normalizeIp(ip);
  return project.allowedIps.some((allowed) => normalizeIp(allowed) === client);
}

/**
 * New credentials for a project: a new Apikey and API token, effective at once (the old pair stops
 * working with this commit). The token is returned to be shown once; only its hash is kept.
 */
export async function rotateApiCredentials(
  tx: Tx,
  projectId: string,
  nowMs: number,
): Promise<Result<{ project: Project; apiToken: string }>> {
  const apikey = randomUpperAlnum(APIKEY_LENGTH);
  const apiToken = newApiToken(nowMs);
  await setProjectCredentials(tx, projectId, apikey, hashApiToken(apiToken));
  afterCommit(tx, 'projects');
  const project = await findProjectById(tx, projectId);
  return project ? ok({ project, apiToken }) : fail('not_found', `no project ${projectId}`);
}

/** How many projects a filter's project list offers. */
export const PROJECT_CHOICES_MAX = 200;

/** Projects by name, for the console's project filters. */
export function projectChoices(tx: Tx): Promise<Array<{ id: string; name: string }>> {
  return listProjectChoices(tx, PROJECT_CHOICES_MAX);
}
