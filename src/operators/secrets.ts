import { readFileSync } from 'node:fs';

/**
 * A credential in the connectors file (ADR 0009): never the secret itself in a file that is
 * copied around, but where to read it: `{"env": "MOMO_API_KEY"}` or `{"file": "/run/secrets/momo"}`
 * (Docker and systemd credentials). A plain string is accepted for tests and local trials. Secrets
 * are read once at start-up and never logged: errors name the reference, not the value.
 */
export type SecretRef = string | { env: string } | { file: string };

export class ConnectorConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectorConfigError';
  }
}

export const SECRET_CHARS_MAX = 4_096;

export function readSecret(ref: unknown, field: string, env: NodeJS.ProcessEnv): string {
  let value: string | undefined;
  if (typeof ref === 'string') value = ref;
  else if (ref !== null && typeof ref === 'object' && 'env' in ref && typeof ref.env === 'string') {
    value = env[ref.env];
    if (value === undefined || value === '')
      throw new ConnectorConfigError(`${field}: environment variable ${ref.env} is not set`);
  } else if (ref !== null && typeof ref === 'object' && 'file' in ref && typeof ref.file === 'string') {
    try {
      value = readFileSync(ref.file, 'utf8').trim();
    } catch {
      throw new ConnectorConfigError(`${field}: cannot read secret file ${ref.file}`);
    }
  } else {
    throw new ConnectorConfigError(`${field} must be a string, {"env": NAME} or {"file": PATH}`);
  }
  if (value === '' || value.length > SECRET_CHARS_MAX)
    throw new ConnectorConfigError(`${field} must be 1 to ${SECRET_CHARS_MAX} characters`);
  return value;
}

/** The settings object of one connector entry, read field by field with one-line errors. */
export class Settings {
  constructor(
    private readonly raw: Record<string, unknown>,
    private readonly prefix: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  string(name: string, fallback?: string): string {
    const value = this.raw[name] ?? fallback;
    if (typeof value !== 'string' || value === '' || value.length > 2_048)
      throw new ConnectorConfigError(`${this.prefix}.${name} must be a non-empty string`);
    return value;
  }

  url(name: string, fallback?: string): string {
    const value = this.string(name, fallback);
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConnectorConfigError(`${this.prefix}.${name} must be an http or https URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new ConnectorConfigError(`${this.prefix}.${name} must be an http or https URL`);
    return value.replace(/\/+$/, '');
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new ConnectorConfigError(`${this.prefix}.${name} must be an integer from ${min} to ${max}`);
    }
    return value;
  }

  secret(name: string): string {
    return readSecret(this.raw[name], `${this.prefix}.${name}`, this.env);
  }

  optionalSecret(name: string): string | undefined {
    return this.raw[name] === undefined ? undefined : this.secret(name);
  }
}
