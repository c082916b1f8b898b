import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type DescribeTargetHealthCommandOutput,
  type TargetHealthStateEnum,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';

// The hook is plain CommonJS JavaScript (what Lambda runs); load it as such.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const hook = require('../../../infra/lambda/smoke-test/index.js') as {
  handler: (event: unknown) => Promise<{ status: string; checks: Array<{ name: string; ok: boolean; detail: string }> }>;
};

const GREEN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gh-green/1111';
const BLUE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gh-blue/2222';
const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/gh/abc/test';
const EVENT = { DeploymentId: 'd-SMOKE1234', LifecycleEventHookExecutionId: 'hook-exec-1' };

/** A local HTTP server standing in for a task's status port or the ALB test listener. */
interface FakeEndpoint {
  readonly port: number;
  readonly paths: string[];
  close(): Promise<void>;
}

async function endpoint(host: string, port: number, answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<FakeEndpoint> {
  const paths: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? '');
    answer(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const status = (code: number) => (_req: IncomingMessage, res: ServerResponse) => {
  res.statusCode = code;
  res.end(String(code));
};

const codeDeploy = mockClient(CodeDeployClient);
const elbv2 = mockClient(ElasticLoadBalancingV2Client);
const savedEnv = { ...process.env };
const open: FakeEndpoint[] = [];

async function start(host: string, port: number, answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<FakeEndpoint> {
  const e = await endpoint(host, port, answer);
  open.push(e);
  return e;
}

function targets(...entries: Array<[string, TargetHealthStateEnum]>): Partial<DescribeTargetHealthCommandOutput> {
  return { TargetHealthDescriptions: entries.map(([Id, State]) => ({ Target: { Id, Port: 8080 }, TargetHealth: { State } })) };
}

beforeEach(() => {
  codeDeploy.reset();
  elbv2.reset();
  codeDeploy.on(PutLifecycleEventHookExecutionStatusCommand).resolves({ lifecycleEventHookExecutionId: 'hook-exec-1' });
  elbv2.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: [{ Type: 'forward', TargetGroupArn: GREEN }] }] });
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(async () => {
  process.env = { ...savedEnv };
  jest.restoreAllMocks();
  await Promise.all(open.splice(0).map((e) => e.close()));
});

async function configure(statusPort: number, listener: FakeEndpoint, extra: Record<string, string> = {}) {
  Object.assign(process.env, {
    TEST_LISTENER_URL: `http://127.0.0.1:${listener.port}`,
    TEST_LISTENER_ARN: LISTENER,
    GREEN_TARGET_GROUP_ARN: GREEN,
    BLUE_TARGET_GROUP_ARN: BLUE,
    STATUS_PORT: String(statusPort),
    CANARY_PATH: '/v1/ping',
    TIMEOUT_MS: '2000',
    ATTEMPTS: '1',
    RETRY_DELAY_MS: '0',
    ...extra,
  });
}

function reported() {
  return codeDeploy.commandCalls(PutLifecycleEventHookExecutionStatusCommand).map((c) => c.args[0].input);
}

test('every green task ready and the canary below 500: reports Succeeded with the exact ids', async () => {
  const task = await start('127.0.0.1', 0, status(200));
  const listener = await start('127.0.0.1', 0, status(404));
  await configure(task.port, listener);
  elbv2.on(DescribeTargetHealthCommand, { TargetGroupArn: GREEN }).resolves(targets(['127.0.0.1', 'healthy'], ['10.0.9.9', 'draining']));

  const result = await hook.handler(EVENT);

  expect(result.status).toBe('Succeeded');
  expect(reported()).toEqual([{ deploymentId: 'd-SMOKE1234', lifecycleEventHookExecutionId: 'hook-exec-1', status: 'Succeeded' }]);
  expect(task.paths).toEqual(['/readyz']);
  expect(listener.paths).toEqual(['/v1/ping']);
  // Only the group behind the test listener is read; the draining target is not contacted.
  expect(elbv2.commandCalls(DescribeListenersCommand)[0]?.args[0].input).toEqual({ ListenerArns: [LISTENER] });
  expect(elbv2.commandCalls(DescribeTargetHealthCommand).map((c) => c.args[0].input)).toEqual([{ TargetGroupArn: GREEN }]);
  expect(result.checks.map((c) => c.name)).toEqual([`GET http://127.0.0.1:${task.port}/readyz`, `canary GET http://127.0.0.1:${listener.port}/v1/ping`]);
});

test('one green task answering 503 on /readyz: reports Failed and sends no canary', async () => {
  const ready = await start('127.0.0.1', 0, status(200));
  const notReady = await start('127.0.0.2', ready.port, status(503));
  const listener = await start('127.0.0.1', 0, status(200));
  await configure(ready.port, listener);
  elbv2.on(DescribeTargetHealthCommand).resolves(targets(['127.0.0.1', 'healthy'], ['127.0.0.2', 'healthy']));

  const result = await hook.handler(EVENT);

  expect(result.status).toBe('Failed');
  expect(reported()).toEqual([{ deploymentId: 'd-SMOKE1234', lifecycleEventHookExecutionId: 'hook-exec-1', status: 'Failed' }]);
  expect(ready.paths).toEqual(['/readyz']);
  expect(notReady.paths).toEqual(['/readyz']);
  expect(listener.paths).toEqual([]);
  expect(result.checks.find((c) => !c.ok)?.detail).toBe('answered 503');
});

test('CANARY=off (HTTP2/GRPC target groups, which refuse HTTP/1.1): only the green tasks are checked', async () => {
  const task = await start('127.0.0.1', 0, status(200));
  const listener = await start('127.0.0.1', 0, status(502));
  await configure(task.port, listener, { CANARY: 'off' });
  elbv2.on(DescribeTargetHealthCommand).resolves(targets(['127.0.0.1', 'healthy']));

  const result = await hook.handler(EVENT);

  expect(result.status).toBe('Succeeded');
  expect(listener.paths).toEqual([]);
  expect(result.checks.map((c) => c.name)).toEqual([`GET http://127.0.0.1:${task.port}/readyz`]);
});

test('a canary answering 502 through the test listener: reports Failed', async () => {
  const task = await start('127.0.0.1', 0, status(200));
  const listener = await start('127.0.0.1', 0, status(502));
  await configure(task.port, listener);
  elbv2.on(DescribeTargetHealthCommand).resolves(targets(['127.0.0.1', 'healthy']));

  const result = await hook.handler(EVENT);

  expect(result.status).toBe('Failed');
  expect(reported()[0]?.status).toBe('Failed');
  expect(listener.paths).toEqual(['/v1/ping']);
});

test('a retry covers one failed try when ATTEMPTS is 2', async () => {
  let calls = 0;
  const task = await start('127.0.0.1', 0, (_req, res) => {
    calls += 1;
    res.statusCode = calls === 1 ? 503 : 200;
    res.end();
  });
  const listener = await start('127.0.0.1', 0, status(200));
  await configure(task.port, listener, { ATTEMPTS: '2' });
  elbv2.on(DescribeTargetHealthCommand).resolves(targets(['127.0.0.1', 'healthy']));

  const result = await hook.handler(EVENT);

  expect(result.status).toBe('Succeeded');
  expect(task.paths).toEqual(['/readyz', '/readyz']);
});

test('a task that never answers fails its check after TIMEOUT_MS', async () => {
  const silent = await start('127.0.0.1', 0, () => undefined);
  const listener = await start('127.0.0.1', 0, status(200));
  await configure(silent.port, listener, { TIMEOUT_MS: '100' });
  elbv2.on(DescribeTargetHealthCommand).resolves(targets(['127.0.0.1', 'healthy']));

  const result = await hook.handler(EVENT);

  expect(result.status).toBe('Failed');
  expect(result.checks[0]?.detail).toBe('no answer within 100 ms');
});

test('no task behind the test listener: reports Failed', async () => {
  const listener = await start('127.0.0.1', 0, status(200));
  await configure(1, listener);
  elbv2.on(DescribeTargetHealthCommand).resolves(targets());

  const result = await hook.handler(EVENT);

  expect(result.status).toBe('Failed');
  expect(result.checks).toEqual([{ name: 'green tasks', ok: false, detail: 'no task is registered behind the test listener' }]);
});

test('an AWS error while checking still answers the hook with Failed', async () => {
  const listener = await start('127.0.0.1', 0, status(200));
  await configure(1, listener);
  elbv2.on(DescribeTargetHealthCommand).rejects(new Error('AccessDenied: not allowed'));

  const result = await hook.handler(EVENT);

  expect(reported()).toEqual([{ deploymentId: 'd-SMOKE1234', lifecycleEventHookExecutionId: 'hook-exec-1', status: 'Failed' }]);
  expect(result.checks).toEqual([{ name: 'smoke test', ok: false, detail: 'error: AccessDenied: not allowed' }]);
});

test('missing TEST_LISTENER_URL still answers the hook with Failed and says what to set', async () => {
  const listener = await start('127.0.0.1', 0, status(200));
  await configure(1, listener);
  delete process.env.TEST_LISTENER_URL;

  const result = await hook.handler(EVENT);

  expect(reported()[0]?.status).toBe('Failed');
  expect(result.checks[0]?.detail).toBe('error: TEST_LISTENER_URL is not set; the CDK kit must set it to the test listener URL');
});

test('without TEST_LISTENER_ARN both target groups are checked', async () => {
  const task = await start('127.0.0.1', 0, status(200));
  const listener = await start('127.0.0.1', 0, status(200));
  await configure(task.port, listener);
  delete process.env.TEST_LISTENER_ARN;
  elbv2.on(DescribeTargetHealthCommand).resolves(targets(['127.0.0.1', 'healthy']));

  const result = await hook.handler(EVENT);

  expect(result.status).toBe('Succeeded');
  expect(elbv2.commandCalls(DescribeListenersCommand)).toHaveLength(0);
  expect(elbv2.commandCalls(DescribeTargetHealthCommand).map((c) => c.args[0].input)).toEqual([{ TargetGroupArn: GREEN }, { TargetGroupArn: BLUE }]);
});

test('an event without the hook ids is rejected and nothing is reported', async () => {
  await expect(hook.handler({})).rejects.toThrow(
    'the event has no DeploymentId/LifecycleEventHookExecutionId; this function is a CodeDeploy AfterAllowTestTraffic hook',
  );
  expect(reported()).toEqual([]);
});
