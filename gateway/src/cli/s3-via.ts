/** Placeholder replaced below. */
import { CliError } from './errors';
import type { ApplyOptions } from './commands/apply';

export async function applyViaS3(_paths: string[], _opts: ApplyOptions): Promise<void> {
  throw new CliError('--via is not available yet.');
}
