/**
 * Gateway answers to gRPC clients. A gRPC client reads the call's outcome from `grpc-status`, not
 * from the HTTP status, so every answer the gateway writes itself on a gRPC request (no route, auth
 * refused, rate limited, upstream down, timeout, …) is HTTP 200 with `application/grpc` and the
 * status in trailers (gRPC over HTTP/2, "Responses"). The code follows the HTTP
 * status the same answer has for other clients, as gRPC's own HTTP-to-gRPC mapping does, with
 * the gateway's finer cases (rate limited, timed out) named as such.
 */
import type { ServerResponse } from 'node:http';
import { Errors, type ErrorCode } from '../../core/errors';

/** gRPC status codes (grpc/doc/statuscodes.md). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Gateway errors whose gRPC code is not the one their HTTP status maps to. */
const BY_CODE: Partial<Record<ErrorCode, number>> = {
  GW_ERR_RATE_LIMITED: GrpcStatus.RESOURCE_EXHAUSTED,
  GW_ERR_PAYLOAD_TOO_LARGE: GrpcStatus.RESOURCE_EXHAUSTED,
  GW_ERR_HEADERS_TOO_LARGE: GrpcStatus.RESOURCE_EXHAUSTED,
  GW_ERR_UPSTREAM_TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  GW_ERR_BODY_TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  GW_ERR_BAD_PATH: GrpcStatus.INVALID_ARGUMENT,
};

/** gRPC's mapping of HTTP statuses (grpc/doc/http-grpc-status-mapping.md), for the rest. */
function fromHttpStatus(status: number): number {
  switch (status) {
    case 400:
      return GrpcStatus.INTERNAL;
    case 401:
      return GrpcStatus.UNAUTHENTICATED;
    case 403:
      return GrpcStatus.PERMISSION_DENIED;
    case 404:
    case 405:
      return GrpcStatus.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcStatus.UNAVAILABLE;
    default:
      return status >= 200 && status < 300 ? GrpcStatus.OK : GrpcStatus.UNKNOWN;
  }
}

/** The gRPC status for a gateway error (or a plugin answer's HTTP status when it names no error). */
export function grpcStatusFor(code: ErrorCode | undefined, httpStatus: number): number {
  return (code !== undefined ? BY_CODE[code] : undefined) ?? fromHttpStatus(code !== undefined ? Errors[code].status : httpStatus);
}

/** `grpc-message` is percent-encoded outside printable ASCII (and `%` itself). */
export function encodeGrpcMessage(message: string): string {
  return message.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c));
}

/**
 * Writes a gRPC answer without messages. `extra` (plugin headers such as `retry-after`, `www-authenticate`)
 * is kept; `closing` (drain) becomes GOAWAY on HTTP/2 (listener/h2-compat.ts).
 */
export function answerGrpc(res: ServerResponse, grpcStatus: number, message: string, requestId: string, closing: boolean, extra?: Readonly<Record<string, string>>): number {
  const headers: Record<string, string> = { 'content-type': 'application/grpc', 'x-request-id': requestId };
  if (extra) for (const [k, v] of Object.entries(extra)) if (!(k in headers) && k !== 'content-length') headers[k] = v;
  if (closing) headers.connection = 'close';
  res.writeHead(200, headers);
  // Headers, then the status as trailers: node's compatibility API cannot end a stream on its
  // HEADERS frame, and a status in headers that do not end the stream is not read by clients.
  res.addTrailers({ 'grpc-status': String(grpcStatus), 'grpc-message': encodeGrpcMessage(message) });
  res.end();
  return 0;
}
