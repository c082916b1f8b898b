/**
 * Types for jsondiffpatch's JSON Patch formatter: the package exports it as a subpath, which this
 * project's `moduleResolution: node` cannot see (the runtime resolves it through the exports map).
 */
declare module 'jsondiffpatch/formatters/jsonpatch' {
  import type { Delta } from 'jsondiffpatch';
  export type Op =
    | { op: 'add'; path: string; value: unknown }
    | { op: 'remove'; path: string }
    | { op: 'replace'; path: string; value: unknown }
    | { op: 'move'; from: string; path: string };
  export const format: (delta: Delta) => Op[];
}
