/** Builds an admin API over a fresh store with one admin and one viewer token. */
import { buildAdminServer, hashToken, newToken, type AdminServerOptions } from '../../../gateway/src/control-plane';
import type { ConfigStore } from '../../../gateway/src/store';

export const adminToken = newToken();
export const viewerToken = newToken();
export const asAdmin = { authorization: `Bearer ${adminToken}` };
export const asViewer = { authorization: `Bearer ${viewerToken}` };

export function adminServer(store: ConfigStore, bodyLimitBytes = 1024 * 1024, extra: Partial<AdminServerOptions> = {}) {
  return buildAdminServer({
    store,
    tokens: [
      { role: 'admin', hash: hashToken(adminToken) },
      { role: 'viewer', hash: hashToken(viewerToken) },
    ],
    bodyLimitBytes,
    dropGuardPercent: 50,
    ...extra,
  });
}
