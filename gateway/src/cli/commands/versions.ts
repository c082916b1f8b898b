/** `gatehouse versions` and `gatehouse rollback <n>`: the version history and going back in it. */
import type { Command } from 'commander';
import { AdminPaths, type WriteAnswer } from '../../control-plane/contract';
import type { ClientFactory } from '../program';
import { CliError } from '../errors';
import { stdout } from '../render';

interface VersionList {
  current: number;
  versions: { version: number; createdAt: string; author: string; message: string; routeCount: number }[];
}

export function versionsCommands(program: Command, client: ClientFactory): void {
  program
    .command('versions')
    .summary('list config versions')
    .description('Lists config versions, newest first: number, time, author, route count and message; the current one is marked with "*".')
    .option('-n, --limit <count>', 'how many', '20')
    .action(async (opts: { limit: string }) => {
      const { body } = await client().get<VersionList>(`${AdminPaths.versions}?limit=${encodeURIComponent(opts.limit)}`);
      for (const v of body.versions)
        stdout.write(`${v.version === body.current ? '*' : ' '} ${String(v.version).padStart(6)}  ${v.createdAt}  ${v.author.padEnd(24)} ${String(v.routeCount).padStart(6)} routes  ${v.message}\n`);
    });

  program
    .command('rollback')
    .summary('roll back to an older version')
    .description(
      'Rolls back to version <n>: a new version with its content (history is never rewritten). When <n> has the content already current, ' +
        'nothing is written and the current version is printed as unchanged.',
    )
    .argument('<n>', 'the version to go back to')
    .option('-m, --message <text>', 'recorded with the new version')
    .action(async (n: string, opts: { message?: string }) => {
      if (!/^\d{1,10}$/.test(n) || Number(n) < 1) throw new CliError(`<n> must be a version number (got "${n}").`);
      const { body } = await client().write<WriteAnswer>('POST', AdminPaths.rollback(Number(n)), undefined, { message: opts.message });
      stdout.write(body.unchanged ? `unchanged: version ${body.version} already has the content of version ${n}\n` : `rolled back to version ${n}: version ${body.version}\n`);
    });
}
