/**
 * The OpenAPI 3 document of the admin API, built from the routes as they are registered: the TypeBox
 * schemas are JSON Schema already, so no second description is kept by hand.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every admin operation registered, with its access level (tests walk this list). */
    adminOperations: readonly { method: string; url: string; access: string }[];
  }
}

interface Operation {
  method: string;
  url: string;
  schema: Record<string, unknown>;
  access: string;
}

/** JSON Schema → OpenAPI 3.0 schema: drops keys OpenAPI 3.0 does not know. */
const clean = (schema: unknown) => JSON.parse(JSON.stringify(schema ?? {}), (k, v: unknown) => (k === '$id' || k === 'env' ? undefined : v));

/** Collects operations from `onRoute` and serves `/admin/v1/openapi.json`. */
export function registerOpenApi(app: FastifyInstance): void {
  const operations: Operation[] = [];
  app.decorate('adminOperations', operations);
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/admin/')) return;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      operations.push({ method: method.toLowerCase(), url: route.url, schema: (route.schema ?? {}) as Record<string, unknown>, access: route.config?.access ?? 'read' });
    }
  });
  let document: object | undefined;
  app.get('/admin/v1/openapi.json', { config: { access: 'read' }, schema: { tags: ['meta'], summary: 'This document' } }, async () => {
    document ??= build(operations);
    return document;
  });
}

function build(operations: readonly Operation[]): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const op of operations) {
    const path = op.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const params = [...op.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const write = op.access === 'write';
    const query = write
      ? [
          { name: 'dryRun', in: 'query', schema: { type: 'boolean' }, description: 'validate and return the diff without applying' },
          { name: 'allowDrop', in: 'query', schema: { type: 'boolean' }, description: 'mark the version as an intended drop of most routes' },
          { name: 'message', in: 'query', schema: { type: 'string' }, description: 'recorded with the version' },
          { name: 'If-Match', in: 'header', schema: { type: 'string' }, description: 'the ETag (version) you read; 412 if it moved' },
        ]
      : op.method === 'get'
        ? [{ name: 'secrets', in: 'query', schema: { type: 'string', enum: ['placeholder', 'plaintext'] }, description: 'secrets show as "(secret)"; `plaintext` (admin tokens only) shows them in clear' }]
        : [];
    (paths[path] ??= {})[op.method] = {
      tags: op.schema.tags,
      summary: op.schema.summary,
      security: [{ bearer: [] }],
      parameters: [...params, ...query],
      ...(op.schema.body ? { requestBody: { required: true, content: { 'application/json': { schema: clean(op.schema.body) }, 'application/yaml': { schema: clean(op.schema.body) } } } } : {}),
      responses: {
        '200': { description: 'OK' },
        '400': { description: 'invalid input; `problems` lists each with its JSON path and a fix' },
        '401': { description: 'no or unknown bearer token' },
        ...(write ? { '403': { description: 'the token is a viewer token' }, '409': { description: 'conflict (exists, in use, drops most routes, or the config is file-managed in standalone)' }, '412': { description: 'If-Match does not match the current version' }, '413': { description: 'body too large' } } : {}),
        '503': { description: 'the config store is unavailable' },
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Gatehouse admin API', version: '1' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
