/**
 * AWS Control Tower's proactive controls at synth: the cfn-guard rules shipped in
 * `@cdklabs/cdk-validator-cfnguard`, run as a CDK policy-validation plugin over every template of the
 * app. A failing rule stops synth. The only rules that may fail are the exemptions listed here, each
 * for the profiles that argue it away and with its reason; everything else is fixed in the constructs.
 * docs/DEPLOY.md ("Control Tower") lists the same table, and a test keeps the list exact.
 */
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { Validations, type App, type Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { DeploymentConfig, ProfileName } from './config';
import type { GatehouseStacks } from './stacks';

/** The plugin's name, the namespace of its rule ids in acknowledgements. */
export const CONTROL_TOWER_PLUGIN = 'cdk-validator-cfnguard';

/** One rule the kit does not meet, for which profiles, where, and why. */
export interface ControlTowerExemption {
  /** The cfn-guard rule name (as the report's "Acknowledge with" line names it). */
  readonly rule: string;
  /** The Control Tower control id, for people. */
  readonly control: string;
  /** The profiles the exemption holds for. */
  readonly profiles: readonly ProfileName[];
  /** A deployment-config switch that makes the exemption hold in any profile (an explicit opt-out). */
  readonly optIn?: ExemptionOptIn;
  /** Construct paths inside each stack the exemption covers (a path a stack lacks is skipped). */
  readonly paths: readonly string[];
  readonly reason: string;
}

/** The deployment-config switches by which a prod deployment opts out of a control on purpose. */
export type ExemptionOptIn = 'allowHttpOnly' | 'allowHttpAdmin';
/** What decides which exemptions a deployment gets. */
export type ControlTowerConfig = Pick<DeploymentConfig, 'profile' | ExemptionOptIn>;

const BOTH: readonly ProfileName[] = ['dev', 'prod'];
const DEV: readonly ProfileName[] = ['dev'];

export const CONTROL_TOWER_EXEMPTIONS: readonly ControlTowerExemption[] = [
  // dev: teardown and cost
  { rule: 'elbv2_deletion_protection_enabled_check', control: 'CT.ELB.PR.4', profiles: DEV, paths: ['LoadBalancer/LoadBalancer', 'ControlPlane/LoadBalancer'], reason: 'dev stacks are torn down at will; the prod profile turns deletion protection on.' },
  { rule: 'rds_instance_deletion_protection_enabled_check', control: 'CT.RDS.PR.5', profiles: DEV, paths: ['ConfigDatabase', 'ConfigReadReplica'], reason: 'dev stacks are torn down at will; the prod profile turns deletion protection on.' },
  { rule: 'cloudwatch_log_group_retention_period_check', control: 'CT.CLOUDWATCH.PR.2', profiles: DEV, paths: [''], reason: 'dev keeps logs 30 days (cost); prod keeps every log group 365 days.' },
  { rule: 'alb_http_to_https_redirection_check', control: 'CT.ELB.PR.1', profiles: DEV, optIn: 'allowHttpOnly', paths: ['LoadBalancer/LoadBalancer/Http'], reason: 'a dev deployment may have no certificate and then serves plain HTTP; prod refuses a config without certificates unless allowHttpOnly says so.' },
  { rule: 'alb_http_to_https_redirection_check', control: 'CT.ELB.PR.1', profiles: DEV, optIn: 'allowHttpAdmin', paths: ['ControlPlane/LoadBalancer/Admin'], reason: 'without adminCertificateArn the internal admin listener is plain HTTP inside the VPC (reached only through the port-forwarding host); prod refuses a config without one unless allowHttpAdmin says so.' },
  // both: what the rule asks is impossible or self-defeating here
  { rule: 'alb_http_to_https_redirection_check', control: 'CT.ELB.PR.1', profiles: BOTH, paths: ['LoadBalancer/LoadBalancer/Test'], reason: 'the blue/green test listener carries only the smoke test, from the NAT addresses, to the not-yet-live tasks; CodeDeploy needs it as a listener of its own, not a redirect (it is HTTPS itself when the target groups speak HTTP2 or GRPC).' },
  { rule: 's3_bucket_default_encryption_kms_check', control: 'CT.S3.PR.10', profiles: BOTH, paths: ['LoadBalancer/AccessLogs'], reason: 'ALB access logs can only be written to a bucket encrypted with SSE-S3 (ELB user guide, "Access logs for your Application Load Balancer").' },
  { rule: 's3_bucket_logging_enabled_check', control: 'CT.S3.PR.2', profiles: BOTH, paths: ['LoadBalancer/AccessLogs', 'Backup/Bucket'], reason: 'the access-log bucket is itself a log destination (logging it recurses); the backup bucket\'s writers are the control plane\'s task role only, whose calls CloudTrail records.' },
  { rule: 's3_bucket_object_lock_enabled_check', control: 'CT.S3.PR.9', profiles: BOTH, paths: ['LoadBalancer/AccessLogs', 'Backup/Bucket'], reason: 'access logs and config backups expire by lifecycle rules (cost, and the backup\'s source of truth is the database); a retention lock would keep every object past them.' },
  { rule: 'lambda_inside_vpc_check', control: 'CT.LAMBDA.PR.3', profiles: BOTH, paths: ['Release/ServiceShape', 'Release/Rollout', 'AdminToken', 'AWS679f53fac002430cb0da5b7982bd2287'], reason: 'deploy-time custom resource handlers that only call AWS APIs and hold no data; the base stack has no VPC at all. (The smoke test, which reaches the tasks, runs in the VPC.)' },
  { rule: 'cloudwatch_alarm_action_check', control: 'CT.CLOUDWATCH.PR.1', profiles: BOTH, paths: ['GlobalRouting'], reason: 'the Route 53 NoHealthyTargets alarms are signals for the health check, not pages: between releases the idle target group is empty, so one of them is in ALARM most of the time (HealthyHostsBelowMinimum pages instead).' },
  { rule: 'ec2_instance_nitro_encryption_in_transit_check', control: 'CT.EC2.PR.19', profiles: BOTH, paths: ['AdminAccess'], reason: 'the port-forwarding host (t4g.nano) only relays Session Manager sessions, which are TLS end to end; Nitro in-transit encryption needs a much larger instance type.' },
];

function constructAt(stack: Stack, path: string): IConstruct | undefined {
  let at: IConstruct | undefined = stack;
  for (const id of path.split('/').filter(Boolean)) at = at?.node.tryFindChild(id);
  return at;
}

/** The exemptions a deployment gets: its profile's, and those its config opts into explicitly. */
export function exemptionsFor(config: ControlTowerConfig): ControlTowerExemption[] {
  return CONTROL_TOWER_EXEMPTIONS.filter((e) => e.profiles.includes(config.profile) || (e.optIn !== undefined && config[e.optIn]));
}

/** Acknowledges, in each stack, the exemptions of the deployment. */
export function acknowledgeExemptions(stack: Stack, config: ControlTowerConfig): void {
  for (const exemption of exemptionsFor(config)) {
    for (const path of exemption.paths) {
      const scope = constructAt(stack, path);
      if (scope) Validations.of(scope).acknowledge({ id: `${CONTROL_TOWER_PLUGIN}::${exemption.rule}`, reason: `${exemption.control}: ${exemption.reason}` });
    }
  }
}

/** Registers the Control Tower rules on the app and acknowledges the deployment's exemptions in every stack. */
export function applyControlTower(app: App, stacks: GatehouseStacks, config: ControlTowerConfig): void {
  Validations.of(app).addPlugins(new CfnGuardValidator());
  for (const stack of [...Object.values(stacks.base), ...Object.values(stacks.regional)]) acknowledgeExemptions(stack, config);
}
