export * from './schema';
export * from './schema-check';
export * from './validate';
export * from './regex';
export * from './http-fields';
export * from './authored-form';
