import { usageError } from './errors';
import type { RegionOutcome } from './summary';

/** Default wave layout: the first (primary) region alone, then every other region together. */
export const DEFAULT_WAVES = '1,rest';

const WAVES_FIX = 'give wave sizes separated by commas, optionally ending with "rest", e.g. "1,rest", "1,1,rest" or "all".';

/**
 * Splits regions (already in release order, primary first) into waves following a spec such as
 * "1,rest" (the default), "1,2,rest", "1,1" or "all".
 */
export function planWaves(regions: readonly string[], spec: string = DEFAULT_WAVES): string[][] {
  const parts = spec.split(',').map((p) => p.trim().toLowerCase());
  if (parts.length === 0 || parts.some((p) => p === '')) throw usageError('--waves', `"${spec}" has an empty wave.`, WAVES_FIX);
  if (parts.length === 1 && parts[0] === 'all') return regions.length > 0 ? [[...regions]] : [];
  const waves: string[][] = [];
  let next = 0;
  parts.forEach((part, index) => {
    if (part === 'rest') {
      if (index !== parts.length - 1) throw usageError('--waves', `"${spec}" has "rest" before the last wave.`, WAVES_FIX);
      if (next < regions.length) waves.push(regions.slice(next));
      next = regions.length;
      return;
    }
    if (!/^\d+$/.test(part) || Number(part) < 1) throw usageError('--waves', `"${part}" in "${spec}" is not a wave size.`, WAVES_FIX);
    const size = Number(part);
    if (next < regions.length) waves.push(regions.slice(next, next + size));
    next += size;
  });
  if (next < regions.length) {
    throw usageError('--waves', `"${spec}" covers ${next} of the ${regions.length} regions (${regions.join(', ')}).`, `end it with ",rest" or make the sizes add up to ${regions.length}.`);
  }
  return waves;
}

/** Results that let the next wave start. */
export function isHealthy(outcome: RegionOutcome): boolean {
  return outcome.result === 'succeeded' || outcome.result === 'unchanged';
}

/**
 * Releases wave after wave; regions of one wave go in parallel. After a wave with any failure no
 * further region is touched: they are reported as not started and stay on their current version.
 */
export async function runWaves(
  waves: readonly (readonly string[])[],
  releaseRegion: (region: string, waveIndex: number) => Promise<RegionOutcome>,
  onWave?: (waveIndex: number, regions: readonly string[]) => void,
): Promise<RegionOutcome[]> {
  const outcomes: RegionOutcome[] = [];
  for (let index = 0; index < waves.length; index += 1) {
    const wave = waves[index] as readonly string[];
    onWave?.(index, wave);
    const results = await Promise.all(wave.map((region) => releaseRegion(region, index)));
    outcomes.push(...results);
    if (!results.every(isHealthy)) {
      const failed = results.filter((r) => !isHealthy(r)).map((r) => r.region).join(', ');
      for (const region of waves.slice(index + 1).flat()) {
        outcomes.push({ region, result: 'not-started', detail: `not started because wave ${index + 1} failed in ${failed}; still on its current version` });
      }
      break;
    }
  }
  return outcomes;
}
