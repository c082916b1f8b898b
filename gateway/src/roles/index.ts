/**
 * Roles: what one process runs. Each `start*` assembles its node and attaches config sources;
 * `main.ts` then listens and traps signals. Store-backed roles (control plane, store-fed data plane)
 * plug in here.
 */
export { startStandalone } from './standalone';
export { startDataPlane } from './data-plane';
export { startControlPlane, type ControlPlaneNode } from './control-plane';
export { buildDataPlaneNode, type DataPlaneNode, type NodeOptions, type Closable } from './node';
export { attachConfigFile } from './file-config';
export { superviseWorkers, WORKER_READY_MESSAGE, type WorkerReadyMessage, type WorkerSupervisor } from './workers';
