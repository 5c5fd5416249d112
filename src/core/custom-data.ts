import { takeRandom } from './ids.js';

/**
 * `custom_data` arrives as a JSON object of merchant keys (PHP sends `[]` when empty), is echoed
 * as an object in create responses, and as rows `{keyof_customdata, valueof_customdata,
 * datecreation_customdata}` in confirm and callbacks, with `hash` and `logfile` rows added
 * (spec §3.2, official-sdks §1).
 */
export type CustomData = Readonly<Record<string, string>>;

export const CUSTOM_DATA_KEYS_MAX = 20;
export const CUSTOM_DATA_KEY_LENGTH_MAX = 64;
export const CUSTOM_DATA_VALUE_LENGTH_MAX = 255;

/** Normalises merchant custom data; scalar values become strings, anything else is refused. */
export function parseCustomData(raw: unknown): CustomData | string {
  if (raw === undefined || raw === null || raw === '') return {};
  if (Array.isArray(raw)) return raw.length === 0 ? {} : 'custom_data must be an object';
  if (typeof raw !== 'object') return 'custom_data must be an object';
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > CUSTOM_DATA_KEYS_MAX) return `custom_data has more than ${CUSTOM_DATA_KEYS_MAX} keys`;
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > CUSTOM_DATA_KEY_LENGTH_MAX)
      return 'custom_data key length out of range';
    if (key === 'hash' || key === 'logfile') continue;
    let text: string;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
    else if (value === null) text = '';
    else return `custom_data.${key} must be a string`;
    if (text.length > CUSTOM_DATA_VALUE_LENGTH_MAX)
      return `custom_data.${key} is longer than ${CUSTOM_DATA_VALUE_LENGTH_MAX}`;
    // A key named `__proto__` is a merchant key like any other: assigned, it would be dropped (it
    // would set the object's prototype), so it is defined as an own property.
    Object.defineProperty(out, key, { value: text, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** `external_id`: the values of the keys that contain "id", concatenated in order (spec §2.3, cb-parse). */
export function externalIdOf(data: CustomData): string {
  return Object.entries(data)
    .filter(([key]) => key.toLowerCase().includes('id'))
    .map(([, value]) => value)
    .join('');
}

/** `logfile`: `YYYYMMDDHHMMSS` + PHP `uniqid()`, 13 hex digits of seconds and microseconds (spec §3.2). */
export function logfileFor(ms: number): string {
  const iso = new Date(ms).toISOString();
  const stamp = iso.slice(0, 19).replace(/[-T:]/g, '');
  const seconds = Math.floor(ms / 1000)
    .toString(16)
    .padStart(8, '0');
  const micros = ((ms % 1000) * 1000 + (takeRandom(2).readUInt16BE(0) % 1000)).toString(16).padStart(5, '0');
  return stamp + seconds + micros.slice(-5);
}

export interface CustomDataRow {
  keyof_customdata: string;
  valueof_customdata: string;
  datecreation_customdata: string;
}

/** PostgreSQL-style timestamp with microseconds, as LigdiCash prints `datecreation_customdata`. */
export function rowDate(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '000');
}

export function customDataRows(
  data: CustomData,
  extra: { hash: string; logfile: string },
  createdAtMs: number,
): CustomDataRow[] {
  const date = rowDate(createdAtMs);
  const rows = Object.entries(data).map(([key, value]) => ({
    keyof_customdata: key,
    valueof_customdata: value,
    datecreation_customdata: date,
  }));
  rows.push({ keyof_customdata: 'hash', valueof_customdata: extra.hash, datecreation_customdata: date });
  rows.push({
    keyof_customdata: 'logfile',
    valueof_customdata: extra.logfile,
    datecreation_customdata: date,
  });
  return rows;
}
