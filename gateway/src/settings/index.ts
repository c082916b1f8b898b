export * from './schema';
export * from './load';
export { settingsTable } from './table';
