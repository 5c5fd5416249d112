/**
 * The settings of ADR 0020 (logs, metrics), parsed and bounded. Mistakes come back as text, which
 * config.ts turns into its ConfigError.
 */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const METRICS_TOKEN_LENGTH_MIN = 16;

export interface OpsSettings {
  /** `CAURI_LOG_LEVEL` (or the older `LOG_LEVEL`), `info` by default. */
  logLevel: LogLevel;
  /** `CAURI_ACCESS_LOG=on|off`: one JSON line per request at `info`; on by default in production, off in the sandbox. */
  accessLog: boolean;
  /** `CAURI_METRICS_TOKEN`: the bearer token `/metrics` wants, if any. */
  metricsToken: string | undefined;
}

export function opsSettingsOf(env: NodeJS.ProcessEnv, mode: 'sandbox' | 'production'): OpsSettings | string {
  const levelRaw = (env.CAURI_LOG_LEVEL ?? env.LOG_LEVEL ?? 'info').trim().toLowerCase() || 'info';
  const logLevel = LOG_LEVELS.find((level) => level === levelRaw);
  if (logLevel === undefined)
    return `CAURI_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not "${levelRaw}"`;
  const accessRaw = (env.CAURI_ACCESS_LOG ?? '').trim().toLowerCase();
  if (!['', 'on', 'off', '1', '0', 'true', 'false'].includes(accessRaw))
    return `CAURI_ACCESS_LOG must be on or off, not "${accessRaw}"`;
  const accessLog = accessRaw === '' ? mode === 'production' : ['on', '1', 'true'].includes(accessRaw);
  const token = env.CAURI_METRICS_TOKEN === '' ? undefined : env.CAURI_METRICS_TOKEN;
  if (
    token !== undefined &&
    (token.length < METRICS_TOKEN_LENGTH_MIN || token.length > 512 || !/^[\x21-\x7e]+$/.test(token))
  ) {
    return `CAURI_METRICS_TOKEN must be ${METRICS_TOKEN_LENGTH_MIN} to 512 printable characters without spaces`;
  }
  return { logLevel, accessLog, metricsToken: token };
}
