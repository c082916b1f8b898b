import { readFileSync } from 'node:fs';
import { BUILTIN_PLUGINS } from '../../../gateway/src/plugins';
import { PLUGINS_DOC, renderDocs } from '../../../gateway/src/plugins/schema-docs';

describe('docs/plugins.md', () => {
  const text = readFileSync(PLUGINS_DOC, 'utf8');

  it('has the schema tables generated from the current schemas (run `npm run docs:plugins`)', () => {
    expect(renderDocs(text)).toBe(text);
  });

  it('documents every built-in plugin with an example and its schema', () => {
    for (const p of BUILTIN_PLUGINS) {
      expect(text).toContain(`## ${p.name}\n`);
      expect(text).toContain(`<!-- schema:${p.name} -->\nPriority ${p.priority}.`);
      if (p.consumerSchema) expect(text).toContain(`<!-- schema:${p.name}/consumer -->\nConsumer config`);
    }
  });
});
