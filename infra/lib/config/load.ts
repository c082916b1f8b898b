/**
 * Turns the raw deployment config (from `cdk.json` context) into a fully resolved, checked
 * `DeploymentConfig`: schema first (Ajv over the TypeBox schema, shared with the gateway), then the
 * checks a schema cannot express, then profile defaults. Any problem stops synth with its path and fix.
 */
import { validateAgainst } from '../../../gateway/src/config/schema-check';
import { formatProblems, type Problem } from '../../../gateway/src/core/errors';
import { FARGATE_MEMORY_MIB, PROFILE_DEFAULTS, type CacheSizes, type DatabaseSizes, type TaskSizes } from './profiles';
import { definedOnly } from '../constructs/defined-only';
import { ALARM_THRESHOLDS, type RegionAlarmThresholds } from '../constructs/region-alarms';
import { GATEWAY_ALARM_THRESHOLDS, type GatewayAlarmThresholds } from '../constructs/gateway-alarms';
import type { TargetProtocolVersion } from '../constructs/target-protocol';
import { DeploymentConfigSchema, type DeploymentConfigInput, type ProfileName, type TrafficShiftingName } from './schema';

/** The context key in `cdk.json` that holds the deployment config. */
export const CONTEXT_KEY = 'gatehouse';

/** A fully resolved deployment config: every size filled from the profile when not given. */
export interface DeploymentConfig {
  readonly account: string;
  readonly primaryRegion: string;
  readonly secondaryRegions: readonly string[];
  readonly stackPrefix: string;
  readonly profile: ProfileName;
  readonly availabilityZones: Readonly<Record<string, readonly string[]>>;
  readonly domain?: { readonly zoneName: string; readonly hostedZoneId: string; readonly recordName: string };
  readonly certificateArns: Readonly<Record<string, string>>;
  /** A prod deployment may serve plain HTTP in regions without a certificate. */
  readonly allowHttpOnly: boolean;
  /** Certificate of the internal admin listener (primary region): HTTPS when given. */
  readonly adminCertificateArn?: string;
  /** A prod deployment may serve the admin API over plain HTTP inside the VPC. */
  readonly allowHttpAdmin: boolean;
  /** What the public load balancers speak to the data plane's tasks (target-protocol.ts). */
  readonly targetProtocolVersion: TargetProtocolVersion;
  /** Each public load balancer gets the kit's AWS WAF web ACL. */
  readonly waf: boolean;
  readonly image?: string;
  /** Tag of the first image in the kit's repository (used when `image` is not given). */
  readonly initialImageTag: string;
  /** The initial gateway config file, relative to the repository root. */
  readonly initialConfig: string;
  /** Whether the kit owns the registry's replication configuration. */
  readonly manageEcrReplication: boolean;
  readonly task: TaskSizes;
  readonly redis: CacheSizes;
  readonly database: DatabaseSizes;
  readonly natGateways: number;
  readonly trafficShifting: TrafficShiftingName;
  readonly canaryPath: string;
  readonly drainTimeoutSeconds: number;
  readonly testListenerPort: number;
  /** Addresses subscribed by email to every region's alarm topic. */
  readonly alarmEmails: readonly string[];
  /** Every alarm threshold: the constructs' defaults with the config's on top. */
  readonly alarmThresholds: AlarmThresholds;
  readonly retainData: boolean;
  readonly deletionProtection: boolean;
  readonly logRetentionDays: number;
}

/** The thresholds of the region and gateway alarms, one namespace (their names do not overlap). */
export type AlarmThresholds = RegionAlarmThresholds & GatewayAlarmThresholds;
/** The defaults of every alarm threshold, from the constructs that own them. */
export const DEFAULT_ALARM_THRESHOLDS: AlarmThresholds = { ...ALARM_THRESHOLDS, ...GATEWAY_ALARM_THRESHOLDS };

/** A deployment config that cannot be used; `problems` lists each wrong value with its fix. */
export class DeploymentConfigError extends Error {
  constructor(
    readonly problems: readonly Problem[],
    source: string,
  ) {
    super(`Invalid deployment config (${source}):\n${formatProblems(problems)}`);
    this.name = 'DeploymentConfigError';
  }
}

/** Regions in deployment order: the primary first. */
export function deployedRegions(config: Pick<DeploymentConfig, 'primaryRegion' | 'secondaryRegions'>): string[] {
  return [config.primaryRegion, ...config.secondaryRegions];
}

