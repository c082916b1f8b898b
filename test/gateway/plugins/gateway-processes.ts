/** Gateway processes for rate-limit tests: `gateway/src/main.ts` run by `node --import tsx`, file-driven data planes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort } from './redis';

const REPO_ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(REPO_ROOT, 'gateway', 'src', 'main.ts');
const READY_TIMEOUT_MS = 90_000;

export interface GatewayProcess {
  readonly proxyPort: number;
  readonly origin: string;
  /** The status listener (`/readyz`, `/metrics`). */
  readonly statusOrigin: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts a data plane reading `config` from a file, with `env` on top; resolves once `/readyz` is 200. */
export async function startGatewayProcess(config: object, env: Record<string, string>): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-rl-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const [proxyPort, statusPort] = [await freePort(), await freePort()];
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GATEHOUSE_') && k !== 'DATABASE_URL' && k !== 'REDIS_URL') base[k] = v;
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...base,
      GATEHOUSE_ROLE: 'data-plane',
      GATEHOUSE_CONFIG: file,
      GATEHOUSE_PROXY_HOST: '127.0.0.1',
      GATEHOUSE_PROXY_PORT: String(proxyPort),
      GATEHOUSE_STATUS_HOST: '127.0.0.1',
      GATEHOUSE_STATUS_PORT: String(statusPort),
      GATEHOUSE_ACCESS_LOG: 'false',
      GATEHOUSE_LOG_LEVEL: 'warn',
      GATEHOUSE_DATA_DIR: join(dir, 'data'),
      GATEHOUSE_DEREGISTRATION_DELAY_MS: '0',
      GATEHOUSE_DRAIN_TIMEOUT_MS: '2000',
      ...env,
    },
  });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr = (stderr + t).slice(-4000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`gateway exited with ${proc.exitCode} before it was ready:\n${stderr}`);
    }
    const ok = await request(`http://127.0.0.1:${statusPort}/readyz`)
      .then(async (r) => (await r.body.dump(), r.statusCode === 200))
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`gateway not ready after ${READY_TIMEOUT_MS} ms:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { proxyPort, origin: `http://127.0.0.1:${proxyPort}`, statusOrigin: `http://127.0.0.1:${statusPort}`, stderr: () => stderr, stop };
}
