/**
 * The gateway's own answer to `grpc.health.v1.Health/Check` where no route claims that path, so a
 * load balancer can health-check the gateway over gRPC. Ready: OK with `SERVING`. Not ready or
 * draining: `UNAVAILABLE` (not OK with `NOT_SERVING`: an ALB gRPC health check matches on the status
 * code only, and would count NOT_SERVING with OK as healthy). The request message (a service name)
 * is not read: the answer is about the gateway as a whole.
 */
import type { ServerResponse } from 'node:http';
import { answerGrpc, GrpcStatus } from './status';

export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

/** `HealthCheckResponse { status: SERVING }` in a gRPC frame: no compression, length 2, field 1 varint 1. */
const SERVING_FRAME = Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01]);

export function answerHealth(res: ServerResponse, serving: boolean, requestId: string): number {
  if (!serving) return answerGrpc(res, GrpcStatus.UNAVAILABLE, 'NOT_SERVING', requestId, true);
  res.writeHead(200, { 'content-type': 'application/grpc', 'x-request-id': requestId });
  res.addTrailers({ 'grpc-status': '0' });
  res.end(SERVING_FRAME);
  return SERVING_FRAME.length;
}
