/**
 * The path a route matched on is the path it forwards: requests dressed up to look like one route's
 * path never reach another route's upstream, and what is forwarded stays inside the matched prefix
 * however leniently the upstream decodes it.
 */
import { normalisePath } from '../../../../gateway/src/config/routes/path';
import { TargetRegistry } from '../../../../gateway/src/data-plane/upstream';
import { compileRoutes } from './config';

const registry = new TargetRegistry();
afterAll(() => registry.closeAll());

const snapshot = () =>
  compileRoutes(registry, [
    { id: 'public', paths: ['/public/*'] },
    { id: 'public-stripped', paths: ['/files/*'], stripPrefix: true },
    { id: 'admin', paths: ['/admin/*'] },
  ]);

/** Decodes up to three times and splits on both slashes, as the least careful upstream would. */
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

const ATTACKS = [
  '/public/../admin/users',
  '/public/%2e%2e/admin/users',
  '/public/%2E%2e%2fadmin/users',
  '/public/..%2fadmin',
  '/public/..%5cadmin',
  '/public/%252e%252e/admin',
  '/public/..;/admin',
  '/public/%c0%ae%c0%ae/admin',
  '/public//..//admin',
  '/public/./../admin',
  '/files/../admin/x',
  '/files/..%2f..%2fadmin',
  '/files/%2e%2e%2f%2e%2e%2fadmin',
];

const underAdmin = (path: string) => path === '/admin' || path.startsWith('/admin/');

test.each(ATTACKS)('%s is refused or routed by what it really is', (raw) => {
  const s = snapshot();
  const normal = normalisePath(raw);
  if (!normal.ok) return expect(normal.reason).toMatch(/climbs|hides|UTF-8/);
  const match = s.match('GET', undefined, normal.path, {});
  const forwarded = match ? match.route.forwardPath(normal.path, match.params) : undefined;
  if (match?.route.id === 'admin') {
    // Only a path that really is under /admin after normalisation reaches the admin route.
    expect(underAdmin(normal.path)).toBe(true);
  } else if (forwarded !== undefined) {
    expect(lenientSegments(forwarded)).not.toContain('..');
    expect(lenientSegments(forwarded)).not.toContain('.');
  }
});

test('the admin route is reached only by paths that are under /admin once normalised', () => {
  const s = snapshot();
  expect(normalisePath('/public/../admin/users')).toEqual({ ok: true, path: '/admin/users' });
  for (const raw of ATTACKS) {
    const normal = normalisePath(raw);
    if (!normal.ok) continue;
    const id = s.match('GET', undefined, normal.path, {})?.route.id;
    expect(id === 'admin').toBe(underAdmin(normal.path));
  }
});
