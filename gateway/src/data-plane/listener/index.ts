/** The proxy port's protocols: HTTP/1.1, h2c (prior knowledge) and TLS with ALPN, one pipeline behind them. */
export { ProtocolFront, type H2Limits, type ProtocolOptions } from './protocols';
export { type CertificateFiles, CertificateWatch, loadCertificates, CERTIFICATE_POLL_MS } from './tls-certificates';
export { FLOOD_WINDOW_MS, type FloodLimits, type FloodKind } from './flood-guard';
export { H2_PREFACE } from './preface';
export { H2Response } from './h2-compat';
