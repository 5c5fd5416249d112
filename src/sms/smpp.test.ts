import { describe, expect, it } from 'vitest';
import {
  parseReceipt,
  sameMessageId,
  smppEndpoint,
  sourceAddress,
  statusName,
  submitFields,
  SmppConfigError,
} from './smpp.js';

const text = (stat: string, err = '000'): string =>
  `id:1a2b3c sub:001 dlvrd:001 submit date:2612040330 done date:2612040331 stat:${stat} err:${err} text:482913 est votre c`;

describe('SMPP delivery receipts', () => {
  it('reads the Appendix B text, without its text field', () => {
    expect(parseReceipt({ short_message: { message: text('DELIVRD') } })).toEqual({
      providerMessageId: '1a2b3c',
      state: 'delivered',
      detail: 'stat:DELIVRD err:000',
    });
    for (const stat of ['UNDELIV', 'REJECTD', 'EXPIRED', 'DELETED', 'UNKNOWN']) {
      expect(parseReceipt({ short_message: { message: text(stat, '011') } })).toEqual({
        providerMessageId: '1a2b3c',
        state: 'failed',
        detail: `stat:${stat} err:011`,
      });
    }
    expect(JSON.stringify(parseReceipt({ short_message: { message: text('DELIVRD') } }))).not.toContain(
      '482913',
    );
  });

  it('ignores intermediate states and texts that are not receipts', () => {
    expect(parseReceipt({ short_message: { message: text('ENROUTE') } })).toBeUndefined();
    expect(parseReceipt({ short_message: { message: text('ACCEPTD') } })).toBeUndefined();
    expect(parseReceipt({ short_message: { message: 'hello' } })).toBeUndefined();
    expect(parseReceipt({})).toBeUndefined();
  });

  it('prefers the receipted_message_id and message_state TLVs, and reads message_payload', () => {
    expect(
      parseReceipt({
        receipted_message_id: 'ABC',
        message_state: 5,
        short_message: { message: text('DELIVRD') },
      }),
    ).toEqual({
      providerMessageId: 'ABC',
      state: 'failed',
      detail: 'stat:UNDELIV err:000',
    });
    expect(parseReceipt({ receipted_message_id: 'ABC', message_state: 2 })).toEqual({
      providerMessageId: 'ABC',
      state: 'delivered',
      detail: 'stat:DELIVRD',
    });
    expect(parseReceipt({ message_payload: { message: text('REJECTD') } })?.state).toBe('failed');
  });
});

describe('SMPP message ids', () => {
  it('matches a receipt id given exactly, in another case, or in decimal for a hexadecimal id', () => {
    expect(sameMessageId('5a3c0001', '5a3c0001')).toBe(true);
    expect(sameMessageId('5A3C0001', '5a3c0001')).toBe(true);
    expect(sameMessageId('5a3c0001', String(0x5a3c0001))).toBe(true);
    expect(sameMessageId('5a3c0001', '5a3c0002')).toBe(false);
    expect(sameMessageId('msg-1', '1')).toBe(false);
  });
});

describe('SMPP addressing and coding', () => {
  it('parses the SMSC URL', () => {
    expect(smppEndpoint('smpp://smsc.example.test')).toEqual({
      host: 'smsc.example.test',
      port: 2775,
      tls: false,
    });
    expect(smppEndpoint('smpps://smsc.example.test:3551')).toEqual({
      host: 'smsc.example.test',
      port: 3551,
      tls: true,
    });
    expect(() => smppEndpoint('smpp://user:pw@smsc')).toThrow(SmppConfigError);
    expect(() => smppEndpoint('tcp://smsc')).toThrow(SmppConfigError);
  });

  it('types the sender', () => {
    expect(sourceAddress('LIGDICASH')).toEqual({ ton: 5, npi: 0 });
    expect(sourceAddress('22625000000')).toEqual({ ton: 1, npi: 1 });
    expect(() => sourceAddress('TWELVECHARSX')).toThrow(SmppConfigError);
    expect(() => sourceAddress('+226')).toThrow(SmppConfigError);
  });

  it('chooses GSM 03.38 or UCS2, short_message or message_payload', () => {
    const base = { to: '22670123456', deliveryId: 'sms_1' };
    expect(submitFields({ ...base, body: 'Code 482913' }, 'LIGDICASH')).toMatchObject({
      data_coding: 0,
      short_message: { message: 'Code 482913' },
    });
    expect(submitFields({ ...base, body: 'Code 482913 ✓' }, 'LIGDICASH')).toMatchObject({ data_coding: 8 });
    expect(submitFields({ ...base, body: 'x'.repeat(160) }, 'LIGDICASH')).toHaveProperty('short_message');
    expect(submitFields({ ...base, body: 'x'.repeat(161) }, 'LIGDICASH')).toHaveProperty('message_payload');
    // The GSM extension characters take two septets each.
    expect(submitFields({ ...base, body: '€'.repeat(81) }, 'LIGDICASH')).toHaveProperty('message_payload');
    expect(submitFields({ ...base, body: 'é'.repeat(71) }, 'LIGDICASH')).toMatchObject({
      data_coding: 0,
      short_message: {},
    });
    expect(submitFields({ ...base, body: 'Code' }, 'LIGDICASH', 300)).toMatchObject({
      validity_period: '000000000500000R',
    });
  });

  it('names command statuses', () => {
    expect(statusName(0x58)).toBe('ESME_RTHROTTLED (0x00000058)');
    expect(statusName(0x4242)).toBe('0x00004242');
  });
});
