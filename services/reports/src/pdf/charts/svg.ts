/** Text for SVG/HTML: the five characters that could break out of markup. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** Coordinates with at most two decimals: stable output, small files. */
export function n(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/**
 * Chart geometry is proportional, not money: minor-unit bigints become plain numbers here only
 * to place shapes (a rounding error of a pixel is invisible); every printed amount stays exact.
 */
export function ratio(part: bigint, whole: bigint): number {
  return whole === 0n ? 0 : Number((part * 1_000_000n) / whole) / 1_000_000;
}

export const CHART_FONT = `font-family="Liberation Sans, DejaVu Sans, Open Sans, Arial, sans-serif"`;
