/** gRPC: gateway answers as gRPC statuses, deadlines, the health service answer. */
export { answerGrpc, encodeGrpcMessage, grpcStatusFor, GrpcStatus } from './status';
export { parseGrpcTimeout, formatGrpcTimeout } from './deadline';
export { answerHealth, HEALTH_CHECK_PATH } from './health';
