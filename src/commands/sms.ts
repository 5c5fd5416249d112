import { normalizePhone } from '../core/phone.js';
import type { Tx } from '../store/database.js';
import { prepared } from '../store/prepared.js';

export interface SmsMessage {
  id: string;
  phone: string;
  body: string;
  createdAt: string;
}

const inbox = prepared((tx, p: { limit: number; phone?: string | undefined }) => {
  let query = tx
    .selectFrom('sms')
    .selectAll()
    .orderBy('created_at_ms', 'desc')
    .orderBy('id', 'desc')
    .limit(p.limit);
  if (p.phone !== undefined) query = query.where('phone', '=', p.phone);
  return query;
});

/** The sandbox SMS inbox, newest first. */
export async function listSms(tx: Tx, phoneRaw: string | undefined, limit: number): Promise<SmsMessage[]> {
  const phone =
    phoneRaw !== undefined && phoneRaw !== '' ? (normalizePhone(phoneRaw) ?? phoneRaw) : undefined;
  const rows = await inbox.rows(tx, { limit, phone });
  return rows.map((row) => ({
    id: row.id,
    phone: row.phone,
    body: row.body,
    createdAt: new Date(Number(row.created_at_ms)).toISOString(),
  }));
}
