import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnGateway, within } from '../../../../support/gateway-process';

describe('start-up failures of a file-driven data plane stop the process with a clear message and exit code 1', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-startup-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (env: Record<string, string>) => {
    const child = spawnGateway({ env: { GATEHOUSE_ROLE: 'data-plane', GATEHOUSE_PROXY_PORT: '0', GATEHOUSE_STATUS_PORT: '0', GATEHOUSE_DATA_DIR: join(dir, 'data'), ...env } });
    try {
      const code = await within(child.exited, 60_000, 'the process to exit');
      return { code, stderr: child.stderr };
    } finally {
      child.kill();
    }
  };

  it('an invalid setting names the setting, its variable and the fix', async () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'routes: []\nupstreams: []\n');
    const { code, stderr } = await run({ GATEHOUSE_CONFIG: file, GATEHOUSE_PROXY_PORT: 'eighty' });
    expect(code).toBe(1);
    expect(stderr).toContain('gatehouse: cannot start:');
    expect(stderr).toContain('/settings/proxyPort: GATEHOUSE_PROXY_PORT="eighty" is not a whole number.');
  });

  it('an invalid config file lists every problem with its JSON path', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'upstreams: []\nroutes:\n  - id: r\n    paths: ["/x"]\n    upstream: ghost\n');
    const { code, stderr } = await run({ GATEHOUSE_CONFIG: file });
    expect(code).toBe(1);
    expect(stderr).toContain('/routes/0/upstream: upstream "ghost" does not exist.');
  });
});
