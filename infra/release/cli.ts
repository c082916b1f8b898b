import { Command, CommanderError, Option } from 'commander';

import { awsClientFactory, type ClientFactory } from './clients';
import { defaultTiming, type CommandContext } from './context';
import { loadReleaseConfig, orderedRegions, type ReleaseConfig } from './deployment-config';
import { DEFAULT_STRATEGY, STRATEGIES, type Strategy, type WaitOptions } from './deploy';
import { ExitCode, ReleaseError, usageError } from './errors';
import { parseImageRequest } from './image';
import type { TextSink } from './progress';
import { runRelease } from './release';
import { runRollback } from './rollback';
import { runStatus } from './status';
import { DEFAULT_WAVES, planWaves } from './waves';

/** What the CLI runs with; tests pass mocked clients, a config, sinks and zero-delay timing. */
export interface CliDeps {
  readonly out: TextSink;
  readonly err: TextSink;
  /** Clients per region; defaults to real SDK clients using the profile from --profile or the config. */
  readonly clients?: ClientFactory;
  readonly loadConfig?: () => ReleaseConfig;
  readonly timing?: Partial<Omit<WaitOptions, 'onUpdate'>>;
  readonly signal?: AbortSignal;
}

export const DEFAULT_ROLLBACK_STRATEGY: Strategy = 'all-at-once';
const USAGE_HINT = 'Run "npm run release -- --help" for usage.';
const STRATEGY_NAMES = Object.keys(STRATEGIES) as Strategy[];

interface CommonOptions {
  regions?: string;
  profile?: string;
  timeoutMinutes?: string;
}

