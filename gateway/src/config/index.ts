export * from './schema';
export * from './validate';
export * from './regex';
export * from './http-fields';
