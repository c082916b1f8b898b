/** The entries of `values` that are set: a prop given as `undefined` keeps the default it would override. */
export function definedOnly<T extends object>(values: Partial<T> | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(values ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
