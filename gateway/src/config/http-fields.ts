/**
 * HTTP field names and values as config writes or names them, defined once (RFC 9110 section 5).
 * A name is a token and a value has no CR, LF or NUL, so nothing in config can split a header or
 * smuggle a second one in.
 */
import { Type, type StringOptions } from '@sinclair/typebox';

/** RFC 9110 5.6.2 `token`: what a field name (and a method, and a cookie name) is made of. */
export const TOKEN_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";

/** Visible ASCII, spaces and tabs (RFC 9110 5.5 without obs-text): never CR, LF or NUL. */
export const FIELD_VALUE_PATTERN = '^[\\t\\x20-\\x7e]*$';

/** A header name (or another RFC 9110 token: a method, a cookie name). */
export const HeaderName = (options: StringOptions = {}) => Type.String({ minLength: 1, maxLength: 256, ...options, pattern: TOKEN_PATTERN });

/** A header value the gateway writes. */
export const HeaderValue = (options: StringOptions = {}) => Type.String({ maxLength: 8192, ...options, pattern: FIELD_VALUE_PATTERN });

/** Header name → value; the names are checked too (`propertyNames`), not only the values. */
export const HeaderValues = (description: string) =>
  Type.Record(Type.String({ pattern: TOKEN_PATTERN }), HeaderValue(), {
    default: {},
    description,
    propertyNames: { pattern: TOKEN_PATTERN, minLength: 1, maxLength: 256 },
  });
