/**
 * Every admin write goes through here: build the whole new document from the current one, validate
 * it, apply the drop guard, and commit it as one new version (or, for a dry run, only report the diff).
 */
import { randomUUID } from 'node:crypto';
import { validateConfig, type PluginConfigChecker } from '../config/validate';
import { validateChanges } from '../config/validate-changes';
import { diffDocuments, resourceText, type ArrayKey, type ResourceChange } from '../config/change-set';
import type { GatewayConfig } from '../config/schema';
import { authoredForm } from '../config/authored-form';
import type { Keyring } from '../config/secrets';
import { dropRefusal } from '../sync/drop-guard';
import { GatehouseError } from '../core/errors';
import type { ConfigStore, ConfigVersion, ConfigVersionHead } from '../store/types';
import { digestOfVersion, emptyDocument } from '../store/types';
import { advanceHeld, type HeldVersion } from '../store/advance';
import { createPluginRegistry } from '../plugins';
import { actualChecksumInSlices } from '../core/version-checksum';
import { diffConfigs, type ConfigDiff } from './diff';
import { changedParts, KnownChange, shownOver, type ChangedParts } from './changed-parts';
import { corruptionOf, namingIntactVersion } from './intact-version';
import { diffViews, presentSecrets, reencryptSecrets, sealSecrets, type SealOptions, type SecretContext, type SecretsView } from './secrets';

export interface ChangeRequest {
  author: string;
  message?: string;
  /** From If-Match; undefined writes regardless of the head. */
  expectedVersion?: number;
  allowDrop: boolean;
  dryRun: boolean;
  /** From Idempotency-Key: a retry with the same key returns the first write's version instead of writing again. */
  idempotencyKey?: string;
  /** Rollback only: the repair of a head that does not match its checksum. */
  overCorruptHead?: boolean;
}

export type ChangeOutcome =
  | { dryRun: true; baseVersion: number; diff: ConfigDiff; document: GatewayConfig }
  /**
   * `diff` is undefined for a replayed write (`version.write.replayed`): it changed nothing now.
   * `unchanged`: the new document equals the current one, so no version was made; `version` is the current one.
   */
  | { dryRun: false; version: ConfigVersion; diff: ConfigDiff | undefined; unchanged?: boolean };

/** Builds the next document from the current one, which it must not mutate (copy what it changes), or a KnownChange that also says what it changed; may throw a GatehouseError. */
export type Build = (current: GatewayConfig) => unknown;

export interface ConfigServiceOptions {
  /** Checks plugin slots and says where secret fields are; without it slots are not checked, and secrets are found by the built-in plugins' schemas. */
  plugins?: PluginConfigChecker;
  dropGuardPercent: number;
  onCommit?: (version: ConfigVersion) => void;
  /** Encrypts inline secrets; without it, inline secrets are refused (references still work). */
  keyring?: Keyring;
}

export class ConfigService {
  /** The newest document read, reused while the head does not move (documents can be tens of MB). */
  private cached: HeldVersion | undefined;

  private readonly secrets: SecretContext;
  /** Documents this service validated whole or as a change set over one it had validated: the bases a change set may be validated against. */
  private readonly validated = new WeakSet<GatewayConfig>();
  /** Placeholder views of documents, so repeated reads of a large document do not copy it again. */
  private readonly placeholders = new WeakMap<GatewayConfig, GatewayConfig>();


  constructor(
    readonly store: ConfigStore,
    private readonly options: ConfigServiceOptions,
  ) {
    // Even a service that checks no plugin slot must find their secret fields, or it would store them in clear.
    const finder = options.plugins?.slotSchema ? options.plugins : createPluginRegistry().checker;
    this.secrets = { slots: finder.slotSchema!.bind(finder), keyring: options.keyring };
  }

  /** The id of the key new envelopes are encrypted under, if any. */
  get keyId(): string | undefined {
    return this.secrets.keyring?.primaryKid;
  }

  /** `document` as a reader sees it: secrets as "(secret)", or in plaintext (only ever for admins who asked). */
  present(document: GatewayConfig, view: SecretsView): GatewayConfig {
    if (view === 'plaintext') return presentSecrets(this.secrets, document, view);
    let shown = this.placeholders.get(document);
    if (!shown) {
      shown = presentSecrets(this.secrets, document, view);
      this.placeholders.set(document, shown);
    }
    return shown;
  }

  /** `document` without its schema defaults, keys in stable order (`GET /config?defaults=omit`, the CLI's dump). */
  authored(document: GatewayConfig): Record<string, unknown> {
    return authoredForm(document, this.secrets.slots);
  }

