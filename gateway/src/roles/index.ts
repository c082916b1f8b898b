/**
 * Roles: what one process runs. Each `start*` assembles its node and attaches config sources, and
 * every one returns the same `GatewayNode` shape; `startNode` picks the one the settings ask for, and
 * `main.ts` then listens, traps signals and stops it.
 */
export { startNode, type StartNodeOptions } from './start';
export { startStandalone } from './standalone';
export { startDataPlane } from './data-plane';
export { startControlPlane, type ControlPlaneNode } from './control-plane';
export { buildDataPlaneNode, closeParts, type DataPlaneNode, type GatewayNode, type NodeOptions, type NodeRole, type Closable } from './node';
export { attachConfigFile } from './file-config';
export { superviseWorkers, WORKER_READY_MESSAGE, type WorkerReadyMessage, type WorkerSupervisor } from './workers';
