/**
 * What makes a request a gRPC call, decided in one place for the listener (gateway answers become
 * gRPC statuses), the h2 upstream dispatcher (`te: trailers`) and a route's `grpc` match (`snapshot/candidate.ts`).
 * gRPC over HTTP/2, "Requests": `Content-Type → "application/grpc" [("+proto" / "+json" / {custom})]`.
 * gRPC-Web (`application/grpc-web…`) is another protocol: its clients cannot read HTTP trailers, so
 * it is not a gRPC call here.
 */
const GRPC = 'application/grpc';
const PLUS = 0x2b;
const SEMICOLON = 0x3b;
const SPACE = 0x20;
const TAB = 0x09;

/** True for `application/grpc` and `application/grpc+<codec>` (media type case-insensitive, parameters allowed). */
export function isGrpcContentType(value: string | string[] | undefined): boolean {
  if (typeof value !== 'string' || value.length < GRPC.length) return false;
  if (!value.startsWith(GRPC) && value.slice(0, GRPC.length).toLowerCase() !== GRPC) return false;
  if (value.length === GRPC.length) return true;
  const next = value.charCodeAt(GRPC.length);
  return next === PLUS || next === SEMICOLON || next === SPACE || next === TAB;
}
