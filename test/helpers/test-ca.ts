/**
 * A throwaway certificate authority made with openssl for TLS tests: a CA certificate (readable by
 * every user, so a task run as another uid can verify with it) and server certificates it signs for
 * the names a test chooses.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const openssl = (args: string[]) =>
  run('openssl', args, { timeout: 30_000 }).catch((err: Error) => {
    throw new Error(`openssl failed (${err.message}); install openssl to run this test.`);
  });
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A server certificate and its key, as PEM files. */
export interface ServerCertificate {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TestCa {
  /** The CA certificate (PEM), mode 0644 in a 0755 directory. */
  readonly caFile: string;
  readonly caPem: string;
  /** A server certificate signed by this CA for `subjectAltNames` (e.g. `DNS:localhost`, `IP:127.0.0.1`). */
  issue(name: string, subjectAltNames: readonly string[]): Promise<ServerCertificate>;
  destroy(): Promise<void>;
}

export async function createTestCa(commonName = 'Gatehouse test CA'): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'gh-ca-'));
  await chmod(dir, 0o755);
  const caFile = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  await openssl(['req', '-x509', ...EC_KEY, '-days', '1', '-subj', `/CN=${commonName}`, '-keyout', caKey, '-out', caFile,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await chmod(caFile, 0o644);
  return {
    caFile,
    caPem: await readFile(caFile, 'utf8'),
    async issue(name, subjectAltNames) {
      const keyFile = join(dir, `${name}.key`);
      const certFile = join(dir, `${name}.crt`);
      const csr = join(dir, `${name}.csr`);
      const ext = join(dir, `${name}.ext`);
      await writeFile(ext, `subjectAltName=${subjectAltNames.join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
      await openssl(['req', ...EC_KEY, '-subj', `/CN=${name}`, '-keyout', keyFile, '-out', csr]);
      await openssl(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-days', '1', '-extfile', ext, '-out', certFile]);
      return { certFile, keyFile };
    },
    destroy: () => rm(dir, { recursive: true, force: true }),
  };
}
