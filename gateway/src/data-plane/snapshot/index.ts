/** Compiling a config into a `Snapshot`: routing and the route table, from the config's route plans. */
export { compileSnapshot, compileSnapshotInSlices, type ConsumerChanges, type RouteChanges, type SnapshotChanges, type SnapshotDeps, type SnapshotMeta } from './compile';
export { Router, hostName } from './router';
export { SnapshotCompiler } from './compiler';
