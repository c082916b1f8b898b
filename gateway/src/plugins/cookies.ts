/** Reading one cookie from a request's Cookie header, and removing one (RFC 6265 section 5.4: `name=value` pairs joined by "; "). */

type CookieHeader = string | string[] | undefined;

const joined = (header: CookieHeader): string | undefined => (Array.isArray(header) ? header.join('; ') : header);

/** The value of cookie `name`, or undefined. */
export function cookieValue(header: CookieHeader, name: string): string | undefined {
  const text = joined(header);
  if (!text) return undefined;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Cookie header without any `name` cookie (the others kept as they were); undefined when none is left. */
export function withoutCookie(header: CookieHeader, name: string): string | undefined {
  const text = joined(header);
  if (!text) return undefined;
  const kept = text.split(';').filter((part) => {
    const eq = part.indexOf('=');
    return part.trim() !== '' && (eq < 0 || part.slice(0, eq).trim() !== name);
  });
  return kept.length ? kept.map((p) => p.trim()).join('; ') : undefined;
}
