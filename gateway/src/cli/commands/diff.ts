/** `gatehouse diff`: field by field, files against the live config or one version against another; exit 2 on differences. */
import type { Command } from 'commander';
import { AdminPaths, type ConfigDiffAnswer } from '../../control-plane/contract';
import type { ClientFactory } from '../program';
import { desiredConfig, locatedError } from '../desired';
import { CliError, EXIT_DIFFERENT } from '../errors';
import { printDiff, stdout } from '../render';

const version = (raw: string, flag: string) => {
  if (!/^\d{1,10}$/.test(raw) || Number(raw) < 1) throw new CliError(`${flag} must be a version number (got "${raw}").`);
  return Number(raw);
};

export function diffCommand(program: Command, client: ClientFactory): void {
  program
    .command('diff')
    .summary('show what would change, field by field')
    .description(
      'Shows, field by field, what applying the files would change in the live config (validated by the admin API, plugin settings included; ' +
        'a viewer token is enough), or what changed from one version to another with --from and --to. Colours on a terminal. ' +
        'Exit code 0 when there is no difference, 2 when there are differences (for CI), 1 on errors.',
    )
    .argument('[paths...]', 'config files or directories (YAML or JSON)')
    .option('--from <version>', 'diff two stored versions: from this one')
    .option('--to <version>', 'to this one (default: the current version)')
    .option('--select-tag <tag>', 'the files own only the resources with this tag')
    .action(async (paths: string[], opts: { from?: string; to?: string; selectTag?: string }) => {
      const admin = client();
      let diff: ConfigDiffAnswer;
      let heading: string;
      if (opts.from !== undefined || opts.to !== undefined) {
        if (paths.length) throw new CliError('give config files or --from/--to, not both.');
        if (opts.from === undefined) throw new CliError('--to needs --from.');
        const from = version(opts.from, '--from');
        const to = opts.to === undefined ? Number((await admin.get(AdminPaths.versions + '?limit=1')).etag) : version(opts.to, '--to');
        diff = (await admin.get<{ diff: ConfigDiffAnswer }>(AdminPaths.versionDiff(from, to))).body.diff;
        heading = `version ${from} → ${to}`;
      } else {
        const desired = await desiredConfig(admin, paths, opts.selectTag);
        const answer = await admin.post<{ diff?: ConfigDiffAnswer; baseVersion?: number }>(AdminPaths.validate, desired.document).catch((err) => locatedError(err, desired.locate));
        if (!answer.body.diff) {
          stdout.write('valid; the gateway has no config yet, so everything would be added\n');
          process.exitCode = EXIT_DIFFERENT;
          return;
        }
        diff = answer.body.diff;
        heading = `version ${answer.body.baseVersion} → files`;
      }
      if (printDiff(stdout, diff, heading)) process.exitCode = EXIT_DIFFERENT;
    });
}
