import { MAX_PATH_LENGTH, normalisePath } from '../../../../gateway/src/config/routes/path';

const ok = (raw: string): string => {
  const r = normalisePath(raw);
  if (!r.ok) throw new Error(`expected ${raw} to normalise, got: ${r.reason}`);
  return r.path;
};
const rejected = (raw: string): string => {
  const r = normalisePath(raw);
  if (r.ok) throw new Error(`expected ${raw} to be rejected, got ${r.path}`);
  return r.reason;
};

describe('normalisePath', () => {
  test('returns an already normal path unchanged', () => {
    for (const p of ['/', '/api', '/api/', '/api/users/42', "/a-b_c.d~e/!$&'()*+,;=:@", '/v1.2/x.json', '/a/.well-known'])
      expect(ok(p)).toBe(p);
  });

  test('removes dot segments (RFC 3986 5.2.4)', () => {
    expect(ok('/api/../admin')).toBe('/admin');
    expect(ok('/a/./b')).toBe('/a/b');
    expect(ok('/a/b/c/./../../g')).toBe('/a/g');
    expect(ok('/a/b/..')).toBe('/a/');
    expect(ok('/a/b/.')).toBe('/a/b/');
    expect(ok('/.')).toBe('/');
    expect(ok('/a/..')).toBe('/');
    expect(ok('/a/../')).toBe('/');
    expect(ok('/./a')).toBe('/a');
  });

  test('decodes percent-encoded dots before removing dot segments', () => {
    expect(ok('/api/%2e%2e/admin')).toBe('/admin');
    expect(ok('/api/%2E%2E/admin')).toBe('/admin');
    expect(ok('/api/.%2e/admin')).toBe('/admin');
    expect(ok('/api/%2e/x')).toBe('/api/x');
  });

  test('collapses duplicate slashes and keeps a trailing slash', () => {
    expect(ok('/api//x')).toBe('/api/x');
    expect(ok('//api///x//')).toBe('/api/x/');
    expect(ok('//')).toBe('/');
    expect(ok('/api//../x')).toBe('/x');
  });

  test('decodes unreserved characters and uppercases the hex of every other escape', () => {
    expect(ok('/%7Euser/%41%62%2D%5f')).toBe('/~user/Ab-_');
    expect(ok('/caf%c3%a9')).toBe('/caf%C3%A9');
    expect(ok('/a%20b')).toBe('/a%20b');
    expect(ok('/a%3fb')).toBe('/a%3Fb');
    expect(ok('/%25')).toBe('/%25');
  });

  test('keeps %2F and %5C encoded inside a segment', () => {
    expect(ok('/projects/group%2fproject')).toBe('/projects/group%2Fproject');
    expect(ok('/files/a%5Cb')).toBe('/files/a%5Cb');
  });

  test('percent-encodes characters that are legal to receive but not valid in a path', () => {
    expect(ok('/a"b<c>d')).toBe('/a%22b%3Cc%3Ed');
    expect(ok('/{x}|^`')).toBe('/%7Bx%7D%7C%5E%60');
    expect(ok('/a#b[c]')).toBe('/a%23b%5Bc%5D');
  });

  test('rejects paths that climb above the root', () => {
    expect(rejected('/..')).toMatch(/climbs above the root/);
    expect(rejected('/../etc/passwd')).toMatch(/climbs above the root/);
    expect(rejected('/api/../../admin')).toMatch(/climbs above the root/);
    expect(rejected('/%2e%2e/admin')).toMatch(/climbs above the root/);
    expect(rejected('/a/%2E%2E/%2e%2e/%2E%2e/x')).toMatch(/climbs above the root/);
  });

  test('rejects segments that hide a dot segment from a less careful upstream', () => {
    expect(rejected('/api/%2E%2e%2fadmin')).toMatch(/hides a dot segment/);
    expect(rejected('/api/..%2Fadmin')).toMatch(/hides a dot segment/);
    expect(rejected('/api/..%2f..%2fadmin')).toMatch(/hides a dot segment/);
    expect(rejected('/api/x%2F..')).toMatch(/hides a dot segment/);
    expect(rejected('/api/..%5Cadmin')).toMatch(/hides a dot segment/);
    expect(rejected('/api/%252e%252e/admin')).toMatch(/hides a dot segment/);
    expect(rejected('/api/%252e%252e%252fadmin')).toMatch(/hides a dot segment/);
    expect(rejected('/api/..;/admin')).toMatch(/hides a dot segment/);
    expect(rejected('/api/..;jsessionid=1/admin')).toMatch(/hides a dot segment/);
    expect(rejected('/api/%2e%2e;/admin')).toMatch(/hides a dot segment/);
    expect(rejected('/api/.;/admin')).toMatch(/hides a dot segment/);
  });

  test('allows dots that are not dot segments', () => {
    expect(ok('/a..b/...')).toBe('/a..b/...');
    expect(ok('/x/..a')).toBe('/x/..a');
    expect(ok('/x/a%2F.b')).toBe('/x/a%2F.b');
    expect(ok('/x/%2e%2e%2e')).toBe('/x/...');
  });

  test('rejects backslashes', () => {
    expect(rejected('/api\\..\\admin')).toMatch(/backslash/);
    expect(rejected('/\\')).toMatch(/backslash/);
  });

  test('rejects invalid percent-escapes', () => {
    expect(rejected('/a%')).toMatch(/invalid percent-escape "%"/);
    expect(rejected('/a%2')).toMatch(/invalid percent-escape "%2"/);
    expect(rejected('/a%zz')).toMatch(/invalid percent-escape "%zz"/);
    expect(rejected('/a%g0/b')).toMatch(/invalid percent-escape/);
  });

  test('rejects control characters, raw or encoded', () => {
    expect(rejected('/a\u0000b')).toMatch(/control character/);
    expect(rejected('/a\nb')).toMatch(/control character/);
    expect(rejected('/a\u007fb')).toMatch(/control character/);
    expect(rejected('/a%00b')).toMatch(/encoded control character %00/);
    expect(rejected('/a%0d%0aSet-Cookie:x')).toMatch(/encoded control character %0D/);
    expect(rejected('/a%7F')).toMatch(/encoded control character %7F/);
    expect(rejected('/a b')).toMatch(/raw space/);
  });

  test('rejects invalid UTF-8, including overlong encodings of "." and "/"', () => {
    expect(rejected('/%C0%AE%C0%AE/admin')).toMatch(/not valid UTF-8/);
    expect(rejected('/%c0%af')).toMatch(/not valid UTF-8/);
    expect(rejected('/%E0%80%AE')).toMatch(/not valid UTF-8/);
    expect(rejected('/%FF')).toMatch(/not valid UTF-8/);
    expect(rejected('/%C3')).toMatch(/not valid UTF-8/);
    expect(rejected('/%C3x%A9')).toMatch(/not valid UTF-8/);
    expect(rejected('/%ED%A0%80')).toMatch(/not valid UTF-8/);
    expect(ok('/%F0%9F%98%80')).toBe('/%F0%9F%98%80');
  });

  test('rejects raw non-ASCII characters', () => {
    expect(rejected('/café')).toMatch(/non-ASCII/);
  });

  test('rejects paths that do not start with "/" and overlong paths', () => {
    expect(rejected('')).toMatch(/must start with/);
    expect(rejected('*')).toMatch(/must start with/);
    expect(rejected('api/x')).toMatch(/must start with/);
    expect(rejected('http://evil/x')).toMatch(/must start with/);
    expect(ok(`/${'a'.repeat(MAX_PATH_LENGTH - 1)}`)).toHaveLength(MAX_PATH_LENGTH);
    expect(rejected(`/${'a'.repeat(MAX_PATH_LENGTH)}`)).toMatch(/longer than 8192/);
  });

  test('is idempotent: a normalised path normalises to itself', () => {
    const inputs = ['/api/%2e%2e/x/', '/caf%c3%a9//a/./b', '/a"b', '/%7e/x/../y', '/files/a%5cb', '/x%252F'];
    for (const raw of inputs) {
      const once = ok(raw);
      expect(ok(once)).toBe(once);
    }
  });
});