/** Pattern failures read better with an example than with the regular expression. */
const PATTERN_FIXES: ReadonlyArray<[RegExp, string]> = [
  [/^\/account$/, 'set the 12-digit id of the AWS account to deploy into, e.g. "123456789012".'],
  [/^\/(primaryRegion|secondaryRegions\/\d+)$/, 'use an AWS region name such as "us-east-1".'],
  [/^\/availabilityZones\/[^/]+\/\d+$/, 'use an availability zone name such as "us-east-1a".'],
  [/^\/(certificateArns\/[^/]+|adminCertificateArn)$/, 'use an ACM certificate ARN such as "arn:aws:acm:us-east-1:123456789012:certificate/<id>".'],
  [/^\/stackPrefix$/, 'start with a letter and use only letters, digits and "-", e.g. "Gatehouse".'],
  [/^\/canaryPath$/, 'start the path with "/", e.g. "/" or "/health".'],
  [/^\/domain\/hostedZoneId$/, 'use the Route 53 hosted zone id, e.g. "Z0123456789ABCDEFGHIJ".'],
  [/^\/alarmEmails\/\d+$/, 'use an email address such as "oncall@example.com".'],
];

function withFriendlyFix(problem: Problem): Problem {
  if (!problem.message.startsWith('must match pattern')) return problem;
  const hit = PATTERN_FIXES.find(([path]) => path.test(problem.path));
  return hit ? { ...problem, fix: hit[1] } : problem;
}

function crossFieldProblems(c: DeploymentConfigInput): Problem[] {
  const problems: Problem[] = [];
  const regions = new Set([c.primaryRegion, ...c.secondaryRegions]);
  c.secondaryRegions.forEach((r, i) => {
    if (r === c.primaryRegion)
      problems.push({
        path: `/secondaryRegions/${i}`,
        message: `"${r}" is also the primaryRegion.`,
        fix: 'list only regions other than the primary in secondaryRegions.',
      });
  });
  for (const [region, zones] of Object.entries(c.availabilityZones ?? {})) {
    if (!regions.has(region))
      problems.push({
        path: `/availabilityZones/${region}`,
        message: `"${region}" is not one of the deployed regions (${[...regions].join(', ')}).`,
        fix: 'remove the entry or add the region to primaryRegion/secondaryRegions.',
      });
    zones.forEach((zone, i) => {
      if (!zone.startsWith(region))
        problems.push({
          path: `/availabilityZones/${region}/${i}`,
          message: `availability zone "${zone}" is not in region "${region}".`,
          fix: `use zones of ${region}, e.g. "${region}a".`,
        });
    });
  }
  for (const [region, arn] of Object.entries(c.certificateArns ?? {})) {
    if (!regions.has(region))
      problems.push({
        path: `/certificateArns/${region}`,
        message: `"${region}" is not one of the deployed regions (${[...regions].join(', ')}).`,
        fix: 'remove the entry or add the region to primaryRegion/secondaryRegions.',
      });
    else if (arn.split(':')[3] !== region)
      problems.push({
        path: `/certificateArns/${region}`,
        message: `the certificate is in region "${arn.split(':')[3]}", but an ALB can only use an ACM certificate of its own region "${region}".`,
        fix: `request or import the certificate in ${region} and give that ARN.`,
      });
  }
  const withoutCertificate = [...regions].filter((r) => !c.certificateArns?.[r]);
  if (c.profile === 'prod' && withoutCertificate.length && !c.allowHttpOnly)
    problems.push({
      path: '/certificateArns',
      message: `a prod deployment serves HTTPS, but ${withoutCertificate.join(', ')} has no certificate.`,
      fix: 'give an ACM certificate ARN for each region in certificateArns, or set "allowHttpOnly": true to serve plain HTTP there on purpose.',
    });
  if (c.adminCertificateArn && c.adminCertificateArn.split(':')[3] !== c.primaryRegion)
    problems.push({
      path: '/adminCertificateArn',
      message: `the certificate is in region "${c.adminCertificateArn.split(':')[3]}", but the admin load balancer runs in the primary region "${c.primaryRegion}".`,
      fix: `request or import the certificate in ${c.primaryRegion} and give that ARN.`,
    });
  if (c.profile === 'prod' && !c.adminCertificateArn && !c.allowHttpAdmin)
    problems.push({
      path: '/adminCertificateArn',
      message: 'a prod deployment serves the admin API over HTTPS, but no adminCertificateArn is given.',
      fix: 'give an ACM certificate ARN (primary region) for the admin listener in adminCertificateArn, or set "allowHttpAdmin": true to serve it over plain HTTP inside the VPC on purpose.',
    });
  if (c.targetProtocolVersion !== 'HTTP1' && withoutCertificate.length)
    problems.push({
      path: '/targetProtocolVersion',
      message: `${c.targetProtocolVersion} target groups need HTTPS listeners (an ALB forwards HTTP/2 and gRPC to targets only from HTTPS), but ${withoutCertificate.join(', ')} has no certificate.`,
      fix: 'give an ACM certificate ARN for each region in certificateArns, or use "targetProtocolVersion": "HTTP1".',
    });
  const profile = PROFILE_DEFAULTS[c.profile ?? 'dev'].task;
  const cpu = c.task?.cpu ?? profile.cpu;
  const memory = c.task?.memoryMiB ?? (c.task?.cpu === undefined ? profile.memoryMiB : FARGATE_MEMORY_MIB[cpu][0]);
  if (!FARGATE_MEMORY_MIB[cpu].includes(memory))
    problems.push({
      path: '/task/memoryMiB',
      message: `${memory} MiB is not a valid Fargate memory size for ${cpu} CPU units.`,
      fix: `use one of ${FARGATE_MEMORY_MIB[cpu].join(', ')}.`,
    });
  const minTasks = c.task?.minTasks ?? profile.minTasks;
  const maxTasks = c.task?.maxTasks ?? Math.max(profile.maxTasks, minTasks);
  if (minTasks > maxTasks)
    problems.push({
      path: '/task/maxTasks',
      message: `maxTasks (${maxTasks}) is below minTasks (${minTasks}).`,
      fix: `set maxTasks to at least ${minTasks}.`,
    });
  return problems;
}

