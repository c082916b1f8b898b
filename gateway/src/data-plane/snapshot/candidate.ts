/**
 * A route as the router sees it: its compiled route plus the method and header conditions (a gRPC
 * route's included) that must hold after the path matched. A candidate that fails them lets the router fall through to the
 * next one.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { validatedRegex } from '../../config/regex';
import type { HeaderMatchConfig } from '../../config/schema';
import type { CompiledRoute } from '../types';
import { isGrpcContentType } from '../grpc/call';

export interface RouteCandidate {
  readonly route: CompiledRoute;
  /** Position in the config's route list (earlier wins on equal priority). */
  readonly order: number;
  readonly priority: number;
  /** True when the method and every header condition hold. */
  accepts(method: string, headers: IncomingHttpHeaders): boolean;
}

type HeaderCondition = (headers: IncomingHttpHeaders) => boolean;

function headerText(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** One header condition: exact value (case-sensitive), regular expression, absent, or just present. */
export function headerCondition(match: HeaderMatchConfig): HeaderCondition {
  const name = match.name.toLowerCase();
  if (match.absent) return (h) => h[name] === undefined;
  if (match.value !== undefined) {
    const value = match.value;
    return (h) => headerText(h, name) === value;
  }
  if (match.regex !== undefined) {
    const regex = validatedRegex(match.regex);
    return (h) => {
      const v = headerText(h, name);
      return v !== undefined && regex.test(v);
    };
  }
  return (h) => h[name] !== undefined;
}

/** Builds the candidate for one compiled route. */
export function routeCandidate(route: CompiledRoute, order: number): RouteCandidate {
  const grpc = route.config.grpc;
  // A gRPC route takes gRPC calls only (POST, and a gRPC content type unless it turned that off):
  // any other request on its paths falls through to the next candidate.
  const methods = grpc ? new Set(['POST']) : route.config.methods ? new Set<string>(route.config.methods) : undefined;
  // RFC 9110 9.3.2: HEAD is GET without the body, so a route that serves GET serves HEAD too.
  if (methods?.has('GET')) methods.add('HEAD');
  const conditions = (route.config.headers ?? []).map(headerCondition);
  if (grpc && grpc.matchContentType !== false) conditions.push((h) => isGrpcContentType(h['content-type']));
  const accepts =
    !methods && conditions.length === 0
      ? () => true
      : (method: string, headers: IncomingHttpHeaders) => {
          if (methods && !methods.has(method)) return false;
          for (const condition of conditions) if (!condition(headers)) return false;
          return true;
        };
  return { route, order, priority: route.config.priority, accepts };
}

/** Higher priority first, then config order. */
export function byPrecedence(a: { candidate: RouteCandidate }, b: { candidate: RouteCandidate }): number {
  return b.candidate.priority - a.candidate.priority || a.candidate.order - b.candidate.order;
}
