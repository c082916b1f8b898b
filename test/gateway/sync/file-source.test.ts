import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileConfigSource, parseConfigText, readConfigFile } from '../../../gateway/src/sync/file-source';
import { GatehouseError } from '../../../gateway/src/core/errors';
import { send, startGateway, startUpstream, until, type Gateway, type Upstream } from '../data-plane/proxy/harness';

const yamlConfig = (port: number, path: string) =>
  ['settings:', '  logLevel: debug', 'upstreams:', '  - id: u', `    targets: [{ host: 127.0.0.1, port: ${port} }]`, 'routes:', '  - id: r', `    paths: ["${path}"]`, '    upstream: u', ''].join('\n');

describe('parsing config files', () => {
  it('splits the settings section from the config document', () => {
    const parsed = parseConfigText(yamlConfig(1234, '/a/*'), 'c.yaml');
    expect(parsed.settings).toEqual({ logLevel: 'debug' });
    expect(parsed.document).toEqual({ upstreams: [{ id: 'u', targets: [{ host: '127.0.0.1', port: 1234 }] }], routes: [{ id: 'r', paths: ['/a/*'], upstream: 'u' }] });
    expect(parsed.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('reads JSON too', () => {
    const parsed = parseConfigText('{"routes": [], "upstreams": []}', 'c.json');
    expect(parsed.settings).toBeUndefined();
    expect(parsed.document).toEqual({ routes: [], upstreams: [] });
  });

  it('reports YAML syntax errors with line and column', () => {
    let error: GatehouseError | undefined;
    try {
      parseConfigText('routes:\n  - id: r\n    paths: [unclosed\nupstreams: []\n', 'broken.yaml');
    } catch (err) {
      error = err as GatehouseError;
    }
    expect(error).toBeInstanceOf(GatehouseError);
    expect(error!.code).toBe('GW_ERR_CONFIG_INVALID');
    expect(error!.problems[0].message).toMatch(/^broken\.yaml: line \d+, column \d+: /);
    expect(error!.problems[0].fix).toBe('correct the YAML/JSON syntax at that position.');
  });

  it('reports JSON syntax errors with line and column', () => {
    expect(() => parseConfigText('{\n  "routes": [,]\n}', 'c.json')).toThrow(GatehouseError);
    try {
      parseConfigText('{\n  "routes": [,]\n}', 'c.json');
    } catch (err) {
      expect((err as GatehouseError).problems[0].message).toMatch(/^c\.json: line 2, column \d+: /);
    }
  });

  it('rejects a file that is not a map', () => {
    expect(() => parseConfigText('- a\n- b\n', 'list.yaml')).toThrow('list.yaml is not a map.');
  });

  it('names the file when it cannot be read', () => {
    expect(() => readConfigFile('/nonexistent/gatehouse.yaml')).toThrow('/nonexistent/gatehouse.yaml cannot be read (ENOENT).');
  });
});

describe('FileConfigSource hot reload', () => {
  let upstream: Upstream;
  let gw: Gateway;
  let dir: string;
  let file: string;
  let source: FileConfigSource;

  const write = (text: string) => {
    // Like most editors: write a new file, then rename it over the old one.
    const tmp = join(dir, `.gatehouse.yaml.${Date.now()}.tmp`);
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  };

  beforeEach(async () => {
    upstream = await startUpstream();
    gw = await startGateway();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-file-source-'));
    file = join(dir, 'gatehouse.yaml');
    writeFileSync(file, yamlConfig(upstream.port, '/one/*'));
    source = new FileConfigSource({ file, sink: gw.dataPlane, log: gw.log, debounceMs: 30 });
  });
  afterEach(async () => {
    await source.close();
    await gw.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the file as version 1 and serves it', async () => {
    expect(await source.load()).toEqual({ applied: true, version: 1 });
    expect((await send(`${gw.origin}/one/x`)).status).toBe(200);
  });

  it('applies a changed file as the next version', async () => {
    await source.load();
    source.watch();
    write(yamlConfig(upstream.port, '/two/*'));
    await until(() => gw.dataPlane.currentVersion === 2, 'version 2');
    expect((await send(`${gw.origin}/two/x`)).status).toBe(200);
    expect((await send(`${gw.origin}/one/x`)).status).toBe(404);
  });

  it('ignores a save that does not change the content', async () => {
    await source.load();
    expect(await source.reload()).toBeUndefined();
    expect(gw.dataPlane.currentVersion).toBe(1);
  });

  it('keeps the last good config when the new file is invalid, and logs why with JSON paths', async () => {
    await source.load();
    source.watch();
    write(yamlConfig(upstream.port, 'no-slash'));
    await until(() => gw.logs.lines.some((l) => String(l.msg).includes('rejected (keeping version 1)')), 'the rejection log line');
    const line = gw.logs.lines.find((l) => String(l.msg).includes('rejected (keeping version 1)'))!;
    expect(String(line.msg)).toContain('/routes/0/paths/0');
    expect(gw.dataPlane.currentVersion).toBe(1);
    expect((await send(`${gw.origin}/one/x`)).status).toBe(200);
    // Fixing the file applies it.
    write(yamlConfig(upstream.port, '/three/*'));
    await until(() => gw.dataPlane.currentVersion === 2, 'the fixed file to apply');
    expect((await send(`${gw.origin}/three/x`)).status).toBe(200);
  });

  it('keeps the last good config when the new file does not parse, and logs line and column', async () => {
    await source.load();
    source.watch();
    write('routes: [\n  { id: r, \n');
    await until(() => gw.logs.lines.some((l) => String(l.msg).startsWith('config file not reloaded')), 'the parse error log line');
    const line = gw.logs.lines.find((l) => String(l.msg).startsWith('config file not reloaded'))!;
    expect(String(line.msg)).toMatch(/line \d+, column \d+/);
    expect(gw.dataPlane.currentVersion).toBe(1);
    expect((await send(`${gw.origin}/one/x`)).status).toBe(200);
  });

  it('keeps serving while the file is briefly missing, and applies it when it is back', async () => {
    await source.load();
    source.watch();
    unlinkSync(file);
    await until(() => gw.logs.lines.some((l) => String(l.msg).includes('cannot be read (ENOENT)')), 'the missing-file log line');
    expect((await send(`${gw.origin}/one/x`)).status).toBe(200);
    writeFileSync(file, yamlConfig(upstream.port, '/back/*'));
    await until(() => gw.dataPlane.currentVersion === 2, 'the restored file to apply');
  });

  it('continues numbering after the version the sink runs', async () => {
    const doc = { upstreams: [], routes: [] };
    await gw.dataPlane.apply(doc, { version: 41, checksum: 'sha256:x', source: 'last-known-good' });
    expect(await source.load()).toEqual({ applied: true, version: 42 });
  });
});