/** The profile's sizes with the given ones on top (a size left out, or undefined, keeps the profile's). */
function withDefaults<T extends object>(profile: T, given: Partial<T> | undefined): T {
  return { ...profile, ...definedOnly(given) };
}

function resolve(c: DeploymentConfigInput): DeploymentConfig {
  const profileName = c.profile ?? 'dev';
  const p = PROFILE_DEFAULTS[profileName];
  const regions = [c.primaryRegion, ...c.secondaryRegions];
  const cpu = c.task?.cpu ?? p.task.cpu;
  return {
    account: c.account,
    primaryRegion: c.primaryRegion,
    secondaryRegions: c.secondaryRegions,
    stackPrefix: c.stackPrefix,
    profile: profileName,
    availabilityZones: Object.fromEntries(regions.map((r) => [r, c.availabilityZones?.[r] ?? [`${r}a`, `${r}b`, `${r}c`]])),
    ...(c.domain ? { domain: { ...c.domain, recordName: c.domain.recordName ?? c.domain.zoneName } } : {}),
    certificateArns: c.certificateArns ?? {},
    allowHttpOnly: c.allowHttpOnly,
    ...(c.adminCertificateArn ? { adminCertificateArn: c.adminCertificateArn } : {}),
    allowHttpAdmin: c.allowHttpAdmin,
    targetProtocolVersion: c.targetProtocolVersion,
    waf: c.waf,
    ...(c.image ? { image: c.image } : {}),
    initialImageTag: c.initialImageTag,
    initialConfig: c.initialConfig,
    manageEcrReplication: c.ecr?.manageReplication ?? true,
    task: withDefaults(p.task, {
      // A CPU size without memory gets that size's smallest valid memory, not the profile's.
      ...(c.task?.cpu === undefined ? {} : { memoryMiB: FARGATE_MEMORY_MIB[cpu][0] }),
      ...c.task,
      maxTasks: c.task?.maxTasks ?? Math.max(p.task.maxTasks, c.task?.minTasks ?? p.task.minTasks),
    }),
    redis: withDefaults(p.redis, c.redis),
    database: withDefaults(p.database, c.database),
    natGateways: c.natGateways ?? p.natGateways,
    trafficShifting: c.trafficShifting ?? p.trafficShifting,
    canaryPath: c.canaryPath,
    drainTimeoutSeconds: c.drainTimeoutSeconds,
    testListenerPort: c.testListenerPort,
    alarmEmails: c.alarmEmails,
    alarmThresholds: withDefaults(DEFAULT_ALARM_THRESHOLDS, c.alarmThresholds),
    retainData: p.retainData,
    deletionProtection: p.deletionProtection,
    logRetentionDays: p.logRetentionDays,
  };
}

/**
 * Validates and resolves a raw deployment config; throws `DeploymentConfigError` naming every wrong
 * value and its fix. `source` says where the value came from, for the message.
 */
export function loadDeploymentConfig(raw: unknown, source = `cdk.json context "${CONTEXT_KEY}"`): DeploymentConfig {
  // `cdk synth -c gatehouse='{...}'` hands the value over as a string.
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw) as unknown;
    } catch (err) {
      throw new DeploymentConfigError(
        [{ path: '', message: `the deployment config is not valid JSON (${(err as Error).message}).`, fix: 'correct the JSON given with -c.' }],
        source,
      );
    }
  }
  if (raw === undefined || raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new DeploymentConfigError(
      [
        {
          path: '',
          message: 'the deployment config is missing or not an object.',
          fix: `add "${CONTEXT_KEY}": { "account": "123456789012", "primaryRegion": "us-east-1", "secondaryRegions": ["us-west-2"] } under "context" in cdk.json (or pass -c ${CONTEXT_KEY}='{...}').`,
        },
      ],
      source,
    );
  const checked = validateAgainst<DeploymentConfigInput>(DeploymentConfigSchema, raw);
  if (!checked.ok) throw new DeploymentConfigError(checked.problems.map(withFriendlyFix), source);
  const problems = crossFieldProblems(checked.value);
  if (problems.length) throw new DeploymentConfigError(problems, source);
  return resolve(checked.value);
}
