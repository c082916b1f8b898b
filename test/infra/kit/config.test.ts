import { DeploymentConfigError, loadDeploymentConfig, PROFILE_DEFAULTS } from '../../../infra/lib/config';
import * as fs from 'node:fs';
import * as path from 'node:path';

const MINIMAL = { account: '123456789012', primaryRegion: 'us-east-1', secondaryRegions: ['us-west-2'] };

function problemsOf(raw: unknown): Array<{ path: string; message: string; fix: string }> {
  try {
    loadDeploymentConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(DeploymentConfigError);
    return [...(err as DeploymentConfigError).problems];
  }
  throw new Error('expected the config to be rejected');
}

describe('deployment config', () => {
  test('accepts the minimal config and fills the dev profile defaults', () => {
    const c = loadDeploymentConfig(MINIMAL);
    expect(c.stackPrefix).toBe('Gatehouse');
    expect(c.profile).toBe('dev');
    expect(c.availabilityZones).toEqual({ 'us-east-1': ['us-east-1a', 'us-east-1b', 'us-east-1c'], 'us-west-2': ['us-west-2a', 'us-west-2b', 'us-west-2c'] });
    expect(c.task).toEqual({ cpu: 512, memoryMiB: 1024, minTasks: 2, maxTasks: 4, targetCpuPercent: 60, requestsPerTask: 1000 });
    expect(c.redis).toEqual({ nodeType: 'cache.t4g.small', replicas: 1, snapshotRetentionDays: 1 });
    expect(c.database).toEqual({ instanceClass: 'db.t4g.medium', allocatedStorageGiB: 20, backupRetentionDays: 7 });
    expect(c).toMatchObject({ trafficShifting: 'canary', canaryPath: '/', drainTimeoutSeconds: 30, testListenerPort: 9000, retainData: false, deletionProtection: false });
    expect(c.domain).toBeUndefined();
    expect(c.image).toBeUndefined();
    expect(c.alarmEmails).toEqual([]);
  });

  test('prod refuses a region without a certificate unless plain HTTP is allowed explicitly', () => {
    const certificateArns = { 'us-east-1': 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123' };
    expect(problemsOf({ ...MINIMAL, profile: 'prod', certificateArns, allowHttpAdmin: true })).toEqual([
      {
        path: '/certificateArns',
        message: 'a prod deployment serves HTTPS, but us-west-2 has no certificate.',
        fix: 'give an ACM certificate ARN for each region in certificateArns, or set "allowHttpOnly": true to serve plain HTTP there on purpose.',
      },
    ]);
    expect(loadDeploymentConfig({ ...MINIMAL, profile: 'prod', certificateArns, allowHttpOnly: true, allowHttpAdmin: true }).allowHttpOnly).toBe(true);
    expect(loadDeploymentConfig(MINIMAL)).toMatchObject({ allowHttpOnly: false, waf: false });
  });

  test('prod refuses a config without an admin certificate unless plain HTTP for the admin API is allowed explicitly', () => {
    const certificateArns = { 'us-east-1': 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123', 'us-west-2': 'arn:aws:acm:us-west-2:123456789012:certificate/def-456' };
    expect(problemsOf({ ...MINIMAL, profile: 'prod', certificateArns })).toEqual([
      {
        path: '/adminCertificateArn',
        message: 'a prod deployment serves the admin API over HTTPS, but no adminCertificateArn is given.',
        fix: 'give an ACM certificate ARN (primary region) for the admin listener in adminCertificateArn, or set "allowHttpAdmin": true to serve it over plain HTTP inside the VPC on purpose.',
      },
    ]);
    expect(loadDeploymentConfig({ ...MINIMAL, profile: 'prod', certificateArns, allowHttpAdmin: true })).toMatchObject({ allowHttpAdmin: true });
    expect(loadDeploymentConfig({ ...MINIMAL, profile: 'prod', certificateArns, adminCertificateArn: certificateArns['us-east-1'] }).adminCertificateArn).toBe(certificateArns['us-east-1']);
    expect(loadDeploymentConfig(MINIMAL)).toMatchObject({ allowHttpAdmin: false });
    expect(loadDeploymentConfig(MINIMAL).adminCertificateArn).toBeUndefined();
  });

  test('an admin certificate outside the primary region is refused', () => {
    expect(problemsOf({ ...MINIMAL, adminCertificateArn: 'arn:aws:acm:us-west-2:123456789012:certificate/def-456' })).toEqual([
      {
        path: '/adminCertificateArn',
        message: 'the certificate is in region "us-west-2", but the admin load balancer runs in the primary region "us-east-1".',
        fix: 'request or import the certificate in us-east-1 and give that ARN.',
      },
    ]);
    expect(problemsOf({ ...MINIMAL, adminCertificateArn: 'arn:nope' })[0]).toMatchObject({ path: '/adminCertificateArn', fix: expect.stringContaining('use an ACM certificate ARN such as') });
  });

  test('alarm emails are kept and a malformed address is refused with an example', () => {
    expect(loadDeploymentConfig({ ...MINIMAL, alarmEmails: ['oncall@example.com'] }).alarmEmails).toEqual(['oncall@example.com']);
    expect(problemsOf({ ...MINIMAL, alarmEmails: ['oncall'] })).toEqual([
      { path: '/alarmEmails/0', message: 'must match pattern "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$".', fix: 'use an email address such as "oncall@example.com".' },
    ]);
  });

  test('the prod profile retains data, protects the database and sizes up', () => {
    const c = loadDeploymentConfig({ ...MINIMAL, profile: 'prod', allowHttpOnly: true, allowHttpAdmin: true });
    expect(c).toMatchObject({ retainData: true, deletionProtection: true, natGateways: 3 });
    expect(c.task.minTasks).toBe(PROFILE_DEFAULTS.prod.task.minTasks);
    expect(c.redis.replicas).toBe(2);
  });

  test('explicit values win over the profile; memory follows an explicit cpu', () => {
    const c = loadDeploymentConfig({ ...MINIMAL, profile: 'prod', allowHttpOnly: true, allowHttpAdmin: true, task: { cpu: 2048, minTasks: 20 }, redis: { replicas: 1 }, trafficShifting: 'linear' });
    expect(c.task).toMatchObject({ cpu: 2048, memoryMiB: 4096, minTasks: 20, maxTasks: 20 });
    expect(c.redis.replicas).toBe(1);
    expect(c.trafficShifting).toBe('linear');
  });

  test('the domain record defaults to the zone apex', () => {
    const c = loadDeploymentConfig({ ...MINIMAL, domain: { zoneName: 'example.com', hostedZoneId: 'Z0123456789ABC' } });
    expect(c.domain).toEqual({ zoneName: 'example.com', hostedZoneId: 'Z0123456789ABC', recordName: 'example.com' });
  });

  test('accepts the config as a JSON string (cdk -c gatehouse=...)', () => {
    expect(loadDeploymentConfig(JSON.stringify(MINIMAL)).primaryRegion).toBe('us-east-1');
  });

  test('the committed cdk.json holds a valid two-region default', () => {
    const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'cdk.json'), 'utf8')) as { app: string; context: { gatehouse: unknown } };
    const c = loadDeploymentConfig(cdkJson.context.gatehouse);
    expect([c.primaryRegion, ...c.secondaryRegions]).toEqual(['us-east-1', 'us-west-2']);
    expect(cdkJson.app).toBe('npx tsx infra/bin/app.ts');
  });

  test('rejects a missing config with how to add it', () => {
    expect(() => loadDeploymentConfig(undefined)).toThrow(
      'Invalid deployment config (cdk.json context "gatehouse"):\n  /: the deployment config is missing or not an object. Fix: add "gatehouse": { "account": "123456789012", "primaryRegion": "us-east-1", "secondaryRegions": ["us-west-2"] } under "context" in cdk.json (or pass -c gatehouse=\'{...}\').',
    );
  });

  test('rejects wrong types and unknown keys, naming each with its fix', () => {
    expect(problemsOf({ account: '12', primaryRegion: 'useast', profile: 'staging', colour: 'blue' })).toEqual([
      { path: '', message: 'must NOT have additional properties.', fix: 'remove "colour" or check its spelling.' },
      { path: '/account', message: 'must match pattern "^\\d{12}$".', fix: 'set the 12-digit id of the AWS account to deploy into, e.g. "123456789012".' },
      { path: '/primaryRegion', message: 'must match pattern "^[a-z]{2}(-gov)?-[a-z]+-\\d$".', fix: 'use an AWS region name such as "us-east-1".' },
      { path: '/profile', message: 'must be one of ["dev","prod"].', fix: 'use one of ["dev","prod"].' },
    ]);
  });

  test('rejects a missing account', () => {
    expect(problemsOf({ primaryRegion: 'us-east-1' })).toEqual([{ path: '', message: "must have required property 'account'.", fix: 'add the property "account".' }]);
  });

  test('rejects a secondary region equal to the primary', () => {
    expect(problemsOf({ ...MINIMAL, secondaryRegions: ['us-east-1'] })).toEqual([
      { path: '/secondaryRegions/0', message: '"us-east-1" is also the primaryRegion.', fix: 'list only regions other than the primary in secondaryRegions.' },
    ]);
  });

  test('rejects zones of another region and zones for a region not deployed', () => {
    expect(problemsOf({ ...MINIMAL, availabilityZones: { 'us-east-1': ['us-east-1a', 'us-east-1b', 'us-west-2c'], 'eu-west-1': ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] } })).toEqual([
      { path: '/availabilityZones/us-east-1/2', message: 'availability zone "us-west-2c" is not in region "us-east-1".', fix: 'use zones of us-east-1, e.g. "us-east-1a".' },
      {
        path: '/availabilityZones/eu-west-1',
        message: '"eu-west-1" is not one of the deployed regions (us-east-1, us-west-2).',
        fix: 'remove the entry or add the region to primaryRegion/secondaryRegions.',
      },
    ]);
  });

  test('rejects fewer than three zones', () => {
    expect(problemsOf({ ...MINIMAL, availabilityZones: { 'us-east-1': ['us-east-1a', 'us-east-1b'] } })).toEqual([
      { path: '/availabilityZones/us-east-1', message: 'must NOT have fewer than 3 items.', fix: 'give at least 3 item(s).' },
    ]);
  });

  test('rejects a certificate from another region', () => {
    expect(problemsOf({ ...MINIMAL, certificateArns: { 'us-west-2': 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123' } })).toEqual([
      {
        path: '/certificateArns/us-west-2',
        message: 'the certificate is in region "us-east-1", but an ALB can only use an ACM certificate of its own region "us-west-2".',
        fix: 'request or import the certificate in us-west-2 and give that ARN.',
      },
    ]);
  });

  test('rejects a memory size Fargate does not offer for the cpu', () => {
    expect(problemsOf({ ...MINIMAL, task: { cpu: 256, memoryMiB: 4096 } })).toEqual([
      { path: '/task/memoryMiB', message: '4096 MiB is not a valid Fargate memory size for 256 CPU units.', fix: 'use one of 512, 1024, 2048.' },
    ]);
  });

  test('rejects maxTasks below minTasks and a single task', () => {
    expect(problemsOf({ ...MINIMAL, task: { minTasks: 6, maxTasks: 3 } })).toEqual([
      { path: '/task/maxTasks', message: 'maxTasks (3) is below minTasks (6).', fix: 'set maxTasks to at least 6.' },
    ]);
    expect(problemsOf({ ...MINIMAL, task: { minTasks: 1 } })).toEqual([{ path: '/task/minTasks', message: 'must be >= 2.', fix: 'use a number >= 2.' }]);
  });

  test('rejects an unknown traffic shifting and a relative canary path', () => {
    expect(problemsOf({ ...MINIMAL, trafficShifting: 'blue-green', canaryPath: 'health' })).toEqual([
      { path: '/trafficShifting', message: 'must be one of ["canary","linear","all-at-once"].', fix: 'use one of ["canary","linear","all-at-once"].' },
      { path: '/canaryPath', message: 'must match pattern "^/".', fix: 'start the path with "/", e.g. "/" or "/health".' },
    ]);
  });

  test('rejects invalid JSON given on the command line', () => {
    expect(() => loadDeploymentConfig('{"account":')).toThrow(/\/: the deployment config is not valid JSON \(.+\)\. Fix: correct the JSON given with -c\./);
  });
});
