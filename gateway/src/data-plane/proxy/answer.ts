/** Answers the gateway writes itself: the standard error JSON, and plugin answers. */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Errors, errorBody, type ErrorCode } from '../../core/errors';
import type { PluginAnswer } from '../../plugins/contract';
import { answerGrpc, answerHealth, grpcStatusFor } from '../grpc';

/** What the HTTP/2 listener marks on the response of a gRPC request (listener/h2-compat.ts). */
interface GrpcMarks {
  grpc?: boolean;
  grpcHealthCheck?: boolean;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Writes `{ "error": { code, message, requestId } }` with the code's status; extra headers are added. Returns the body's bytes. */
export function answerError(
  res: ServerResponse,
  code: ErrorCode,
  requestId: string,
  closing: boolean,
  extra?: Readonly<Record<string, string>>,
  status: number = Errors[code].status,
): number {
  const marks = res as GrpcMarks;
  if (marks.grpc) {
    // No route claims the health service: the gateway answers it (grpc/health.ts).
    if (marks.grpcHealthCheck && (code === 'GW_ERR_NO_ROUTE' || code === 'GW_ERR_NOT_READY')) return answerHealth(res, code === 'GW_ERR_NO_ROUTE' && !closing, requestId);
    return answerGrpc(res, grpcStatusFor(code, status), Errors[code].message, requestId, closing, extra);
  }
  const body = JSON.stringify(errorBody(code, requestId));
  const headers: OutgoingHttpHeaders = {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': requestId,
  };
  if (extra) Object.assign(headers, extra);
  if (closing) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
  return headers['content-length'] as number;
}

/** Writes a plugin's answer: the standard error JSON when it names an error, else its own body. Returns the body's bytes. */
export function answerPlugin(
  res: ServerResponse,
  answer: PluginAnswer,
  requestId: string,
  closing: boolean,
  extra: Readonly<Record<string, string>>,
): number {
  const merged = answer.headers ? { ...extra, ...answer.headers } : extra;
  if (answer.error) return answerError(res, answer.error, requestId, closing, merged, answer.status);
  if ((res as GrpcMarks).grpc && (answer.status < 200 || answer.status > 299)) return answerGrpc(res, grpcStatusFor(undefined, answer.status), `HTTP ${answer.status}`, requestId, closing, merged);
  const body = answer.body ?? '';
  const bytes = Buffer.byteLength(body);
  const headers: OutgoingHttpHeaders = { 'content-length': bytes, 'x-request-id': requestId, ...merged };
  if (closing) headers.connection = 'close';
  res.writeHead(answer.status, headers);
  res.end(body);
  return bytes;
}
