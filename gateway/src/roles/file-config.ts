/** Attaches the file config source to a node: first load (must succeed), then hot reload. */
import { FileConfigSource } from '../sync/file-source';
import { GatehouseError } from '../core/errors';
import type { DataPlaneNode } from './node';

/**
 * Loads `file` into the node and watches it. Throws GW_ERR_CONFIG_INVALID when the file cannot be
 * read, parsed or validated: a file-driven node has no other source to wait for, so start-up stops.
 */
export async function attachConfigFile(node: DataPlaneNode, file: string): Promise<FileConfigSource> {
  const source = new FileConfigSource({ file, sink: node.dataPlane, log: node.log });
  const result = await source.load();
  if (!result.applied)
    throw new GatehouseError('GW_ERR_CONFIG_INVALID', `${source.file}: ${result.reason}.`, result.problems ?? []);
  source.watch();
  node.parts.push(source);
  return source;
}
