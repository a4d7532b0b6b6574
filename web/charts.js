// Inline SVG charts of the posture trend, drawn by hand: a stacked area (devices by state) and lines (alignment
// score per policy), each with axes, a legend and its numbers in a table for screen readers and exact values.
// Days without a snapshot are gaps, never interpolated: a run of consecutive days is drawn as one shape.
import { formatDay, formatNumber, formatPercent, h, s, table } from './dom.js';

const DAY_MS = 86_400_000;
const HEIGHT = 220;
const MARGIN = { top: 12, right: 16, bottom: 28, left: 48 };
const INSET = 10; // keeps shapes at the first and last day clear of the axes

const dayNumber = (day) => Date.parse(`${day}T00:00:00Z`) / DAY_MS;
const dayOf = (number) => new Date(number * DAY_MS).toISOString().slice(0, 10);

/** The smallest of 1, 2, 5 x 10^k that is at least `value`. */
function niceStep(value) {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((f) => f * magnitude).find((step) => step >= value);
}

function countTicks(max) {
  const step = Math.max(1, niceStep(Math.max(max, 1) / 4));
  const top = Math.max(step, Math.ceil(max / step) * step);
  return Array.from({ length: top / step + 1 }, (_, i) => i * step);
}

/** Splits points sorted by day into runs of consecutive days (and of defined values). */
function runsOf(points, defined = () => true) {
  const runs = [];
  let run = [];
  for (const point of points) {
    const previous = run.at(-1);
    if (!defined(point) || (previous && point.x - previous.x !== 1)) {
      if (run.length) runs.push(run);
      run = [];
    }
    if (defined(point)) run.push(point);
  }
  if (run.length) runs.push(run);
  return runs;
}

