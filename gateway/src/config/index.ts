export * from './schema';
export * from './validate';
export * from './checksum';
export * from './regex';
export * from './http-fields';
