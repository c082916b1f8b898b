/** gRPC: what a gRPC call is, gateway answers as gRPC statuses, deadlines, the health service answer. */
export { isGrpcContentType } from './call';
export { answerGrpc, encodeGrpcMessage, grpcStatusFor, GrpcStatus } from './status';
export { parseGrpcTimeout, formatGrpcTimeout } from './deadline';
export { answerHealth, HEALTH_CHECK_PATH } from './health';
