import { readFileSync } from 'node:fs';
import { HttpHookProvider, type HttpHookConfig } from './http-hook.js';
import { SmsConfigError, type SmsProvider } from './provider.js';
import { SmppProvider, type SmppConfig } from './smpp.js';

/**
 * The SMS provider named by the environment (ADR 0014), or undefined when CAURI_SMS_PROVIDER is
 * unset. Each mistake is one `SmsConfigError` line naming the variable; no secret is ever quoted.
 *
 * - CAURI_SMS_PROVIDER=smpp: CAURI_SMPP_URL, CAURI_SMPP_SYSTEM_ID, CAURI_SMPP_PASSWORD or
 *   CAURI_SMPP_PASSWORD_FILE, CAURI_SMS_SENDER, and optionally CAURI_SMPP_SYSTEM_TYPE and
 *   CAURI_SMPP_CA_FILE (PEM of a private CA for smpps://);
 * - CAURI_SMS_PROVIDER=http: CAURI_SMS_HOOK_URL, and CAURI_SMS_HOOK_SECRET or CAURI_SMS_HOOK_SECRET_FILE.
 */
export type SmsSettings = { provider: 'smpp'; smpp: SmppConfig } | { provider: 'http'; http: HttpHookConfig };

const SECRET_CHARS_MAX = 4_096;
const VALUE_CHARS_MAX = 2_048;

type Env = Readonly<Record<string, string | undefined>>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new SmsConfigError(`${name} must be set`);
  if (value.length > VALUE_CHARS_MAX)
    throw new SmsConfigError(`${name} must be at most ${VALUE_CHARS_MAX} characters`);
  return value;
}

/** `NAME` or `NAME_FILE` (Docker and systemd credentials), exactly one; a file's last newline is dropped. */
function secret(env: Env, name: string): string {
  const literal = env[name];
  const file = env[`${name}_FILE`];
  const hasLiteral = literal !== undefined && literal !== '';
  const hasFile = file !== undefined && file !== '';
  if (hasLiteral === hasFile) throw new SmsConfigError(`exactly one of ${name} and ${name}_FILE must be set`);
  let value: string;
  if (hasLiteral) value = literal;
  else {
    try {
      value = readFileSync(file ?? '', 'utf8').replace(/\r?\n$/, '');
    } catch {
      throw new SmsConfigError(`${name}_FILE: cannot read ${file ?? ''}`);
    }
  }
  if (value === '' || value.length > SECRET_CHARS_MAX)
    throw new SmsConfigError(`${name} must be 1 to ${SECRET_CHARS_MAX} characters`);
  return value;
}

function pemFile(name: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new SmsConfigError(`${name}: cannot read ${path}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----') || text.length > 256 * 1024)
    throw new SmsConfigError(`${name}: ${path} is not a PEM certificate file`);
  return text;
}

export function smsSettingsFromEnv(env: Env): SmsSettings | undefined {
  const provider = env.CAURI_SMS_PROVIDER;
  if (provider === undefined || provider === '') return undefined;
  if (provider === 'smpp') {
    const systemType = env.CAURI_SMPP_SYSTEM_TYPE;
    const caFile = env.CAURI_SMPP_CA_FILE;
    return {
      provider,
      smpp: {
        url: required(env, 'CAURI_SMPP_URL'),
        systemId: required(env, 'CAURI_SMPP_SYSTEM_ID'),
        password: secret(env, 'CAURI_SMPP_PASSWORD'),
        sourceAddr: required(env, 'CAURI_SMS_SENDER'),
        ...(systemType === undefined || systemType === '' ? {} : { systemType }),
        ...(caFile === undefined || caFile === '' ? {} : { tlsCa: pemFile('CAURI_SMPP_CA_FILE', caFile) }),
      },
    };
  }
  if (provider === 'http')
    return {
      provider,
      http: { url: required(env, 'CAURI_SMS_HOOK_URL'), secret: secret(env, 'CAURI_SMS_HOOK_SECRET') },
    };
  throw new SmsConfigError('CAURI_SMS_PROVIDER must be smpp or http');
}

/** The provider itself; an SMPP link opens on the first send or receipt listener, not here. */
export function smsProviderFromEnv(
  env: Env,
  options: { log?: (line: string) => void } = {},
): SmsProvider | undefined {
  const settings = smsSettingsFromEnv(env);
  if (settings === undefined) return undefined;
  try {
    if (settings.provider === 'smpp')
      return new SmppProvider({
        ...settings.smpp,
        ...(options.log === undefined ? {} : { log: options.log }),
      });
    return new HttpHookProvider(settings.http);
  } catch (error) {
    // The providers' messages name the setting ("SMPP URL must …"); say which provider was chosen.
    if (error instanceof SmsConfigError)
      throw new SmsConfigError(`CAURI_SMS_PROVIDER=${settings.provider}: ${error.message}`);
    throw error;
  }
}
