/** Change sets: diff, apply and digest agree with the whole document; change-set validation agrees with whole validation. */
import { canonicalJson } from '../../../gateway/src/core/checksum';
import {
  applyChanges,
  diffDocuments,
  documentDigest,
  documentText,
  documentTextChunks,
  resourceHashOf,
  updatedDigest,
  validateChanges,
  validateConfig,
  type GatewayConfig,
} from '../../../gateway/src/config';
import { createPluginRegistry } from '../../../gateway/src/plugins';

function valid(raw: object): GatewayConfig {
  const r = validateConfig(raw, createPluginRegistry().checker);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

const base = valid({
  upstreams: [
    { id: 'a', targets: [{ host: '127.0.0.1', port: 1 }] },
    { id: 'b', targets: [{ host: '127.0.0.1', port: 2 }] },
  ],
  routes: Array.from({ length: 10 }, (_, i) => ({ id: `r${i}`, paths: [`/r${i}`], upstream: i % 2 ? 'a' : 'b' })),
  consumers: [{ id: 'c0', plugins: { 'key-auth': { key: 'a-very-long-key-number-0' } } }],
  plugins: { cors: {} },
});

const edits: [string, (d: GatewayConfig) => GatewayConfig][] = [
  ['replace in place', (d) => ({ ...d, routes: d.routes.map((r) => (r.id === 'r3' ? { ...r, paths: ['/three'] } : r)) })],
  ['append', (d) => ({ ...d, routes: [...d.routes, { ...d.routes[0]!, id: 'new' }] })],
  ['remove from the middle', (d) => ({ ...d, routes: d.routes.filter((r) => r.id !== 'r4') })],
  ['insert at the front', (d) => ({ ...d, routes: [{ ...d.routes[0]!, id: 'first' }, ...d.routes] })],
  ['reverse (every route moves)', (d) => ({ ...d, routes: [...d.routes].reverse() })],
  ['swap two', (d) => ({ ...d, routes: d.routes.map((r, i) => (i === 2 ? d.routes[7]! : i === 7 ? d.routes[2]! : r)) })],
  ['change a global plugin', (d) => ({ ...d, plugins: { ...d.plugins, cors: { ...(d.plugins.cors as object), allowOrigins: ['https://app.example.com'] } } })],
  ['remove a global plugin', (d) => ({ ...d, plugins: {} })],
  ['remove an upstream and its routes', (d) => ({ ...d, upstreams: d.upstreams.filter((u) => u.id !== 'a'), routes: d.routes.filter((r) => r.upstream !== 'a') })],
];

describe('change sets', () => {
  it.each(edits)('rebuild the exact next document and its digest: %s', (_name, edit) => {
    const after = valid(edit(base));
    const changes = diffDocuments(base, after)!;
    const rebuilt = applyChanges(base, changes);
    expect(canonicalJson(rebuilt)).toBe(canonicalJson(after));
    const previous = changes.filter((c) => 'previous' in c).map((c) => ({ kind: c.kind, id: c.id, body: c.previous }));
    const puts = changes.filter((c) => c.body !== undefined).map((c) => ({ kind: c.kind, id: c.id, hash: resourceHashOf(c.kind, c.id, c.body) }));
    expect(updatedDigest(documentDigest(base), previous, puts)).toBe(documentDigest(after));
  });

  it('records only what changed: an unchanged resource shared or equal is not in the change set', () => {
    const after = valid(edits[0]![1](base));
    expect(diffDocuments(base, after)!.map((c) => [c.kind, c.id, c.position])).toEqual([['route', 'r3', 3]]);
    expect(diffDocuments(base, base)).toEqual([]);
  });

  it('refuses to describe a document with an id twice (validation reports it)', () => {
    expect(diffDocuments(base, { ...base, routes: [...base.routes, base.routes[0]!] })).toBeUndefined();
  });

  it('assembles the canonical text from resource texts, whole or in chunks, byte for byte', () => {
    expect(documentText(base)).toBe(canonicalJson(base));
    expect([...documentTextChunks(base, 3)].join('')).toBe(canonicalJson(base));
    const odd = { routes: [], plugins: {} } as unknown as GatewayConfig;
    expect(documentText(odd)).toBe(canonicalJson(odd));
  });

  it('gives a different digest when a resource is counted twice or its content changes', () => {
    const d = documentDigest(base);
    const h = resourceHashOf('route', 'r1', base.routes[1]);
    expect(updatedDigest(d, [], [{ kind: 'route', id: 'r1', hash: h }])).not.toBe(d);
    expect(updatedDigest(updatedDigest(d, [], [{ kind: 'route', id: 'r1', hash: h }]), [{ kind: 'route', id: 'r1', body: base.routes[1] }], [])).toBe(d);
  });
});

describe('validating a change set', () => {
  const checker = createPluginRegistry().checker;
  const cases: [string, (d: GatewayConfig) => unknown][] = [
    ...edits,
    ['a route naming a missing upstream', (d) => ({ ...d, routes: [...d.routes, { id: 'ghost', paths: ['/g'], upstream: 'nope' }] })],
    ['a route with a bad path and an unknown field', (d) => ({ ...d, routes: d.routes.map((r, i) => (i === 5 ? { ...r, paths: ['x*y'], extra: 1 } : r)) })],
    ['a bad regex path', (d) => ({ ...d, routes: [...d.routes, { id: 'rx', paths: ['~(unclosed'], upstream: 'a' }] })],
    ['a route plugin with a wrong type', (d) => ({ ...d, routes: [...d.routes, { id: 'p', paths: ['/p'], upstream: 'a', plugins: { cors: { allowOrigins: 'soon' } } }] })],
    ['an upstream whose targets all weigh 0', (d) => ({ ...d, upstreams: d.upstreams.map((u) => (u.id === 'b' ? { ...u, targets: [{ host: 'x', port: 1, weight: 0 }] } : u)) })],
    ['removing an upstream still in use', (d) => ({ ...d, upstreams: d.upstreams.filter((u) => u.id !== 'a') })],
    ['a consumer reusing a key', (d) => ({ ...d, consumers: [{ id: 'first', plugins: { 'key-auth': { key: 'a-very-long-key-number-0' } } }, ...d.consumers] })],
    ['a consumer added with a plain key (hashed)', (d) => ({ ...d, consumers: [...d.consumers, { id: 'c1', plugins: { 'key-auth': { key: 'a-very-long-key-number-1' } } }] })],
    ['a consumer appended with an earlier consumer\'s key', (d) => ({ ...d, consumers: [...d.consumers, { id: 'c1', plugins: { 'key-auth': { keyHash: (d.consumers[0]!.plugins!['key-auth'] as { keyHash: string }).keyHash } } }] })],
    ['a consumer whose key changes to a new one', (d) => ({ ...d, consumers: d.consumers.map((c) => ({ ...c, plugins: { 'key-auth': { key: 'a-very-long-key-number-9' } } })) })],
    ['two consumers put with one key', (d) => ({ ...d, consumers: [...d.consumers, { id: 'x', plugins: { 'key-auth': { key: 'a-very-long-key-number-7' } } }, { id: 'y', plugins: { 'key-auth': { key: 'a-very-long-key-number-7' } } }] })],
    ['a consumer with an unknown field and an unknown plugin', (d) => ({ ...d, consumers: [...d.consumers, { id: 'z', nick: 1 }, { id: 'w', plugins: { nope: {} } }] })],
    ['a consumer with an unusable password hash and a short key', (d) => ({ ...d, consumers: [...d.consumers, { id: 'b', plugins: { 'basic-auth': { username: 'u', passwordHash: 'scrypt$1$1$1$x$y' }, 'key-auth': { key: 'short' } } }] })],
    ['two consumers with one JWT subject, one of them existing', (d) => ({ ...d, consumers: [{ id: 'j0', plugins: { 'jwt-auth': { subject: 's', secret: 'a-long-enough-secret-0123456789abcdef' } } }, ...d.consumers, { id: 'j1', plugins: { 'jwt-auth': { subject: 's', secret: 'another-long-secret-0123456789abcdef' } } }] })],
    ['a consumer removed', (d) => ({ ...d, consumers: [] })],
  ];

  it.each(cases)('gives the answer a whole validation gives: %s', (_name, edit) => {
    const candidate = edit(base) as GatewayConfig;
    const whole = validateConfig(candidate, checker);
    const changes = diffDocuments(base, candidate);
    const partial = changes ? validateChanges(base, changes, checker) : whole;
    expect(partial.ok).toBe(whole.ok);
    if (whole.ok && partial.ok) expect(canonicalJson(partial.value)).toBe(canonicalJson(whole.value));
    if (!whole.ok && !partial.ok) expect(partial.problems).toEqual(whole.problems);
  });

  it('validates a consumer put without the whole document', () => {
    const candidate = { ...base, consumers: [...base.consumers, { id: 'c1', plugins: { 'key-auth': { key: 'a-very-long-key-number-1' } } }] } as GatewayConfig;
    const result = validateChanges(base, diffDocuments(base, candidate)!, checker);
    if (!result.ok) throw new Error('invalid');
    expect(result.whole).toBe(false);
    expect(result.value.routes).toBe(base.routes);
    expect(result.value.consumers[0]).toBe(base.consumers[0]);
  });

  it('shares every unchanged resource with the base and plans only the routes it put', () => {
    const candidate = { ...base, routes: [...base.routes, { id: 'n', paths: ['/n/:id'], upstream: 'a' }] } as GatewayConfig;
    const result = validateChanges(base, diffDocuments(base, candidate)!, checker);
    if (!result.ok) throw new Error('invalid');
    expect(result.whole).toBe(false);
    expect(result.value.routes.slice(0, 10).every((r, i) => r === base.routes[i])).toBe(true);
    expect(result.value.upstreams).toBe(base.upstreams);
    expect([...result.routePlans.keys()].map((r) => r.id)).toEqual(['n']);
  });
});
