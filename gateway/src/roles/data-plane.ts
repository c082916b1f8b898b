/**
 * Role `data-plane`: the proxy alone. For now it reads a config file (`GATEHOUSE_CONFIG`); the
 * store-backed sources (Postgres LISTEN + poll, last-known-good, S3) attach here with the control plane.
 */
import { GatehouseError } from '../errors';
import { envName } from '../settings';
import { attachConfigFile } from './file-config';
import { buildDataPlaneNode, type DataPlaneNode, type NodeOptions } from './node';

/** Assembles a data-plane node and attaches its config source (nothing listens yet). */
export async function startDataPlane(options: NodeOptions): Promise<DataPlaneNode> {
  const file = options.settings.configFile;
  if (!file)
    throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, [
      {
        path: '/settings/configFile',
        message: `this build's data plane reads its config from a file (${envName('configFile')}).`,
        fix: `set ${envName('configFile')} to a YAML or JSON config.`,
      },
    ]);
  const node = buildDataPlaneNode(options);
  await attachConfigFile(node, file);
  return node;
}
