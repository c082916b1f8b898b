/**
 * The admin API: REST and JSON under `/admin/v1/`, always authenticated. `buildAdminServer` returns a
 * server that is not listening yet; the role start-up listens on the admin address (never the proxy's).
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { parse as parseYaml } from 'yaml';
import type { PluginConfigChecker } from '../config/validate';
import type { Keyring } from '../config/secrets';
import { GatehouseError } from '../core/errors';
import type { ConfigStore, ConfigVersion } from '../store/types';
import { CorruptVersionError, WriteOutcomeUnknownError } from '../store';
import { TokenVerifier, type TokenEntry } from './auth/tokens';
import { ConfigService } from './config-service';
import { registerConfigRoutes } from './config-routes';
import type { FleetView } from './fleet';
import { registerFleetRoutes } from './fleet-routes';
import { registerResource } from './crud';
import { MAX_DOCUMENT_DEPTH, nestedDeeperThan } from './document-depth';
import { flag } from './http';
import { registerOpenApi } from './openapi';
import { consumers, plugins, routes, upstreams } from './resources';
import { registerSecretRoutes } from './secret-routes';
import { registerVersionRoutes } from './version-routes';
import { registerWriteRoutes } from './write-routes';

export interface AdminServerOptions {
  store: ConfigStore;
  /** Accepted tokens (hashed); without any, every request answers 401. */
  tokens: readonly TokenEntry[];
  bodyLimitBytes: number;
  dropGuardPercent: number;
  /** Checks plugin slots and says where secret fields are (see ConfigServiceOptions). */
  plugins?: PluginConfigChecker;
  /** Encrypts inline secrets before they are stored; without it they are refused (references still work). */
  secretsKeyring?: Keyring;
  /** Called after each committed version (the S3 backup hooks in here). */
  onCommit?: (version: ConfigVersion) => void;
  /** The config service to write through (shared with the readiness check); built over `store` when absent. */
  service?: ConfigService;
  /** Standalone with a config file: the file is the one source of truth, so writes answer 409 GW_ERR_FILE_MANAGED. */
  fileManaged?: boolean;
  /** The data planes' heartbeats (`GET /admin/v1/nodes`); absent when no heartbeat bucket is set. */
  fleet?: FleetView;
  /** A pino logger; none means no request logging. */
  logger?: FastifyBaseLogger;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

/**
 * Answers with a defined error: code, status and message from the error list (core/errors.ts), the
 * request's detail after the message, the problems and any facts. `status` is only ever fastify's own
 * status for a request it refused before routing.
 */
function send(reply: import('fastify').FastifyReply, err: GatehouseError, facts: object = {}, status = err.status) {
  return reply.code(status).send({ error: { code: err.code, message: err.publicMessage, ...facts }, ...(err.problems.length ? { problems: err.problems } : {}) });
}

/** The machine-readable facts a store fault carries: the write to ask about, the versions to repair with. */
function storeFacts(err: GatehouseError): object {
  if (err instanceof WriteOutcomeUnknownError) return { writeId: err.writeId };
  if (err instanceof CorruptVersionError) return { corruptVersion: err.version, intactVersion: err.intactVersion };
  return {};
}

const tooDeepError = () =>
  new GatehouseError('GW_ERR_BAD_REQUEST', `The body nests arrays and objects more than ${MAX_DOCUMENT_DEPTH} levels deep; a config document needs far fewer.`);

/** Builds the admin API server (not listening). */
export function buildAdminServer(options: AdminServerOptions): FastifyInstance {
  const app = options.logger
    ? Fastify({ loggerInstance: options.logger, bodyLimit: options.bodyLimitBytes })
    : Fastify({ logger: false, bodyLimit: options.bodyLimitBytes });
  const service =
    options.service ??
    new ConfigService(options.store, {
      plugins: options.plugins,
      keyring: options.secretsKeyring,
      dropGuardPercent: options.dropGuardPercent,
      onCommit: options.onCommit,
    });
  const verifier = new TokenVerifier(options.tokens);

  // Schemas document the API (OpenAPI); bodies are validated as whole documents by validateConfig,
  // which reports every problem with its JSON path, so fastify's own validation is switched off.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  // Only JSON and YAML are documented: fastify's own text/plain parser would turn any text into a
  // string body that then fails validation (400) instead of the documented 415.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseYaml(body as string));
    } catch (err) {
      // The YAML parser recurses per level: nesting deep enough to exhaust the stack is the depth limit's case.
      const tooDeep = err instanceof RangeError || /Maximum call stack size exceeded/.test((err as Error).message);
      done(tooDeep ? tooDeepError() : new GatehouseError('GW_ERR_BAD_REQUEST', `The YAML body does not parse: ${(err as Error).message}`), undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const who = m ? verifier.verify(m[1]!) : undefined;
    if (!who) {
      req.log.info({ url: req.url, reason: header ? 'unknown token' : 'no bearer token' }, 'admin API: unauthenticated request');
      reply.header('www-authenticate', 'Bearer realm="gatehouse-admin"');
      return send(reply, new GatehouseError('GW_ERR_UNAUTHORIZED', 'Send Authorization: Bearer <admin token>.'));
    }
    req.admin = who;
    const access = req.routeOptions.config?.access ?? 'write';
    if (access === 'write' && who.role !== 'admin') return send(reply, new GatehouseError('GW_ERR_FORBIDDEN', 'This needs an admin token; viewer tokens can only read.'));
    // A dry run writes nothing, so it still answers its diff against the file's version.
    if (access === 'write' && options.fileManaged && !flag(req, 'dryRun')) return send(reply, new GatehouseError('GW_ERR_FILE_MANAGED'));
  });

  app.addHook('preValidation', async (req) => {
    if (req.body !== undefined && nestedDeeperThan(req.body, MAX_DOCUMENT_DEPTH)) throw tooDeepError();
  });

  app.setErrorHandler((err: FastifyError | GatehouseError, req, reply) => {
    if (err instanceof GatehouseError) {
      // The log gets the whole story (a database error's text); the client only the defined message.
      if (err.status >= 500) req.log.warn({ err: err.message }, 'admin API: store unavailable');
      return send(reply, err, storeFacts(err));
    }
    const fe = err as FastifyError;
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return send(reply, new GatehouseError('GW_ERR_ADMIN_BODY_TOO_LARGE', `The limit is ${options.bodyLimitBytes} bytes.`));
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return send(reply, new GatehouseError('GW_ERR_UNSUPPORTED_MEDIA_TYPE', `Content-Type "${req.headers['content-type'] ?? ''}" is not accepted.`));
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
      return send(reply, new GatehouseError('GW_ERR_BAD_REQUEST', fe.message), {}, fe.statusCode);
    req.log.error({ err }, 'admin API: internal error');
    return send(reply, new GatehouseError('GW_ERR_INTERNAL', 'See the control plane log.'));
  });

  app.setNotFoundHandler((req, reply) => send(reply, new GatehouseError('GW_ERR_RESOURCE_NOT_FOUND', `No admin API route ${req.method} ${req.url.split('?')[0]}; see /admin/v1/openapi.json.`)));

  registerOpenApi(app);
  registerConfigRoutes(app, service);
  registerVersionRoutes(app, service);
  registerSecretRoutes(app, service);
  registerWriteRoutes(app, options.store);
  registerFleetRoutes(app, options.fleet);
  for (const kind of [routes, upstreams, consumers, plugins]) registerResource(app, kind, service);
  return app;
}
