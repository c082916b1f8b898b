/**
 * ip-restriction: admits or refuses clients by address (IPv4/IPv6 CIDR lists). The client address
 * is the request's, worked out once through the process-wide `trustedProxies` setting; a plugin's
 * own `trustedProxies` list overrides that setting for its route. A deny match wins; with an allow
 * list, anything outside it is refused.
 */
import { Type, type Static } from '@sinclair/typebox';
import { forbidden } from './auth';
import { CidrSet, cidrProblems, clientAddress, parseAddress } from '../core/client-address';
import type { GatewayPlugin, PluginLogger } from './contract';

const CidrList = (description: string) => Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 10_000, description }));

export const IpRestrictionSchema = Type.Object(
  {
    allow: CidrList('addresses or CIDR ranges admitted (everything else is refused)'),
    deny: CidrList('addresses or CIDR ranges refused'),
    trustedProxies: CidrList('proxies (load balancers) whose X-Forwarded-For is believed here, instead of the process-wide trustedProxies setting'),
  },
  { additionalProperties: false },
);

export type IpRestrictionConfig = Static<typeof IpRestrictionSchema>;

interface PreparedIpRestriction {
  readonly allow?: CidrSet;
  readonly deny?: CidrSet;
  readonly trusted?: CidrSet;
  readonly logger?: PluginLogger;
}

export const ipRestriction: GatewayPlugin<IpRestrictionConfig, PreparedIpRestriction> = {
  name: 'ip-restriction',
  priority: 3000,
  schema: IpRestrictionSchema,

  check(conf, { path }) {
    const problems = [
      ...cidrProblems(conf.allow, `${path}/allow`),
      ...cidrProblems(conf.deny, `${path}/deny`),
      ...cidrProblems(conf.trustedProxies, `${path}/trustedProxies`),
    ];
    if (!conf.allow?.length && !conf.deny?.length)
      problems.push({ path, message: 'neither allow nor deny is given, so the plugin would do nothing.', fix: 'give an allow list, a deny list, or both.' });
    return problems;
  },

  prepare(conf, { services }) {
    return {
      allow: conf.allow?.length ? new CidrSet(conf.allow) : undefined,
      deny: conf.deny?.length ? new CidrSet(conf.deny) : undefined,
      trusted: conf.trustedProxies?.length ? new CidrSet(conf.trustedProxies) : undefined,
      logger: services.logger,
    };
  },

  rewrite(ctx, conf) {
    const client = conf.trusted ? clientAddress(ctx.remoteAddress, ctx.headers['x-forwarded-for'], conf.trusted) : ctx.clientAddress;
    const addr = parseAddress(client);
    // Fails closed: an address that does not parse matches no allow range.
    if (conf.deny?.contains(addr)) return forbidden(conf.logger, ctx, 'ip-restriction', `${client} is in the deny list`);
    if (conf.allow && !conf.allow.contains(addr)) return forbidden(conf.logger, ctx, 'ip-restriction', `${client} is not in the allow list`);
    return undefined;
  },
};
