/** The add/set/remove transform shared by request-headers and response-headers. */
import { Type, type Static } from '@sinclair/typebox';
import { HeaderName, HeaderValues } from '../config/http-fields';
import type { Problem } from '../core/errors';

export const HeaderTransformSchema = Type.Object(
  {
    set: HeaderValues('header → value, replacing any value'),
    add: HeaderValues('header → value, appended to any value'),
    remove: Type.Array(HeaderName(), { default: [], description: 'headers removed' }),
  },
  { additionalProperties: false },
);

export type HeaderTransformConfig = Static<typeof HeaderTransformSchema>;

/** The transform with names lower-cased, applied as remove, then set, then add. */
export interface HeaderTransform {
  readonly remove: readonly string[];
  readonly set: readonly [string, string][];
  readonly add: readonly [string, string][];
}

type Headers = Record<string, string | string[] | undefined>;

export function prepareTransform(conf: HeaderTransformConfig): HeaderTransform {
  const lower = (o: Record<string, string>): [string, string][] => Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]);
  return { remove: conf.remove.map((n) => n.toLowerCase()), set: lower(conf.set), add: lower(conf.add) };
}

export function applyTransform(t: HeaderTransform, headers: Headers, multiValue: boolean): void {
  for (const name of t.remove) delete headers[name];
  for (const [name, value] of t.set) headers[name] = value;
  for (const [name, value] of t.add) {
    const prev = headers[name];
    if (prev === undefined) headers[name] = value;
    else if (multiValue) headers[name] = Array.isArray(prev) ? [...prev, value] : [prev, value];
    else headers[name] = `${Array.isArray(prev) ? prev.join(', ') : prev}, ${value}`;
  }
}

/** Problems for headers a transform must not touch (the proxy owns them). */
export function reservedProblems(conf: HeaderTransformConfig, path: string, reserved: readonly string[]): Problem[] {
  const problems: Problem[] = [];
  const check = (name: string, where: string) => {
    if (reserved.includes(name.toLowerCase()))
      problems.push({ path: where, message: `header "${name}" is managed by the gateway and cannot be changed here.`, fix: `remove "${name}" from the transform.` });
  };
  for (const name of Object.keys(conf.set)) check(name, `${path}/set/${name}`);
  for (const name of Object.keys(conf.add)) check(name, `${path}/add/${name}`);
  conf.remove.forEach((name, i) => check(name, `${path}/remove/${i}`));
  return problems;
}

export const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'content-length'];
