/**
 * The `gatehouse` command line: config as code against the admin API (dump, validate, diff, apply,
 * versions, rollback, status). Commander parses; each command lives in its own file under `commands/`.
 */
import { Command } from 'commander';
import { AdminClient } from './admin-client';
import { applyCommand } from './commands/apply';
import { diffCommand } from './commands/diff';
import { dumpCommand } from './commands/dump';
import { statusCommand } from './commands/status';
import { validateCommand } from './commands/validate';
import { versionsCommands } from './commands/versions';
import { CliEnv, resolveConnection, type ConnectionFlags } from './connection';

/** Makes the admin client from the global connection flags, when a command needs it. */
export type ClientFactory = () => AdminClient;

export function buildProgram(): Command {
  const program = new Command('gatehouse');
  program
    .description(
      'Gatehouse config as code: keep the gateway config in git, check it offline, see what would change field by field, and apply it as one version.\n' +
        `Connection (first wins): --url/--token-file, ${CliEnv.url} and ${CliEnv.tokenFile} (or ${CliEnv.token}), or a context file ` +
        `(--context-file or ${CliEnv.contextFile}; default ~/.config/gatehouse/contexts.yaml: "current: prod" and "contexts: { prod: { url, tokenFile } }"). ` +
        'The token is never printed.',
    )
    .option('--url <url>', 'admin API address, e.g. http://127.0.0.1:9180')
    .option('--token-file <path>', 'file holding the admin (or viewer) token')
    .option('--context <name>', 'context from the context file')
    .option('--context-file <path>', 'the context file')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });
  const client: ClientFactory = () => new AdminClient(resolveConnection(program.opts<ConnectionFlags>()));
  dumpCommand(program, client);
  validateCommand(program);
  diffCommand(program, client);
  applyCommand(program, client);
  versionsCommands(program, client);
  statusCommand(program, client);
  return program;
}
