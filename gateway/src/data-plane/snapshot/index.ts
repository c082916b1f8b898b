/** Compiling a config into a `Snapshot`: routing, forward paths, and the empty plugin chain. */
export { compileSnapshot, type SnapshotDeps, type SnapshotMeta } from './compile';
export { Router, hostName } from './router';
export { parsePattern, REST_PARAM, type PathPattern } from './pattern';
export { buildForwardPath, salvagePath, type ForwardPath } from './forward-path';
export { SnapshotCompiler } from './compiler';
export { routeProblems, planRoute, type RoutePlan } from './route-plan';
