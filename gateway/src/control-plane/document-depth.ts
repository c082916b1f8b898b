/**
 * How deeply a request body may nest. A config document is a handful of levels deep; a body nested
 * thousands deep is an attack on every recursive step after parsing (cloning, validation, checksums),
 * so it is refused with 400 before any of them runs. Measured without recursion.
 */

/** Arrays and objects inside one another, at most; a config document needs about ten. */
export const MAX_DOCUMENT_DEPTH = 64;

/** True when `value` nests arrays and objects deeper than `max`. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}
