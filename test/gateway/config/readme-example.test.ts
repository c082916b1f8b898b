import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateConfig } from '../../../gateway/src/config/validate';
import { createPluginRegistry } from '../../../gateway/src/plugins';

const README = readFileSync(join(__dirname, '../../../README.md'), 'utf8');

/** The first YAML block of a README section, validated against the schema and the built-in plugins. */
function validateFirstYaml(section: string) {
  const yaml = section.split('```yaml')[1]!.split('```')[0]!;
  return validateConfig(parse(yaml), createPluginRegistry().checker);
}

/** The README's config examples are what users copy first: they must stay valid. */
describe('README config example', () => {
  it('validates against the schema and the built-in plugins', () => {
    const result = validateFirstYaml(README.split('<!-- section:config -->')[1]!.split('<!-- /section:config -->')[0]!);
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it('the protocols section example (a gRPC service and method) validates', () => {
    const result = validateFirstYaml(README.split('\n## Protocols\n')[1]!.split('\n## ')[0]!);
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result.ok && result.routePlans.flatMap((p) => p.patterns.map((x) => x.source))).toEqual(['/helloworld.Greeter/*', '/helloworld.Greeter/SayHello']);
  });
});
