import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateConfig } from '../../../gateway/src/config/validate';
import { createPluginRegistry } from '../../../gateway/src/plugins';

/** The README's config example is what users copy first: it must stay valid. */
describe('README config example', () => {
  it('validates against the schema and the built-in plugins', () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    const section = readme.split('<!-- section:config -->')[1]!.split('<!-- /section:config -->')[0]!;
    const yaml = section.split('```yaml')[1]!.split('```')[0]!;
    const result = validateConfig(parse(yaml), createPluginRegistry().checker);
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it('the protocols section example (a gRPC service and method) validates', () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    const section = readme.split('\n## Protocols\n')[1]!.split('\n## ')[0]!;
    const yaml = section.split('```yaml')[1]!.split('```')[0]!;
    const result = validateConfig(parse(yaml), createPluginRegistry().checker);
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result.ok && result.routePlans.flatMap((p) => p.patterns.map((x) => x.source))).toEqual(['/helloworld.Greeter/*', '/helloworld.Greeter/SayHello']);
  });
});
