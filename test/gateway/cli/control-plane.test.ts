/**
 * The CLI against a real control plane (PostgreSQL), run as a user runs it: dump → apply is a no-op,
 * an edited file diffs field by field and applies as one version (If-Match, message), `--select-tag`
 * leaves other resources alone, rollback to the current content writes nothing, and the token is
 * never printed.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { hashToken, newToken } from '../../../gateway/src/control-plane';
import { createPluginRegistry } from '../../../gateway/src/plugins';
import { startControlPlane, type ControlPlaneNode } from '../../../gateway/src/roles';
import { loadSettings } from '../../../gateway/src/settings';
import { openConfigStore, type ConfigStore } from '../../../gateway/src/store';
import { createTestDatabase, type TestDatabase } from '../../helpers/control-plane/databases';
import { gatehouse } from './run-cli';

describe('gatehouse CLI against a control plane', () => {
  let db: TestDatabase;
  let cp: ControlPlaneNode;
  let store: ConfigStore;
  let dir: string;
  let env: Record<string, string>;
  const token = newToken();
  const file = (name: string) => join(dir, name);
  const head = async () => (await store.head())?.version ?? 0;

  beforeAll(async () => {
    db = await createTestDatabase('cli');
    dir = await mkdtemp(join(tmpdir(), 'gh-cli-'));
    const settings = loadSettings({ databaseUrl: db.url, dataDir: dir, adminTokens: `admin:${hashToken(token)}`, accessLog: false }, {});
    cp = await startControlPlane({ settings, log: pino({ level: 'silent' }), plugins: createPluginRegistry() });
    await cp.admin.listen({ host: '127.0.0.1', port: 0 });
    store = await openConfigStore({ databaseUrl: db.url, migrate: false });
    await writeFile(file('token'), `${token}\n`, { mode: 0o600 });
    env = { GATEHOUSE_ADMIN_URL: `http://127.0.0.1:${(cp.admin.server.address() as { port: number }).port}`, GATEHOUSE_ADMIN_TOKEN_FILE: file('token') };
    const start = {
      upstreams: [{ id: 'backend', targets: [{ host: '127.0.0.1', port: 9001 }], tags: ['platform'] }, { id: 'team-a-svc', targets: [{ host: '127.0.0.1', port: 9002 }], tags: ['team-a'] }],
      routes: [
        { id: 'home', paths: ['/'], upstream: 'backend', tags: ['platform'] },
        { id: 'a-orders', paths: ['/a/orders/*'], upstream: 'team-a-svc', tags: ['team-a'] },
        { id: 'a-users', paths: ['/a/users/*'], upstream: 'team-a-svc', tags: ['team-a'] },
      ],
      plugins: { cors: { allowOrigins: ['https://example.com'] } },
    };
    await writeFile(file('start.yaml'), stringify(start));
  });
  afterAll(async () => {
    for (const part of [...cp.parts].reverse()) await part.close();
    await cp.status.close();
    await store.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies files as one version and prints it', async () => {
    const run = await gatehouse(['apply', file('start.yaml'), '--message', 'first apply'], env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('version 0 → files');
    expect(run.stdout).toMatch(/applied: version 1\n$/);
    expect((await store.head())!).toMatchObject({ version: 1, message: 'first apply', routeCount: 3 });
  });

  it('dumps without defaults in a stable order, and applying the dump is a no-op', async () => {
    const run = await gatehouse(['dump', '--output', file('dump.yaml')], env);
    expect(run).toMatchObject({ code: 0, stdout: 'dumped version 1 to ' + file('dump.yaml') + '\n' });
    const dump = await readFile(file('dump.yaml'), 'utf8');
    // No default (priority 0, stripPrefix false, retries 1, round-robin, health checks …) is written out.
    expect(dump).not.toMatch(/priority|stripPrefix|preserveHost|retries|poolSize|round-robin|healthChecks|weight/);
    // Plugin defaults come from the plugin's own schema (cors fills allowMethods, maxAgeSeconds …).
    expect(dump).toMatch(/\nplugins:\n  cors:\n    allowOrigins:\n      - https:\/\/example.com\n$/);
    expect(dump).toContain('routes:\n  - id: home\n    tags:\n      - platform\n    paths:\n      - /\n    upstream: backend\n');
    // Stable: a second dump is byte for byte the same.
    await gatehouse(['dump', '--output', file('dump2.yaml')], env);
    expect(await readFile(file('dump2.yaml'), 'utf8')).toBe(dump);

    const diff = await gatehouse(['diff', file('dump.yaml')], env);
    expect(diff).toMatchObject({ code: 0, stdout: 'version 1 → files: no differences\n' });
    const apply = await gatehouse(['apply', file('dump.yaml')], env);
    expect(apply).toMatchObject({ code: 0, stdout: 'version 1 → files: no differences\nunchanged: version 1\n' });
    expect(await head()).toBe(1);
  });

  it('diffs an edited file field by field (exit code 2) and applies it as one version', async () => {
    const dump = await readFile(file('dump.yaml'), 'utf8');
    await writeFile(file('edited.yaml'), dump.replace('      - /a/users/*\n', '      - /a/users/*\n    priority: 5\n').replace('port: 9001', 'port: 9101'));
    const diff = await gatehouse(['diff', file('edited.yaml')], env);
    expect(diff.code).toBe(2);
    expect(diff.stdout).toBe(
      'version 1 → files: routes +0 ~1 -0, upstreams +0 ~1 -0\n' +
        '  ~ /routes/a-users/priority: 0 → 5\n' +
        '  ~ /upstreams/backend/targets/0/port: 9001 → 9101\n',
    );
    const apply = await gatehouse(['apply', file('edited.yaml')], env);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/applied: version 2\n$/);
    expect(await head()).toBe(2);
    const versions = await gatehouse(['diff', '--from', '1', '--to', '2'], env);
    expect(versions.code).toBe(2);
    expect(versions.stdout).toContain('~ /routes/a-users/priority: 0 → 5');
  });

  it('--select-tag owns only the resources with the tag and leaves the others alone', async () => {
    const teamA = {
      upstreams: [{ id: 'team-a-svc', targets: [{ host: '127.0.0.1', port: 9002 }] }],
      routes: [
        { id: 'a-orders', paths: ['/a/orders/*', '/a/o/*'], upstream: 'team-a-svc' },
        { id: 'a-new', paths: ['/a/new'], upstream: 'team-a-svc' },
      ],
    };
    await writeFile(file('team-a.yaml'), stringify(teamA));
    const before = (await store.get(await head()))!.document;
    const run = await gatehouse(['apply', file('team-a.yaml'), '--select-tag', 'team-a', '--allow-drop'], env);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('+ /routes/a-new:');
    expect(run.stdout).toContain('- /routes/a-users');
    expect(run.stdout).not.toContain('/routes/home');
    const after = (await store.get(await head()))!.document;
    expect(after.routes.map((r) => r.id)).toEqual(['home', 'a-orders', 'a-new']);
    expect(after.routes.find((r) => r.id === 'home')).toEqual(before.routes.find((r) => r.id === 'home'));
    expect(after.upstreams.find((u) => u.id === 'backend')).toEqual(before.upstreams.find((u) => u.id === 'backend'));
    expect(after.plugins).toEqual(before.plugins);
    expect(after.routes.find((r) => r.id === 'a-new')!.tags).toEqual(['team-a']);

    // A file resource whose id is owned by no tag of its own is refused, naming file and line.
    await writeFile(file('steal.yaml'), stringify({ routes: [{ id: 'home', paths: ['/'], upstream: 'team-a-svc' }] }));
    const steal = await gatehouse(['apply', file('steal.yaml'), '--select-tag', 'team-a'], env);
    expect(steal.code).toBe(1);
    expect(steal.stderr).toContain(`${file('steal.yaml')}:2: /routes/0/id: route "home" exists without tag "team-a", so these files do not own it.`);
  });

  it('refuses a drop without --allow-drop when not on a terminal, and writes nothing', async () => {
    const before = await head();
    await writeFile(file('empty.yaml'), stringify({ upstreams: [{ id: 'backend', targets: [{ host: '127.0.0.1', port: 9001 }] }] }));
    const run = await gatehouse(['apply', file('empty.yaml')], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('gatehouse: GW_ERR_CONFIG_DROP: This change removes most (or all) routes');
    expect(run.stderr).toContain('Nothing was applied; pass --allow-drop if the drop is intended.');
    expect(await head()).toBe(before);
  });

  it('lists versions and rolls back; a rollback to the current content writes nothing', async () => {
    const current = await head();
    const list = await gatehouse(['versions'], env);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(new RegExp(`^\\*\\s+${current}\\s`));
    const back = await gatehouse(['rollback', '1'], env);
    expect(back).toMatchObject({ code: 0, stdout: `rolled back to version 1: version ${current + 1}\n` });
    const again = await gatehouse(['rollback', '1'], env);
    expect(again).toMatchObject({ code: 0, stdout: `unchanged: version ${current + 1} already has the content of version 1\n` });
    expect(await head()).toBe(current + 1);
  });

  it('reports validation problems with file, line and fix, offline and from the admin API', async () => {
    await writeFile(file('bad.yaml'), 'upstreams:\n  - id: backend\n    targets:\n      - host: 127.0.0.1\n        port: 9001\nroutes:\n  - id: r\n    paths: ["/r"]\n    upstream: ghost\n    priority: high\n');
    const offline = await gatehouse(['validate', file('bad.yaml')]);
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain(`${file('bad.yaml')}:10: /routes/0/priority: must be integer. Fix: use a value of type integer.`);
    await writeFile(file('bad-plugin.yaml'), stringify({ upstreams: [{ id: 'b', targets: [{ host: 'h', port: 1 }] }], routes: [{ id: 'r', paths: ['/r'], upstream: 'b', plugins: { 'no-such-plugin': {} } }] }));
    const online = await gatehouse(['diff', file('bad-plugin.yaml')], env);
    expect(online.code).toBe(1);
    expect(online.stderr).toMatch(new RegExp(`${file('bad-plugin.yaml').replace(/[.]/g, '\\.')}:\\d+: /routes/0/plugins/no-such-plugin: unknown plugin "no-such-plugin"`));
  });

  it('substitutes ${ENV} in plain values and refuses it inside plugin settings', async () => {
    await writeFile(file('env.yaml'), 'upstreams:\n  - id: backend\n    targets:\n      - host: ${BACKEND_HOST}\n        port: 9001\nroutes:\n  - id: r\n    paths: ["/r"]\n    upstream: backend\n    plugins:\n      key-auth:\n        header: ${HEADER}\n');
    const run = await gatehouse(['validate', file('env.yaml')], { BACKEND_HOST: 'api.internal', HEADER: 'x-key' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${file('env.yaml')}:12: /routes/0/plugins/key-auth/header: plugin settings may hold secrets, so \${…} is not substituted here.`);
    expect(run.stderr).not.toContain('BACKEND_HOST');
    const unset = await gatehouse(['validate', file('env.yaml')], {});
    expect(unset.stderr).toContain('/upstreams/0/targets/0/host: environment variable BACKEND_HOST is not set.');
  });

  it('never prints the token, and says what to set without a connection', async () => {
    const runs = await Promise.all([gatehouse(['versions'], env), gatehouse(['diff', file('nope.yaml')], env), gatehouse(['versions'], { GATEHOUSE_ADMIN_URL: env.GATEHOUSE_ADMIN_URL!, GATEHOUSE_ADMIN_TOKEN: 'wrong' })]);
    for (const r of runs) expect(r.stdout + r.stderr).not.toContain(token);
    expect(runs[2]!.stderr).toContain('gatehouse: GW_ERR_UNAUTHORIZED: Authentication required.');
    const none = await gatehouse(['versions'], { HOME: dir });
    expect(none).toMatchObject({ code: 1 });
    expect(none.stderr).toContain('no admin API address: pass --url, set GATEHOUSE_ADMIN_URL');
  });
});
