import { normalizePhone } from '../core/phone.js';
import type { Tx } from '../store/database.js';

export interface SmsMessage {
  id: string;
  phone: string;
  body: string;
  createdAt: string;
}

/** The sandbox SMS inbox, newest first. */
export async function listSms(tx: Tx, phoneRaw: string | undefined, limit: number): Promise<SmsMessage[]> {
  let query = tx.selectFrom('sms').selectAll().orderBy('created_at_ms', 'desc').orderBy('id', 'desc').limit(limit);
  if (phoneRaw !== undefined && phoneRaw !== '') query = query.where('phone', '=', normalizePhone(phoneRaw) ?? phoneRaw);
  const rows = await query.execute();
  return rows.map((row) => ({ id: row.id, phone: row.phone, body: row.body, createdAt: new Date(Number(row.created_at_ms)).toISOString() }));
}
