import type { CallbackMode } from './callbacks.js';

/** An API project as the commands see it (spec §1.5). */
export interface Project {
  id: string;
  name: string;
  apikey: string;
  payinEnabled: boolean;
  payoutEnabled: boolean;
  allowedIps: string[];
  operatorIds: string[];
  callbackUrl: string;
  /** How callbacks are encoded (ADR 0006). */
  callbackMode: CallbackMode;
  createdAtMs: number;
}

/**
 * A project with the hash of its API token, as authentication reads it (spec §1.2): the store maps
 * the row to this once, and the project cache keeps it to compare later requests' tokens with.
 */
export interface ProjectAuth {
  readonly project: Project;
  /** SHA-256 of the API token (hex); the token itself is shown once and never stored. */
  readonly tokenHash: string;
}

/** The settings of a project that the console and the CLI may change, each one optional. */
export type ProjectSettings = Partial<
  Pick<
    Project,
    'name' | 'payinEnabled' | 'payoutEnabled' | 'allowedIps' | 'operatorIds' | 'callbackUrl' | 'callbackMode'
  >
>;
