/**
 * gRPC service and method names as a route's `grpc` match names them, defined once. A gRPC call is
 * `POST /<service>/<method>` (gRPC over HTTP/2, "Requests"), where the service is the protobuf
 * fully-qualified name (`package.Service`, without the leading dot) and the method an identifier.
 * Both are protobuf identifiers (ASCII letters, digits and `_`, not starting with a digit), the
 * same rule as the Gateway API's GRPCMethodMatch of type Exact, so a name can never carry a `/`,
 * a `*` or an escape into the path patterns it compiles to.
 */

/** `helloworld.Greeter`, `Greeter`, `grpc.health.v1.Health`. */
export const GRPC_SERVICE_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$';

/** `SayHello`. */
export const GRPC_METHOD_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

/** What a pattern failure means, for the problem messages (config/schema-check.ts). */
export const GRPC_NAME_MEANINGS: Readonly<Record<string, { message: string; fix: string }>> = {
  [GRPC_SERVICE_PATTERN]: {
    message: 'must be a fully-qualified protobuf service name (package.Service)',
    fix: 'write the service as it is in the .proto file with its package, e.g. "helloworld.Greeter": letters, digits and "_" in dot-separated parts, no "/" or leading "."; put method names in "methods".',
  },
  [GRPC_METHOD_PATTERN]: {
    message: 'must be a protobuf method name',
    fix: 'write the method name alone, e.g. "SayHello": letters, digits and "_", no "/" or "." (the service goes in "service").',
  },
};
