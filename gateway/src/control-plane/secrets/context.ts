/** What the control plane needs to handle secret fields: where they are (plugin schemas) and the keyring. */
import type { Keyring, SlotSchemas } from '../../config/secrets';

export interface SecretContext {
  readonly slots: SlotSchemas;
  /** Absent when no key is configured: inline secrets are then refused on write. */
  readonly keyring?: Keyring;
}