  /** Validates a document and seals its secrets against the current one, without storing it (POST /validate). */
  async check(input: unknown, options: SealOptions = {}): Promise<{ document: GatewayConfig; base?: { version: number; document: GatewayConfig } }> {
    const document = this.validate(input);
    const cur = await this.current().catch(() => undefined);
    this.seal(document, cur?.document ?? emptyDocument(), options);
    return { document, base: cur };
  }

  /** Re-encrypts every envelope under the primary key as a new version; `reencrypted` counts them. */
  async rotateSecrets(req: ChangeRequest): Promise<{ outcome: ChangeOutcome; reencrypted: number }> {
    let reencrypted = 0;
    const outcome = await this.change(req, (current) => {
      const out = reencryptSecrets(this.secrets, current);
      reencrypted = out.reencrypted;
      return out.document;
    });
    return { outcome, reencrypted };
  }

  /** The current version number (0 when none) and document. Do not mutate the document. */
  async current(): Promise<{ version: number; checksum?: string; document: GatewayConfig }> {
    const head = await this.store.head();
    if (!head) return { version: 0, document: emptyDocument() };
    if (this.cached?.version === head.version) return this.cached;
    // Another writer moved the head: follow it through the change log (verified by the digest), at the cost of what changed.
    const advanced = this.cached && head.version > this.cached.version ? await advanceHeld(this.store, this.cached).catch(() => undefined) : undefined;
    if (advanced && 'held' in advanced && advanced.head.version >= head.version) {
      // The changes were validated by the writer that committed them; the digest proves they are what it stored.
      if (this.validated.has(this.cached!.document)) this.validated.add(advanced.held.document);
      this.keep(advanced.held);
      return this.cached!;
    }
    const v = await this.store.get(head.version);
    if (!v) return this.current(); // pruned between the two reads: read again
    // Loaded a head this process did not write (start, a foreign write): verify it before serving or building on it.
    if ((await actualChecksumInSlices(v)) !== v.checksum) throw await corruptionOf(this.store, v.version);
    this.keep({ version: v.version, checksum: v.checksum, document: v.document, digest: digestOfVersion(v) });
    return this.cached!;
  }

  /**
   * After the answer: the placeholder view of a committed document, made from its base's view (when
   * one was shown) by copying only the changed resources, so the next read does not copy the whole document.
   */
  private showLater(base: GatewayConfig, document: GatewayConfig, changes: readonly ResourceChange[]): void {
    const baseShown = this.placeholders.get(base);
    if (!baseShown) return;
    setImmediate(() => {
      if (!this.placeholders.has(document)) this.placeholders.set(document, shownOver(this.secrets, baseShown, base, document, changes));
    });
  }

  /** Holds `held` as the head, the base of the next write. */
  private keep(held: HeldVersion): void {
    this.cached = held;
  }

  /** Validates a document without storing it. */
  validate(input: unknown): GatewayConfig {
    const result = validateConfig(input, this.options.plugins);
    if (!result.ok) throw new GatehouseError('GW_ERR_CONFIG_INVALID', undefined, result.problems);
    this.validated.add(result.value);
    return result.value;
  }

  /**
   * Validates `candidate`, built from `current`: only what it changed when `current` is a document
   * this service validated (so the answer equals a whole validation), the whole document otherwise.
   * `touched` (change validation only) lists the resources the candidate put or removed, with their
   * validated bodies: a superset of what really changed (a put may equal the stored resource).
   */
  private validateOver(current: GatewayConfig, candidate: unknown): { document: GatewayConfig; touched?: ResourceChange[] } {
    const known = candidate instanceof KnownChange ? candidate : undefined;
    if (known) candidate = known.document;
    const base = this.validated.has(current) && candidate && typeof candidate === 'object';
    const changes = base ? (known?.changes ?? diffDocuments(current, candidate as GatewayConfig)) : undefined;
    if (!changes) return { document: this.validate(candidate) };
    const result = validateChanges(current, changes, this.options.plugins);
    if (!result.ok) throw new GatehouseError('GW_ERR_CONFIG_INVALID', undefined, result.problems);
    this.validated.add(result.value);
    const doc = result.value;
    const bodyOf = (c: ResourceChange) => (c.kind === 'plugin' ? doc.plugins[c.id] : (doc[`${c.kind}s` as ArrayKey] as unknown[])[c.position!]);
    return { document: doc, touched: changes.map((c) => (c.body === undefined ? c : { ...c, body: bodyOf(c) })) };
  }

