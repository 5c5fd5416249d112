/**
 * The part of the `smpp` package (farhadi/node-smpp 0.5.x, plain JavaScript without types) that
 * Cauri uses, client and server side. Names follow the package's lib/smpp.js, lib/pdu.js and
 * lib/defs.js, which follow the SMPP v5.0 specification's parameter names.
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  namespace smpp {
    /** A decoded short_message or message_payload: the text and, for concatenated parts, the UDH. */
    interface DecodedMessage {
      message: string | Buffer;
      udh?: Buffer[];
    }

    /** One PDU. Mandatory parameters and TLVs appear as properties named as in the specification. */
    interface PDU {
      command: string;
      command_id: number;
      command_status: number;
      sequence_number: number;
      system_id?: string;
      password?: string;
      system_type?: string;
      message_id?: string;
      source_addr_ton?: number;
      source_addr_npi?: number;
      source_addr?: string;
      dest_addr_ton?: number;
      dest_addr_npi?: number;
      destination_addr?: string;
      esm_class?: number;
      registered_delivery?: number;
      data_coding?: number | null;
      validity_period?: string | Date;
      short_message?: DecodedMessage | Buffer | string;
      message_payload?: DecodedMessage | Buffer | string;
      receipted_message_id?: string;
      message_state?: number;
      isResponse(): boolean;
      response(options?: Record<string, unknown>): PDU;
    }

    type ResponseCallback = (pdu: PDU) => void;
    type Options = Record<string, unknown>;

    interface Session extends EventEmitter {
      socket: Socket;
      send(pdu: PDU, responseCallback?: ResponseCallback): boolean;
      bind_transceiver(options: Options, responseCallback?: ResponseCallback): boolean;
      bind_transceiver_resp(options: Options): boolean;
      submit_sm(options: Options, responseCallback?: ResponseCallback): boolean;
      deliver_sm(options: Options, responseCallback?: ResponseCallback): boolean;
      enquire_link(options?: Options, responseCallback?: ResponseCallback): boolean;
      unbind(options?: Options, responseCallback?: ResponseCallback): boolean;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
      pause(): void;
      resume(): void;
    }

    interface Server extends NetServer {
      sessions: Session[];
    }

    interface Encoding {
      match(value: string): boolean;
      encode(value: string): Buffer;
      decode(value: Buffer): string;
    }

    interface ConnectOptions {
      host: string;
      port: number;
      tls?: boolean;
      servername?: string;
      ca?: string;
    }
  }

  interface SmppModule {
    connect(options: smpp.ConnectOptions): smpp.Session;
    createServer(options: Record<string, unknown>, listener: (session: smpp.Session) => void): smpp.Server;
    /** Command status names (`ESME_RTHROTTLED` …) to their numbers. */
    errors: Record<string, number>;
    encodings: { ASCII: smpp.Encoding; UCS2: smpp.Encoding; LATIN1: smpp.Encoding };
  }

  const smpp: SmppModule;
  export default smpp;
}
