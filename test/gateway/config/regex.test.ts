/**
 * Regular expressions from config run in linear time, or are refused at validation with a problem
 * that says why. Every place config names a regex (path `~…`, header match, cors origin,
 * traffic-split, proxy-rewrite) goes through the same compiler, so each catastrophic pattern is
 * tried in each place. A backtracking engine needs years for these inputs; here each one is answered.
 */
import { TargetRegistry } from '../../../gateway/src/data-plane/upstream';
import { compileRegex } from '../../../gateway/src/config/regex';
import { check, chainFor, documentWith, fakeContext } from '../plugins/harness';
import { compileRoutes } from '../data-plane/snapshot/config';

const N = 50_000;

/** Nested and overlapping quantifiers, alternation under a star: accepted, and matched in linear time. */
const LINEAR: readonly { pattern: string; attack: string; matches: boolean }[] = [
  { pattern: '^(a+)+$', attack: 'a'.repeat(N) + '!', matches: false },
  { pattern: '(a|a)*$', attack: 'a'.repeat(N) + '!', matches: true },
  { pattern: '(a|aa)+$', attack: 'a'.repeat(N) + '!', matches: false },
  { pattern: '(.*a){12}', attack: 'a'.repeat(11) + 'b'.repeat(N), matches: false },
  { pattern: '^(\\w+\\s?)*$', attack: 'a'.repeat(N) + '!', matches: false },
  { pattern: '(x+x+)+y', attack: 'x'.repeat(N), matches: false },
  { pattern: '^(\\d+)*[a-z]$', attack: '1'.repeat(N) + '!', matches: false },
  { pattern: '^(([a-z])+.)+[A-Z]([a-z])+$', attack: 'a'.repeat(N) + '!', matches: false },
];

/** What needs backtracking (or an enormous automaton): refused, saying why. */
const REFUSED: readonly { pattern: string; message: RegExp }[] = [
  { pattern: '^(a+)\\1$', message: /^back-references are not allowed: matching them needs backtracking/ },
  { pattern: '^(?<x>a+)\\k<x>$', message: /^back-references are not allowed/ },
  { pattern: '^(?=(a+))\\1b', message: /^back-references are not allowed|^look-ahead and look-behind are not allowed/ },
  { pattern: '^(?!b)(a|aa)+$', message: /^look-ahead and look-behind are not allowed: they need backtracking/ },
  { pattern: '(?<=a)b', message: /^look-ahead and look-behind are not allowed/ },
  { pattern: '((a{100}){100}){100}', message: /^a counted repetition is too large/ },
  { pattern: '\\w{100}'.repeat(11), message: /^the expression compiles to 1\d{3} instructions \(at most 1000\): matching time grows with that size/ },
];

const registry = new TargetRegistry();
afterAll(() => registry.closeAll());

describe('the config regex compiler', () => {
  test.each(LINEAR)('$pattern is accepted and answers a hostile input in linear time', ({ pattern, attack, matches }) => {
    const compiled = compileRegex(pattern);
    if (!compiled.ok) throw new Error(compiled.message);
    expect(compiled.regex.test(attack)).toBe(matches);
  });

  test.each(REFUSED)('$pattern is refused with the reason', ({ pattern, message }) => {
    const compiled = compileRegex(pattern);
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) {
      expect(compiled.message).toMatch(message);
      expect(compiled.fix).toMatch(/^(rewrite|use)/);
    }
  });

  test('a syntax error names the RE2 syntax in its fix', () => {
    expect(compileRegex('(')).toEqual({
      ok: false,
      message: 'invalid regular expression: missing closing ): `(`.',
      fix: 'correct the expression (RE2 syntax: JavaScript syntax without back-references and look-around; `(?<name>…)` names a group).',
    });
  });
});

