/** Secret fields in the control plane: sealed before they are stored, hidden when they are read. */
export type { SecretContext } from './context';
export { sealSecrets, reencryptSecrets, type SealOptions } from './seal';
export { presentSecrets, type SecretsView } from './view';
export { diffViews } from './diff-view';