  async change(req: ChangeRequest, build: Build): Promise<ChangeOutcome> {
    if (req.dryRun) {
      const cur = await this.current();
      this.checkExpected(req.expectedVersion, cur.version);
      const { document, diff } = this.next(cur.document, cur.version ? { routeCount: cur.document.routes.length } : undefined, req, build);
      return { dryRun: true, baseVersion: cur.version, diff, document };
    }
    // Brings the held head up to date (another writer may have moved it), so the commit builds on it
    // instead of reading it whole. A store that does not answer fails the write here (nothing was sent);
    // a head that does not match its checksum is the commit's to report (it names the repair).
    await this.current().catch((err: unknown) => {
      if (err instanceof GatehouseError && err.code === 'GW_ERR_STORE_UNAVAILABLE') throw err;
    });
    let diff: ConfigDiff | undefined;
    let made: { base: GatewayConfig; changes: readonly ResourceChange[] } | undefined;
    // A no-op aborts the commit's transaction from inside the build (nothing is written); this holds the current version.
    let unchanged: ConfigVersion | undefined;
    const version = await this.store.commit({
      author: req.author,
      message: req.message,
      expectedVersion: req.expectedVersion,
      cached: this.cached,
      write: { id: randomUUID(), idempotencyKey: req.idempotencyKey },
      overCorruptHead: req.overCorruptHead,
      build: (current, head) => {
        const out = this.next(current, head, req, build);
        made = out.changes && { base: current, changes: out.changes };
        diff = out.diff;
        if (head && out.diff.unchanged) {
          unchanged = { ...head, document: current };
          throw new Error('unchanged: nothing to commit');
        }
        return { document: out.document, intendedDrop: req.allowDrop, changes: out.changes };
      },
    }).catch((err: unknown) => (unchanged ? unchanged : namingIntactVersion(this.store, err)));
    if (unchanged) return { dryRun: false, version: unchanged, diff, unchanged: true };
    if (version.write?.replayed) return { dryRun: false, version, diff: undefined };
    this.keep({ version: version.version, checksum: version.checksum, document: version.document, digest: digestOfVersion(version) });
    this.options.onCommit?.(version);
    if (made) this.showLater(made.base, version.document, made.changes);
    return { dryRun: false, version, diff };
  }

  private next(current: GatewayConfig, head: Pick<ConfigVersionHead, 'routeCount'> | undefined, req: ChangeRequest, build: Build) {
    // Builds copy what they change, so `current` is still the before-image (no deep copy of a large document).
    const { document, touched } = this.validateOver(current, build(current));
    // Sealed before anything serialises the new resources: resource texts are cached by object.
    this.seal(document, current, {}, touched && changedParts(current, document, touched));
    const refusal = req.allowDrop ? undefined : dropRefusal(head?.routeCount, { routeCount: document.routes.length, intendedDrop: false }, this.options.dropGuardPercent);
    if (refusal) throw new GatehouseError('GW_ERR_CONFIG_DROP', `The new version would be refused by data planes: ${refusal}.`);
    // The touched resources are exactly the change set unless a put turned out equal to what it replaces.
    const exact = touched?.every((c) => c.body === undefined || c.previous === undefined || resourceText(c.body) !== resourceText(c.previous));
    const changes = exact ? touched : diffDocuments(current, document);
    return { document, changes, diff: this.diffWith(current, document, changes) };
  }

  /** The field-level diff between two stored (sealed) documents, with secrets hidden; costs what changed when both are well formed. */
  diff(before: GatewayConfig, after: GatewayConfig): ConfigDiff {
    return this.diffWith(before, after, diffDocuments(before, after));
  }

  private diffWith(before: GatewayConfig, after: GatewayConfig, changes: readonly ResourceChange[] | undefined): ConfigDiff {
    if (!changes) {
      const shown = diffViews(this.secrets, before, after);
      return diffConfigs(shown.before, shown.after);
    }
    // An empty change set is exactly canonical equality (order included): diffDocuments records a move.
    const parts = changedParts(before, after, changes);
    const shown = diffViews(this.secrets, parts.before, parts.after);
    return { ...diffConfigs(shown.before, shown.after), unchanged: changes.length === 0 };
  }

  /** Seals `document`'s secrets against `current`; with `parts`, only the resources they hold (the rest is stored as sealed already). */
  private seal(document: GatewayConfig, current: GatewayConfig, options?: SealOptions, parts?: ChangedParts): void {
    const problems = parts ? sealSecrets(this.secrets, parts.after, parts.before, options).map(parts.inDocument) : sealSecrets(this.secrets, document, current, options);
    if (problems.length) throw new GatehouseError('GW_ERR_CONFIG_INVALID', undefined, problems);
  }

  private checkExpected(expected: number | undefined, actual: number): void {
    if (expected !== undefined && expected !== actual)
      throw new GatehouseError('GW_ERR_VERSION_CONFLICT', `You sent If-Match "${expected}" but the current version is ${actual}.`);
  }
}
