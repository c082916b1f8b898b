import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';

/** Properties of a {@link GatewayRepository}. */
export interface GatewayRepositoryProps {
  /** The repository name, the same in every region (replication keeps the name). */
  readonly repositoryName: string;
  /**
   * Regions the repository's images are replicated to (the primary region's repository only).
   *
   * @default - none
   */
  readonly replicateTo?: readonly string[];
  /**
   * Create the registry's replication configuration. A registry has exactly one, and
   * `AWS::ECR::ReplicationConfiguration` replaces it whole: turn this off in an account that already
   * has replication rules and add a rule for this repository to them instead (docs/DEPLOY.md).
   *
   * @default true
   */
  readonly manageReplication?: boolean;
  /**
   * Tagged images kept; older ones expire.
   *
   * @default 100
   */
  readonly keepImages?: number;
  /**
   * What happens to the repository when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The gateway's ECR repository in one region: images scanned on push, tags immutable (a release
 * names one build for good), untagged layers expired after a week and only the newest tagged images
 * kept. In the primary region it also replicates every image to the secondary regions' repositories
 * of the same name, so each region pulls from its own registry and survives the primary's loss.
 */
export class GatewayRepository extends Construct {
  /** The repository. */
  readonly repository: ecr.Repository;
  /** The registry's replication configuration, when this construct owns it. */
  readonly replication?: ecr.CfnReplicationConfiguration;

  constructor(scope: Construct, id: string, props: GatewayRepositoryProps) {
    super(scope, id);
    const keep = props.keepImages ?? 100;
    if (!Number.isInteger(keep) || keep < 1) throw new Error(`GatewayRepository: keepImages must be a positive integer, got ${keep}.`);
    const replicateTo = props.replicateTo ?? [];
    const stack = Stack.of(this);
    if (replicateTo.includes(stack.region)) throw new Error(`GatewayRepository: replicateTo lists the repository's own region "${stack.region}".`);

    this.repository = new ecr.Repository(this, 'Repository', {
      repositoryName: props.repositoryName,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.AES_256,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      lifecycleRules: [
        { rulePriority: 1, description: 'Untagged layers of interrupted pushes', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(7) },
        { rulePriority: 2, description: `Keep the newest ${keep} images`, tagStatus: ecr.TagStatus.ANY, maxImageCount: keep },
      ],
    });
    if (replicateTo.length > 0 && (props.manageReplication ?? true))
      this.replication = new ecr.CfnReplicationConfiguration(this, 'Replication', {
        replicationConfiguration: {
          rules: [
            {
              destinations: replicateTo.map((region) => ({ region, registryId: stack.account })),
              repositoryFilters: [{ filter: props.repositoryName, filterType: 'PREFIX_MATCH' }],
            },
          ],
        },
      });
  }
}
