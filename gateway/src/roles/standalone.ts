/**
 * Role `standalone`: one process serving the proxy from a config file (`GATEHOUSE_CONFIG`), hot
 * reloaded. The embedded store and admin API join this role with the control plane.
 */
import { GatehouseError } from '../errors';
import { envName } from '../settings';
import { attachConfigFile } from './file-config';
import { buildDataPlaneNode, type DataPlaneNode, type NodeOptions } from './node';

/** Assembles the standalone node and loads its config (nothing listens yet). */
export async function startStandalone(options: NodeOptions): Promise<DataPlaneNode> {
  const file = options.settings.configFile;
  if (!file)
    throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, [
      {
        path: '/settings/configFile',
        message: `standalone needs a config file (${envName('configFile')}).`,
        fix: `set ${envName('configFile')} to a YAML or JSON config, e.g. gateway/examples/standalone.yaml.`,
      },
    ]);
  const node = buildDataPlaneNode(options);
  await attachConfigFile(node, file);
  return node;
}
