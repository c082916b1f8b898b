/**
 * AWS Control Tower's proactive controls (the cfn-guard rules of @cdklabs/cdk-validator-cfnguard) over
 * every template of a dev and of a prod deployment, as `infra/bin/app.ts` registers them: synth passes,
 * and the only rules acknowledged are the profile's exemptions in infra/lib/control-tower.ts, which
 * docs/DEPLOY.md lists.
 */
import { PROD_DEPLOYMENT } from './helpers';
import { App } from 'aws-cdk-lib';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyControlTower, buildGatehouse, CONTROL_TOWER_EXEMPTIONS, exemptionsFor, loadDeploymentConfig, type ProfileName } from '../../../infra/lib';

const ROOT = path.join(__dirname, '..', '..', '..');
const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> & { gatehouse: Record<string, unknown> } };
const PROD = PROD_DEPLOYMENT;

interface PluginReport {
  pluginName: string;
  violations: Array<{ ruleName: string }>;
  suppressedViolations?: Array<{ ruleName: string }>;
}
interface Report {
  pluginReports: PluginReport[];
}

/** Synthesises the deployment with the Control Tower rules; returns the validation report. */
function synthWithControls(input: unknown): Report {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-ct-'));
  try {
    const config = loadDeploymentConfig(input);
    const app = new App({ outdir, context: { ...cdkJson.context } });
    applyControlTower(app, buildGatehouse(app, config, { imageUri: 'public.ecr.aws/example/gatehouse:1.0.0' }), config);
    app.synth(); // throws ValidationFailed on an unacknowledged rule
    return JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Report;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const controlTower = (report: Report): PluginReport => report.pluginReports.find((r) => r.pluginName === 'cdk-validator-cfnguard')!;

const exemptionsOf = (profile: ProfileName) => [...new Set(CONTROL_TOWER_EXEMPTIONS.filter((e) => e.profiles.includes(profile)).map((e) => e.rule))].sort();

describe.each([
  ['dev', cdkJson.context.gatehouse],
  ['prod', PROD],
] as const)('the %s profile', (profile, input) => {
  let report: Report;
  beforeAll(() => {
    report = synthWithControls(input);
  });

  test('passes every Control Tower rule it does not acknowledge', () => {
    expect(controlTower(report).violations.map((v) => v.ruleName)).toEqual([]);
  });

  test('acknowledges exactly the profile\'s exemptions, each of which still applies', () => {
    // The default dev config has no hosted zone, so the Route 53 signal alarms' exemption has nothing to cover there.
    const expected = exemptionsOf(profile).filter((rule) => profile === 'prod' || rule !== 'cloudwatch_alarm_action_check');
    expect([...new Set((controlTower(report).suppressedViolations ?? []).map((v) => v.ruleName))].sort()).toEqual(expected);
  });
});

test('the exemptions per profile', () => {
  expect(exemptionsOf('prod')).toEqual([
    'alb_http_to_https_redirection_check',
    'cloudwatch_alarm_action_check',
    'ec2_instance_nitro_encryption_in_transit_check',
    'lambda_inside_vpc_check',
    's3_bucket_default_encryption_kms_check',
    's3_bucket_logging_enabled_check',
    's3_bucket_object_lock_enabled_check',
  ]);
  expect(exemptionsOf('dev')).toEqual([
    ...exemptionsOf('prod'),
    'cloudwatch_log_group_retention_period_check',
    'elbv2_deletion_protection_enabled_check',
    'rds_instance_deletion_protection_enabled_check',
  ].sort());
  for (const e of CONTROL_TOWER_EXEMPTIONS) expect(e.reason.length).toBeGreaterThan(40);
});

test('docs/DEPLOY.md lists every exemption with its profiles and opt-in', () => {
  const deploy = fs.readFileSync(path.join(ROOT, 'docs', 'DEPLOY.md'), 'utf8');
  for (const e of CONTROL_TOWER_EXEMPTIONS)
    expect(deploy).toContain(`| ${e.control} \`${e.rule}\` | ${e.profiles.join(', ')}${e.optIn ? `; prod with \`${e.optIn}\`` : ''} |`);
});

// A prod deployment that opts out of HTTPS on purpose (public edge and admin listener) must still synth:
// the opt-in switches carry their exemptions, and only those paths.
test('prod with allowHttpOnly and allowHttpAdmin: synth passes, the plain HTTP listeners acknowledged by their opt-in', () => {
  const { certificateArns: _c, adminCertificateArn: _a, ...plain } = PROD;
  const config = { ...plain, secondaryRegions: [], allowHttpOnly: true, allowHttpAdmin: true };
  expect(exemptionsFor(loadDeploymentConfig(config)).filter((e) => e.optIn).map((e) => e.paths)).toEqual([['LoadBalancer/LoadBalancer/Http'], ['ControlPlane/LoadBalancer/Admin']]);
  const report = synthWithControls(config);
  expect(controlTower(report).violations.map((v) => v.ruleName)).toEqual([]);
  expect((controlTower(report).suppressedViolations ?? []).map((v) => v.ruleName)).toContain('alb_http_to_https_redirection_check');
});

test('prod with an admin certificate: the admin listener is HTTPS on 443 and needs no exemption', () => {
  expect(exemptionsFor(loadDeploymentConfig(PROD)).flatMap((e) => e.paths)).not.toContain('ControlPlane/LoadBalancer/Admin');
});
