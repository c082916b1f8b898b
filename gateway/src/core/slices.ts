/**
 * Long config work (compiling, hashing a large document) run in slices: the work is a generator that
 * pauses often, and this runs it for a few milliseconds at a time, yielding the event loop between
 * slices, so requests are never held up for longer than one slice.
 */
import { performance } from 'node:perf_hooks';

/** Longest slice of config work between two yields of the event loop. */
export const DEFAULT_SLICE_MS = 4;
/** Steps run between two looks at the clock. */
const STEPS_PER_CLOCK_CHECK = 32;

/** Runs `work` to its end in one go (for callers that may block). */
export function runThrough<T>(work: Generator<void, T>): T {
  for (let step = work.next(); ; step = work.next()) if (step.done) return step.value;
}

/** Runs `work` in slices of about `sliceMs`, yielding the event loop (setImmediate) between them. */
export async function runInSlices<T>(work: Generator<void, T>, sliceMs = DEFAULT_SLICE_MS): Promise<T> {
  let sliceStart = performance.now();
  let n = 0;
  for (let step = work.next(); ; step = work.next()) {
    if (step.done) return step.value;
    if (++n % STEPS_PER_CLOCK_CHECK === 0 && performance.now() - sliceStart >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
}
