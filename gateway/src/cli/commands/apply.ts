/**
 * `gatehouse apply`: makes the live config equal to the files, as one new version. It diffs first (a
 * dry run of the very write), then writes with If-Match on the version it diffed against, so a change
 * made in between is never overwritten; the drop guard asks on a terminal and otherwise needs
 * --allow-drop. With --via s3://bucket/prefix the write goes through the backup bucket instead.
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { AdminPaths, type WriteAnswer } from '../../control-plane/contract';
import type { ClientFactory } from '../program';
import { desiredConfig, locatedError, type Desired } from '../desired';
import { CliError } from '../errors';
import { printDiff, stdout } from '../render';
import { applyViaS3 } from '../s3-via';

export interface ApplyOptions {
  dryRun?: boolean;
  allowDrop?: boolean;
  message?: string;
  selectTag?: string;
  via?: string;
  yes?: boolean;
}

async function confirmDrop(reason: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await rl.question(`${reason}\nApply anyway? Type "drop" to confirm: `)).trim() === 'drop';
  } finally {
    rl.close();
  }
}

export function applyCommand(program: Command, client: ClientFactory): void {
  program
    .command('apply')
    .summary('make the live config equal to the files')
    .description(
      'Makes the live config equal to the files as one new version: validates and diffs them against the live config (printed field by field), ' +
        'then writes with If-Match on the version it diffed against (refused if someone changed the config in between) and an Idempotency-Key, ' +
        'and prints the new version. A change that drops most routes asks on a terminal and otherwise needs --allow-drop. Applying files equal to ' +
        'the live config writes nothing. With --via s3://bucket/prefix the document is handed to the control plane through its backup bucket ' +
        '(for CI runners outside the VPC; needs AWS credentials of the config-deployer role).',
    )
    .argument('<paths...>', 'config files or directories (YAML or JSON)')
    .option('--dry-run', 'only validate and show the diff')
    .option('--allow-drop', 'allow a change that removes most (or all) routes')
    .option('-m, --message <text>', 'recorded with the new version', 'gatehouse apply')
    .option('--select-tag <tag>', 'own only the resources with this tag; all others stay as they are')
    .option('--via <s3-url>', 'apply through the backup bucket, s3://bucket/prefix (the control plane picks it up)')
    .action(async (paths: string[], opts: ApplyOptions) => {
      if (opts.via) return applyViaS3(paths, opts);
      const admin = client();
      const desired = await desiredConfig(admin, paths, opts.selectTag);
      let allowDrop = !!opts.allowDrop;
      const dryRun = () =>
        admin.write<WriteAnswer>('PUT', AdminPaths.config, desired.document, { ifMatch: desired.baseVersion, dryRun: true, allowDrop }).catch((err) => locatedError(err, desired.locate));
      let dry: WriteAnswer;
      try {
        dry = (await dryRun()).body;
      } catch (err) {
        if (!(err instanceof CliError) || err.code !== 'GW_ERR_CONFIG_DROP' || allowDrop) throw err;
        if (!(await confirmDrop(err.message))) throw new CliError(`${err.message} Nothing was applied; pass --allow-drop if the drop is intended.`, [], err.code);
        allowDrop = true;
        dry = (await dryRun()).body;
      }
      if (!printDiff(stdout, dry.diff!, `version ${desired.baseVersion} → files`)) {
        stdout.write(`unchanged: version ${desired.baseVersion}\n`);
        return;
      }
      if (opts.dryRun) {
        stdout.write('dry run: nothing applied\n');
        return;
      }
      await write(desired, opts.message, allowDrop, client);
    });
}

async function write(desired: Desired, message: string | undefined, allowDrop: boolean, client: ClientFactory): Promise<void> {
  const { body } = await client()
    .write<WriteAnswer>('PUT', AdminPaths.config, desired.document, { ifMatch: desired.baseVersion, allowDrop, message })
    .catch((err) => locatedError(err, desired.locate));
  stdout.write(body.unchanged ? `unchanged: version ${body.version}\n` : `applied: version ${body.version}\n`);
}
