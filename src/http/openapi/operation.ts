import type { TSchema } from 'typebox';

/**
 * The shape of one operation of the OpenAPI document: document.ts lists and renders them, and each
 * *-operations.ts file declares a family of them. In a file of its own so that the families need
 * not import the document that imports them.
 */
export type Method = 'get' | 'post' | 'put';

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description: string;
  schema: TSchema;
}

export interface ResponseSpec {
  description: string;
  /** `application/json` unless told. */
  contentType?: string;
  schema?: TSchema;
  headers?: Record<string, string>;
}

export interface Operation {
  method: Method;
  /** The OpenAPI path, `{name}` for parameters. */
  path: string;
  /** The Fastify route serving it, when it is not `path` with `{name}` turned into `:name`. */
  route?: string;
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  /** Sends Apikey and Authorization: Bearer. */
  authenticated: boolean;
  /** Served in sandbox mode only. */
  sandboxOnly?: boolean;
  parameters?: Parameter[];
  requestBody?: { schema: TSchema; contentType?: string; required: boolean; description?: string };
  responses: Record<string, ResponseSpec> & { '200': ResponseSpec };
}
