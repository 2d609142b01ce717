import { z } from 'zod';

/**
 * Text fields people type. A single-line name (an account, a category, a budget, a username)
 * holds no control characters (C0, DEL, C1: BEL, ESC, CR, LF, TAB…) and no bidirectional
 * overrides or isolates (U+202A–U+202E, U+2066–U+2069), which make a name display as something
 * else than it is ("invoice‮fdp.exe"). Multi-line text (notes) may also hold line breaks and tabs.
 * NUL and unpaired surrogates are refused before any schema runs (see `findUnstorableText`).
 */
/* eslint-disable no-control-regex -- these patterns exist to find control characters */
const CONTROL_OR_BIDI = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const CONTROL_OR_BIDI_BUT_LINE_BREAKS =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/* eslint-enable no-control-regex */

export const SINGLE_LINE_MESSAGE = 'Must not contain control characters or bidirectional overrides';
export const MULTI_LINE_MESSAGE =
  'Must not contain control characters (other than line breaks and tabs) or bidirectional overrides';

export function isSingleLineText(text: string): boolean {
  return !CONTROL_OR_BIDI.test(text);
}

export function isMultiLineText(text: string): boolean {
  return !CONTROL_OR_BIDI_BUT_LINE_BREAKS.test(text);
}

/** A trimmed one-line text of `min`–`max` characters (defaults 1–`max`). */
export function singleLineText(options: { max: number; min?: number; trim?: boolean }) {
  const base = options.trim === false ? z.string() : z.string().trim();
  return base
    .min(options.min ?? 1)
    .max(options.max)
    .refine(isSingleLineText, { message: SINGLE_LINE_MESSAGE });
}

/** Free text that may span lines (notes), up to `max` characters. */
export function multiLineText(options: { max: number }) {
  return z.string().max(options.max).refine(isMultiLineText, { message: MULTI_LINE_MESSAGE });
}
