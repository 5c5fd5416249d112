import type { Form } from './form.js';

/**
 * A bounded `multipart/form-data` reader (RFC 7578) for the console's one upload, the operator
 * statement of the reconciliation page: text fields become form fields as an urlencoded form's
 * would, file parts are kept as UTF-8 text. Fastify has already bounded the body's size; this
 * bounds the number of parts and refuses anything it cannot read rather than guessing.
 */
export const MULTIPART_PARTS_MAX = 16;
const FIELD_CHARS_MAX = 4096;

export interface UploadedFile {
  filename: string;
  content: string;
}

export interface MultipartBody {
  multipart: true;
  fields: Form;
  files: Record<string, UploadedFile>;
}

export function isMultipartBody(value: unknown): value is MultipartBody {
  return typeof value === 'object' && value !== null && (value as { multipart?: unknown }).multipart === true;
}

export function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType ?? '');
  return match?.[1] ?? match?.[2];
}

/** The parts of a body, or undefined when it is not well-formed multipart with `boundary`. */
export function parseMultipart(body: Buffer, boundary: string): MultipartBody | undefined {
  const fields = Object.create(null) as Form;
  const files = Object.create(null) as Record<string, UploadedFile>;
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  if (at < 0) return undefined;
  for (let parts = 0; ; parts++) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString('latin1') === '--') return { multipart: true, fields, files };
    if (parts >= MULTIPART_PARTS_MAX) return undefined;
    if (body.subarray(at, at + 2).toString('latin1') !== '\r\n') return undefined;
    const headersEnd = body.indexOf('\r\n\r\n', at + 2);
    if (headersEnd < 0) return undefined;
    const headers = body.subarray(at + 2, headersEnd).toString('utf8');
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headersEnd + 4);
    if (next < 0) return undefined;
    const content = body.subarray(headersEnd + 4, next);
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? '';
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) return undefined;
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    if (filename !== undefined) files[name] = { filename, content: content.toString('utf8') };
    else (fields[name] ??= []).push(content.toString('utf8').slice(0, FIELD_CHARS_MAX));
    at = next + 2;
  }
}
