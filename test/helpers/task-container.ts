/**
 * Runs a synthesized ECS container definition on this machine: its environment (CloudFormation
 * intrinsics resolved to local services, container paths moved onto a local data volume, container
 * ports mapped to free ports), its secrets given by name, as its numeric user. There is no container
 * engine here, so the gateway runs from source (`node --import tsx`) instead of the image's CMD.
 */
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Template } from 'aws-cdk-lib/assertions';
import { spawnGateway, type GatewayChild } from '../../support/gateway-process';

const run = promisify(execFile);

/** A container definition as the template holds it (only the fields the contract reads). */
export interface ContainerDefinition {
  readonly Name: string;
  readonly User?: string;
  readonly Command?: string[];
  readonly Essential?: boolean;
  readonly ReadonlyRootFilesystem?: boolean;
  readonly Environment?: ReadonlyArray<{ Name: string; Value: unknown }>;
  readonly Secrets?: ReadonlyArray<{ Name: string; ValueFrom: unknown }>;
  readonly PortMappings?: ReadonlyArray<{ ContainerPort: number }>;
  readonly MountPoints?: ReadonlyArray<{ ContainerPath: string; SourceVolume: string; ReadOnly: boolean }>;
  readonly HealthCheck?: { Command: string[]; StartPeriod?: number };
  readonly DependsOn?: ReadonlyArray<{ ContainerName: string; Condition: string }>;
}

/** Every container of every task definition in the template, by name. */
export function containersOf(template: Template): Map<string, ContainerDefinition> {
  const out = new Map<string, ContainerDefinition>();
  for (const td of Object.values(template.findResources('AWS::ECS::TaskDefinition')))
    for (const c of (td as { Properties: { ContainerDefinitions: ContainerDefinition[] } }).Properties.ContainerDefinitions) out.set(c.Name, c);
  return out;
}

/** Resolves a value of Ref / Fn::GetAtt / Fn::Join to a string; `attribute` answers GetAtt and Ref (attribute undefined). */
export function resolveIntrinsic(value: unknown, attribute: (logicalId: string, name?: string) => string): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveIntrinsic(p, attribute)).join(sep);
  }
  if ('Fn::GetAtt' in v) {
    const [id, name] = v['Fn::GetAtt'] as [string, string];
    return attribute(id, name);
  }
  if ('Ref' in v) return attribute(v.Ref as string);
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/** A numeric `uid:gid` user, as a task definition's `User`. */
export function numericUser(user: string | undefined): { uid: number; gid: number } {
  const m = /^(\d+):(\d+)$/.exec(user ?? '');
  if (!m) throw new Error(`the container's User must be numeric uid:gid, got ${JSON.stringify(user)}`);
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

/** A fresh directory owned by the task's user: the task's data volume. */
export async function dataVolume(user: { uid: number; gid: number }, label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `gh-volume-${label}-`));
  await chown(dir, user.uid, user.gid);
  return dir;
}

export interface LocalEnvironmentOptions {
  /** Answers the intrinsics in environment values. */
  readonly attribute: (logicalId: string, name?: string) => string;
  /** Container path of the data volume and the local directory standing in for it. */
  readonly volume: { readonly containerPath: string; readonly dir: string };
  /** Settings whose (container) port value is mapped to a local port, e.g. GATEHOUSE_STATUS_PORT → 43121. */
  readonly ports?: Readonly<Record<string, number>>;
  /** Values for the container's secrets, by name; every secret must have one and no other may be given. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** What AWS provides outside the task definition (S3 endpoint and credentials here). */
  readonly platform?: Readonly<Record<string, string>>;
  /** Rewrites a resolved value (e.g. a database URL's port), by variable name. */
  readonly rewrite?: Readonly<Record<string, (value: string) => string>>;
}

/** The container's environment as the process gets it here. */
export function localEnvironment(container: ContainerDefinition, o: LocalEnvironmentOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { Name, Value } of container.Environment ?? []) {
    let value = resolveIntrinsic(Value, o.attribute);
    if (value === o.volume.containerPath || value.startsWith(`${o.volume.containerPath}/`)) value = o.volume.dir + value.slice(o.volume.containerPath.length);
    env[Name] = o.rewrite?.[Name] ? o.rewrite[Name](value) : value;
  }
  for (const [name, port] of Object.entries(o.ports ?? {})) {
    if (env[name] === undefined) throw new Error(`${container.Name} has no ${name} to map`);
    env[name] = String(port);
  }
  const names = (container.Secrets ?? []).map((s) => s.Name).sort();
  const given = Object.keys(o.secrets ?? {}).sort();
  if (JSON.stringify(names) !== JSON.stringify(given)) throw new Error(`${container.Name} takes secrets ${names.join(', ')}, the test gave ${given.join(', ')}`);
  return { ...env, ...o.secrets, ...o.platform };
}

/** PATH for the task's processes: where this node lives, then the system's. */
const PATH = `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`;

/** Runs a container command (an exec array, or ['CMD-SHELL', script]) with `env` as `user`; resolves with its exit code and output. */
export async function runContainerCommand(
  command: readonly string[],
  env: Record<string, string>,
  user: { uid: number; gid: number },
  cwd: string,
): Promise<{ code: number; output: string }> {
  const [file, ...args] = command[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', command[1] as string] : command;
  try {
    const out = await run(file as string, args, { env: { PATH, ...env }, uid: user.uid, gid: user.gid, cwd, timeout: 60_000 });
    return { code: 0, output: out.stdout + out.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Starts the gateway with exactly `env`, as `user`. */
export function spawnTaskGateway(env: Record<string, string>, user: { uid: number; gid: number }): GatewayChild {
  return spawnGateway({ env: { PATH, ...env }, uid: user.uid, gid: user.gid, exactEnv: true });
}

/** The real uid of a running process (from /proc). */
export async function processUid(pid: number): Promise<number> {
  const { stdout } = await run('awk', ['/^Uid:/ { print $2 }', `/proc/${pid}/status`]);
  return Number(stdout.trim());
}

/** Files under `roots` owned by `uid` and changed after `marker`, outside `except`. */
export async function filesWrittenBy(uid: number, marker: string, roots: readonly string[], except: readonly string[]): Promise<string[]> {
  const prune = except.flatMap((dir) => ['-path', dir, '-prune', '-o']);
  const { stdout } = await run('find', [...roots, '-xdev', ...prune, '-uid', String(uid), '-newer', marker, '-print'], { maxBuffer: 16 * 1024 * 1024 }).catch(
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
  );
  return stdout.split('\n').filter(Boolean);
}

/** Every file under `dir` whose owner is not `uid`. */
export async function filesNotOwnedBy(dir: string, uid: number): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    const file = join(dir, entry);
    if ((await stat(file)).uid !== uid) out.push(file);
  }
  return out;
}

/** Removes a data volume. */
export const removeVolume = (dir: string): Promise<void> => rm(dir, { recursive: true, force: true });
