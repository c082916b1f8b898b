import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';

import { loadReleaseConfig } from '../../../infra/release/deployment-config';
import { FakeAws, mutatingLog, outputsOf, runRelease } from './fake-aws';

let aws: FakeAws;
beforeEach(() => {
  aws = new FakeAws();
});
afterEach(() => aws.restore());

const HINT = 'Run "npm run release -- --help" for usage.\n';
const IMAGE_FIX =
  'Fix: give a full image URI with a tag or digest (e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/gatehouse:1.4.0) or only a tag (e.g. 1.4.0), which is applied to the repository each region runs now.';

/** Runs the CLI, expects exit 2 with exactly `message` on stderr, and no mutating AWS call. */
async function expectUsageError(argv: string[], message: string): Promise<void> {
  const run = await runRelease(argv, aws);
  expect({ code: run.code, err: run.err }).toEqual({ code: 2, err: message });
  expect(mutatingLog(aws)).toEqual([]);
}

test.each([
  [['--dry-run'], `error: --image: an image is required. ${IMAGE_FIX}\nNothing was changed.\n`],
  [
    ['--image', '123456789012.dkr.ecr.us-east-1.amazonaws.com/gatehouse'],
    'error: --image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/gatehouse" has no tag or digest. Fix: add one, e.g. "123456789012.dkr.ecr.us-east-1.amazonaws.com/gatehouse:1.4.0"; "latest" is not accepted implicitly because a release must name one build.\nNothing was changed.\n',
  ],
  [['--image', 'repo/gatehouse@sha256:abc'], 'error: --image: "repo/gatehouse@sha256:abc" has a malformed digest. Fix: write the digest as @sha256:<64 hex digits>.\nNothing was changed.\n'],
  [
    ['--image', '1.4.0', '--regions', 'us-east-1,eu-west-9'],
    'error: --regions: "eu-west-9" is not a region of this deployment (us-east-1, us-west-2, eu-west-1). Fix: use regions from primaryRegion and secondaryRegions in cdk.json context.gatehouse, or add the region there and deploy its stack first.\nNothing was changed.\n',
  ],
  [['--image', '1.4.0', '--regions', ' , '], 'error: --regions: is empty. Fix: name one or more of us-east-1, us-west-2, eu-west-1, separated by commas.\nNothing was changed.\n'],
  [
    ['--image', '1.4.0', '--waves', '1,rest,1'],
    'error: --waves: "1,rest,1" has "rest" before the last wave. Fix: give wave sizes separated by commas, optionally ending with "rest", e.g. "1,rest", "1,1,rest" or "all".\nNothing was changed.\n',
  ],
  [
    ['--image', '1.4.0', '--waves', '0,rest'],
    'error: --waves: "0" in "0,rest" is not a wave size. Fix: give wave sizes separated by commas, optionally ending with "rest", e.g. "1,rest", "1,1,rest" or "all".\nNothing was changed.\n',
  ],
  [
    ['--image', '1.4.0', '--waves', '1,1'],
    'error: --waves: "1,1" covers 2 of the 3 regions (us-east-1, us-west-2, eu-west-1). Fix: end it with ",rest" or make the sizes add up to 3.\nNothing was changed.\n',
  ],
  [
    ['--image', '1.4.0', '--timeout-minutes', '0'],
    'error: --timeout-minutes: "0" is not a whole number of minutes. Fix: give a number of minutes of 1 or more, e.g. --timeout-minutes 90.\nNothing was changed.\n',
  ],
  [['--image', '1.4.0', '--strategy', 'fast'], `error: option '--strategy <name>' argument 'fast' is invalid. Allowed choices are canary, linear, all-at-once.\n${HINT}`],
  [['--image', '1.4.0', '--force'], `error: unknown option '--force'\n${HINT}`],
  [['status', 'extra'], `error: too many arguments for 'status'. Expected 0 arguments but got 1.\n${HINT}`],
  [['rollback', '--deployment-id', 'd-ABC'], 'error: --deployment-id: names one deployment, which lives in one region. Fix: add --regions <the region of that deployment>.\nNothing was changed.\n'],
  [
    ['rollback', '--regions', 'us-east-1', '--deployment-id', 'd-ABC', '--task-definition', 'arn:x'],
    'error: --task-definition: cannot be combined with --deployment-id. Fix: stop the deployment first, then redeploy with --task-definition in a second command.\nNothing was changed.\n',
  ],
])('%j is refused with a message naming the argument and the fix', async (argv, message) => {
  await expectUsageError(argv, message);
});

