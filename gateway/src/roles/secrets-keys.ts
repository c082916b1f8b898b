/**
 * The secrets keyring of a role: GATEHOUSE_SECRETS_KEYS when set; otherwise standalone generates its
 * own key file, and other roles run without a key (a control plane then refuses inline secrets,
 * a data plane cannot decrypt envelopes; references work in both).
 */
import type { Logger } from 'pino';
import { ensureSecretsKeyFile, parseKeyring, type Keyring } from '../config/secrets';
import { envName, type GatehouseSettings } from '../settings';

export async function secretsKeyring(settings: GatehouseSettings, log: Logger, generate: boolean): Promise<Keyring | undefined> {
  const configured = parseKeyring(settings.secretsKeys, envName('secretsKeys'));
  if (configured) return configured;
  if (generate) {
    const file = await ensureSecretsKeyFile(settings.dataDir);
    log.info({ path: file.path, created: file.created, keyId: file.keyring.primaryKid }, `secrets key: ${envName('secretsKeys')} is unset, so inline secrets are encrypted with the key in this file (mode 0600)`);
    return file.keyring;
  }
  log.warn(`no secrets key (${envName('secretsKeys')} is unset): encrypted secrets ($enc:) cannot be decrypted and inline secrets cannot be stored; plaintext in a config file and $env:// / $secret://aws/ references still work (docs/RUNBOOK.md, "Secrets keys")`);
  return undefined;
}
