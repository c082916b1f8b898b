export * from './schema';
export * from './schema-check';
export * from './validate';
export * from './regex';
export * from './http-fields';
export * from './change-set';
export * from './validate-changes';
export * from './authored-form';