test('--help lists the sub-commands, examples and exit codes, and exits 0', async () => {
  const run = await runRelease(['--help'], aws);

  expect(run.code).toBe(0);
  expect(run.out).toContain('Usage: npm run release -- [options] [command]');
  expect(run.out).toContain('  npm run release -- --image 1.4.0 --dry-run');
  expect(run.out).toContain('Exit codes: 0 all succeeded, 1 a deployment failed (rolled back), 2 bad usage or config (nothing changed), 3 stopped or timed out.');
});

test('a stack without some outputs is named with the missing OutputKeys (exit 2)', async () => {
  const outputs = outputsOf('us-west-2');
  delete outputs.SmokeTestFunctionName;
  delete outputs.TestListenerArn;
  aws.region('us-west-2').cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: 'Gatehouse-us-west-2', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }],
  });

  await expectUsageError(
    ['--image', '1.4.0'],
    'error: Stack "Gatehouse-us-west-2" in us-west-2 has no output TestListenerArn, SmokeTestFunctionName. Fix: deploy the current CDK kit ("npx cdk deploy Gatehouse-us-west-2") so the stack exports every output the release command reads.\nNothing was changed.\n',
  );
  expect(aws.region('us-west-2').cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({ StackName: 'Gatehouse-us-west-2' });
});

test('a stack being updated by cdk deploy stops the release (exit 2)', async () => {
  aws.region('us-east-1').cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [{ StackName: 'Gatehouse-us-east-1', StackStatus: 'UPDATE_IN_PROGRESS', CreationTime: new Date(), Outputs: [] }],
  });

  await expectUsageError(
    ['--image', '1.4.0'],
    'error: Stack "Gatehouse-us-east-1" in us-east-1 is UPDATE_IN_PROGRESS. Fix: wait until the running "cdk deploy" finishes, then release again.\nNothing was changed.\n',
  );
});

test('a service not on the CODE_DEPLOY controller is refused (exit 2)', async () => {
  aws.region('us-east-1').ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'gh-gateway-us-east-1', status: 'ACTIVE', deploymentController: { type: 'ECS' } }] });

  await expectUsageError(
    ['--image', '1.4.0'],
    'error: ECS service "gh-gateway-us-east-1" (us-east-1) uses the ECS deployment controller, not CODE_DEPLOY. Fix: deploy the current CDK kit, whose gateway service is released through CodeDeploy blue/green.\nNothing was changed.\n',
  );
});

test('AWS errors before anything changed (e.g. no credentials) exit 2 with the fix', async () => {
  aws.region('us-east-1').cloudFormation.on(DescribeStacksCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));

  await expectUsageError(
    ['--image', '1.4.0'],
    'error: CredentialsProviderError: Could not load credentials from any providers. Fix: configure AWS credentials (environment variables, AWS_PROFILE or --profile).\nNothing was changed.\n',
  );
});

describe('deployment config from cdk.json', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-release-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('reads regions, stack prefix and traffic shifting through the CDK kit loader', () => {
    const path = join(dir, 'cdk.json');
    writeFileSync(path, JSON.stringify({ app: 'x', context: { gatehouse: { account: '123456789012', primaryRegion: 'eu-west-1', secondaryRegions: ['eu-central-1'], stackPrefix: 'Edge', trafficShifting: 'linear' } } }));

    expect(loadReleaseConfig(path)).toEqual({ primaryRegion: 'eu-west-1', secondaryRegions: ['eu-central-1'], stackPrefix: 'Edge', defaultStrategy: 'linear' });
  });

  test('a missing cdk.json says where to run the command', () => {
    expect(() => loadReleaseConfig(join(dir, 'cdk.json'))).toThrow(`${join(dir, 'cdk.json')} could not be read. Fix: run the command from the repository root, where cdk.json lives.`);
  });

  test('an invalid deployment config is reported with its path and fix', () => {
    const path = join(dir, 'cdk.json');
    writeFileSync(path, JSON.stringify({ context: { gatehouse: { account: '123456789012', primaryRegion: 'moon-1', secondaryRegions: [] } } }));

    expect(() => loadReleaseConfig(path)).toThrow(/Invalid deployment config .*\n {2}\/primaryRegion: .*Fix: use an AWS region name such as "us-east-1"\./);
  });
});

test('the npm script entry point exits 2 on a bad argument', () => {
  const result = spawnSync(process.execPath, [join('node_modules', 'tsx', 'dist', 'cli.mjs'), join('infra', 'release', 'cli.ts'), '--image', '1.4.0', '--strategy', 'fast'], {
    cwd: join(__dirname, '..', '..', '..'),
    encoding: 'utf8',
    timeout: 60_000,
  });

  expect(result.status).toBe(2);
  expect(result.stderr).toContain("error: option '--strategy <name>' argument 'fast' is invalid. Allowed choices are canary, linear, all-at-once.");
});
