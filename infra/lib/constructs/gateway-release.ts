/**
 * Everything a gateway release needs, wired once: the CodeDeploy blue/green deployment (with its
 * rollback alarms), the smoke-test hook with the deployment role's permission to invoke it, the guard
 * that keeps the service's shape fixed, and the rollout custom resource that releases the image a
 * deploy names. The regional stack, the custom-topology example and the tests use this one
 * construct, so the release wiring cannot drift between them.
 */
import type { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { BlueGreenDeployment, type TrafficShifting } from './blue-green-deployment';
import { GATEWAY_CONTAINER_NAME, type GatewayService } from './gateway-service';
import { GATEWAY_PROXY_PORT, GATEWAY_STATUS_PORT, type PublicLoadBalancer } from './public-load-balancer';
import { ServiceRollout } from './service-rollout';
import { ServiceShapeGuard } from './service-shape-guard';
import { SmokeTestHook } from './smoke-test-hook';

/** Properties of a {@link GatewayRelease}. */
export interface GatewayReleaseProps {
  /** The public load balancer: its listeners and target groups are what CodeDeploy swaps. */
  readonly edge: PublicLoadBalancer;
  /** The data plane being released. */
  readonly gateway: GatewayService;
  /** The SSM parameter holding the released image URI (see `ReleasedImage`). */
  readonly imageParameterName: string;
  /**
   * How production traffic moves to the new tasks.
   *
   * @default 'canary'
   */
  readonly trafficShifting?: TrafficShifting;
  /**
   * Path the smoke test requests through the test listener.
   *
   * @default '/'
   */
  readonly canaryPath?: string;
  /**
   * The CodeDeploy application name.
   *
   * @default - generated
   */
  readonly applicationName?: string;
  /**
   * The smoke-test function's code (tests stand in a stub).
   *
   * @default - the kit's smoke test (`infra/lambda/smoke-test`)
   */
  readonly smokeTestCode?: lambda.Code;
  /**
   * How long a rollout may take before it is rolled back.
   *
   * @default - ServiceRollout's default
   */
  readonly rolloutTimeout?: Duration;
}

/** Blue/green deployment, smoke test, shape guard and rollout of one data plane. */
export class GatewayRelease extends Construct {
  /** The CodeDeploy application, deployment group and rollback alarms. */
  readonly blueGreen: BlueGreenDeployment;
  /** The smoke-test hook CodeDeploy calls before traffic moves. */
  readonly smokeTest: SmokeTestHook;
  /** The rollout custom resource. */
  readonly rollout: ServiceRollout;
  private readonly props: GatewayReleaseProps;

  constructor(scope: Construct, id: string, props: GatewayReleaseProps) {
    super(scope, id);
    this.props = props;
    const { edge, gateway } = props;
    this.blueGreen = new BlueGreenDeployment(this, 'BlueGreen', {
      service: gateway.service,
      blueTargetGroup: edge.blueTargetGroup,
      greenTargetGroup: edge.greenTargetGroup,
      prodListener: edge.prodListener,
      testListener: edge.testListener,
      trafficShifting: props.trafficShifting,
      applicationName: props.applicationName,
    });
    this.smokeTest = new SmokeTestHook(this, 'SmokeTest', {
      vpc: gateway.service.cluster.vpc,
      testListenerUrl: `${edge.testListenerProtocol}://${edge.loadBalancer.loadBalancerDnsName}:${edge.testListenerPort}`,
      testListenerArn: edge.testListener.listenerArn,
      canaryPath: props.canaryPath,
      canary: edge.protocolVersion === 'HTTP1',
      statusPort: GATEWAY_STATUS_PORT,
      blueTargetGroupArn: edge.blueTargetGroup.targetGroupArn,
      greenTargetGroupArn: edge.greenTargetGroup.targetGroupArn,
      targetSecurityGroup: gateway.securityGroup,
      code: props.smokeTestCode,
    });
    // Only the function itself (grantInvoke would add a `:*` wildcard for versions the hook never uses).
    this.blueGreen.deploymentGroup.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.smokeTest.function.functionArn] }),
    );
    new ServiceShapeGuard(this, 'ServiceShape', { service: gateway.service });
    this.rollout = new ServiceRollout(this, 'Rollout', {
      service: gateway.service,
      taskDefinition: gateway.taskDefinition,
      deploymentGroup: this.blueGreen.deploymentGroup,
      containerName: GATEWAY_CONTAINER_NAME,
      containerPort: GATEWAY_PROXY_PORT,
      imageParameterName: props.imageParameterName,
      smokeTestFunction: this.smokeTest.function,
      timeout: props.rolloutTimeout,
    });
  }

  /** What the release command reads (docs/RELEASE.md), for `addReleaseContractOutputs`. */
  get contract() {
    const { edge, gateway } = this.props;
    return {
      cluster: gateway.service.cluster,
      service: gateway.service,
      containerName: GATEWAY_CONTAINER_NAME,
      containerPort: GATEWAY_PROXY_PORT,
      deploymentGroup: this.blueGreen.deploymentGroup,
      prodListener: edge.prodListener,
      testListener: edge.testListener,
      imageParameterName: this.props.imageParameterName,
      smokeTestFunction: this.smokeTest.function,
      loadBalancer: edge.loadBalancer,
    };
  }
}
