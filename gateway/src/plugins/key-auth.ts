/**
 * key-auth: a consumer presents an API key in a header (or, if enabled, a query parameter).
 * Keys are stored hashed: a plain `key` in a consumer's config is replaced by its `keyHash` when the
 * config is checked, and requests are matched by hashing the presented key and looking it up in the
 * document's consumer index (one per document, shared by every key-auth route).
 */
import { Type, type Static } from '@sinclair/typebox';
import { HeaderName } from '../config/http-fields';
import type { ConsumerConfig } from '../config/schema';
import { admitConsumer, consumerIndex, duplicateCredentials, headerValue, queryParam, unauthorized, withoutQueryParam } from './auth';
import { hashKey, KEY_HASH_PATTERN } from './credentials';
import type { GatewayPlugin, PluginLogger } from './contract';

export const KeyAuthSchema = Type.Object(
  {
    header: HeaderName({ default: 'x-api-key', description: 'header carrying the key' }),
    query: Type.Optional(Type.String({ minLength: 1, maxLength: 256, description: 'query parameter also accepted (when the header is absent)' })),
    hideCredentials: Type.Boolean({ default: true, description: 'remove the key (header or query parameter) before forwarding' }),
  },
  { additionalProperties: false },
);

export const KeyAuthConsumerSchema = Type.Object(
  {
    key: Type.Optional(Type.String({ minLength: 16, maxLength: 512, description: 'the key in clear (replaced by keyHash when the config is stored)' })),
    keyHash: Type.Optional(Type.String({ pattern: KEY_HASH_PATTERN, description: '"sha256$<hex>" of the key (npm run hash-credential -- key)' })),
  },
  { additionalProperties: false },
);

export type KeyAuthConfig = Static<typeof KeyAuthSchema>;
export type KeyAuthConsumer = Static<typeof KeyAuthConsumerSchema>;

interface PreparedKeyAuth {
  readonly header: string;
  readonly query?: string;
  readonly hideCredentials: boolean;
  readonly logger?: PluginLogger;
}

function hashOf(slot: KeyAuthConsumer): string | undefined {
  return slot.keyHash ?? (slot.key !== undefined ? hashKey(slot.key) : undefined);
}

function storedHash(c: ConsumerConfig): string | undefined {
  const slot = c.plugins?.['key-auth'] as KeyAuthConsumer | undefined;
  return slot && hashOf(slot);
}

const duplicates = new WeakMap<object, Map<number, number>>();

export const keyAuth: GatewayPlugin<KeyAuthConfig, PreparedKeyAuth, KeyAuthConsumer> = {
  name: 'key-auth',
  priority: 2500,
  schema: KeyAuthSchema,
  consumerSchema: KeyAuthConsumerSchema,

  checkConsumer(conf, { path, document }) {
    if ((conf.key === undefined) === (conf.keyHash === undefined))
      return [{ path, message: 'give exactly one of key and keyHash.', fix: 'set key (a random value of 16+ characters) or keyHash ("sha256$<hex>").' }];
    const index = consumerIndex(path);
    if (document && index !== undefined) {
      const prev = duplicateCredentials(duplicates, document.consumers, storedHash).get(index);
      if (prev !== undefined)
        return [{ path, message: `this key is also the key of consumer "${document.consumers[prev]!.id}".`, fix: 'give every consumer its own key.' }];
    }
    return { value: { keyHash: conf.keyHash ?? hashKey(conf.key!) } };
  },

  prepare(conf, { services }) {
    return { header: conf.header.toLowerCase(), query: conf.query, hideCredentials: conf.hideCredentials, logger: services.logger };
  },

  credentialOf: hashOf,

  access(ctx, conf) {
    let key = headerValue(ctx, conf.header);
    const fromQuery = key === undefined && conf.query !== undefined;
    if (fromQuery) key = queryParam(ctx.query, conf.query!);
    if (!key) return unauthorized(conf.logger, ctx, 'key-auth', 'no key presented');
    const consumer = ctx.consumerIndex.find('key-auth', hashKey(key)) as ConsumerConfig | undefined;
    if (!consumer) return unauthorized(conf.logger, ctx, 'key-auth', 'unknown key');
    if (conf.hideCredentials) {
      delete ctx.headers[conf.header];
      if (fromQuery) ctx.query = withoutQueryParam(ctx.query, conf.query!);
    }
    admitConsumer(ctx, consumer);
    return undefined;
  },
};
