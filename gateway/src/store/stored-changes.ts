/** Reading stored changes back: each change's text checked against its recorded hash, then parsed. */
import type { ResourceChange } from '../config/change-set';
import { resourceHash } from '../core/resource-digest';
import type { StoredChange } from './types';

/** The changes as resource changes, or a string saying which one does not match its hash or is not JSON. */
export function decodeStoredChanges(stored: readonly StoredChange[]): ResourceChange[] | string {
  const changes: ResourceChange[] = [];
  for (const c of stored) {
    if (c.text === undefined) {
      changes.push({ kind: c.kind, id: c.id });
      continue;
    }
    const actual = resourceHash(c.kind, c.id, c.text);
    if (actual !== c.hash) return `${c.kind} "${c.id}" has hash ${actual}, the change log records ${c.hash}`;
    let body: unknown;
    try {
      body = JSON.parse(c.text);
    } catch (err) {
      return `${c.kind} "${c.id}" is not JSON (${(err as Error).message})`;
    }
    changes.push({ kind: c.kind, id: c.id, body, ...(c.position === undefined ? {} : { position: c.position }) });
  }
  return changes;
}
