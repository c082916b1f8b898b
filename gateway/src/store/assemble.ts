/**
 * Reading a version stored as change sets: the nearest whole-document snapshot at or below it, then
 * the change sets of the versions after that snapshot, replayed in order. A version row keeps its
 * document only when it is a snapshot; every other version is its change set (gatehouse_config_changes).
 */
import type { GatewayConfig } from '../config/schema';
import { applyChanges, documentText, type ResourceChange, type ResourceKind } from '../config/change-set';
import type { SqlSession } from './sql';

/** A version whose change chain back to a snapshot is broken (a row deleted by hand, a bug): it cannot be read. */
export class BrokenChainError extends Error {
  constructor(version: number, reason: string) {
    super(`version ${version} cannot be assembled: ${reason}`);
    this.name = 'BrokenChainError';
  }
}

/** The document of `version` (which has no document of its own) and its canonical text. */
export async function assembleVersion(s: SqlSession, version: number): Promise<{ document: GatewayConfig; text: string }> {
  const [base] = await s.query<{ version: number; document: string }>(
    'SELECT version, document FROM gatehouse_config_versions WHERE version < $1 AND document IS NOT NULL ORDER BY version DESC LIMIT 1',
    [version],
  );
  if (!base) throw new BrokenChainError(version, 'no snapshot below it');
  const from = Number(base.version);
  const chain = await s.query<{ version: number; changes_from: number | null }>(
    'SELECT version, changes_from FROM gatehouse_config_versions WHERE version > $1 AND version <= $2 ORDER BY version',
    [from, version],
  );
  let expected = from;
  for (const link of chain) {
    if (link.changes_from === null || Number(link.changes_from) !== expected) throw new BrokenChainError(version, `version ${link.version} does not follow version ${expected}`);
    expected = Number(link.version);
  }
  if (expected !== version) throw new BrokenChainError(version, `the chain from snapshot ${from} ends at version ${expected}`);
  const rows = await s.query<{ version: number; kind: ResourceKind; id: string; position: number | null; body: string | null }>(
    'SELECT version, kind, id, position, body FROM gatehouse_config_changes WHERE version > $1 AND version <= $2 ORDER BY version, seq',
    [from, version],
  );
  let document = JSON.parse(base.document) as GatewayConfig;
  let step: ResourceChange[] = [];
  let at = -1;
  for (const r of rows) {
    if (Number(r.version) !== at && step.length) {
      document = applyChanges(document, step);
      step = [];
    }
    at = Number(r.version);
    step.push({ kind: r.kind, id: r.id, ...(r.position === null ? {} : { position: Number(r.position) }), ...(r.body === null ? {} : { body: JSON.parse(r.body) as unknown }) });
  }
  if (step.length) document = applyChanges(document, step);
  return { document, text: documentText(document) };
}
