import type { FastifyRequest } from 'fastify';
import { STATEMENT_BYTES_MAX } from '../../core/reconciliation.js';
import { type MultipartBody, boundaryOf, parseMultipart } from './multipart.js';

/**
 * The console's `multipart/form-data` parser, for the reconciliation upload only: any other console
 * path, a body over the statement's limit (plus room for the form's other fields), or a body that
 * is not well-formed multipart is refused before any handler runs (Fastify answers 413 or 415, and
 * the console's error page is shown).
 */
export const MULTIPART_BODY_BYTES_MAX = STATEMENT_BYTES_MAX + 64 * 1024;
const UPLOAD_PATHS = new Set(['/console/reconciliation']);

type Done = (error: Error | null, body?: MultipartBody) => void;

function refused(message: string, statusCode: number): Error {
  return Object.assign(new Error(message), { statusCode });
}

export function multipartParser(request: FastifyRequest, body: Buffer | string, done: Done): void {
  const path = request.url.split('?', 1)[0] ?? '';
  if (!UPLOAD_PATHS.has(path)) return done(refused('no upload here', 415));
  const boundary = boundaryOf(request.headers['content-type']);
  const parsed =
    boundary === undefined
      ? undefined
      : parseMultipart(typeof body === 'string' ? Buffer.from(body, 'latin1') : body, boundary);
  if (parsed === undefined) return done(refused('the form could not be read', 400));
  done(null, parsed);
}
