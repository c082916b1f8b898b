/**
 * A kind of admin resource (routes, upstreams, consumers, global plugins) as the shared CRUD sees it.
 * Each resource file only declares its schema and its checks; `crud.ts` does the rest.
 */
import type { TSchema } from '@sinclair/typebox';
import type { GatewayConfig } from '../../config/schema';
import type { Problem } from '../../core/errors';
import { emptyDocument } from '../../store/types';

export interface ResourceKind {
  /** URL segment, e.g. `routes`. */
  readonly name: string;
  /** Where the items live in the document. */
  readonly key: ArrayKey | 'plugins';
  /** For messages and response keys, e.g. `route`. */
  readonly singular: string;
  /** Schema of one item (documentation; the whole document is validated on every write). */
  readonly schema: TSchema;
  /** Whether `POST /admin/v1/<name>` creates an item whose id is in the body. */
  readonly postable: boolean;
  list(doc: GatewayConfig): unknown[];
  get(doc: GatewayConfig, id: string): unknown | undefined;
  /** The id a POST body names, or undefined. */
  idFromBody(body: unknown): string | undefined;
  /** Problems with the body given the URL id (for example a different id inside), or empty. */
  checkBody(body: unknown, id: string): Problem[];
  /** A new document with the item created or replaced; never mutates `doc`. */
  put(doc: GatewayConfig, id: string, body: unknown): GatewayConfig;
  /** A new document without the item; never mutates `doc`. */
  remove(doc: GatewayConfig, id: string): GatewayConfig;
  /** Problems that forbid the delete (for example references to the item), or empty. */
  checkDelete(doc: GatewayConfig, id: string): Problem[];
  /** A document holding only this item (empty when there is none): what a write answer shows, at the cost of one item. */
  only(doc: GatewayConfig, id: string): GatewayConfig;
}

type ArrayKey = 'routes' | 'upstreams' | 'consumers';

/** A resource stored as an array of objects with an `id` in the document. */
export function arrayResource(
  key: ArrayKey,
  singular: string,
  schema: TSchema,
  checkDelete: (doc: GatewayConfig, id: string) => Problem[] = () => [],
): ResourceKind {
  const items = (doc: GatewayConfig) => doc[key] as { id: string }[];
  return {
    name: key,
    key,
    singular,
    schema,
    postable: true,
    list: items,
    get: (doc, id) => items(doc).find((i) => i.id === id),
    idFromBody: (body) => (body && typeof body === 'object' && typeof (body as { id?: unknown }).id === 'string' ? (body as { id: string }).id : undefined),
    checkBody(body, id) {
      if (!body || typeof body !== 'object' || Array.isArray(body))
        return [{ path: '', message: `the ${singular} must be a JSON object.`, fix: `send the ${singular} as an object.` }];
      const inner = (body as { id?: unknown }).id;
      if (inner !== undefined && inner !== id)
        return [{ path: '/id', message: `the body's id "${String(inner)}" differs from the URL's "${id}".`, fix: 'remove id from the body or make it equal to the URL.' }];
      return [];
    },
    put(doc, id, body) {
      const item = { ...(body as object), id };
      const list = items(doc);
      const i = list.findIndex((x) => x.id === id);
      const next = i < 0 ? [...list, item] : list.map((x, j) => (j === i ? item : x));
      return { ...doc, [key]: next };
    },
    remove: (doc, id) => ({ ...doc, [key]: items(doc).filter((x) => x.id !== id) }),
    checkDelete,
    only: (doc, id) => ({ ...emptyDocument(), [key]: items(doc).filter((x) => x.id === id) }),
  };
}
