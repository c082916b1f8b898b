/**
 * Route paths as config means them: the request-path normaliser, path patterns, forward paths, and
 * the route plan that validation returns and the snapshot compiler consumes.
 */
export { normalisePath, MAX_PATH_LENGTH, type NormalisedPath } from './path';
export { parsePattern, REST_PARAM, type PathPattern } from './pattern';
export { buildForwardPath, salvagePath, type ForwardPath } from './forward-path';
export { planRoute, type RoutePlan } from './route-plan';
export { grpcPaths, routePaths } from './grpc-paths';
