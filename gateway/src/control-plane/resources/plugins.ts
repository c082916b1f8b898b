/** Global plugin configs: `plugins.<name>` in the document; the id is the plugin name and the body its config. */
import { Type } from '@sinclair/typebox';
import type { ResourceKind } from './resource';
import { emptyDocument } from '../../store/types';

export const plugins: ResourceKind = {
  name: 'plugins',
  key: 'plugins',
  singular: 'plugin',
  schema: Type.Unknown({ description: "the plugin's own config; see docs/plugins.md" }),
  postable: false,
  list: (doc) => Object.entries(doc.plugins ?? {}).map(([name, config]) => ({ name, config })),
  get: (doc, name) => (Object.prototype.hasOwnProperty.call(doc.plugins ?? {}, name) ? { name, config: doc.plugins[name] } : undefined),
  idFromBody: () => undefined,
  checkBody: () => [],
  put: (doc, name, body) => ({ ...doc, plugins: { ...doc.plugins, [name]: body } }),
  remove(doc, name) {
    const next = { ...doc.plugins };
    delete next[name];
    return { ...doc, plugins: next };
  },
  checkDelete: () => [],
  only: (doc, name) => ({ ...emptyDocument(), plugins: Object.prototype.hasOwnProperty.call(doc.plugins ?? {}, name) ? { [name]: doc.plugins[name] } : {} }),
};
