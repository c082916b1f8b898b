/**
 * The proxy listener's certificate and key, read from files and read again when either changes
 * (certificate renewals, Kubernetes/ECS secret rotations), so that a renewal needs no restart.
 * A pair that fails to load keeps the previous one serving and is logged; the files are polled
 * (`fs.watchFile`), which survives the rename-into-place that atomic writers use.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import { GatehouseError } from '../../core/errors';

/** How often the certificate files are checked for changes. */
export const CERTIFICATE_POLL_MS = 2_000;

export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Reads and checks the pair; throws a settings error naming the files when they do not load. */
export function loadCertificates(files: CertificateFiles): SecureContextOptions {
  let options: SecureContextOptions;
  try {
    options = { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
    createSecureContext(options);
  } catch (err) {
    throw new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, [
      {
        path: '/settings/tlsCertFile',
        message: `the certificate ${files.certFile} and key ${files.keyFile} do not load: ${(err as Error).message}.`,
        fix: 'point tlsCertFile (GATEHOUSE_TLS_CERT_FILE) and tlsKeyFile (GATEHOUSE_TLS_KEY_FILE) at a PEM certificate chain and its private key.',
      },
    ]);
  }
  return options;
}

/** Watches the pair and hands every good new pair to `apply`. */
export class CertificateWatch {
  private readonly onChange = (): void => void this.reload();

  constructor(
    private readonly files: CertificateFiles,
    private readonly apply: (options: SecureContextOptions) => void,
    private readonly log: Logger,
    pollMs = CERTIFICATE_POLL_MS,
  ) {
    for (const f of [files.certFile, files.keyFile]) watchFile(f, { interval: pollMs, persistent: false }, this.onChange);
  }

  /** Reads the files again; keeps the old pair when the new one does not load. */
  reload(): boolean {
    try {
      this.apply(loadCertificates(this.files));
      this.log.info({ certFile: this.files.certFile }, 'proxy TLS certificate reloaded');
      return true;
    } catch (err) {
      this.log.error({ err }, 'proxy TLS certificate not reloaded; the previous one stays in use');
      return false;
    }
  }

  close(): void {
    for (const f of [this.files.certFile, this.files.keyFile]) unwatchFile(f, this.onChange);
  }
}
