import type { Mode } from '../config.js';
import { verifyPassword } from '../core/password.js';
import { DEMO_APIKEY, DEMO_CONSOLE_PASSWORD, DEMO_CONSOLE_USER } from '../sandbox-seed.js';
import type { Database } from '../store/database.js';
import { findProjectIdByApikey } from '../store/projects.js';
import { readSetting, settingOnce } from '../store/settings.js';
import { signInCandidate } from './console-users.js';

/**
 * A database remembers the mode it was created in (ADR 0009). A sandbox database holds published
 * credentials (the demo project's Apikey and token, the demo console password) and money that was
 * never real; a production gateway started on it would accept those credentials and pay out that
 * money. So production refuses a sandbox database, and the sandbox refuses a production database
 * (it would add the demo project to it).
 */
export const MODE_SETTING = 'created_mode';

export class DatabaseModeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseModeError';
  }
}

/** What makes a database a sandbox one, whatever its mode record says (older databases have none). */
async function sandboxTraces(db: Database): Promise<string | undefined> {
  const [demoProject, demoUser] = await db.command(async (tx) => [
    await findProjectIdByApikey(tx, DEMO_APIKEY),
    await signInCandidate(tx, DEMO_CONSOLE_USER),
  ]);
  if (demoProject !== undefined) return `it holds the sandbox demo project (Apikey ${DEMO_APIKEY})`;
  if (demoUser !== undefined && (await verifyPassword(DEMO_CONSOLE_PASSWORD, demoUser.passwordHash)))
    return 'it holds the sandbox demo console account';
  return undefined;
}

/** Records the mode on a new database, and refuses a database of the other mode with a one-line reason. */
export async function checkDatabaseMode(db: Database, mode: Mode): Promise<void> {
  const stored = await db.command((tx) => readSetting(tx, MODE_SETTING));
  // A database from before the mode was recorded is a sandbox one if it holds sandbox data.
  const initial: Mode = stored === undefined && (await sandboxTraces(db)) !== undefined ? 'sandbox' : mode;
  const recorded = await db.command((tx) => settingOnce(tx, MODE_SETTING, initial));
  if (mode === 'production') {
    if (recorded !== 'production') {
      throw new DatabaseModeError(
        `production refuses this database (${db.location}): it was created by the sandbox; give production a database of its own`,
      );
    }
    const traces = await sandboxTraces(db);
    if (traces !== undefined)
      throw new DatabaseModeError(
        `production refuses this database (${db.location}): ${traces}; give production a database of its own`,
      );
    return;
  }
  if (recorded !== 'sandbox') {
    throw new DatabaseModeError(
      `the sandbox refuses this database (${db.location}): it was created in production mode and must not receive demo data`,
    );
  }
}