describe('every place config names a regex uses it', () => {
  test.each(LINEAR)('route header match $pattern: a hostile header value is answered', ({ pattern, attack, matches }) => {
    const s = compileRoutes(registry, [{ id: 'h', paths: ['/h'], headers: [{ name: 'x-v', regex: pattern }] }]);
    expect(s.match('GET', undefined, '/h', { 'x-v': attack })?.route.id).toBe(matches ? 'h' : undefined);
  });

  test.each(LINEAR)('route path ~$pattern: a hostile path is answered', ({ pattern, attack, matches }) => {
    const s = compileRoutes(registry, [{ id: 'p', paths: [`~${pattern}`] }]);
    expect(s.match('GET', undefined, attack, {})?.route.id).toBe(matches ? 'p' : undefined);
  });

  test('path regexes keep their named groups as parameters', () => {
    const s = compileRoutes(registry, [{ id: 'v', paths: ['~^/v(?<major>[0-9]+)/(?P<rest>.*)$'] }]);
    expect({ ...s.match('GET', undefined, '/v2/items/1', {})?.params }).toEqual({ major: '2', rest: 'items/1' });
  });

  test.each(REFUSED)('$pattern is refused at each place with its JSON path', ({ pattern, message }) => {
    const document = {
      upstreams: [{ id: 'main', targets: [{ host: '127.0.0.1', port: 9 }] }, { id: 'canary', targets: [{ host: '127.0.0.1', port: 10 }] }],
      routes: [
        { id: 'p', paths: [`~${pattern}`], upstream: 'main' },
        { id: 'h', paths: ['/h'], upstream: 'main', headers: [{ name: 'x-v', regex: pattern }] },
        {
          id: 'plugins',
          paths: ['/x'],
          upstream: 'main',
          plugins: {
            cors: { allowOrigins: [`~${pattern}`] },
            'traffic-split': { rules: [{ match: [{ header: 'x-v', regex: pattern }], upstreams: [{ upstream: 'canary' }] }] },
            'proxy-rewrite': { regex: { pattern, replacement: '/' } },
          },
        },
      ],
    };
    const { problems } = check(document);
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        '/routes/0/paths/0',
        '/routes/1/headers/0/regex',
        '/routes/2/plugins/cors/allowOrigins/0',
        '/routes/2/plugins/proxy-rewrite/regex/pattern',
        '/routes/2/plugins/traffic-split/rules/0/match/0/regex',
      ].sort(),
    );
    for (const p of problems) expect(p.message).toMatch(message);
  });

  test('cors, traffic-split and proxy-rewrite answer a hostile value', async () => {
    const attack = 'a'.repeat(N) + '!';
    const { chain, config } = chainFor(
      documentWith({
        cors: { allowOrigins: ['~^(a+)+$'] },
        'traffic-split': { rules: [{ match: [{ header: 'x-v', regex: '^(a+)+$' }], upstreams: [{ upstream: 'canary' }] }] },
        'proxy-rewrite': { regex: { pattern: '(a|aa)+$', replacement: '/b' } },
      }),
    );
    const ctx = fakeContext(config, { path: `/api/${attack}`, headers: { origin: attack, 'x-v': attack } });
    ctx.upstreamPath = `/api/${attack}`;
    expect(await chain.rewrite(ctx)).toBeUndefined();
    expect(await chain.access(ctx)).toBeUndefined();
    expect(ctx.responseHeaders['access-control-allow-origin']).toBeUndefined();
    expect(ctx.upstreamOverride).toBeUndefined();
    expect(ctx.upstreamPath).toBe(`/api/${attack}`);
  });

  test('proxy-rewrite replaces the first match with $1 and $<name> as before', async () => {
    const { chain, config } = chainFor(documentWith({ 'proxy-rewrite': { regex: { pattern: '^/api/(?<ver>v[0-9]+)/(.*)$', replacement: '/$<ver>-x/$2' } } }));
    const ctx = fakeContext(config, { path: '/api/v1/items' });
    await chain.rewrite(ctx);
    expect(ctx.upstreamPath).toBe('/v1-x/items');
  });
});
