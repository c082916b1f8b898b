'use strict';
/**
 * CodeDeploy `AfterAllowTestTraffic` hook for the gateway's ECS blue/green deployments.
 *
 * Runs after the test listener points at the replacement (green) task set and before any production
 * traffic moves: every green task must answer 200 on `http://<task ip>:<STATUS_PORT>/readyz`, and a
 * canary request through the test listener must answer below 500. The verdict is always reported to
 * CodeDeploy (Failed on any exception), so the hook never waits out its timeout; Failed makes
 * CodeDeploy roll the deployment back.
 *
 * Environment (set by the CDK kit's SmokeTestHook, infra/lib/constructs/smoke-test-hook.ts):
 *   TEST_LISTENER_URL       e.g. http://<alb dns>:9000 (required)
 *   TEST_LISTENER_ARN       the test listener; its forward action names the green target group
 *   GREEN_TARGET_GROUP_ARN, BLUE_TARGET_GROUP_ARN
 *                           both groups; checked together only when TEST_LISTENER_ARN is missing
 *   CANARY_PATH             default "/"
 *   CANARY                  "off": no canary request (HTTP2/GRPC target groups refuse HTTP/1.1 with 464)
 *   STATUS_PORT             default 9190
 *   TIMEOUT_MS              per HTTP request, default 5000
 *   ATTEMPTS                tries per check before it counts as failed, default 2
 *   RETRY_DELAY_MS          pause between tries, default 1000
 *
 * Plain CommonJS with only Node built-ins and the AWS SDK v3 that the Node.js 20 runtime ships.
 */
const http = require('node:http');
const https = require('node:https');
const { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } = require('@aws-sdk/client-codedeploy');
const {
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} = require('@aws-sdk/client-elastic-load-balancing-v2');

const DEFAULT_STATUS_PORT = 9190;
const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_ATTEMPTS = 2;
const DEFAULT_RETRY_DELAY_MS = 1000;
const DEFAULT_CANARY_PATH = '/';
// Targets leaving the group (or in a disabled zone) take no test traffic, so they are not checked.
const SKIPPED_TARGET_STATES = new Set(['draining', 'unused']);

let clients;
function awsClients() {
  clients ??= { codeDeploy: new CodeDeployClient({}), elbv2: new ElasticLoadBalancingV2Client({}) };
  return clients;
}

function settings(env) {
  const number = (name, fallback) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
    return value;
  };
  if (!env.TEST_LISTENER_URL) throw new Error('TEST_LISTENER_URL is not set; the CDK kit must set it to the test listener URL');
  return {
    testListenerUrl: env.TEST_LISTENER_URL.replace(/\/+$/, ''),
    testListenerArn: env.TEST_LISTENER_ARN || undefined,
    targetGroupArns: [env.GREEN_TARGET_GROUP_ARN, env.BLUE_TARGET_GROUP_ARN].filter(Boolean),
    canaryPath: env.CANARY_PATH || DEFAULT_CANARY_PATH,
    canary: env.CANARY !== 'off',
    statusPort: number('STATUS_PORT', DEFAULT_STATUS_PORT),
    timeoutMs: number('TIMEOUT_MS', DEFAULT_TIMEOUT_MS),
    attempts: Math.max(1, number('ATTEMPTS', DEFAULT_ATTEMPTS)),
    retryDelayMs: number('RETRY_DELAY_MS', DEFAULT_RETRY_DELAY_MS),
  };
}

