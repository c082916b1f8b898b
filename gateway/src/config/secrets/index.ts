/** Secret fields of config documents: the `Secret` mark, their values, the keyring and the walker. */
export { Secret, isSecretSchema } from './schema';
export { DEFAULT_SECRETS_REFRESH_MS, SECRET_PLACEHOLDER, parseSecretValue, isReference, type SecretValue } from './value';
export { Keyring, newKeyEntry, parseKeyring, type Decrypted } from './keyring';
export { secretFields, type SecretField, type SlotSchemas } from './walk';
export { ensureSecretsKeyFile, SECRETS_KEY_FILE } from './key-file';
