import type { Tx } from './database.js';
import type { Project } from '../core/project.js';
import { getProject } from './projects.js';

/**
 * What the console's refund form reads before refunding: the project a payin belongs to, whose
 * sub-account pays the refund. Undefined for an unknown payin; a payin whose project is missing is
 * a bug (a foreign key forbids it), and throws.
 */
export async function payinProject(tx: Tx, payinId: string): Promise<Project | undefined> {
  const payin = await tx
    .selectFrom('payins')
    .select(['id', 'project_id'])
    .where('id', '=', payinId)
    .executeTakeFirst();
  if (payin === undefined) return undefined;
  return getProject(tx, payin.project_id);
}
