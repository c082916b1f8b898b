/** The secret-field walker and the `Secret` schema mark, over a real config document and the real plugins. */
import { Type } from '@sinclair/typebox';
import { validateConfig } from '../../../gateway/src/config';
import { parseSecretValue, Secret, secretFields } from '../../../gateway/src/config/secrets';
import { createPluginRegistry, BUILTIN_PLUGINS, type AnyPlugin } from '../../../gateway/src/plugins';

const SECRET = 'a-very-long-hs256-secret-0123456789';

// A plugin with a secret in its route/global config, to show route and global slots are walked too.
const vault: AnyPlugin = {
  name: 'vault-demo',
  priority: 1,
  schema: Type.Object({ token: Secret(Type.String({ minLength: 8 })), nested: Type.Optional(Type.Array(Type.Object({ key: Secret(Type.String()) }))) }, { additionalProperties: false }),
};
const registry = createPluginRegistry({}, [...BUILTIN_PLUGINS, vault]);
const slots = registry.checker.slotSchema!.bind(registry.checker);

const doc = {
  upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 9 }] }],
  routes: [{ id: 'r1', paths: ['/a/*'], upstream: 'u', plugins: { 'jwt-auth': {}, 'vault-demo': { token: 'route-token', nested: [{ key: 'k-0' }] } } }],
  consumers: [
    { id: 'bob', plugins: { 'key-auth': { key: 'bobs-key-0123456789' } } },
    { id: 'alice', plugins: { 'jwt-auth': { subject: 'alice', secret: SECRET } } },
  ],
  plugins: { 'vault-demo': { token: '$env://VAULT_TOKEN' } },
};

describe('secret fields', () => {
  it('finds every marked field: consumer, route and global slots, nested arrays; nothing else', () => {
    const checked = validateConfig(doc, registry.checker);
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    const found = secretFields(checked.value, slots).map(({ pointer, place, value }) => ({ pointer, place, value }));
    expect(found).toEqual([
      { pointer: '/routes/0/plugins/vault-demo/token', place: '/routes/[r1]/plugins/vault-demo/token', value: 'route-token' },
      { pointer: '/routes/0/plugins/vault-demo/nested/0/key', place: '/routes/[r1]/plugins/vault-demo/nested/0/key', value: 'k-0' },
      { pointer: '/consumers/1/plugins/jwt-auth/secret', place: '/consumers/[alice]/plugins/jwt-auth/secret', value: SECRET },
      { pointer: '/plugins/vault-demo/token', place: '/plugins/vault-demo/token', value: '$env://VAULT_TOKEN' },
    ]);
  });

  it('sets and removes a field in the walked document', () => {
    const copy = structuredClone(doc);
    const [, , alice] = secretFields(copy, slots);
    alice!.set('replaced');
    expect(copy.consumers[1]!.plugins['jwt-auth']).toEqual({ subject: 'alice', secret: 'replaced' });
    alice!.set(undefined);
    expect(copy.consumers[1]!.plugins['jwt-auth']).toEqual({ subject: 'alice' });
  });

  it('checks a plaintext secret against the field schema with the exact message', () => {
    const short = structuredClone(doc);
    short.consumers[1]!.plugins['jwt-auth']!.secret = 'too-short';
    const result = validateConfig(short, registry.checker);
    expect(result).toEqual({ ok: false, problems: [{ path: '/consumers/1/plugins/jwt-auth/secret', message: 'must NOT have fewer than 32 characters.', fix: 'use at least 32 character(s).' }] });
  });

  it('accepts references, envelopes and the placeholder, and rejects a malformed reference', () => {
    for (const secret of ['$env://JWT_ALICE', '$secret://aws/prod/gatehouse#alice', '$secret://aws/arn:aws:secretsmanager:eu-west-1:123:secret:x-AbC', '$enc:v1:k1:abc_-', '(secret)']) {
      const d = structuredClone(doc);
      d.consumers[1]!.plugins['jwt-auth']!.secret = secret;
      expect(validateConfig(d, registry.checker).ok).toBe(true);
    }
    const bad = structuredClone(doc);
    bad.consumers[1]!.plugins['jwt-auth']!.secret = '$env://not a name';
    const result = validateConfig(bad, registry.checker);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((p) => p.path)).toEqual(['/consumers/1/plugins/jwt-auth/secret']);
  });

  it('classifies values', () => {
    expect(parseSecretValue('$env://A_1')).toEqual({ kind: 'env', name: 'A_1' });
    expect(parseSecretValue('$secret://aws/prod/gh#jwt')).toEqual({ kind: 'aws', secretId: 'prod/gh', jsonKey: 'jwt' });
    expect(parseSecretValue('$secret://aws/plain')).toEqual({ kind: 'aws', secretId: 'plain' });
    expect(parseSecretValue('$enc:v1:k1:AAAA')).toEqual({ kind: 'envelope', kid: 'k1', payload: 'AAAA' });
    expect(parseSecretValue('(secret)')).toEqual({ kind: 'placeholder' });
    expect(parseSecretValue(SECRET)).toEqual({ kind: 'plaintext', value: SECRET });
  });
});
