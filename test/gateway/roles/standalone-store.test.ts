/**
 * Standalone with the embedded store: the config file seeds versions (author `file`), an edited file
 * is served at once and survives a restart (an unchanged file is not imported again), and the
 * generated admin token is written to a 0600 file whose path, never the token, is logged. Admin
 * writes with a file are refused (file-managed.test.ts).
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { request } from 'undici';
import { stringify } from 'yaml';
import { startStandalone, type DataPlaneNode } from '../../../gateway/src/roles';
import { loadSettings } from '../../../gateway/src/settings';
import { waitFor } from '../../helpers/control-plane/wait';

describe('standalone role with the embedded store', () => {
  let dir: string;
  let upstream: Server;
  let port: number;
  const logLines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, cb) => (logLines.push(String(chunk)), cb()) }));

  const fileWith = (ids: string[]) =>
    stringify({
      settings: { accessLog: false },
      upstreams: [{ id: 'backend', targets: [{ host: '127.0.0.1', port }] }],
      routes: ids.map((id) => ({ id, paths: [`/${id}`], upstream: 'backend' })),
    });

  const start = async (): Promise<{ node: DataPlaneNode; url: string; stop: () => Promise<void> }> => {
    const settings = loadSettings({ dataDir: dir, configFile: join(dir, 'gatehouse.yaml'), accessLog: false, pollIntervalMs: 60_000 }, {});
    const node = await startStandalone({ settings, log, status: false });
    await node.proxy.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(node.proxy.server.address() as { port: number }).port}`;
    return {
      node,
      url,
      stop: async () => {
        for (const part of [...node.parts].reverse()) await part.close();
        await node.proxy.close();
        await node.dataPlane.close();
      },
    };
  };
  const status = async (url: string) => {
    const res = await request(url);
    await res.body.text();
    return res.statusCode;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-standalone-'));
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    port = (upstream.address() as { port: number }).port;
    await writeFile(join(dir, 'gatehouse.yaml'), fileWith(['a']));
  });
  afterAll(async () => {
    await new Promise((r) => upstream.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('imports the file, keeps its versions across a restart and imports a changed file', async () => {
    let gw = await start();
    try {
      expect(await status(`${gw.url}/a`)).toBe(200);
      const tokenFile = join(dir, 'admin-token');
      expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
      const token = (await readFile(tokenFile, 'utf8')).trim();
      expect(logLines.join('')).toContain(tokenFile);
      expect(logLines.join('')).not.toContain(token);

      const auth = { authorization: `Bearer ${token}` };
      let res = await gw.node.admin!.inject({ method: 'GET', url: '/admin/v1/versions', headers: auth });
      expect(res.json().versions.map((v: { author: string }) => v.author)).toEqual(['file']);
      await writeFile(join(dir, 'gatehouse.yaml'), fileWith(['a', 'b']));
      const url = gw.url;
      await waitFor(async () => (await status(`${url}/b`)) === 200, 'the edited file to be served');
    } finally {
      await gw.stop();
    }

    gw = await start();
    try {
      expect(await status(`${gw.url}/b`)).toBe(200);
      const token = (await readFile(join(dir, 'admin-token'), 'utf8')).trim();
      let res = await gw.node.admin!.inject({ method: 'GET', url: '/admin/v1/versions', headers: { authorization: `Bearer ${token}` } });
      expect(res.json().current).toBe(2);

      await writeFile(join(dir, 'gatehouse.yaml'), fileWith(['a', 'c']));
      const url = gw.url;
      await waitFor(async () => (await status(`${url}/c`)) === 200, 'the edited file to be imported and served');
      res = await gw.node.admin!.inject({ method: 'GET', url: '/admin/v1/versions', headers: { authorization: `Bearer ${token}` } });
      expect(res.json().versions[0]).toMatchObject({ version: 3, author: 'file' });
    } finally {
      await gw.stop();
    }
  });
});
