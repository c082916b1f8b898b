import { runCli } from '../../../infra/release/cli';
import { CONFIG, FakeAws, runRelease } from './fake-aws';

let aws: FakeAws;
beforeEach(() => {
  aws = new FakeAws();
});
afterEach(() => aws.restore());

test('on a terminal the release draws a live bar per region, then prints the summary below it', async () => {
  let out = '';
  const tty = { isTTY: true, columns: 160, write: (s: string) => ((out += s), true) };

  const code = await runCli(['--image', '1.4.0', '--regions', 'us-east-1'], {
    out: tty,
    err: tty,
    clients: aws.factory,
    loadConfig: () => CONFIG,
    timing: { pollIntervalMs: 0, sleep: () => new Promise((r) => setImmediate(r)) },
  });

  expect(code).toBe(0);
  expect(out).toMatch(/us-east-1 +\[[█░]+\] 100% traffic on green \| Succeeded \| healthy 2\/2 \| Succeeded/);
  expect(out).toContain('Release summary:\n  us-east-1  succeeded');
});

test('off a terminal progress is plain lines without control characters', async () => {
  const run = await runRelease(['--image', '1.4.0', '--regions', 'us-east-1'], aws);

  // eslint-disable-next-line no-control-regex
  expect(run.out).not.toMatch(/\x1b/);
  expect(run.out).toContain('[us-east-1] d-USEAST1 InProgress: phase AllowTraffic, traffic on green 10%, healthy green tasks 2/2\n');
});
