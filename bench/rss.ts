/**
 * Resident memory of another process from `/proc/<pid>/status` (Linux): current (VmRSS) and peak (VmHWM),
 * with the peak reset through `clear_refs` so that a measurement covers only its own window.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const SAMPLE_INTERVAL_MS = 20;
const KIB = 1024;

export interface MemoryReading {
  readonly rssBytes: number;
  readonly peakBytes: number;
}

/** Whether `/proc` can be read (Linux); elsewhere the memory figures are skipped. */
export function procAvailable(): boolean {
  try {
    readFileSync('/proc/self/status', 'utf8');
    return true;
  } catch {
    return false;
  }
}

function field(status: string, name: string): number {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!m) throw new Error(`no ${name} in /proc status`);
  return Number(m[1]) * KIB;
}

/** Current and peak resident memory of `pid`. */
export function readMemory(pid: number): MemoryReading {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssBytes: field(status, 'VmRSS'), peakBytes: field(status, 'VmHWM') };
}

/** Resets the peak (VmHWM) of `pid` to its current RSS; returns false when the kernel refuses. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples the RSS of `pid` while `work` runs; returns the work's result and the highest RSS seen. */
export async function peakDuring<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peakBytes: number; peakReset: boolean }> {
  const peakReset = resetPeak(pid);
  let peak = readMemory(pid).rssBytes;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, readMemory(pid).rssBytes);
    } catch {
      // the process ended; the work will report why
    }
  }, SAMPLE_INTERVAL_MS);
  try {
    const result = await work();
    const end = readMemory(pid);
    // VmHWM catches spikes between two samples, but only counts from the reset.
    peak = Math.max(peak, end.rssBytes, peakReset ? end.peakBytes : 0);
    return { result, peakBytes: peak, peakReset };
  } finally {
    clearInterval(timer);
  }
}
