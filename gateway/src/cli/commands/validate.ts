/** `gatehouse validate`: the files against the gateway's own schema and checks, offline. */
import type { Command } from 'commander';
import { validateConfig } from '../../config/validate';
import { readDesiredConfig } from '../config-files';
import { CliError } from '../errors';
import { stdout } from '../render';

export function validateCommand(program: Command): void {
  program
    .command('validate')
    .summary('check config files offline')
    .description(
      'Checks config files offline with the same schema and checks as the gateway (ids, references, paths, regular expressions) and ' +
        'lists every problem with its file, line and fix. Plugin settings are checked by the admin API, so also run `gatehouse diff` against it. ' +
        'Exit code 0 when valid, 1 otherwise.',
    )
    .argument('<paths...>', 'config files or directories (YAML or JSON)')
    .action((paths: string[]) => {
      const desired = readDesiredConfig(paths);
      const result = validateConfig(desired.document);
      if (!result.ok) throw new CliError(`invalid: ${result.problems.length} problem(s).`, result.problems.map((p) => ({ ...desired.locate(p.path), ...p })));
      const d = result.value;
      stdout.write(`valid: ${d.routes.length} routes, ${d.upstreams.length} upstreams, ${d.consumers.length} consumers, ${Object.keys(d.plugins).length} global plugins\n`);
    });
}
