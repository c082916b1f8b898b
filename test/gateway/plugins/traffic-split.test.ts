import { chainFor, check, decide, documentWith, fakeContext, filled } from './harness';

describe('traffic-split', () => {
  it('accepts the minimal config and fills defaults', () => {
    expect(filled('traffic-split', { rules: [{ upstreams: [{ upstream: 'canary' }] }] })).toEqual({ rules: [{ match: [], upstreams: [{ upstream: 'canary', weight: 1 }] }] });
  });

  it('rejects a wrong type with the exact message', () => {
    expect(check(documentWith({ 'traffic-split': { rules: [{ upstreams: [{ weight: 'half' }] }] } })).problems).toEqual([
      { path: '/routes/0/plugins/traffic-split/rules/0/upstreams/0/weight', message: 'must be integer.', fix: 'use a value of type integer.' },
    ]);
  });

  it('rejects references to upstreams that do not exist', () => {
    expect(check(documentWith({ 'traffic-split': { rules: [{ upstreams: [{ upstream: 'nope' }] }] } })).problems).toEqual([
      {
        path: '/routes/0/plugins/traffic-split/rules/0/upstreams/0/upstream',
        message: 'upstream "nope" does not exist.',
        fix: 'define an upstream with id "nope" or reference one of the existing upstreams.',
      },
    ]);
  });

  it('splits by weight exactly (1 in 5 to the canary), the rest staying on the route upstream', async () => {
    const { chain, config } = chainFor(documentWith({ 'traffic-split': { rules: [{ upstreams: [{ upstream: 'canary', weight: 1 }, { weight: 4 }] }] } }));
    const picks: (string | undefined)[] = [];
    for (let i = 0; i < 100; i++) {
      const ctx = fakeContext(config);
      await decide(chain, ctx);
      picks.push(ctx.upstreamOverride);
    }
    expect(picks.filter((p) => p === 'canary')).toHaveLength(20);
    expect(picks.filter((p) => p === undefined)).toHaveLength(80);
  });

  it('routes matching headers and cookies to the canary', async () => {
    const rules = [
      { match: [{ header: 'X-Canary', value: 'yes' }], upstreams: [{ upstream: 'canary' }] },
      { match: [{ cookie: 'beta', regex: '^(1|true)$' }], upstreams: [{ upstream: 'canary' }] },
    ];
    const { chain, config } = chainFor(documentWith({ 'traffic-split': { rules } }));
    const cases: [Record<string, string>, string | undefined][] = [
      [{ 'x-canary': 'yes' }, 'canary'],
      [{ 'x-canary': 'no' }, undefined],
      [{ cookie: 'a=1; beta=true' }, 'canary'],
      [{ cookie: 'beta=0' }, undefined],
      [{}, undefined],
    ];
    for (const [headers, expected] of cases) {
      const ctx = fakeContext(config, { headers });
      await decide(chain, ctx);
      expect(ctx.upstreamOverride).toBe(expected);
    }
  });
});
