/** `gatehouse status`: the config version each data plane runs, from the fleet view (`GET /admin/v1/nodes`). */
import type { Command } from 'commander';
import { AdminPaths, type FleetAnswer } from '../../control-plane/contract';
import type { ClientFactory } from '../program';
import { EXIT_DIFFERENT } from '../errors';
import { stdout } from '../render';

const COLUMNS = ['NODE', 'REGION', 'ROLE', 'VERSION', 'STATE', 'SOURCE', 'LAST SYNC', 'ERRORS'] as const;

export function statusCommand(program: Command, client: ClientFactory): void {
  program
    .command('status')
    .summary('the config version each data plane runs')
    .description(
      'Lists every data plane from its heartbeat: region, role, the config version it runs against the current one, state (ok, lagging, quiet), ' +
        'config source, last sync and recent errors. Exit code 0 when every node is ok, 2 when some lag or are quiet (for CI), 1 on errors.',
    )
    .action(async () => {
      const { body } = await client().get<FleetAnswer>(AdminPaths.nodes);
      const rows = body.nodes.map((n) => [n.id, n.region ?? '-', n.role ?? '-', String(n.configVersion ?? '-'), n.state, n.source ?? '-', n.lastSyncAt ?? '-', String(n.errors?.length ?? 0)]);
      const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
      const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n';
      const notOk = body.nodes.filter((n) => n.state !== 'ok').length;
      stdout.write(`current config version ${body.configVersion}; ${body.nodes.length} node(s), ${notOk} not ok\n`);
      stdout.write(line(COLUMNS));
      for (const r of rows) stdout.write(line(r));
      if (notOk) process.exitCode = EXIT_DIFFERENT;
    });
}
