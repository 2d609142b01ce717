import { CHART_FONT, escapeXml, n, ratio } from './svg';

export interface BarSeries {
  name: string;
  color: string;
}

export interface BarGroup {
  label: string;
  /** One value per series, in minor units. */
  values: bigint[];
}

export interface BarChartOptions {
  width?: number;
  height?: number;
  series: BarSeries[];
  /** Formats an axis value (minor units) for the gridline labels. */
  formatAxis: (minor: bigint) => string;
  /** Show every k-th category label (long daily axes). */
  labelEvery?: number;
  showLegend?: boolean;
}

/** A "nice" axis maximum at or above `max` whose quarters are round too: 1, 2, 4, 6 or 8 × 10^k. */
export function niceCeiling(max: bigint): bigint {
  if (max <= 0n) return 100n;
  let magnitude = 1n;
  while (magnitude * 10n <= max) magnitude *= 10n;
  for (const step of [10n, 20n, 40n, 60n, 80n, 100n]) {
    const candidate = (magnitude * step) / 10n;
    if (candidate >= max) return candidate;
  }
  return magnitude * 10n;
}

/**
 * Vertical bars, grouped when there are several series (income vs expense per month), single
 * otherwise (spending per day), with four gridlines and their values.
 */
export function barChart(groups: BarGroup[], options: BarChartOptions): string {
  const width = options.width ?? 520;
  const height = options.height ?? 200;
  const legend = options.showLegend ?? options.series.length > 1;
  const top = legend ? 26 : 10;
  const left = 56;
  const bottom = 22;
  const plotWidth = width - left - 8;
  const plotHeight = height - top - bottom;
  const max = niceCeiling(groups.reduce((m, g) => g.values.reduce((mm, v) => (v > mm ? v : mm), m), 0n));
  const slot = plotWidth / Math.max(groups.length, 1);
  const groupWidth = slot * (options.series.length > 1 ? 0.7 : 0.72);
  const barWidth = groupWidth / options.series.length;
  const parts: string[] = [];

  for (let i = 0; i <= 4; i++) {
    const y = top + plotHeight - (plotHeight * i) / 4;
    parts.push(
      `<line x1="${left}" x2="${n(left + plotWidth)}" y1="${n(y)}" y2="${n(y)}" stroke="${i === 0 ? '#BDC1C6' : '#EEF0F2'}" stroke-width="1"/>`,
    );
    parts.push(
      `<text x="${left - 6}" y="${n(y + 3)}" text-anchor="end" font-size="8" fill="#80868B" ${CHART_FONT}>${escapeXml(options.formatAxis((max * BigInt(i)) / 4n))}</text>`,
    );
  }
  groups.forEach((group, gi) => {
    const x0 = left + gi * slot + (slot - groupWidth) / 2;
    group.values.forEach((value, si) => {
      if (value <= 0n) return;
      const h = ratio(value, max) * plotHeight;
      const series = options.series[si];
      parts.push(
        `<rect x="${n(x0 + si * barWidth)}" y="${n(top + plotHeight - h)}" width="${n(Math.max(barWidth - 1, 1))}" height="${n(h)}" rx="1.5" fill="${escapeXml(series.color)}"><title>${escapeXml(`${series.name} ${group.label}`)}</title></rect>`,
      );
    });
    if (gi % (options.labelEvery ?? 1) === 0) {
      parts.push(
        `<text x="${n(left + gi * slot + slot / 2)}" y="${n(height - 8)}" text-anchor="middle" font-size="8" fill="#5F6368" ${CHART_FONT}>${escapeXml(group.label)}</text>`,
      );
    }
  });
  if (legend) {
    let x = left;
    for (const s of options.series) {
      parts.push(`<rect x="${n(x)}" y="4" width="10" height="10" rx="2" fill="${escapeXml(s.color)}"/>`);
      parts.push(
        `<text x="${n(x + 14)}" y="13" font-size="9" fill="#3C4043" ${CHART_FONT}>${escapeXml(s.name)}</text>`,
      );
      x += 24 + s.name.length * 5.5;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img">${parts.join('')}</svg>`;
}
