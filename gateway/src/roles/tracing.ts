/** Request tracing from the settings: nothing at all when `tracing` is off. */
import cluster from 'node:cluster';
import { OtelRequestTracing, type RequestTracing } from '../data-plane/tracing';
import type { GatehouseSettings } from '../settings';

export function tracingFrom(settings: GatehouseSettings): RequestTracing | undefined {
  if (!settings.tracing) return undefined;
  const node = settings.nodeId;
  return new OtelRequestTracing({
    endpoint: settings.tracingEndpoint,
    sampleRatio: settings.tracingSampleRatio,
    nodeId: node && cluster.worker ? `${node}.w${cluster.worker.id}` : node,
    region: settings.region ?? process.env.AWS_REGION,
  });
}