describe('normalisePath on generated attack paths', () => {
  // Deterministic PRNG (mulberry32) so a failure reproduces.
  function random(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const TOKENS = ['/', '/', '.', '..', '%2e', '%2E', '%2f', '%2F', '%5c', '%25', '2e', ';', 'a', 'api', '~', '%7e', '//', '%c3%a9', '%C0%AE', '"'];

  /** Every way a lenient upstream might read a path: decode up to 3 times, split on / and \, drop ;params. */
  function lenientSegments(path: string): string[] {
    let view = path;
    for (let i = 0; i < 3; i++) {
      try {
        view = decodeURIComponent(view);
      } catch {
        break;
      }
    }
    return view.split(/[/\\]/).map((s) => s.split(';')[0]);
  }

  test('every accepted path is canonical, idempotent and free of dot segments however it is decoded', () => {
    const next = random(20_261_126);
    let accepted = 0;
    for (let n = 0; n < 20_000; n++) {
      let raw = '/';
      const len = 1 + Math.floor(next() * 10);
      for (let i = 0; i < len; i++) raw += TOKENS[Math.floor(next() * TOKENS.length)];
      const r = normalisePath(raw);
      if (!r.ok) continue;
      accepted++;
      expect(r.path.startsWith('/')).toBe(true);
      expect(r.path).not.toContain('//');
      expect(normalisePath(r.path)).toEqual({ ok: true, path: r.path });
      for (const segment of lenientSegments(r.path)) expect(['.', '..']).not.toContain(segment);
      expect(r.path).not.toMatch(/%(?:[a-f][0-9A-Fa-f]|[0-9A-Fa-f][a-f])/);
    }
    expect(accepted).toBeGreaterThan(1_000);
  });
});
