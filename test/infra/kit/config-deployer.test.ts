/**
 * The config-deployer role and the bucket policy of the deploy channel (`gatehouse apply --via`):
 * the role reaches only its prefix, and the bucket lets no one else write requests.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ConfigDeployer } from '../../../infra/lib';
import { testStack } from './helpers';

describe('ConfigDeployer', () => {
  let t: Template;

  beforeAll(() => {
    const s = testStack();
    const key = new kms.Key(s, 'Key');
    const bucket = new s3.Bucket(s, 'Bucket', { bucketName: 'gatehouse-backup-111111111111-us-east-1', encryptionKey: key });
    new ConfigDeployer(s, 'Deployer', { bucket, key, bucketName: 'gatehouse-backup-111111111111-us-east-1' });
    const cp = new iam.Role(s, 'ControlPlaneTaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    ConfigDeployer.grantInbox(cp, 'gatehouse-backup-111111111111-us-east-1');
    t = Template.fromStack(s);
  });

  const objects = (part: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::gatehouse-backup-111111111111-us-east-1/gatehouse/deploy/${part}/*`]] });

  test('the role may write requests and read results under the deploy prefix, and nothing else in the bucket', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: 's3:PutObject', Effect: 'Allow', Resource: objects('requests') },
          { Action: 's3:GetObject', Effect: 'Allow', Resource: objects('results') },
          // S3 API Reference, GetObject: without s3:ListBucket a missing key answers 403 instead of 404,
          // so the CLI lists its result key first; the listing is limited to the results prefix.
          { Action: 's3:ListBucket', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bucket'), 'Arn'] }, Condition: { StringLike: { 's3:prefix': 'gatehouse/deploy/results/*' } } },
          { Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
        ],
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^DeployerRole') }],
    });
  });

  // IAM User Guide, "AWS global condition context keys", aws:PrincipalArn: for a role session it is the
  // role's ARN, so one condition covers every session of the role (S3 User Guide, bucket policy examples).
  test('the bucket policy denies request writes by anyone but the role, and result writes by the role', () => {
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'OnlyConfigDeployersWriteDeployRequests',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:PutObject',
            Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeployerRole'), 'Arn'] } } },
          }),
          Match.objectLike({
            Sid: 'ConfigDeployersNeverWriteDeployResults',
            Effect: 'Deny',
            Action: ['s3:PutObject', 's3:DeleteObject'],
            Condition: { ArnEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeployerRole'), 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  test('the control plane may delete the requests it answered', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 's3:DeleteObject', Effect: 'Allow', Resource: objects('requests') }] },
      Roles: [{ Ref: Match.stringLikeRegexp('^ControlPlaneTaskRole') }],
    });
  });

  test('the role is assumable within the account by default and its ARN is an output', () => {
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Action: 'sts:AssumeRole', Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:root']] } } })] },
    });
    t.hasOutput('*', { Description: Match.stringLikeRegexp('gatehouse apply --via') });
  });
});
