import { RE2JS } from 're2js';

/**
 * Regex conditions run on RE2 (re2js, a pure-JS port): matching time is linear in the input, so no
 * pattern can backtrack catastrophically, and the syntax RE2 lacks (backreferences, lookaround) is
 * refused when the rule is saved. Patterns and the text they see are bounded too.
 */
export const MAX_PATTERN_LENGTH = 200;
/** Longer text (only notes can be) is matched on its first characters. */
export const MAX_MATCHED_TEXT = 2_000;

export interface CompiledPattern {
  test(text: string): boolean;
}

/** Why a pattern cannot be used, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) return `At most ${MAX_PATTERN_LENGTH} characters`;
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    return `Not a supported regular expression (RE2 syntax, no backreferences or lookaround): ${(error as Error).message}`;
  }
}

/** Compiled patterns kept for reuse (rules are loaded per request; compiling is most of their cost). */
const COMPILED_KEPT = 2_000;
const compiledPatterns = new Map<string, CompiledPattern>();

/**
 * A saved (already checked) pattern, ready to test text with. A compiled RE2 program is immutable
 * (each test gets its own matcher), so one is shared by every request that uses the pattern; the
 * cache forgets the oldest beyond COMPILED_KEPT.
 */
export function compilePattern(pattern: string, caseSensitive: boolean): CompiledPattern {
  const key = `${caseSensitive ? 's' : 'i'}:${pattern}`;
  const kept = compiledPatterns.get(key);
  if (kept) return kept;
  const compiled = RE2JS.compile(pattern, caseSensitive ? 0 : RE2JS.CASE_INSENSITIVE);
  const made: CompiledPattern = { test: (text) => compiled.matcher(text.slice(0, MAX_MATCHED_TEXT)).find() };
  if (compiledPatterns.size >= COMPILED_KEPT) compiledPatterns.delete(compiledPatterns.keys().next().value!);
  compiledPatterns.set(key, made);
  return made;
}
