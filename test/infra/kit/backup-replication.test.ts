import { Template } from 'aws-cdk-lib/assertions';
import { BackupBucket, DEFAULT_BACKUP_PREFIX, HEARTBEAT_PREFIX, REPLICATED_BACKUP_PREFIXES } from '../../../infra/lib';
import { heartbeatKeyPrefix } from '../../../gateway/src/sync/heartbeat';
import { latestKey, versionKey } from '../../../gateway/src/sync/s3';
import { resourcesOf, testStack } from './helpers';

const DESTINATIONS = [
  { region: 'us-west-2', bucketName: 'backup-us-west-2', keyAlias: 'alias/k' },
  { region: 'eu-west-1', bucketName: 'backup-eu-west-1', keyAlias: 'alias/k' },
];

function rulesOf(props: Partial<ConstructorParameters<typeof BackupBucket>[2]> = {}) {
  const stack = testStack();
  new BackupBucket(stack, 'Backup', { bucketName: 'backup-us-east-1', keyAlias: 'alias/k', replicateTo: DESTINATIONS, ...props });
  const [, bucket] = resourcesOf(Template.fromStack(stack), 'AWS::S3::Bucket').find(([, b]) => b.Properties!.ReplicationConfiguration)!;
  return (bucket.Properties!.ReplicationConfiguration as { Rules: Array<{ Id: string; Priority: number; Filter: { Prefix: string } }> }).Rules;
}

describe('BackupBucket replication', () => {
  // S3 replicates only the objects whose key starts with a rule's filter prefix (S3 user guide,
  // "Replication configuration file elements", Filter). The keys are the gateway's own (sync/s3.ts, sync/heartbeat.ts).
  test('replicates every key a secondary reads and no heartbeat or deploy-channel object', () => {
    const rules = rulesOf();
    const replicated = (key: string) => rules.some((r) => r.Filter.Prefix !== '' && key.startsWith(r.Filter.Prefix));
    for (const key of [versionKey(DEFAULT_BACKUP_PREFIX, 1), versionKey(DEFAULT_BACKUP_PREFIX, 123456), latestKey(DEFAULT_BACKUP_PREFIX)]) expect([key, replicated(key)]).toEqual([key, true]);
    for (const key of [`${heartbeatKeyPrefix(HEARTBEAT_PREFIX)}node-1.json`, `${DEFAULT_BACKUP_PREFIX}/deploy/requests/r1.json`, `${DEFAULT_BACKUP_PREFIX}/deploy/results/r1.json`])
      expect([key, replicated(key)]).toEqual([key, false]);
  });

  // Each rule of a replication configuration needs a priority of its own (S3 user guide, "Replication
  // configuration file elements": rules with overlapping destinations are ordered by priority).
  test('one rule per destination and prefix, each with its own id and priority', () => {
    const rules = rulesOf();
    expect(rules.map((r) => [r.Id, r.Priority, r.Filter.Prefix])).toEqual([
      ['to-us-west-2-1', 1, 'gatehouse/versions/'],
      ['to-us-west-2-2', 2, 'gatehouse/latest'],
      ['to-eu-west-1-1', 3, 'gatehouse/versions/'],
      ['to-eu-west-1-2', 4, 'gatehouse/latest'],
    ]);
    expect(REPLICATED_BACKUP_PREFIXES).toEqual(['gatehouse/versions/', 'gatehouse/latest']);
  });

  test('rejects an empty replicated prefix, which would copy every object', () => {
    expect(() => rulesOf({ replicatedPrefixes: [''] })).toThrow(
      'BackupBucket: replicatedPrefixes must name at least one non-empty prefix (an empty one would replicate every object, heartbeats too).',
    );
    expect(() => rulesOf({ replicatedPrefixes: [] })).toThrow('BackupBucket: replicatedPrefixes must name at least one non-empty prefix');
  });
});
