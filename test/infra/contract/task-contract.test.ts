/**
 * The task contract between the CDK kit and the gateway, proven on this machine: the synthesized
 * task definitions' containers (environment, secret names, ports, user, health checks) booted as
 * they are, the primary region against a PostgreSQL primary and the secondary region against a real
 * streaming read replica of it, with Redis and a local S3 server standing in for ElastiCache and S3.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { request } from 'undici';
import { hashToken, newToken } from '../../../gateway/src/control-plane';
import { RDS_CA_BUNDLE } from '../../../gateway/src/store';
import { buildGatehouse, COLLECTOR_CONTAINER_NAME, CONFIG_DATABASE_NAME, GATEWAY_DATA_DIR, loadDeploymentConfig, names, POSTGRES_PORT, READER_ROLE_NAME } from '../../../infra/lib';
import { REPO_ROOT, within, type GatewayChild } from '../../../support/gateway-process';
import { startS3, type TestS3 } from '../../helpers/control-plane/s3';
import { waitFor } from '../../helpers/control-plane/wait';
import { freePort } from '../../../support/free-port';
import { startReplicatedPostgres, type ReplicatedPostgres } from '../../helpers/postgres-replication';
import {
  containersOf,
  dataVolume,
  filesNotOwnedBy,
  filesWrittenBy,
  localEnvironment,
  numericUser,
  processUid,
  removeVolume,
  runContainerCommand,
  spawnTaskGateway,
  type ContainerDefinition,
} from '../../helpers/task-container';
import * as cdkJson from '../../../cdk.json';

const config = loadDeploymentConfig(cdkJson.context.gatehouse);
const PRIMARY = config.primaryRegion;
const SECONDARY = config.secondaryRegions[0] as string;
const REDIS_URL = 'redis://127.0.0.1:6379';
const VPC_CIDR = '10.0.0.0/16';

interface Region {
  readonly template: Template;
  readonly containers: Map<string, ContainerDefinition>;
  readonly healthCheck: { path: string; port: string };
  readonly gracePeriodSeconds: number;
}

function regionOf(template: Template): Region {
  const groups = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup')).map((g) => (g as { Properties: Record<string, unknown> }).Properties);
  const dataPlaneGroups = groups.filter((g) => g.Port === 8080);
  const checks = new Set(dataPlaneGroups.map((g) => JSON.stringify({ path: g.HealthCheckPath, port: g.HealthCheckPort })));
  if (dataPlaneGroups.length !== 2 || checks.size !== 1) throw new Error('expected blue and green target groups with one health check');
  const service = Object.values(template.findResources('AWS::ECS::Service')).find((s) => JSON.stringify(s).includes('CODE_DEPLOY')) as { Properties: Record<string, number> };
  return { template, containers: containersOf(template), healthCheck: JSON.parse([...checks][0] as string), gracePeriodSeconds: service.Properties.HealthCheckGracePeriodSeconds as number };
}

/** Answers the intrinsics of the task environments: the database endpoint and the VPC range. */
function attributes(template: Template, databaseHost: string) {
  const resources = template.toJSON().Resources as Record<string, { Type: string }>;
  return (id: string, name?: string): string => {
    const type = resources[id]?.Type;
    if (type === 'AWS::RDS::DBInstance' && name === 'Endpoint.Address') return databaseHost;
    if (type === 'AWS::EC2::VPC' && name === 'CidrBlock') return VPC_CIDR;
    throw new Error(`the task environment references ${id}.${name ?? 'Ref'} (${type}), which this test does not stand in for`);
  };
}

/** The task's DATABASE_URL points at POSTGRES_PORT; here the server listens elsewhere. */
const onPort = (port: number) => (url: string) => {
  const u = new URL(url);
  if (u.port !== String(POSTGRES_PORT) || u.pathname !== `/${CONFIG_DATABASE_NAME}`) throw new Error(`unexpected DATABASE_URL ${url}`);
  u.port = String(port);
  return u.toString();
};

/**
 * The task verifies RDS against the RDS CA bundle; the local servers' certificate is signed by a test
 * CA instead, so that one setting is pointed at the test CA. The URL (sslmode=verify-full) is kept:
 * the tasks here verify the chain and the host name exactly as they would on RDS.
 */
