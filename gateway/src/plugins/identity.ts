/**
 * Headers the gateway sets for upstreams once a consumer is authenticated. The data plane strips
 * them from every incoming request, whatever plugins a route has, so a client can never forge them.
 */
export const CONSUMER_ID_HEADER = 'x-consumer-id';
export const CONSUMER_USERNAME_HEADER = 'x-consumer-username';
export const CREDENTIAL_HEADER = 'x-credential-identifier';

export const IDENTITY_HEADERS: readonly string[] = [CONSUMER_ID_HEADER, CONSUMER_USERNAME_HEADER, CREDENTIAL_HEADER];
