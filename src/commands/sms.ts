import { normalizePhone } from '../core/phone.js';
import type { Tx } from '../store/database.js';
import { inboxSms } from '../store/sms.js';

export interface SmsMessage {
  id: string;
  phone: string;
  body: string;
  createdAt: string;
}

/** The sandbox SMS inbox, newest first. */
export async function listSms(tx: Tx, phoneRaw: string | undefined, limit: number): Promise<SmsMessage[]> {
  const phone =
    phoneRaw !== undefined && phoneRaw !== '' ? (normalizePhone(phoneRaw) ?? phoneRaw) : undefined;
  const messages = await inboxSms(tx, limit, phone);
  return messages.map((sms) => ({
    id: sms.id,
    phone: sms.phone,
    body: sms.body,
    createdAt: new Date(sms.createdAtMs).toISOString(),
  }));
}
