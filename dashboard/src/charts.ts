/** uPlot charts (bundled, no CDN): time series with bars + lines, and categorical bar charts. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export const COLORS = {
  blue: '#2563eb',
  red: '#dc2626',
  green: '#15803d',
  amber: '#b45309',
  purple: '#7c3aed',
  teal: '#0f766e',
  gray: '#64748b',
};
export const PALETTE = [COLORS.blue, COLORS.teal, COLORS.purple, COLORS.amber, COLORS.red, COLORS.green, COLORS.gray];

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const AXIS = { stroke: '#334155', font: FONT, grid: { stroke: '#e2e8f0', width: 1 }, ticks: { stroke: '#cbd5e1', width: 1 } };
/** Daily series: ticks on whole days only (labels like "Nov 22", UTC). */
const DAY_INCRS = [1, 2, 3, 7, 14, 30, 61, 91].map((d) => d * 86_400);
const DAY_LABEL = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
const bars = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 48], align: 0 }) : undefined;

export interface SeriesSpec {
  label: string;
  color: string;
  kind: 'bars' | 'line';
  /** Scale key: 'y' (left axis) or 'r' (right axis). */
  scale?: 'y' | 'r';
  unit?: string;
}

export interface ChartSpec {
  /** Time (seconds since epoch) or categories (labels, x = 0..n-1). */
  x: { kind: 'time'; values: number[]; step?: 'day' | 'hour' } | { kind: 'category'; labels: string[] };
  series: Array<SeriesSpec & { values: Array<number | null> }>;
  yRange?: [number, number];
  rRange?: [number, number];
  /** Text for screen readers (role=img). */
  summary: string;
  height?: number;
}

/** One chart slot: keeps its uPlot instance while the series layout is unchanged, follows the container's width. */
export class ChartSlot {
  private plot: uPlot | undefined;
  private signature = '';
  private readonly observer: ResizeObserver;

  constructor(readonly container: HTMLElement) {
    container.setAttribute('role', 'img');
    this.observer = new ResizeObserver(() => this.plot?.setSize(this.size()));
    this.observer.observe(container);
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(240, Math.floor(this.container.clientWidth)), height: Number(this.container.dataset.height ?? 220) };
  }

  render(spec: ChartSpec): void {
    this.container.setAttribute('aria-label', spec.summary);
    if (spec.height) this.container.dataset.height = String(spec.height);
    const xs = spec.x.kind === 'time' ? spec.x.values : spec.x.labels.map((_, i) => i);
    const data: uPlot.AlignedData = [xs, ...spec.series.map((s) => s.values)];
    const signature = JSON.stringify([spec.x.kind, spec.x.kind === 'time' ? spec.x.step : null, spec.x.kind === 'category' ? spec.x.labels : null, spec.series.map((s) => [s.label, s.kind, s.scale]), spec.yRange, spec.rRange]);
    if (this.plot && signature === this.signature) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.signature = signature;
    this.plot = new uPlot(this.options(spec), data, this.container);
  }

  private options(spec: ChartSpec): uPlot.Options {
    const labels = spec.x.kind === 'category' ? spec.x.labels : [];
    const usesR = spec.series.some((s) => s.scale === 'r');
    const unit = (scale: 'y' | 'r') => spec.series.find((s) => (s.scale ?? 'y') === scale)?.unit ?? '';
    const fmt = (scale: 'y' | 'r') => (_u: uPlot, splits: number[]) => splits.map((v) => (v == null ? '' : `${Number(v.toFixed(1)).toLocaleString('en-US')}${unit(scale)}`));
    const axes: uPlot.Axis[] = [
      spec.x.kind === 'time' && spec.x.step === 'day'
        ? { ...AXIS, incrs: DAY_INCRS, values: (_u, splits) => splits.map((v) => DAY_LABEL.format(new Date(v * 1000))) }
        : spec.x.kind === 'time'
        ? { ...AXIS }
        : { ...AXIS, splits: () => labels.map((_, i) => i), values: (_u, splits) => splits.map((i) => labels[i] ?? ''), grid: { show: false } },
      { ...AXIS, scale: 'y', values: fmt('y'), size: 56 },
    ];
    if (usesR) axes.push({ ...AXIS, scale: 'r', side: 1, values: fmt('r'), grid: { show: false }, size: 56 });
    return {
      ...this.size(),
      legend: { show: spec.series.length > 1, live: false },
      cursor: { show: true, drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: spec.x.kind === 'time' ? { time: true, ...(spec.x.step === 'day' ? { range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => [min - 43_200, max + 43_200] } : {}) } : { time: false, range: () => [-0.5, labels.length - 0.5] },
        y: spec.yRange ? { range: spec.yRange } : { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        ...(usesR ? { r: spec.rRange ? { range: spec.rRange } : { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, max > 0 ? max * 1.1 : 1] } } : {}),
      },
      axes,
      series: [
        { label: spec.x.kind === 'time' ? 'Time' : 'Category' },
        ...spec.series.map((s): uPlot.Series => ({
          label: s.label,
          scale: s.scale ?? 'y',
          stroke: s.color,
          width: s.kind === 'line' ? 2 : 0,
          ...(s.kind === 'bars' ? { fill: `${s.color}cc` } : {}),
          spanGaps: true,
          points: { show: s.kind === 'line' && s.values.length < 40, size: 5, fill: s.color },
          ...(s.kind === 'bars' && bars ? { paths: bars } : {}),
          value: (_u, v) => (v == null ? '–' : `${Number(v.toFixed(1)).toLocaleString('en-US')}${s.unit ?? ''}`),
        })),
      ],
    };
  }
}

/** `YYYY-MM-DD` or `YYYY-MM-DDTHH:00Z` → seconds since the epoch (uPlot's time unit). */
export const periodSeconds = (p: string): number => Date.parse(p.length === 10 ? `${p}T00:00:00Z` : p) / 1000;
