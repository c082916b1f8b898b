/**
 * Standalone out of the box (no GATEHOUSE_SECRETS_KEYS): a config file with an inline HS256 secret is
 * imported encrypted under the generated key, no file in the data dir holds the plaintext, and the
 * proxy admits the consumer, also after a restart with the same data dir.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSigner } from 'fast-jwt';
import pino from 'pino';
import { request } from 'undici';
import { stringify } from 'yaml';
import { createPluginRegistry } from '../../../gateway/src/plugins';
import { startStandalone } from '../../../gateway/src/roles';
import { loadSettings } from '../../../gateway/src/settings';

const SECRET = 'standalone-file-secret-0123456789abcdef';

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('standalone secrets', () => {
  let dir: string;
  let upstream: Server;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gh-standalone-secrets-'));
    upstream = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as { port: number }).port;
    await writeFile(
      join(dir, 'gatehouse.yaml'),
      stringify({
        upstreams: [{ id: 'backend', targets: [{ host: '127.0.0.1', port }] }],
        routes: [{ id: 'api', paths: ['/api/*'], upstream: 'backend', plugins: { 'jwt-auth': {} } }],
        consumers: [{ id: 'alice', plugins: { 'jwt-auth': { subject: 'alice', secret: SECRET } } }],
      }),
    );
  });
  afterAll(async () => {
    await new Promise((r) => upstream.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('encrypts with a generated key and serves the consumer across a restart', async () => {
    const data = join(dir, 'data');
    const settings = loadSettings({ dataDir: data, configFile: join(dir, 'gatehouse.yaml'), accessLog: false, pollIntervalMs: 60_000 }, {});
    const jwt = createSigner({ key: SECRET, algorithm: 'HS256' })({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600 });
    for (let run = 0; run < 2; run++) {
      const node = await startStandalone({ settings, log: pino({ level: 'silent' }), status: false, plugins: createPluginRegistry() });
      try {
        await node.proxy.listen({ host: '127.0.0.1', port: 0 });
        const url = `http://127.0.0.1:${(node.proxy.server.address() as { port: number }).port}/api/x`;
        const admitted = await request(url, { headers: { authorization: `Bearer ${jwt}` } });
        expect([run, admitted.statusCode, await admitted.body.text()]).toEqual([run, 200, 'ok']);
        const refused = await request(url);
        await refused.body.text();
        expect(refused.statusCode).toBe(401);
      } finally {
        for (const part of [...node.parts].reverse()) await part.close();
        await node.proxy.close();
        await node.dataPlane.close();
      }
    }
    const files = await filesBelow(data);
    expect(files.map((f) => f.slice(data.length + 1))).toEqual(expect.arrayContaining(['secrets-key', 'last-known-good.json']));
    expect((await readFile(join(data, 'last-known-good.json'), 'utf8'))).toContain('$enc:v1:local-');
    for (const file of files) expect({ file, holdsSecret: (await readFile(file)).includes(SECRET) }).toEqual({ file, holdsSecret: false });
  });
});