/** GET a URL with a deadline; resolves to the status code, rejects on network errors and timeouts. */
function httpGet(url, timeoutMs) {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const request = client.get(url, { agent: false, timeout: timeoutMs, headers: { 'user-agent': 'gatehouse-smoke-test' } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

/** Runs one check up to `attempts` times; resolves to `{ ok, detail }` from the last try. */
async function withAttempts(config, check) {
  let result;
  for (let attempt = 1; attempt <= config.attempts; attempt += 1) {
    result = await check().catch((err) => ({ ok: false, detail: err.message }));
    if (result.ok) return result;
    if (attempt < config.attempts) await new Promise((r) => setTimeout(r, config.retryDelayMs));
  }
  return result;
}

/** The target groups the test listener forwards to now (green during a deployment). */
async function testTargetGroups(config, elbv2) {
  if (!config.testListenerArn) {
    if (config.targetGroupArns.length === 0) throw new Error('neither TEST_LISTENER_ARN nor the target group ARNs are set');
    return config.targetGroupArns;
  }
  const { Listeners } = await elbv2.send(new DescribeListenersCommand({ ListenerArns: [config.testListenerArn] }));
  const arns = [];
  for (const action of Listeners?.[0]?.DefaultActions ?? []) {
    if (action.Type !== 'forward') continue;
    if (action.ForwardConfig?.TargetGroups?.length) {
      for (const group of action.ForwardConfig.TargetGroups) if ((group.Weight ?? 1) > 0 && group.TargetGroupArn) arns.push(group.TargetGroupArn);
    } else if (action.TargetGroupArn) arns.push(action.TargetGroupArn);
  }
  if (arns.length === 0) throw new Error(`test listener ${config.testListenerArn} forwards to no target group`);
  return [...new Set(arns)];
}

async function greenTaskAddresses(config, elbv2) {
  const addresses = [];
  for (const arn of await testTargetGroups(config, elbv2)) {
    const { TargetHealthDescriptions } = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
    for (const description of TargetHealthDescriptions ?? []) {
      const state = description.TargetHealth?.State;
      if (description.Target?.Id && !SKIPPED_TARGET_STATES.has(state)) addresses.push(description.Target.Id);
    }
  }
  return [...new Set(addresses)];
}

/** Runs every check; resolves to the list of checks with their verdicts. */
async function runChecks(config, elbv2) {
  const checks = [];
  const addresses = await greenTaskAddresses(config, elbv2);
  if (addresses.length === 0) return [{ name: 'green tasks', ok: false, detail: 'no task is registered behind the test listener' }];
  const readiness = await Promise.all(
    addresses.map(async (ip) => {
      const url = `http://${ip}:${config.statusPort}/readyz`;
      const result = await withAttempts(config, async () => {
        const status = await httpGet(url, config.timeoutMs);
        return { ok: status === 200, detail: `answered ${status}` };
      });
      return { name: `GET ${url}`, ...result };
    }),
  );
  checks.push(...readiness);
  if (config.canary && readiness.every((c) => c.ok)) {
    const url = `${config.testListenerUrl}${config.canaryPath}`;
    const canary = await withAttempts(config, async () => {
      const status = await httpGet(url, config.timeoutMs);
      return { ok: status < 500, detail: `answered ${status}` };
    });
    checks.push({ name: `canary GET ${url}`, ...canary });
  }
  return checks;
}

/** The Lambda entry point: check, then always report the verdict to CodeDeploy. */
exports.handler = async function handler(event) {
  const { codeDeploy, elbv2 } = awsClients();
  const deploymentId = event?.DeploymentId;
  const lifecycleEventHookExecutionId = event?.LifecycleEventHookExecutionId;
  if (!deploymentId || !lifecycleEventHookExecutionId) {
    // Without the ids there is nobody to answer; fail loudly so the invocation error is visible.
    throw new Error('the event has no DeploymentId/LifecycleEventHookExecutionId; this function is a CodeDeploy AfterAllowTestTraffic hook');
  }
  let checks;
  try {
    checks = await runChecks(settings(process.env), elbv2);
  } catch (err) {
    checks = [{ name: 'smoke test', ok: false, detail: `error: ${err.message}` }];
  }
  const status = checks.every((c) => c.ok) ? 'Succeeded' : 'Failed';
  console.log(JSON.stringify({ msg: 'smoke test verdict', deploymentId, status, checks }));
  await codeDeploy.send(new PutLifecycleEventHookExecutionStatusCommand({ deploymentId, lifecycleEventHookExecutionId, status }));
  return { status, checks };
};
