import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The network's sizes when a prop is left out; the `dev` profile is exactly these. */
export const NETWORK_DEFAULTS = { natGateways: 1 } as const;

/** Properties of a {@link NetworkFoundation}. */
export interface NetworkFoundationProps {
  /**
   * Availability zones to spread over, given explicitly so that synth needs no lookup.
   * Two at least; three is what the kit deploys.
   */
  readonly availabilityZones: readonly string[];
  /**
   * NAT gateways (one per zone up to the zone count). Tasks reach AWS APIs through VPC endpoints;
   * NAT carries only traffic to upstream services and to the internet.
   *
   * @default 1
   */
  readonly natGateways?: number;
  /**
   * The VPC's IPv4 range.
   *
   * @default '10.0.0.0/16'
   */
  readonly cidr?: string;
  /**
   * How long VPC flow logs are kept.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly flowLogRetention?: logs.RetentionDays;
  /**
   * What happens to the flow log group when the stack is deleted.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Interface endpoints every region gets, so tasks do not depend on NAT for AWS APIs. */
const INTERFACE_ENDPOINTS: ReadonlyArray<[string, ec2.InterfaceVpcEndpointAwsService]> = [
  ['EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR],
  ['EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
  ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
  ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
];

/**
 * A VPC over the given zones with three tiers: public (load balancers, NAT), private with egress
 * (tasks, Lambda hooks) and isolated (database, cache); VPC endpoints for ECR, S3, CloudWatch Logs
 * and Secrets Manager; flow logs to CloudWatch Logs. NAT gateways get Elastic IPs created here,
 * so their public addresses are known to other constructs (`natPublicIps`).
 */
export class NetworkFoundation extends Construct {
  /** The VPC. */
  readonly vpc: ec2.Vpc;
  /** Public addresses of the NAT gateways (traffic from private subnets to public endpoints). */
  readonly natPublicIps: readonly string[];

  constructor(scope: Construct, id: string, props: NetworkFoundationProps) {
    super(scope, id);
    const zones = props.availabilityZones;
    const natGateways = props.natGateways ?? NETWORK_DEFAULTS.natGateways;
    if (zones.length < 2)
      throw new Error(`NetworkFoundation: availabilityZones must list at least 2 zones, got ${zones.length}.`);
    if (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > zones.length)
      throw new Error(`NetworkFoundation: natGateways must be between 1 and the number of zones (${zones.length}), got ${natGateways}.`);

    const eips = Array.from({ length: natGateways }, (_, i) => new ec2.CfnEIP(this, `NatAddress${i + 1}`, { domain: 'vpc' }));
    this.natPublicIps = eips.map((eip) => eip.attrPublicIp);

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? '10.0.0.0/16'),
      availabilityZones: [...zones],
      natGateways,
      natGatewayProvider: ec2.NatProvider.gateway({ eipAllocationIds: eips.map((eip) => eip.attrAllocationId) }),
      subnetConfiguration: [
        // Only the NAT gateways (Elastic IPs) and the public ALB live here: nothing needs an address on launch (CT.EC2.PR.9).
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      restrictDefaultSecurityGroup: false,
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    Validations.of(this.vpc).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason: 'Zones come from the deployment config on purpose: synth must run offline, without an availability-zone lookup.',
    });

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup) });

    const privateSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    for (const [name, service] of INTERFACE_ENDPOINTS) {
      const endpoint = this.vpc.addInterfaceEndpoint(name, { service, subnets: privateSubnets, privateDnsEnabled: true });
      Validations.of(endpoint).acknowledge({
        id: 'AwsSolutions-EC23',
        reason: 'Interface endpoints accept HTTPS from the VPC\'s own CIDR only (a token, which the rule cannot evaluate).',
      });
    }
  }
}