/** Runs the release command with `argv` (the arguments after `npm run release --`); resolves to the exit code. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram(deps, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    return reportError(err, deps.err);
  }
  return exitCode;
}

function buildProgram(deps: CliDeps, setExitCode: (code: number) => void): Command {
  const program = new Command('npm run release --')
    .description('Ship a new gateway image region by region with CodeDeploy blue/green, and watch or roll back releases.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => deps.out.write(s), writeErr: (s) => deps.err.write(s) })
    .showHelpAfterError(USAGE_HINT)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npm run release -- --image 1.4.0 --dry-run         plan a release of tag 1.4.0 (each region\'s repository)',
        '  npm run release -- --image 1.4.0                   release it: primary region first, then the rest',
        '  npm run release -- --image <uri>:1.4.0 --regions us-east-1 --strategy all-at-once',
        '  npm run release -- status',
        '  npm run release -- rollback --regions us-east-1',
        '  npm run release -- release --help                  every option of a release',
        '',
        'Exit codes: 0 all succeeded, 1 a deployment failed (rolled back), 2 bad usage or config (nothing changed), 3 stopped or timed out.',
      ].join('\n'),
    );

  const common = (cmd: Command): Command =>
    cmd
      .option('--regions <list>', 'comma-separated regions (default: every region of the deployment config, primary first)')
      .option('--profile <name>', 'AWS named profile (default: the SDK default chain, e.g. AWS_PROFILE)')
      .option('--timeout-minutes <n>', 'stop a deployment with rollback when it runs longer than this', '60');

  common(program.command('release', { isDefault: true }).description('release a new gateway image (the default sub-command)'))
    .option('--image <uri-or-tag>', 'image URI with tag or digest, or only a tag/digest applied to each region\'s current repository')
    .addOption(new Option('--strategy <name>', 'traffic shifting (default: trafficShifting in the deployment config, else canary)').choices(STRATEGY_NAMES))
    .option('--waves <spec>', 'wave sizes in release order, e.g. "1,rest", "1,1,rest", "all"', DEFAULT_WAVES)
    .option('--dry-run', 'print the plan (waves, images, task definition, AppSpec) and change nothing')
    .action(async (opts: CommonOptions & { image?: string; strategy?: Strategy; waves: string; dryRun?: boolean }) => {
      const image = parseImageRequest(opts.image);
      const ctx = context(deps, opts);
      const waves = planWaves(selectRegions(ctx.config, opts.regions), opts.waves);
      const strategy = opts.strategy ?? ctx.config.defaultStrategy ?? DEFAULT_STRATEGY;
      setExitCode(await runRelease(ctx, { image, strategy, waves, dryRun: opts.dryRun === true }));
    });

  common(program.command('status').description('show what each region runs, where traffic goes, and deployments in flight')).action(async (opts: CommonOptions) => {
    const ctx = context(deps, opts);
    setExitCode(await runStatus(ctx, selectRegions(ctx.config, opts.regions)));
  });

  common(program.command('rollback').description('stop the deployment in flight with rollback, or redeploy the previous task definition'))
    .option('--deployment-id <id>', 'stop this deployment (with --regions naming its region)')
    .option('--task-definition <arn>', 'redeploy this task definition instead of the previous successful revision')
    .addOption(new Option('--strategy <name>', 'traffic shifting for a redeploy').choices(STRATEGY_NAMES).default(DEFAULT_ROLLBACK_STRATEGY))
    .action(async (opts: CommonOptions & { deploymentId?: string; taskDefinition?: string; strategy: Strategy }) => {
      if (opts.deploymentId && opts.taskDefinition) {
        throw usageError('--task-definition', 'cannot be combined with --deployment-id.', 'stop the deployment first, then redeploy with --task-definition in a second command.');
      }
      const ctx = context(deps, opts);
      setExitCode(
        await runRollback(ctx, {
          regions: selectRegions(ctx.config, opts.regions),
          strategy: opts.strategy,
          ...(opts.deploymentId ? { deploymentId: opts.deploymentId } : {}),
          ...(opts.taskDefinition ? { taskDefinitionArn: opts.taskDefinition } : {}),
        }),
      );
    });
  return program;
}

function context(deps: CliDeps, opts: CommonOptions): CommandContext {
  const timeoutMinutes = Number(opts.timeoutMinutes);
  if (!Number.isInteger(timeoutMinutes) || timeoutMinutes < 1) {
    throw usageError('--timeout-minutes', `"${opts.timeoutMinutes}" is not a whole number of minutes.`, 'give a number of minutes of 1 or more, e.g. --timeout-minutes 90.');
  }
  const config = (deps.loadConfig ?? (() => loadReleaseConfig()))();
  const clients = deps.clients ?? awsClientFactory(opts.profile);
  return {
    config,
    clients,
    out: deps.out,
    timing: { ...defaultTiming(deps.signal), timeoutMs: timeoutMinutes * 60_000, ...deps.timing },
  };
}

/** Regions to act on, in release order (primary first) whatever order they were given in. */
export function selectRegions(config: ReleaseConfig, list: string | undefined): string[] {
  const known = orderedRegions(config);
  if (list === undefined) return known;
  const asked = list.split(',').map((r) => r.trim()).filter((r) => r !== '');
  if (asked.length === 0) throw usageError('--regions', 'is empty.', `name one or more of ${known.join(', ')}, separated by commas.`);
  const unknown = asked.filter((r) => !known.includes(r));
  if (unknown.length > 0) {
    throw usageError(
      '--regions',
      `${unknown.map((r) => `"${r}"`).join(', ')} ${unknown.length === 1 ? 'is not a region' : 'are not regions'} of this deployment (${known.join(', ')}).`,
      'use regions from primaryRegion and secondaryRegions in cdk.json context.gatehouse, or add the region there and deploy its stack first.',
    );
  }
  return known.filter((r) => asked.includes(r));
}

function reportError(err: unknown, sink: TextSink): number {
  if (err instanceof CommanderError) {
    // Commander has already printed its message (and the usage hint); only the exit code is ours.
    return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
  }
  if (err instanceof ReleaseError) {
    sink.write(`error: ${err.message}\n`);
    if (err.exitCode === ExitCode.Usage) sink.write('Nothing was changed.\n');
    return err.exitCode;
  }
  const error = err as Error;
  const fix = /credential/i.test(`${error.name} ${error.message}`)
    ? ' Fix: configure AWS credentials (environment variables, AWS_PROFILE or --profile).'
    : '';
  sink.write(`error: ${error.name}: ${error.message}.${fix}\nNothing was changed.\n`);
  return ExitCode.Usage;
}

async function main(): Promise<void> {
  const interrupt = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nInterrupted: stopping deployments in flight with rollback (Ctrl-C again leaves them running).\n');
    interrupt.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  process.exitCode = await runCli(process.argv.slice(2), { out: process.stdout, err: process.stderr, signal: interrupt.signal });
}

if (require.main === module) void main();
