import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BackupBucket, ConfigDatabase, ConfigReadReplica, NetworkFoundation, RateLimitCache, ReleasedImage, GATEWAY_REDIS_ACCESS_STRING, READER_ROLE_NAME } from '../../../infra/lib';
import { FIXTURE_IMAGE_DIR, resourcesOf, testStack, zonesOf } from './helpers';

const PRIMARY_ARN = 'arn:aws:rds:us-east-1:111111111111:db:gatehouse-config';

describe('RateLimitCache, ConfigDatabase, ConfigReadReplica, BackupBucket and ReleasedImage', () => {
  let primary: Template;
  let secondary: Template;

  beforeAll(() => {
    const p = testStack('Primary', 'us-east-1');
    const vpc = new NetworkFoundation(p, 'Network', { availabilityZones: zonesOf('us-east-1') }).vpc;
    const tasks = new ec2.SecurityGroup(p, 'Tasks', { vpc });
    const cache = new RateLimitCache(p, 'Cache', { vpc });
    cache.allowFrom(tasks);
    const db = new ConfigDatabase(p, 'Db', { vpc, instanceIdentifier: 'gatehouse-config', secretName: 'Gatehouse/config-database/credentials', readerSecretName: 'Gatehouse/config-database/reader', secretReplicaRegions: ['us-west-2'] });
    db.allowFrom(tasks);
    const backup = new BackupBucket(p, 'Backup', {
      bucketName: 'gatehouse-backup-111111111111-us-east-1',
      keyAlias: 'alias/gatehouse-backup',
      replicateTo: [{ region: 'us-west-2', bucketName: 'gatehouse-backup-111111111111-us-west-2', keyAlias: 'alias/gatehouse-backup' }],
    });
    backup.grantBackupRead(new iam.Role(p, 'Reader', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }));
    new ReleasedImage(p, 'Image', { parameterName: '/gatehouse/gateway/image', initialImage: { directory: FIXTURE_IMAGE_DIR } });
    primary = Template.fromStack(p);

    const s = testStack('Secondary', 'us-west-2');
    const vpc2 = new NetworkFoundation(s, 'Network', { availabilityZones: zonesOf('us-west-2') }).vpc;
    const replica = new ConfigReadReplica(s, 'Replica', { vpc: vpc2, sourceDatabaseArn: PRIMARY_ARN, instanceIdentifier: 'gatehouse-config-replica-us-west-2', multiAz: true, maxAllocatedStorageGiB: 80 });
    replica.allowFrom(new ec2.SecurityGroup(s, 'Tasks', { vpc: vpc2 }));
    new RateLimitCache(s, 'Cache', { vpc: vpc2, replicas: 2, nodeType: 'cache.r7g.large', snapshotRetentionDays: 7, removalPolicy: RemovalPolicy.RETAIN });
    new ReleasedImage(s, 'Image', { parameterName: '/gatehouse/gateway/image', initialImage: { imageUri: 'public.ecr.aws/example/gatehouse:1' } });
    secondary = Template.fromStack(s);
  });

  describe('RateLimitCache', () => {
    test('Multi-AZ replication group with failover, one replica, TLS, encryption at rest, RBAC user group, snapshots', () => {
      primary.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
        Engine: 'redis',
        NumCacheClusters: 2,
        MultiAZEnabled: true,
        AutomaticFailoverEnabled: true,
        TransitEncryptionEnabled: true,
        AtRestEncryptionEnabled: true,
        Port: 6380,
        SnapshotRetentionLimit: 1,
        UserGroupIds: [{ Ref: Match.stringLikeRegexp('^CacheUsers') }],
      });
      expect(resourcesOf(primary, 'AWS::ElastiCache::ReplicationGroup')[0][1].Properties!.AuthToken).toBeUndefined();
    });

    // ElastiCache user guide, "Role-Based Access Control": a user group must contain a user named "default".
    test('RBAC: the gateway user has the kit\'s access string and a generated password; the default user is off', () => {
      primary.hasResourceProperties('AWS::ElastiCache::User', {
        UserName: Match.stringLikeRegexp('-gateway$'),
        AccessString: GATEWAY_REDIS_ACCESS_STRING,
        AuthenticationMode: { Type: 'password', Passwords: [{ 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: Match.stringLikeRegexp('^CachePassword') }, ':SecretString:::}}']] }] },
      });
      primary.hasResourceProperties('AWS::ElastiCache::User', { UserName: 'default', AccessString: 'off -@all' });
      primary.hasResourceProperties('AWS::ElastiCache::UserGroup', { Engine: 'redis', UserIds: [Match.stringLikeRegexp('-default$'), Match.stringLikeRegexp('-gateway$')] });
    });

    test('REDIS_URL is a secret assembled from the token and the primary endpoint', () => {
      primary.hasResourceProperties('AWS::SecretsManager::Secret', {
        SecretString: {
          'Fn::Join': [
            '',
            Match.arrayWith([Match.stringLikeRegexp('^rediss://.+-gateway:\\{\\{resolve:secretsmanager:$'), { 'Fn::GetAtt': [Match.stringLikeRegexp('^CacheReplicationGroup'), 'PrimaryEndPoint.Address'] }]),
          ],
        },
      });
    });

    test('its security group admits only the tasks, on the cache port', () => {
      primary.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        FromPort: 6380,
        GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CacheSecurityGroup'), 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Tasks'), 'GroupId'] },
      });
      const sg = resourcesOf(primary, 'AWS::EC2::SecurityGroup').find(([, g]) => g.Properties!.GroupDescription === 'Gatehouse rate-limit cache')!;
      expect(sg[1].Properties!.SecurityGroupIngress).toBeUndefined();
    });

    test('options: replicas, node type, snapshot retention; retained data snapshots on delete', () => {
      secondary.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', { NumCacheClusters: 3, CacheNodeType: 'cache.r7g.large', SnapshotRetentionLimit: 7 });
      secondary.hasResource('AWS::ElastiCache::ReplicationGroup', { DeletionPolicy: 'Snapshot' });
      primary.hasResource('AWS::ElastiCache::ReplicationGroup', { DeletionPolicy: 'Delete' });
    });

    test('rejects zero replicas', () => {
      const s = testStack();
      const vpc = new NetworkFoundation(s, 'N', { availabilityZones: zonesOf('us-east-1') }).vpc;
      expect(() => new RateLimitCache(s, 'C', { vpc, replicas: 0 })).toThrow(
        'RateLimitCache: replicas must be an integer from 1 to 5 (automatic failover needs a replica), got 0.',
      );
    });
  });

  describe('ConfigDatabase', () => {
    test('PostgreSQL Multi-AZ, encrypted, backups, Performance Insights, isolated, fixed identifier', () => {
      primary.hasResourceProperties('AWS::RDS::DBInstance', {
        Engine: 'postgres',
        DBInstanceIdentifier: 'gatehouse-config',
        DBInstanceClass: 'db.t4g.medium',
        MultiAZ: true,
        StorageEncrypted: true,
        BackupRetentionPeriod: 7,
        EnablePerformanceInsights: true,
        PubliclyAccessible: false,
        DeletionProtection: false,
        DBName: 'gatehouse',
      });
      primary.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Snapshot' });
    });

    test('generates its credentials into a named secret replicated to the secondary regions', () => {
      primary.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: 'Gatehouse/config-database/credentials',
        ReplicaRegions: [{ Region: 'us-west-2' }],
        GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password', SecretStringTemplate: '{"username":"gatehouse"}' }),
      });
    });

    test('generates the data planes\' read-only credentials into a second named secret, retained and replicated like the owner\'s', () => {
      primary.hasResource('AWS::SecretsManager::Secret', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          Name: 'Gatehouse/config-database/reader',
          ReplicaRegions: [{ Region: 'us-west-2' }],
          GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password', PasswordLength: 32, SecretStringTemplate: `{"username":"${READER_ROLE_NAME}"}` }),
        }),
      });
    });

    test('keeps the credentials secret as long as the data: retained unless the instance is destroyed', () => {
      primary.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ Name: 'Gatehouse/config-database/credentials' }) });
      const s = testStack('Disposable');
      const vpc = new NetworkFoundation(s, 'N', { availabilityZones: zonesOf('us-east-1') }).vpc;
      new ConfigDatabase(s, 'Db', { vpc, instanceIdentifier: 'x', secretName: 'x', readerSecretName: 'x-reader', removalPolicy: RemovalPolicy.DESTROY });
      Template.fromStack(s).hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ Name: 'x' }) });
      Template.fromStack(s).hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ Name: 'x-reader' }) });
    });

    test('rejects a retention read replicas cannot work with and protection with DESTROY', () => {
      const s = testStack();
      const vpc = new NetworkFoundation(s, 'N', { availabilityZones: zonesOf('us-east-1') }).vpc;
      const base = { vpc, instanceIdentifier: 'x', secretName: 'x', readerSecretName: 'x-reader' };
      expect(() => new ConfigDatabase(s, 'A', { ...base, backupRetentionDays: 0 })).toThrow(
        'ConfigDatabase: backupRetentionDays must be 1 to 35 (read replicas need automated backups), got 0.',
      );
      expect(() => new ConfigDatabase(s, 'B', { ...base, deletionProtection: true, removalPolicy: RemovalPolicy.DESTROY })).toThrow(
        'ConfigDatabase: deletionProtection cannot be combined with RemovalPolicy.DESTROY; choose one.',
      );
    });
  });

  describe('ConfigReadReplica', () => {
    test('a cross-region replica of the primary named by a plain ARN, encrypted with a key of its region', () => {
      secondary.hasResourceProperties('AWS::RDS::DBInstance', {
        SourceDBInstanceIdentifier: PRIMARY_ARN,
        SourceRegion: 'us-east-1',
        DBInstanceIdentifier: 'gatehouse-config-replica-us-west-2',
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReplicaKey'), 'Arn'] },
        MultiAZ: true,
        PubliclyAccessible: false,
        EnablePerformanceInsights: true,
      });
      secondary.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });

    // A read replica's storage autoscaling is its own instance setting (MaxAllocatedStorage of CreateDBInstanceReadReplica,
    // Amazon RDS API Reference; RDS user guide, "Managing capacity automatically with Amazon RDS storage autoscaling").
    test('autoscales its storage up to the given ceiling', () => {
      secondary.hasResourceProperties('AWS::RDS::DBInstance', { SourceDBInstanceIdentifier: PRIMARY_ARN, MaxAllocatedStorage: 80 });
    });

    test('the template references nothing in another region', () => {
      expect(JSON.stringify(secondary.toJSON())).not.toMatch(/Fn::ImportValue/);
    });

    test('rejects a source that is not a plain instance ARN', () => {
      const s = testStack('R', 'us-west-2');
      const vpc = new NetworkFoundation(s, 'N', { availabilityZones: zonesOf('us-west-2') }).vpc;
      expect(() => new ConfigReadReplica(s, 'A', { vpc, sourceDatabaseArn: 'gatehouse-config', instanceIdentifier: 'r' })).toThrow(
        'ConfigReadReplica: sourceDatabaseArn must be a plain RDS instance ARN (arn:aws:rds:<region>:<account>:db:<id>), got "gatehouse-config".',
      );
    });
  });

  describe('BackupBucket', () => {
    test('versioned, KMS-encrypted, public access blocked, TLS only, old versions expire', () => {
      primary.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: 'gatehouse-backup-111111111111-us-east-1',
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } })]) },
      });
      primary.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
      primary.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/gatehouse-backup' });
    });

    test('replicates to the secondary bucket by name and key alias, with no cross-region reference', () => {
      const rule = (id: string, priority: number, prefix: string) =>
        Match.objectLike({
          Id: id,
          Priority: priority,
          Status: 'Enabled',
          Filter: { Prefix: prefix },
          Destination: {
            Bucket: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::gatehouse-backup-111111111111-us-west-2']] },
            EncryptionConfiguration: {
              ReplicaKmsKeyID: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:us-west-2:111111111111:alias/gatehouse-backup']] },
            },
          },
          SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
        });
      primary.hasResourceProperties('AWS::S3::Bucket', {
        ReplicationConfiguration: { Rules: [rule('to-us-west-2-1', 1, 'gatehouse/versions/'), rule('to-us-west-2-2', 2, 'gatehouse/latest')] },
      });
    });

    test('grants reading backups without wildcard actions', () => {
      primary.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: Match.stringLikeRegexp('^Reader') }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({
              Action: ['s3:GetObject', 's3:GetObjectVersion'],
              Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::gatehouse-backup-111111111111-us-east-1/*']] },
            }),
            Match.objectLike({ Action: 's3:ListBucket' }),
            Match.objectLike({ Action: 'kms:Decrypt' }),
          ],
        },
      });
    });

    test('rejects replicating to its own region or twice to one region', () => {
      const s = testStack();
      const dest = { region: 'us-west-2', bucketName: 'b', keyAlias: 'alias/k' };
      expect(() => new BackupBucket(s, 'A', { bucketName: 'a', keyAlias: 'alias/a', replicateTo: [{ ...dest, region: 'us-east-1' }] })).toThrow(
        "BackupBucket: replicateTo names b in us-east-1, the bucket's own region; replicate to other regions only.",
      );
      expect(() => new BackupBucket(s, 'B', { bucketName: 'a', keyAlias: 'alias/a', replicateTo: [dest, dest] })).toThrow(
        'BackupBucket: replicateTo lists a region twice; give one destination per region.',
      );
    });
  });

  describe('ReleasedImage', () => {
    test('seeds the parameter once (never overwrites) with the Docker asset built from the context', () => {
      const [, seed] = resourcesOf(primary, 'Custom::AWS')[0];
      const create = JSON.stringify(seed.Properties!.Create);
      expect(create).toContain('\\"action\\":\\"PutParameter\\"');
      expect(create).toContain('\\"Name\\":\\"/gatehouse/gateway/image\\"');
      expect(create).toContain('\\"Overwrite\\":false');
      expect(create).toContain('\\"ignoreErrorCodesMatching\\":\\"ParameterAlreadyExists\\"');
      expect(create).toMatch(/cdk-hnb659fds-container-assets-111111111111-us-east-1:[0-9a-f]{64}/);
      expect(seed.Properties!.Update).toEqual(seed.Properties!.Create);
      expect(seed.Properties!.Delete).toBeUndefined();
    });

    test('or with a given image URI', () => {
      secondary.hasResourceProperties('Custom::AWS', {
        Create: Match.serializedJson(Match.objectLike({ parameters: Match.objectLike({ Value: 'public.ecr.aws/example/gatehouse:1' }) })),
      });
    });

    test('atDeployTime reads the parameter when the stack is deployed', () => {
      const s = testStack();
      const image = ReleasedImage.atDeployTime(s, '/gatehouse/gateway/image');
      expect(image).toBeDefined();
      const t = Template.fromStack(s);
      t.hasParameter('*', { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/gatehouse/gateway/image' });
    });

    test('rejects a relative parameter name and a missing Dockerfile', () => {
      const s = testStack();
      expect(() => new ReleasedImage(s, 'A', { parameterName: 'image', initialImage: { imageUri: 'x' } })).toThrow(
        'ReleasedImage: parameterName must be a path starting with "/", got "image".',
      );
      expect(() => new ReleasedImage(s, 'B', { parameterName: '/image', initialImage: { directory: __dirname, file: 'Missing.Dockerfile' } })).toThrow(
        `ReleasedImage: ${__dirname}/Missing.Dockerfile does not exist; build context and Dockerfile are needed for the initial image (or give initialImage.imageUri).`,
      );
    });
  });
});
