import { CfnOutput, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Properties of an {@link AdminAccess}. */
export interface AdminAccessProps {
  /** The VPC; the host goes into its private subnets. */
  readonly vpc: ec2.IVpc;
  /** The admin API's internal load balancer: the only place the host may connect to. */
  readonly adminLoadBalancer: ec2.IConnectable;
  /**
   * The admin load balancer's listener port (`ControlPlaneService.adminListenerPort`).
   *
   * @default 80
   */
  readonly adminPort?: number;
}

/**
 * The operator's one path into the VPC to the admin API: a small instance with no inbound rule and
 * no key pair that exists only as an SSM Session Manager port-forwarding hop
 * (AWS-StartPortForwardingSessionToRemoteHost, authorised and logged through IAM and CloudTrail).
 * ECS Exec into the control plane is not an option: its agent needs a writable root filesystem and
 * the kit's containers have a read-only one (ECS developer guide, "ECS Exec" considerations).
 */
export class AdminAccess extends Construct {
  /** The port-forwarding host. */
  readonly instance: ec2.Instance;

  constructor(scope: Construct, id: string, props: AdminAccessProps) {
    super(scope, id);
    const port = props.adminPort ?? 80;
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', { vpc: props.vpc, description: 'Gatehouse admin access host (no inbound)', allowAllOutbound: false });
    // Session Manager itself is reached over HTTPS (through the NAT gateways).
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'SSM Session Manager endpoints');
    securityGroup.connections.allowTo(props.adminLoadBalancer, ec2.Port.tcp(port), 'Admin API through port forwarding');
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    this.instance = new ec2.Instance(this, 'Host', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.NANO),
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
      securityGroup,
      role,
      // IMDSv2 comes from the launch template below: aws-cdk-lib's requireImdsv2 would add a template of
      // its own in an aspect, after this constructor, without monitoring (Control Tower CT.EC2.PR.16).
      associatePublicIpAddress: false,
      detailedMonitoring: true,
      blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(8, { encrypted: true }) }],
    });
    const template = new ec2.LaunchTemplate(this, 'LaunchTemplate', { requireImdsv2: true, detailedMonitoring: true });
    const cfnInstance = this.instance.node.defaultChild as ec2.CfnInstance;
    cfnInstance.launchTemplate = { launchTemplateId: template.launchTemplateId, version: template.latestVersionNumber };
    // The subnet already places it; the zone CDK adds by name would pin it to a configured zone string.
    cfnInstance.addPropertyDeletionOverride('AvailabilityZone');
    new CfnOutput(this, 'InstanceId', { value: this.instance.instanceId, description: 'Admin access host: aws ssm start-session --document-name AWS-StartPortForwardingSessionToRemoteHost (docs/DEPLOY.md)' });

    Validations.of(this).acknowledge(
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]', reason: 'The AWS managed Session Manager policy is exactly what a port-forwarding host needs.' },
      { id: 'AwsSolutions-EC29', reason: 'The host keeps no state; it may be replaced or deleted at any time.' },
      { id: 'AwsSolutions-EC23', reason: 'The host has no inbound rule at all.' },
    );
  }
}
