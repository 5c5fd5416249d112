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

/** The settings of a project that the console and the CLI may change, each one optional. */
export type ProjectSettings = Partial<
  Pick<
    Project,
    'name' | 'payinEnabled' | 'payoutEnabled' | 'allowedIps' | 'operatorIds' | 'callbackUrl' | 'callbackMode'
  >
>;