const toTestCa = (caFile: () => string) => (value: string) => {
  if (value !== RDS_CA_BUNDLE) throw new Error(`the task's database CA is "${value}", not the RDS bundle`);
  return caFile();
};

/** The JSON key an ECS secret reads (`<secret ARN>:<json key>::`). */
const jsonKeyOf = (valueFrom: unknown) => /:([a-z]+)::$/.exec(JSON.stringify(valueFrom).replace(/"\]\]\}$/, ''))?.[1];

const levels = (child: GatewayChild, min: number) => child.lines.filter((l) => Number(l.level) >= min);

describe('the task contract: synthesized task definitions booted against real services', () => {
  const token = newToken();
  let primary: Region;
  let secondary: Region;
  let pg: ReplicatedPostgres;
  let s3: Record<string, TestS3>;
  let upstream: Server;
  const volumes: string[] = [];
  const children: GatewayChild[] = [];
  let marker: string;

  beforeAll(async () => {
    const app = new App({ context: { ...cdkJson.context } });
    const stacks = buildGatehouse(app, config, { imageUri: 'public.ecr.aws/example/gatehouse:1.0.0' });
    primary = regionOf(Template.fromStack(stacks.regional[PRIMARY]!));
    secondary = regionOf(Template.fromStack(stacks.regional[SECONDARY]!));

    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect().catch((err: Error) => {
      throw new Error(`Redis is not reachable at 127.0.0.1:6379 (${err.message}); start redis-server before running this test.`);
    });
    redis.disconnect();
    [pg, s3] = await Promise.all([
      // The reader logs in with its password over TLS only (the owner keeps trust): the control plane must have set it.
      startReplicatedPostgres([CONFIG_DATABASE_NAME], { hba: [`hostssl all ${READER_ROLE_NAME} 127.0.0.1/32 scram-sha-256`, `host all ${READER_ROLE_NAME} 127.0.0.1/32 reject`] }),
      Promise.all([PRIMARY, SECONDARY].map((r) => startS3(names.backupBucketName(config.stackPrefix, config.account, r), 'gatehouse'))).then((servers) =>
        Object.fromEntries(servers.map((s, i) => [[PRIMARY, SECONDARY][i], s])),
      ),
    ]);
    // S3 is one namespace: a secondary task reaches the primary's bucket (its heartbeat prefix) through
    // its NAT (docs/RUNBOOK.md, "The fleet view"). Here each region's task has one local S3 endpoint, so
    // the secondary's server holds the primary's bucket too.
    await s3[SECONDARY]!.client.send(new CreateBucketCommand({ Bucket: names.backupBucketName(config.stackPrefix, config.account, PRIMARY) }));
    upstream = createServer((_req, res) => res.end('from upstream'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    marker = join(tmpdir(), `gh-contract-marker-${process.pid}`);
    await writeFile(marker, '');
  });

  afterAll(async () => {
    for (const child of children) child.kill();
    await Promise.all(children.map((c) => c.exited));
    await new Promise((r) => upstream?.close(r));
    await Promise.all(Object.values(s3 ?? {}).map((s) => s.close()));
    await pg?.destroy();
    for (const dir of volumes) await removeVolume(dir);
    if (marker) await rm(marker, { force: true });
  });

  /** What AWS gives a task outside its definition: here, the local S3 server and its credentials. */
  const platform = (region: string) => ({
    GATEHOUSE_S3_ENDPOINT: s3[region]!.location.endpoint as string,
    GATEHOUSE_S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
  });

  async function boot(region: Region, name: string, o: { database: { host: string; port: number }; awsRegion: string; secrets: Record<string, string>; portNames: string[] }) {
    const container = region.containers.get(name)!;
    const user = numericUser(container.User);
    const dir = await dataVolume(user, name);
    volumes.push(dir);
    const ports = Object.fromEntries(await Promise.all(o.portNames.map(async (n) => [n, await freePort()] as const)));
    const env = localEnvironment(container, {
      attribute: attributes(region.template, o.database.host),
      volume: { containerPath: GATEWAY_DATA_DIR, dir },
      ports,
      secrets: o.secrets,
      platform: platform(o.awsRegion),
      rewrite: { DATABASE_URL: onPort(o.database.port), GATEHOUSE_DATABASE_CA: toTestCa(() => pg.ca.caFile) },
    });
    return { container, user, dir, env, ports };
  }

  let controlPlane: Awaited<ReturnType<typeof boot>> & { child: GatewayChild };
  let dataPlanes: Record<string, Awaited<ReturnType<typeof boot>> & { child: GatewayChild; readyAfterMs: number }>;
  // The secrets key as Secrets Manager generates it (43 letters and digits, see SecretsKey), one for every region.
  const SECRETS_KEY = 'Gatehouse0secrets0key0for0the0contract0test';
  // The owner secret (the control plane's) and the reader secret (the data planes'), as the kit generates them.
  const READER_PASSWORD = 'Reader0password0of0the0contract0test';
  const ownerSecrets = { PGUSER: 'postgres', PGPASSWORD: 'unused-with-trust-auth', GATEHOUSE_SECRETS_KEYS: SECRETS_KEY };
  const readerSecrets = { PGUSER: READER_ROLE_NAME, PGPASSWORD: READER_PASSWORD, GATEHOUSE_SECRETS_KEYS: SECRETS_KEY };

  test('the containers run as a numeric user on a read-only root filesystem with HOME and TMPDIR on the data volume', () => {
    for (const region of [primary, secondary])
      for (const c of region.containers.values()) {
        expect(c.ReadonlyRootFilesystem).toBe(true);
        expect(c.User).toMatch(/^\d+:\d+$/);
        // The telemetry sidecar keeps nothing on disk; every gateway process has the data volume.
        if (c.Name !== COLLECTOR_CONTAINER_NAME) expect(c.MountPoints).toEqual([{ ContainerPath: GATEWAY_DATA_DIR, SourceVolume: 'data', ReadOnly: false }]);
      }
    const env = Object.fromEntries((primary.containers.get('gateway')!.Environment ?? []).map((e) => [e.Name, e.Value]));
    expect([env.HOME, env.TMPDIR, env.GATEHOUSE_DATA_DIR]).toEqual([GATEWAY_DATA_DIR, GATEWAY_DATA_DIR, GATEWAY_DATA_DIR]);
  });

  test('ports: the container ports, the settings and the target groups\' health check agree', () => {
    for (const region of [primary, secondary]) {
      const gateway = region.containers.get('gateway')!;
      const env = Object.fromEntries((gateway.Environment ?? []).map((e) => [e.Name, e.Value]));
      expect(gateway.PortMappings!.map((p) => String(p.ContainerPort)).sort()).toEqual([env.GATEHOUSE_PROXY_PORT, env.GATEHOUSE_STATUS_PORT].sort());
      expect(region.healthCheck).toEqual({ path: '/readyz', port: env.GATEHOUSE_STATUS_PORT });
    }
  });

  test('every gateway process verifies the database: sslmode=verify-full and the RDS CA bundle', () => {
    for (const region of [primary, secondary])
      for (const c of region.containers.values()) {
        const env = Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, e.Value]));
        if (c.Name === COLLECTOR_CONTAINER_NAME || c.Name === 'initial-config') continue;
        expect(JSON.stringify(env.DATABASE_URL)).toContain('?sslmode=verify-full');
        expect(env.GATEHOUSE_DATABASE_CA).toBe(RDS_CA_BUNDLE);
      }
  });

  test('secret names: the database credentials\' username and password keys, the secrets key, the cache URL, and the admin token', () => {
    const names = (c: ContainerDefinition) => Object.fromEntries((c.Secrets ?? []).map((s) => [s.Name, jsonKeyOf(s.ValueFrom) ?? 'whole secret']));
    const common = { PGUSER: 'username', PGPASSWORD: 'password', GATEHOUSE_SECRETS_KEYS: 'whole secret' };
    expect(names(primary.containers.get('gateway')!)).toEqual({ ...common, REDIS_URL: 'whole secret' });
    expect(names(secondary.containers.get('gateway')!)).toEqual({ ...common, REDIS_URL: 'whole secret' });
    expect(names(primary.containers.get('control-plane')!)).toEqual({
      ...common,
      GATEHOUSE_DATABASE_READER_USER: 'username',
      GATEHOUSE_DATABASE_READER_PASSWORD: 'password',
      GATEHOUSE_ADMIN_TOKENS: 'entry',
    });
  });

  test('data planes read with the reader secret, the same by name in both regions (the primary\'s, and its replica looked up by that name); the control plane has the owner\'s and the reader\'s', () => {
    const secretName = names.databaseReaderSecretName(config.stackPrefix);
    const referenced = (region: Region, container = 'gateway', variable = 'PGPASSWORD') => {
      const valueFrom = JSON.stringify(region.containers.get(container)!.Secrets!.find((s) => s.Name === variable)!.ValueFrom);
      const [, id] = /"(?:Ref|Fn::GetAtt)":\[?"([A-Za-z0-9]+)"/.exec(valueFrom)!;
      const resources = region.template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
      const resource = resources[id as string]!;
      // The attachment to the instance stands for the secret it attaches (its Ref is the secret's ARN).
      return resource.Type === 'AWS::SecretsManager::SecretTargetAttachment' ? resources[(resource.Properties.SecretId as { Ref: string }).Ref]! : resource;
    };
    expect(referenced(primary)).toMatchObject({ Type: 'AWS::SecretsManager::Secret', Properties: { Name: secretName } });
    const lookup = referenced(secondary);
    expect(lookup.Type).toBe('Custom::AWS');
    expect(JSON.stringify(lookup.Properties)).toContain(`\\"SecretId\\":\\"${secretName}\\"`);
    expect(referenced(primary, 'control-plane')).toMatchObject({ Properties: { Name: names.databaseSecretName(config.stackPrefix) } });
    expect(referenced(primary, 'control-plane', 'GATEHOUSE_DATABASE_READER_PASSWORD')).toMatchObject({ Properties: { Name: secretName } });
  });

  test('a fresh deployment: the init container writes the initial config, the control plane imports it', async () => {
    const cp = await boot(primary, 'control-plane', {
      database: { host: pg.primary.host, port: pg.primary.port },
      awsRegion: PRIMARY,
      secrets: { ...ownerSecrets, GATEHOUSE_DATABASE_READER_USER: READER_ROLE_NAME, GATEHOUSE_DATABASE_READER_PASSWORD: READER_PASSWORD, GATEHOUSE_ADMIN_TOKENS: `admin:${hashToken(token)}` },
      portNames: ['GATEHOUSE_ADMIN_PORT', 'GATEHOUSE_STATUS_PORT'],
    });
    const init = primary.containers.get('initial-config')!;
    expect(cp.container.DependsOn).toEqual([{ ContainerName: 'initial-config', Condition: 'SUCCESS' }]);
    const initEnv = localEnvironment(init, { attribute: attributes(primary.template, pg.primary.host), volume: { containerPath: GATEWAY_DATA_DIR, dir: cp.dir } });
    const written = await runContainerCommand(init.Command!, initEnv, numericUser(init.User), cp.dir);
    expect(written).toEqual({ code: 0, output: '' });

    const child = spawnTaskGateway(cp.env, cp.user);
    children.push(child);
    controlPlane = { ...cp, child };
    await within(child.started, 90_000, `the control plane to start (stderr: ${child.stderr})`);
    const ready = await request(`http://127.0.0.1:${cp.ports.GATEHOUSE_STATUS_PORT}/readyz`);
    expect(ready.statusCode).toBe(200);
    await ready.body.dump();
    expect(child.lines.find((l) => l.msg === 'the config store was empty and has no S3 backup: imported the initial config')).toMatchObject({ version: 1 });
  });

  test('the primary data plane: its target group health path answers 200 within the grace period, its container health check passes', async () => {
    const dp = await boot(primary, 'gateway', {
      database: { host: pg.primary.host, port: pg.primary.port },
      awsRegion: PRIMARY,
      secrets: { ...readerSecrets, REDIS_URL },
      portNames: ['GATEHOUSE_PROXY_PORT', 'GATEHOUSE_STATUS_PORT'],
    });
    const startedAt = Date.now();
    const child = spawnTaskGateway(dp.env, dp.user);
    children.push(child);
    const url = `http://127.0.0.1:${dp.ports.GATEHOUSE_STATUS_PORT}${primary.healthCheck.path}`;
    await waitFor(async () => (await request(url).then(async (r) => (await r.body.dump(), r.statusCode)).catch(() => 0)) === 200, `${url} to answer 200`, primary.gracePeriodSeconds * 1000);
    dataPlanes = { [PRIMARY]: { ...dp, child, readyAfterMs: Date.now() - startedAt } };
    expect(dataPlanes[PRIMARY]!.readyAfterMs).toBeLessThan(primary.gracePeriodSeconds * 1000);
    expect(await runContainerCommand(dp.container.HealthCheck!.Command, dp.env, dp.user, dp.dir)).toMatchObject({ code: 0 });
    // Who is connected, and how: the control plane as the owner, the data plane as the reader, every connection verified TLS.
    const admin = new Client({ connectionString: pg.primary.url('postgres') });
    await admin.connect();
    const { rows } = await admin.query(
      `SELECT DISTINCT a.usename AS role, a.application_name AS app, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name LIKE 'gatehouse%' ORDER BY 1, 2`,
    );
    await admin.end();
    expect(rows.map((r) => `${r.role}/${r.app}/${r.ssl}`)).toEqual(['gatehouse_reader/gatehouse/true', 'gatehouse_reader/gatehouse-listen/true', 'postgres/gatehouse/true']);
  });

  test('the secondary data plane syncs from the streaming replica with no warning or error', async () => {
    await pg.caughtUp();
    const dp = await boot(secondary, 'gateway', {
      database: { host: pg.replica.host, port: pg.replica.port },
      awsRegion: SECONDARY,
      secrets: { ...readerSecrets, REDIS_URL },
      portNames: ['GATEHOUSE_PROXY_PORT', 'GATEHOUSE_STATUS_PORT'],
    });
    const child = spawnTaskGateway(dp.env, dp.user);
    children.push(child);
    const url = `http://127.0.0.1:${dp.ports.GATEHOUSE_STATUS_PORT}${secondary.healthCheck.path}`;
    await waitFor(async () => (await request(url).then(async (r) => (await r.body.dump(), r.statusCode)).catch(() => 0)) === 200, `${url} to answer 200`, secondary.gracePeriodSeconds * 1000);
    dataPlanes[SECONDARY] = { ...dp, child, readyAfterMs: 0 };
    expect(await runContainerCommand(dp.container.HealthCheck!.Command, dp.env, dp.user, dp.dir)).toMatchObject({ code: 0 });
    // One poll interval more, so a LISTEN attempt or a failing poll would have been logged.
    await new Promise((r) => setTimeout(r, Number(dp.env.GATEHOUSE_POLL_INTERVAL_MS ?? 5_000) + 1_000));
    expect(levels(child, 40)).toEqual([]);
  });

  test('a config written on the primary\'s control plane reaches the secondary\'s data plane through the replica', async () => {
    const port = (upstream.address() as { port: number }).port;
    const res = await request(`http://127.0.0.1:${controlPlane.ports.GATEHOUSE_ADMIN_PORT}/admin/v1/config`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ upstreams: [{ id: 'backend', targets: [{ host: '127.0.0.1', port }] }], routes: [{ id: 'hello', paths: ['/hello'], upstream: 'backend' }] }),
    });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const secondaryProxy = `http://127.0.0.1:${dataPlanes[SECONDARY]!.ports.GATEHOUSE_PROXY_PORT}/hello`;
    const answer = await waitFor(async () => {
      const r = await request(secondaryProxy);
      const text = await r.body.text();
      return r.statusCode === 200 && text;
    }, 'the secondary data plane to serve version 2', 30_000);
    expect(answer).toBe('from upstream');
    expect(levels(dataPlanes[SECONDARY]!.child, 40)).toEqual([]);
  });

  test('every process runs as the task\'s user and writes only onto its data volume', async () => {
    const all = [controlPlane, ...Object.values(dataPlanes)];
    for (const p of all) expect(await processUid(p.child.proc.pid!)).toBe(p.user.uid);
    const uid = controlPlane.user.uid;
    const elsewhere = await filesWrittenBy(uid, marker, ['/tmp', '/var/tmp', '/dev/shm', REPO_ROOT, join(REPO_ROOT, 'node_modules/')], volumes);
    expect(elsewhere).toEqual([]);
    for (const p of all) expect(await filesNotOwnedBy(p.dir, p.user.uid)).toEqual([]);
    expect(levels(controlPlane.child, 50)).toEqual([]);
  });
});
