/** `gatehouse dump`: the live config as files to commit, without defaults and in stable key order. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { AdminPaths, OMIT_DEFAULTS_QUERY } from '../../control-plane/contract';
import type { ClientFactory } from '../program';
import { taggedOnly } from '../ownership';
import { CliError } from '../errors';
import { stdout } from '../render';

const render = (value: unknown, format: string) => (format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value, { lineWidth: 0 }));

export function dumpCommand(program: Command, client: ClientFactory): void {
  program
    .command('dump')
    .summary('write the live config as files')
    .description(
      'Writes the live config in its canonical form: values equal to their schema default left out, keys in a stable order, secrets as "(secret)" ' +
        '(applying the dump keeps the stored secrets). To standard output, one file (--output) or one file per kind (--dir).',
    )
    .option('-o, --output <file>', 'write one file')
    .option('-d, --dir <directory>', 'write routes.yaml, upstreams.yaml, consumers.yaml and plugins.yaml (or .json)')
    .option('-f, --format <format>', 'yaml or json', 'yaml')
    .option('--select-tag <tag>', 'only the resources with this tag (global plugins left out)')
    .action(async (opts: { output?: string; dir?: string; format: string; selectTag?: string }) => {
      if (opts.format !== 'yaml' && opts.format !== 'json') throw new CliError(`--format must be yaml or json (got "${opts.format}").`);
      if (opts.output && opts.dir) throw new CliError('give --output or --dir, not both.');
      const live = await client().get<Record<string, unknown>>(`${AdminPaths.config}?${OMIT_DEFAULTS_QUERY}`);
      const document = opts.selectTag ? taggedOnly(live.body as never, opts.selectTag) : live.body;
      if (opts.dir) {
        mkdirSync(opts.dir, { recursive: true });
        // Every kind gets its file, empty ones too, so a kind emptied since the last dump does not linger.
        const kinds = opts.selectTag ? ['routes', 'upstreams', 'consumers'] : ['routes', 'upstreams', 'consumers', 'plugins'];
        for (const kind of kinds) {
          const value = (document as Record<string, unknown>)[kind] ?? (kind === 'plugins' ? {} : []);
          writeFileSync(join(opts.dir, `${kind}.${opts.format}`), render({ [kind]: value }, opts.format));
        }
        stdout.write(`dumped version ${live.etag} to ${opts.dir}\n`);
      } else if (opts.output) {
        writeFileSync(opts.output, render(document, opts.format));
        stdout.write(`dumped version ${live.etag} to ${opts.output}\n`);
      } else stdout.write(render(document, opts.format));
    });
}