/** The drawing area: scales, gridlines, axes and their labels. */
function frame({ width, firstDay, lastDay, yTicks, yFormat, label }) {
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const yMax = yTicks.at(-1);
  const span = lastDay - firstDay;
  const x = (day) =>
    span === 0
      ? MARGIN.left + plotWidth / 2
      : MARGIN.left + INSET + ((day - firstDay) / span) * (plotWidth - 2 * INSET);
  const y = (value) => MARGIN.top + plotHeight - (value / yMax) * plotHeight;
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${HEIGHT}`,
    width,
    height: HEIGHT,
    role: 'img',
    'aria-label': label,
    class: 'chart-svg',
  });
  for (const tick of yTicks) {
    svg.append(
      s('line', { class: 'grid', x1: MARGIN.left, x2: width - MARGIN.right, y1: y(tick), y2: y(tick) }),
      s('text', { class: 'tick', x: MARGIN.left - 6, y: y(tick) + 4, 'text-anchor': 'end' }, yFormat(tick)),
    );
  }
  const maxLabels = Math.max(2, Math.floor(plotWidth / 72));
  const step = Math.max(1, Math.ceil(span / (maxLabels - 1)));
  for (let day = firstDay; day <= lastDay; day += step) {
    const at = x(day);
    svg.append(
      s('line', { class: 'axis', x1: at, x2: at, y1: MARGIN.top + plotHeight, y2: MARGIN.top + plotHeight + 4 }),
      s('text', { class: 'tick', x: at, y: HEIGHT - 8, 'text-anchor': 'middle' }, formatDay(dayOf(day))),
    );
  }
  svg.append(
    s('line', {
      class: 'axis',
      x1: MARGIN.left,
      x2: width - MARGIN.right,
      y1: MARGIN.top + plotHeight,
      y2: MARGIN.top + plotHeight,
    }),
    s('line', { class: 'axis', x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: MARGIN.top + plotHeight }),
  );
  return { svg, x, y, columnWidth: Math.max(6, Math.min(24, (plotWidth - 2 * INSET) / (span + 1) - 2)) };
}

function legend(series) {
  return h(
    'ul',
    { class: 'legend' },
    series.map((item) =>
      h('li', null, h('span', { class: `swatch ${item.className}`, 'aria-hidden': 'true' }), ` ${item.label}`),
    ),
  );
}

function figure(label, svg, series, dataTable) {
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', null, label),
    svg,
    legend(series),
    h('details', { class: 'chart-data' }, h('summary', null, 'Show the numbers'), dataTable),
  );
}

const pathOf = (points) => points.map(([px, py], i) => `${i ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`).join(' ');

/**
 * Stacked areas. `points`: [{ day: 'YYYY-MM-DD', values: { key: number } }] sorted by day; `series`: [{ key,
 * label, className }], bottom layer first.
 */
export function stackedAreaChart({ label, points, series, width }) {
  const days = points.map((p) => ({ ...p, x: dayNumber(p.day) }));
  const totals = days.map((p) => series.reduce((sum, item) => sum + (p.values[item.key] ?? 0), 0));
  const { svg, x, y, columnWidth } = frame({
    width,
    firstDay: days[0].x,
    lastDay: days.at(-1).x,
    yTicks: countTicks(Math.max(...totals)),
    yFormat: formatNumber,
    label,
  });
  for (const run of runsOf(days)) {
    let below = run.map(() => 0);
    for (const item of series) {
      const above = run.map((p, i) => below[i] + (p.values[item.key] ?? 0));
      if (run.length === 1) {
        const height = y(below[0]) - y(above[0]);
        svg.append(
          s(
            'rect',
            {
              class: `area ${item.className}`,
              x: x(run[0].x) - columnWidth / 2,
              y: y(above[0]),
              width: columnWidth,
              height,
            },
            s('title', null, `${formatDay(run[0].day)}: ${item.label} ${formatNumber(run[0].values[item.key] ?? 0)}`),
          ),
        );
      } else {
        const top = run.map((p, i) => [x(p.x), y(above[i])]);
        const bottom = run.map((p, i) => [x(p.x), y(below[i])]).reverse();
        svg.append(s('path', { class: `area ${item.className}`, d: `${pathOf([...top, ...bottom])} Z` }));
      }
      below = above;
    }
  }
  const dataTable = table({
    caption: label,
    headers: ['Day', ...series.map((item) => item.label), 'Total'],
    rows: days.map((p, i) => [
      p.day,
      ...series.map((item) => formatNumber(p.values[item.key] ?? 0)),
      formatNumber(totals[i]),
    ]),
  });
  return figure(label, svg, series, dataTable);
}

/**
 * Lines of ratios (0 to 1). `days`: sorted 'YYYY-MM-DD'; `series`: [{ label, className, values: Map day ->
 * ratio or null }]. A null (nothing targeted that day) breaks the line like a missing day.
 */
export function ratioLineChart({ label, days, series, width }) {
  const numbers = days.map(dayNumber);
  const { svg, x, y } = frame({
    width,
    firstDay: numbers[0],
    lastDay: numbers.at(-1),
    yTicks: [0, 0.25, 0.5, 0.75, 1],
    yFormat: formatPercent,
    label,
  });
  const markers = days.length <= 45;
  for (const item of series) {
    const points = days.map((day, i) => ({ day, x: numbers[i], value: item.values.get(day) ?? null }));
    for (const run of runsOf(points, (p) => p.value !== null)) {
      if (run.length > 1) {
        svg.append(s('path', { class: `line ${item.className}`, d: pathOf(run.map((p) => [x(p.x), y(p.value)])) }));
      }
      if (markers || run.length === 1) {
        for (const p of run) {
          svg.append(
            s(
              'circle',
              { class: `marker ${item.className}`, cx: x(p.x), cy: y(p.value), r: 3 },
              s('title', null, `${formatDay(p.day)}: ${item.label} ${formatPercent(p.value)}`),
            ),
          );
        }
      }
    }
  }
  const dataTable = table({
    caption: label,
    headers: ['Day', ...series.map((item) => item.label)],
    rows: days.map((day) => [day, ...series.map((item) => formatPercent(item.values.get(day) ?? null))]),
  });
  return figure(label, svg, series, dataTable);
}

/** Draws a chart at its container's width, and again when that width changes (a rotated phone, a resized window). */
export function mountChart(container, draw) {
  let drawnWidth = 0;
  const render = () => {
    const width = Math.max(280, Math.floor(container.clientWidth));
    if (Math.abs(width - drawnWidth) < 16) return;
    drawnWidth = width;
    container.replaceChildren(draw(width));
  };
  render();
  new ResizeObserver(render).observe(container);
}
