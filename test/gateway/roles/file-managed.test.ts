/**
 * One source of truth in standalone: with a config file, the admin API refuses writes. Before, a
 * `PUT /routes/hello` was accepted and the next, unrelated edit of the file became the next version
 * and silently deleted `hello` (1 of 3 routes: below the drop guard). Reads, validate and dry runs
 * still work, and the file keeps being imported.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { request } from 'undici';
import { stringify } from 'yaml';
import { startStandalone, type DataPlaneNode } from '../../../gateway/src/roles';
import { loadSettings } from '../../../gateway/src/settings';
import { waitFor } from '../../helpers/control-plane/wait';

describe('standalone with a config file: the file is the one source of truth', () => {
  let dir: string;
  let upstream: Server;
  let port: number;
  let node: DataPlaneNode;
  let url: string;
  let auth: Record<string, string>;
  const file = () => join(dir, 'gatehouse.yaml');
  const fileWith = (ids: string[]) =>
    stringify({
      upstreams: [{ id: 'backend', targets: [{ host: '127.0.0.1', port }] }],
      routes: ids.map((id) => ({ id, paths: [`/${id}`], upstream: 'backend' })),
    });
  const status = async (path: string) => {
    const res = await request(`${url}${path}`);
    await res.body.text();
    return res.statusCode;
  };
  const admin = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, payload?: object) =>
    node.admin!.inject({ method, url: path, headers: auth, ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-file-managed-'));
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    port = (upstream.address() as { port: number }).port;
    await writeFile(file(), fileWith(['a', 'b']));
    const settings = loadSettings({ dataDir: dir, configFile: file(), accessLog: false, pollIntervalMs: 60_000 }, {});
    node = await startStandalone({ settings, log: pino({ level: 'silent' }), status: false });
    await node.proxy.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(node.proxy.server.address() as { port: number }).port}`;
    auth = { authorization: `Bearer ${(await readFile(join(dir, 'admin-token'), 'utf8')).trim()}` };
  });
  afterAll(async () => {
    for (const part of [...node.parts].reverse()) await part.close();
    await node.proxy.close();
    await node.dataPlane.close();
    await new Promise((r) => upstream.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an admin write with 409 GW_ERR_FILE_MANAGED and the fix, so a file edit cannot delete it', async () => {
    const res = await admin('PUT', '/admin/v1/routes/hello', { paths: ['/hello'], upstream: 'backend' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      error: {
        code: 'GW_ERR_FILE_MANAGED',
        message:
          'This gateway takes its config from a file (GATEHOUSE_CONFIG), so the admin API is read-only here (reads, validate and dry runs still work): edit the file instead (it is imported on change), or run without GATEHOUSE_CONFIG to manage the config through the admin API.',
      },
    });
    for (const [method, path] of [['DELETE', '/admin/v1/routes/a'], ['PUT', '/admin/v1/config'], ['POST', '/admin/v1/versions/1/rollback']] as const)
      expect((await admin(method, path, method === 'PUT' ? { routes: [] } : undefined)).json().error.code).toBe('GW_ERR_FILE_MANAGED');

    // The unrelated edit of the file that used to delete `hello`: imported, and nothing else is lost.
    await writeFile(file(), fileWith(['a', 'b', 'c']));
    await waitFor(async () => (await status('/c')) === 200, 'the edited file to be imported and served');
    const versions = (await admin('GET', '/admin/v1/versions')).json();
    expect(versions.versions.map((v: { author: string }) => v.author)).toEqual(['file', 'file']);
    expect((await admin('GET', '/admin/v1/routes')).json().items.map((r: { id: string }) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('still reads, validates and dry-runs against the file version', async () => {
    expect((await admin('GET', '/admin/v1/config')).statusCode).toBe(200);
    const doc = { upstreams: [{ id: 'backend', targets: [{ host: '127.0.0.1', port }] }], routes: [{ id: 'a', paths: ['/a'], upstream: 'backend', priority: 5 }, { id: 'b', paths: ['/b'], upstream: 'backend' }, { id: 'c', paths: ['/c'], upstream: 'backend' }] };
    const validated = await admin('POST', '/admin/v1/validate', doc);
    expect(validated.statusCode).toBe(200);
    expect(validated.json().diff.changes).toEqual([{ op: 'replace', path: '/routes/a/priority', before: 0, value: 5 }]);
    const dry = await admin('PUT', '/admin/v1/config?dryRun=true', doc);
    expect(dry.statusCode).toBe(200);
    expect(dry.json().diff.routes.changed).toEqual(['a']);
  });
});
