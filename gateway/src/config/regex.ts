/**
 * Regular expressions from config (path patterns `~…`, header matches, cors origins, traffic-split,
 * proxy-rewrite), compiled in one place into a linear-time matcher. A backtracking engine such as
 * V8's takes time exponential in the input for patterns like `^(a+)+$`, so one request could stall
 * the event loop; RE2 (here its pure-JavaScript port, re2js: no native build) matches in time linear
 * in the input whatever the pattern. What RE2 cannot run in linear time (back-references,
 * look-around) is refused when the config is validated, with a problem that says why.
 */
import { RE2JS } from 're2js';
import type { Problem } from '../core/errors';

/** A compiled config regex. Stateless: one instance may serve every request. */
export interface ConfigRegex {
  readonly source: string;
  /** True when the expression matches somewhere in `input` (like `RegExp.prototype.test`). */
  test(input: string): boolean;
  /** The named groups of the first match (undefined for a group that did not take part), or undefined. */
  namedGroups(input: string): Record<string, string | undefined> | undefined;
  /** `input` with its first match replaced; `$1`, `$<name>` and `$&` as in `String.prototype.replace`. */
  replaceFirst(input: string, replacement: string): string;
}

export type CompiledRegex = { ok: true; regex: ConfigRegex } | { ok: false; message: string; fix: string };

/**
 * Instructions in the compiled matcher, at most. Matching time is linear in the input but also grows
 * with the matcher's size, which counted repetitions multiply (`(\\w{100}){9}` is 900 instructions);
 * real config patterns need a few dozen.
 */
export const MAX_REGEX_PROGRAM_SIZE = 1_000;

const SYNTAX_FIX = 'correct the expression (RE2 syntax: JavaScript syntax without back-references and look-around; `(?<name>…)` names a group).';

/** Why RE2 refused `source`, in the config author's terms. */
function refusal(source: string, detail: string): { message: string; fix: string } {
  if (/\\[1-9]|\\k</.test(source) && /invalid escape sequence: `\\[1-9k]/.test(detail))
    return {
      message: 'back-references are not allowed: matching them needs backtracking, whose time can grow exponentially with the input (one request could stall the gateway).',
      fix: 'rewrite the expression without the back-reference (\\1, \\k<name>), or match an exact value instead.',
    };
  if (/\(\?<?[=!]/.test(source))
    return {
      message: 'look-ahead and look-behind are not allowed: they need backtracking, whose time can grow exponentially with the input (one request could stall the gateway).',
      fix: 'rewrite the expression without (?=…), (?!…), (?<=…) or (?<!…).',
    };
  if (detail.includes('invalid repeat count'))
    return {
      message: 'a counted repetition is too large: a count above 1000, or nested counts whose product exceeds 1000, would make the matcher too big.',
      fix: 'use a smaller count, or + / * instead of a large {n}.',
    };
  return { message: `invalid regular expression: ${detail.replace(/^error parsing regexp: /, '')}.`, fix: SYNTAX_FIX };
}

class Re2Regex implements ConfigRegex {
  private readonly hasNamedGroups: boolean;

  constructor(
    readonly source: string,
    private readonly re: RE2JS,
  ) {
    this.hasNamedGroups = Object.keys(re.namedGroups()).length > 0;
  }

  test(input: string): boolean {
    return this.re.test(input);
  }

  namedGroups(input: string): Record<string, string | undefined> | undefined {
    // The capture-free test runs on RE2's DFA, several times faster than capturing: capture only for a match.
    if (!this.re.test(input)) return undefined;
    if (!this.hasNamedGroups) return {};
    const m = this.re.exec(input);
    return m ? ((m as { groups?: Record<string, string | undefined> }).groups ?? {}) : undefined;
  }

  replaceFirst(input: string, replacement: string): string {
    return this.re.matcher(input).replaceFirst(replacement);
  }
}

/** Compiled expressions by source: validation and snapshot compilation see the same sources on every load. */
const cache = new Map<string, CompiledRegex>();
const CACHE_MAX_ENTRIES = 4096;

/** Compiles a regex from config into a linear-time matcher, or says why it cannot be used. */
export function compileRegex(source: string): CompiledRegex {
  let compiled = cache.get(source);
  if (compiled) return compiled;
  try {
    const re = RE2JS.compile(source);
    const size = re.programSize();
    compiled =
      size > MAX_REGEX_PROGRAM_SIZE
        ? {
            ok: false,
            message: `the expression compiles to ${size} instructions (at most ${MAX_REGEX_PROGRAM_SIZE}): matching time grows with that size, mostly from large counted repetitions.`,
            fix: 'use smaller counts ({n}) or + / * instead, and check lengths in the upstream if they matter.',
          }
        : { ok: true, regex: new Re2Regex(source, re) };
  } catch (err) {
    compiled = { ok: false, ...refusal(source, (err as Error).message) };
  }
  if (cache.size >= CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(source, compiled);
  return compiled;
}

/** The problem with the regex at JSON path `path`, or undefined when it compiles. */
export function regexProblem(source: string, path: string): Problem | undefined {
  const compiled = compileRegex(source);
  return compiled.ok ? undefined : { path, message: compiled.message, fix: compiled.fix };
}

/** The compiled regex of a config that passed validation (where `regexProblem` found nothing). */
export function validatedRegex(source: string): ConfigRegex {
  const compiled = compileRegex(source);
  if (!compiled.ok) throw new Error(`regular expression ${JSON.stringify(source)} was not validated: ${compiled.message}`);
  return compiled.regex;
}
