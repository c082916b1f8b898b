/**
 * The deployment config document (`cdk.json` → `context.gatehouse`): one TypeBox schema, the single
 * source of its types. Sizes left out are filled from the chosen profile (see `profiles.ts`).
 */
import { Type, type Static } from '@sinclair/typebox';

const REGION = '^[a-z]{2}(-gov)?-[a-z]+-\\d$';
const Region = Type.String({ pattern: REGION, description: 'An AWS region name such as "us-east-1".' });
const CERTIFICATE_ARN = '^arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/[A-Za-z0-9-]+$';

export const TrafficShifting = Type.Union([Type.Literal('canary'), Type.Literal('linear'), Type.Literal('all-at-once')]);
export const Profile = Type.Union([Type.Literal('dev'), Type.Literal('prod')]);

const Positive = (description: string) => Type.Number({ exclusiveMinimum: 0, description });
const Percent = (description: string) => Type.Number({ exclusiveMinimum: 0, maximum: 100, description });
const Fraction = (description: string) => Type.Number({ exclusiveMinimum: 0, maximum: 1, description });

/** Alarm thresholds; names and defaults are the constructs' (`ALARM_THRESHOLDS`, `GATEWAY_ALARM_THRESHOLDS`). */
export const AlarmThresholdsSchema = Type.Object(
  {
    elb5xxPerMinute: Type.Optional(Positive('Load balancer 5xx answers per minute, 3 minutes running.')),
    databaseCpuPercent: Type.Optional(Percent('Config database CPU percent, 15 minutes.')),
    databaseFreeStorageFraction: Type.Optional(Fraction('Free storage below this share of the allocated storage.')),
    replicaLagSeconds: Type.Optional(Positive('Read replica lag in seconds, 5 minutes running.')),
    cacheEngineCpuPercent: Type.Optional(Percent('Redis engine CPU percent of the busiest node, 5 minutes running.')),
    cacheMemoryPercent: Type.Optional(Percent('Redis memory use percent of the fullest node, 3 minutes running.')),
    cacheReplicationLagSeconds: Type.Optional(Positive('Redis replication lag in seconds, 3 minutes running.')),
    unhealthyNodes: Type.Optional(Type.Integer({ minimum: 1, description: 'Lagging plus quiet data planes, 3 minutes running.' })),
    syncErrorsPerMinute: Type.Optional(Positive('Config sync errors per minute, 5 minutes running.')),
    // Evaluation periods × period may not exceed one day (CloudWatch PutMetricAlarm).
    fallbackSourceMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440, description: 'Minutes on last-known-good or S3 before it pages.' })),
    rateLimitDegradedPerMinute: Type.Optional(Positive('Rate-limit decisions without Redis per minute, 5 minutes running.')),
    serverErrorRatio: Type.Optional(Fraction('Share of requests the gateway answered 5xx, 5 minutes running.')),
    p99LatencySeconds: Type.Optional(Positive('p99 of the targets\' response time in seconds, 5 minutes running.')),
    backupLagSeconds: Type.Optional(Positive('Age in seconds of the oldest config version not yet in S3, 5 minutes running.')),
  },
  { additionalProperties: false },
);

