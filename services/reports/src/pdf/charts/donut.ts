import { CHART_FONT, escapeXml, n, ratio } from './svg';

export interface DonutSlice {
  label: string;
  color: string;
  valueMinor: bigint;
}

/**
 * A donut of shares (spending by category) with the total in its hole. Slices are drawn as
 * stroked circle arcs (stroke-dasharray), which needs no path maths and renders crisply.
 */
export function donutChart(
  slices: DonutSlice[],
  options: { size?: number; centerLabel: string; centerValue: string },
): string {
  const size = options.size ?? 180;
  const radius = size * 0.36;
  const stroke = size * 0.16;
  const c = size / 2;
  const circumference = 2 * Math.PI * radius;
  const total = slices.reduce((sum, s) => sum + (s.valueMinor > 0n ? s.valueMinor : 0n), 0n);
  let offset = 0;
  const arcs = slices
    .filter((s) => s.valueMinor > 0n)
    .map((s) => {
      const length = ratio(s.valueMinor, total) * circumference;
      const arc = `<circle cx="${n(c)}" cy="${n(c)}" r="${n(radius)}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="${n(stroke)}" stroke-dasharray="${n(length)} ${n(circumference - length)}" stroke-dashoffset="${n(-offset)}" transform="rotate(-90 ${n(c)} ${n(c)})"><title>${escapeXml(s.label)}</title></circle>`;
      offset += length;
      return arc;
    });
  const empty =
    total === 0n
      ? `<circle cx="${n(c)}" cy="${n(c)}" r="${n(radius)}" fill="none" stroke="#E8EAED" stroke-width="${n(stroke)}"/>`
      : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="${size}" height="${size}" role="img">` +
    empty +
    arcs.join('') +
    `<text x="${n(c)}" y="${n(c - 4)}" text-anchor="middle" font-size="${n(size * 0.065)}" fill="#5F6368" ${CHART_FONT}>${escapeXml(options.centerLabel)}</text>` +
    `<text x="${n(c)}" y="${n(c + size * 0.09)}" text-anchor="middle" font-size="${n(size * 0.095)}" font-weight="700" fill="#202124" ${CHART_FONT}>${escapeXml(options.centerValue)}</text>` +
    `</svg>`
  );
}
