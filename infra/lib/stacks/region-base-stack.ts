import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeploymentConfig } from '../config';
import { BackupBucket, ConfigDeployer, ControlTowerBaseline, GatewayRepository, ReleasedImage, type InitialImage, addHeartbeatLifecycle } from '../constructs';
import { backupBucketName, backupKeyAlias, imageParameterName, repositoryName } from '../names';

/** Properties of a {@link RegionBaseStack}. */
export interface RegionBaseStackProps extends StackProps {
  /** The resolved deployment config. */
  readonly config: DeploymentConfig;
  /** Where the released-image parameter's first value comes from. */
  readonly initialImage: InitialImage;
}

/**
 * What a region needs before its regional stack: the gateway's ECR repository (the primary's
 * replicates to the secondaries'), the backup bucket (the primary's replicates to the
 * secondaries', so secondaries' base stacks deploy first) and the released-image parameter (the
 * regional stack reads it at deploy time, so it must already exist).
 */
export class RegionBaseStack extends Stack {
  /** The region's backup bucket. */
  readonly backup: BackupBucket;
  /** The released-image parameter's seed. */
  readonly releasedImage: ReleasedImage;
  /** The gateway's ECR repository in this region. */
  readonly repository: GatewayRepository;
  /** Primary region only: the role CI assumes for `gatehouse apply --via s3://…`. */
  readonly configDeployer?: ConfigDeployer;

  constructor(scope: Construct, id: string, props: RegionBaseStackProps) {
    super(scope, id, props);
    const { config } = props;
    const region = this.region;
    const prefix = config.stackPrefix;
    const isPrimary = region === config.primaryRegion;

    this.repository = new GatewayRepository(this, 'Images', {
      repositoryName: repositoryName(prefix),
      replicateTo: isPrimary ? config.secondaryRegions : [],
      manageReplication: config.manageEcrReplication,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.backup = new BackupBucket(this, 'Backup', {
      bucketName: backupBucketName(prefix, config.account, region),
      keyAlias: backupKeyAlias(prefix),
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      replicateTo: isPrimary
        ? config.secondaryRegions.map((r) => ({ region: r, bucketName: backupBucketName(prefix, config.account, r), keyAlias: backupKeyAlias(prefix) }))
        : [],
    });
    if (isPrimary)
      this.configDeployer = new ConfigDeployer(this, 'ConfigDeployer', { bucket: this.backup.bucket, bucketName: backupBucketName(prefix, config.account, region), key: this.backup.key });
    if (isPrimary) addHeartbeatLifecycle(this.backup.bucket);
    this.releasedImage = new ReleasedImage(this, 'ReleasedImage', {
      parameterName: imageParameterName(prefix),
      initialImage: props.initialImage,
    });
    new ControlTowerBaseline(this, 'Baseline', { logRetentionDays: config.logRetentionDays }).applyTo(this);
  }
}
