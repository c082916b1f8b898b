import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { oneRoute, startGateway, startUpstream, until, type Gateway, type Upstream } from '../proxy/harness';
import { loadCertificates } from '../../../../gateway/src/data-plane/listener';

const FIXTURES = join(__dirname, '../../../fixtures/tls');

/** The subject CN the proxy port presents to a new connection. */
function presentedName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      const cn = socket.getPeerCertificate().subject?.CN;
      socket.destroy();
      resolve(String(cn));
    });
    socket.on('error', reject);
  });
}

describe('proxy TLS certificates are re-read when their files change', () => {
  let upstream: Upstream;
  let gw: Gateway;
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tls-'));
  const certFile = join(dir, 'proxy.crt');
  const keyFile = join(dir, 'proxy.key');

  beforeAll(async () => {
    copyFileSync(join(FIXTURES, 'server.crt'), certFile);
    copyFileSync(join(FIXTURES, 'server.key'), keyFile);
    upstream = await startUpstream();
    gw = await startGateway(oneRoute([upstream.port]), { tls: { certFile, keyFile } });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a renewed certificate without a restart, and keeps it when the next files are broken', async () => {
    expect(await presentedName(gw.port)).toBe('upstream.test');
    // A renewal: a new key and certificate written over the old files (openssl is part of the test machine).
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=renewed.test'], { stdio: 'ignore' });
    await until(async () => (await presentedName(gw.port)) === 'renewed.test', 'the renewed certificate to be served');
    writeFileSync(certFile, 'not a certificate');
    await until(() => gw.logs.lines.some((l) => l.msg === 'proxy TLS certificate not reloaded; the previous one stays in use'), 'the failed reload to be logged');
    expect(await presentedName(gw.port)).toBe('renewed.test');
  });

  it('refuses files that do not load at start-up, naming the setting', () => {
    let problems: { path: string; message: string }[] = [];
    try {
      loadCertificates({ certFile: join(dir, 'missing.crt'), keyFile });
    } catch (err) {
      problems = (err as { problems: typeof problems }).problems;
    }
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe('/settings/tlsCertFile');
    expect(problems[0].message).toContain('missing.crt');
  });
});
