/** Admin API authentication: hashed bearer tokens with roles `admin` and `viewer`. */
export * from './tokens';
export { ensureAdminTokenFile, ADMIN_TOKEN_FILE } from './token-file';
