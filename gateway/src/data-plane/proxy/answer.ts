/** Answers the gateway writes itself: the standard error JSON, and plugin answers. */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Errors, errorBody, type ErrorCode } from '../../core/errors';
import type { PluginAnswer } from '../../plugins/contract';

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
  const body = answer.body ?? '';
  const bytes = Buffer.byteLength(body);
  const headers: OutgoingHttpHeaders = { 'content-length': bytes, 'x-request-id': requestId, ...merged };
  if (closing) headers.connection = 'close';
  res.writeHead(answer.status, headers);
  res.end(body);
  return bytes;
}
