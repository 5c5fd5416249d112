import type { Tx } from './database.js';
import { prepared } from './prepared.js';
import type { SmsTable } from './schema.js';

/** The sandbox's SMS inbox (the `sms` table): the "SMS" the sandbox sends land here, delivered at once. */
export interface InboxSms {
  id: string;
  phone: string;
  body: string;
  createdAtMs: number;
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

/** The inbox, newest first, of one number or of all. */
export async function inboxSms(tx: Tx, limit: number, phone: string | undefined): Promise<InboxSms[]> {
  const rows = await inbox.rows(tx, { limit, phone });
  return rows.map((row) => ({
    id: row.id,
    phone: row.phone,
    body: row.body,
    createdAtMs: Number(row.created_at_ms),
  }));
}

const insertSms = prepared((tx, row: SmsTable) => tx.insertInto('sms').values(row));

export async function insertInboxSms(tx: Tx, sms: InboxSms): Promise<void> {
  await insertSms.run(tx, { id: sms.id, phone: sms.phone, body: sms.body, created_at_ms: sms.createdAtMs });
}
