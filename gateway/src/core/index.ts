/** The bottom layer: what every other layer may use, importing nothing of ours. */
export * from './errors';
export * from './checksum';
export * from './client-address';
export * from './logger';
export * from './backoff';
export * from './version';
export * from './metrics';
export * from './document-text';
export * from './resource-digest';
export * from './version-checksum';
export * from './slices';