export const DeploymentConfigSchema = Type.Object(
  {
    account: Type.String({ pattern: '^\\d{12}$', description: 'The 12-digit AWS account id to deploy into.' }),
    primaryRegion: Region,
    secondaryRegions: Type.Array(Region, { default: [], uniqueItems: true, maxItems: 8 }),
    stackPrefix: Type.String({ pattern: '^[A-Za-z][A-Za-z0-9-]*$', maxLength: 24, default: 'Gatehouse' }),
    /** Deployment profile: sizes, removal policies and deletion protection (not an AWS CLI profile). */
    profile: Type.Optional(Profile),
    availabilityZones: Type.Optional(
      Type.Record(Type.String(), Type.Array(Type.String({ pattern: '^[a-z]{2}(-gov)?-[a-z]+-\\d[a-z]$' }), { minItems: 3, maxItems: 3, uniqueItems: true })),
    ),
    domain: Type.Optional(
      Type.Object(
        {
          zoneName: Type.String({ pattern: '^([a-z0-9-]+\\.)+[a-z]{2,}$' }),
          hostedZoneId: Type.String({ pattern: '^Z[A-Z0-9]{4,32}$' }),
          recordName: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
        },
        { additionalProperties: false },
      ),
    ),
    certificateArns: Type.Optional(Type.Record(Type.String(), Type.String({ pattern: CERTIFICATE_ARN }))),
    allowHttpOnly: Type.Boolean({
      default: false,
      description: 'Let a prod deployment serve plain HTTP in regions without a certificate (refused otherwise).',
    }),
    adminCertificateArn: Type.Optional(
      Type.String({
        pattern: CERTIFICATE_ARN,
        description: 'ACM certificate (in the primary region) for the internal admin listener: HTTPS on 443.',
      }),
    ),
    allowHttpAdmin: Type.Boolean({
      default: false,
      description: 'Let a prod deployment serve the internal admin API over plain HTTP when adminCertificateArn is not given (refused otherwise).',
    }),
    targetProtocolVersion: Type.Union([Type.Literal('HTTP1'), Type.Literal('HTTP2'), Type.Literal('GRPC')], {
      default: 'HTTP1',
      description: 'What the public load balancers speak to the data plane (both target groups of the blue/green pair): HTTP1, HTTP2 or GRPC; HTTP2 and GRPC need a certificate in every region.',
    }),
    waf: Type.Boolean({ default: false, description: 'Put an AWS WAF web ACL with AWS managed rule groups in front of each public load balancer.' }),
    image: Type.Optional(Type.String({ minLength: 1, description: 'Initial gateway image URI; default: the kit\'s ECR repository at initialImageTag.' })),
    initialImageTag: Type.String({
      pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
      default: 'initial',
      description: 'Tag of the first image in the kit\'s ECR repository (pushed after the base stacks, before the regional ones).',
    }),
    initialConfig: Type.String({
      minLength: 1,
      default: 'infra/initial-config.yaml',
      description: 'Gateway config file (relative to the repository root) the control plane imports once on a fresh deployment.',
    }),
    ecr: Type.Optional(
      Type.Object(
        {
          manageReplication: Type.Optional(Type.Boolean({ description: 'Own the registry\'s replication configuration (it replaces any rules the account has).' })),
        },
        { additionalProperties: false },
      ),
    ),
    task: Type.Optional(
      Type.Object(
        {
          cpu: Type.Optional(Type.Union([256, 512, 1024, 2048, 4096].map((n) => Type.Literal(n)))),
          memoryMiB: Type.Optional(Type.Integer({ minimum: 512, maximum: 30720 })),
          minTasks: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000 })),
          maxTasks: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000 })),
          targetCpuPercent: Type.Optional(Type.Integer({ minimum: 10, maximum: 90 })),
          requestsPerTask: Type.Optional(Type.Integer({ minimum: 10, maximum: 1_000_000 })),
        },
        { additionalProperties: false },
      ),
    ),
    redis: Type.Optional(
      Type.Object(
        {
          nodeType: Type.Optional(Type.String({ pattern: '^cache\\.[a-z0-9]+\\.[a-z0-9]+$' })),
          replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
          snapshotRetentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 35 })),
        },
        { additionalProperties: false },
      ),
    ),
    database: Type.Optional(
      Type.Object(
        {
          instanceClass: Type.Optional(Type.String({ pattern: '^db\\.[a-z0-9]+\\.[a-z0-9]+$' })),
          allocatedStorageGiB: Type.Optional(Type.Integer({ minimum: 20, maximum: 65536 })),
          backupRetentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 35 })),
        },
        { additionalProperties: false },
      ),
    ),
    natGateways: Type.Optional(Type.Integer({ minimum: 1, maximum: 3 })),
    trafficShifting: Type.Optional(TrafficShifting),
    canaryPath: Type.String({ pattern: '^/', default: '/' }),
    drainTimeoutSeconds: Type.Integer({ minimum: 5, maximum: 90, default: 30 }),
    testListenerPort: Type.Integer({ minimum: 1024, maximum: 65535, default: 9000 }),
    alarmEmails: Type.Array(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$' }), {
      default: [],
      uniqueItems: true,
      maxItems: 20,
      description: 'Addresses subscribed by email to every region\'s alarm topic (each confirms once).',
    }),
    alarmThresholds: Type.Optional(AlarmThresholdsSchema),
  },
  { additionalProperties: false },
);

export type DeploymentConfigInput = Static<typeof DeploymentConfigSchema>;
export type ProfileName = Static<typeof Profile>;
export type TrafficShiftingName = Static<typeof TrafficShifting>;
