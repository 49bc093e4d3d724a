// Charts without a library: the probability bars as labelled list items, and the training
// curves as SVG line charts (the loss and accuracy plots a Keras notebook draws per epoch).
// Sizes are set through CSS classes and custom properties only, so the page stays within a
// Content-Security-Policy that forbids inline styles.

const SVG = 'http://www.w3.org/2000/svg';

/** Percent with one decimal, or two when it is very close to 0 or 100. */
export function percent(p) {
  const value = p * 100;
  const digits = value > 99.9 || value < 0.1 ? 2 : 1;
  return `${value.toFixed(digits)}\u00a0%`;
}

/** Builds (once) and updates the ten probability bars inside `list` (an <ol>). */
export function renderBars(list, probabilities, digit) {
  if (list.children.length !== 10) {
    list.replaceChildren();
    for (let d = 0; d < 10; d += 1) {
      const item = document.createElement('li');
      item.className = 'bar';
      const label = document.createElement('span');
      label.className = 'bar-label';
      label.textContent = String(d);
      label.setAttribute('aria-hidden', 'true');
      const track = document.createElement('span');
      track.className = 'bar-track';
      track.setAttribute('aria-hidden', 'true');
      const fill = document.createElement('span');
      fill.className = 'bar-fill';
      track.append(fill);
      const value = document.createElement('span');
      value.className = 'bar-value';
      value.setAttribute('aria-hidden', 'true');
      item.append(label, track, value);
      list.append(item);
    }
  }
  for (let d = 0; d < 10; d += 1) {
    const item = list.children[d];
    const p = probabilities ? Math.min(Math.max(Number(probabilities[d]) || 0, 0), 1) : 0;
    item.querySelector('.bar-fill').style.setProperty('--p', String(p));
    item.querySelector('.bar-value').textContent = probabilities ? percent(p) : '–';
    item.classList.toggle('is-top', probabilities !== null && d === digit);
    item.setAttribute('aria-label', probabilities ? `Digit ${d}: ${percent(p)}` : `Digit ${d}: no prediction yet`);
  }
}

/** A step of 1, 2, 2.5 or 5 times a power of ten giving about `count` intervals over `span`. */
function niceStep(span, count) {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

function svgElement(name, attributes = {}, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/**
 * Draws a line chart of per-epoch values into `container`, replacing what was there.
 *
 * @param {HTMLElement} container
 * @param {{label: string, className: string, points: {x: number, y: number}[]}[]} series
 * @param {{xMax: number, kind: 'loss' | 'accuracy', title: string}} options
 *   `xMax` is the planned number of epochs, so the axis does not jump while a job runs.
 */
export function lineChart(container, series, { xMax, kind, title }) {
  // The SVG is drawn at the container's own width so its text stays at its CSS size on any
  // screen (a fixed viewBox scaled into a narrow column shrinks the labels unreadably).
  const width = Math.max(240, Math.round(container.clientWidth || 480));
  const height = width < 400 ? 200 : 220;
  const margin = { top: 12, right: 16, bottom: 34, left: 52 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const values = series.flatMap((s) => s.points.map((p) => p.y));

  // Y domain: loss from 0; accuracy zoomed to the data (it lives near 99 %), capped at 100 %.
  let lo; let hi;
  if (!values.length) { lo = 0; hi = 1; }
  else if (kind === 'accuracy') {
    const min = Math.min(...values); const max = Math.max(...values);
    const pad = Math.max((max - min) * 0.15, 0.005);
    lo = Math.max(0, min - pad); hi = Math.min(1, max + pad);
  } else {
    lo = 0; hi = Math.max(...values) * 1.1 || 1;
  }
  const niceY = { step: niceStep(hi - lo, 4) };
  lo = Math.floor(lo / niceY.step) * niceY.step;
  hi = Math.ceil(hi / niceY.step - 1e-9) * niceY.step;
  if (kind === 'accuracy') { hi = Math.min(hi, 1); lo = Math.max(lo, 0); }
  if (hi <= lo) hi = lo + niceY.step;

  // Tick labels carry exactly the decimals the step needs (2.5 % steps: one; 0.1 steps: one).
  const format = kind === 'accuracy'
    ? (v) => `${(v * 100).toFixed(decimalsOf(niceY.step * 100))}%`
    : (v) => v.toFixed(decimalsOf(niceY.step));
  /** Legend, tooltips and the accessible summary show values exactly enough to compare epochs. */
  const precise = kind === 'accuracy' ? (v) => `${(v * 100).toFixed(2)}\u00a0%` : (v) => v.toFixed(4);
  const lastEpoch = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.x)));
  const latest = series.filter((s) => s.points.length)
    .map((s) => `${s.label} ${precise(s.points[s.points.length - 1].y)}`);
  const svg = svgElement('svg', { viewBox: `0 0 ${width} ${height}`, class: 'line-chart', role: 'img' });
  svg.setAttribute('aria-label', values.length
    ? `${title} after epoch ${lastEpoch}: ${latest.join(', ')}`
    : `${title}: no finished epoch yet`);

  const epochs = Math.max(1, xMax || 1, ...series.flatMap((s) => s.points.map((p) => p.x)));
  const xOf = (x) => margin.left + (epochs === 1 ? plotW / 2 : ((x - 1) / (epochs - 1)) * plotW);
  const yOf = (y) => margin.top + plotH - ((y - lo) / (hi - lo)) * plotH;

  const grid = svgElement('g', { class: 'chart-grid' });
  for (let y = lo, i = 0; y <= hi + niceY.step * 1e-6 && i < 20; y += niceY.step, i += 1) {
    const py = yOf(y);
    grid.append(svgElement('line', { x1: margin.left, x2: margin.left + plotW, y1: py, y2: py }));
    // No data, no scale: the empty chart shows only its grid and a sentence.
    if (values.length) {
      grid.append(svgElement('text', { x: margin.left - 8, y: py, class: 'tick-y', 'dominant-baseline': 'middle', 'text-anchor': 'end' }, format(y)));
    }
  }
  const xStep = Math.max(1, Math.ceil(epochs / 10));
  for (let x = 1; x <= epochs; x += xStep) {
    grid.append(svgElement('text', { x: xOf(x), y: margin.top + plotH + 18, class: 'tick-x', 'text-anchor': 'middle' }, String(x)));
  }
  grid.append(svgElement('text', { x: margin.left + plotW / 2, y: height - 2, class: 'axis-title', 'text-anchor': 'middle' }, 'epoch'));
  grid.append(svgElement('line', { x1: margin.left, x2: margin.left + plotW, y1: margin.top + plotH, y2: margin.top + plotH, class: 'axis' }));
  svg.append(grid);

  for (const s of series) {
    if (!s.points.length) continue;
    const group = svgElement('g', { class: `series ${s.className}` });
    group.append(svgElement('polyline', { points: s.points.map((p) => `${xOf(p.x).toFixed(1)},${yOf(p.y).toFixed(1)}`).join(' ') }));
    for (const p of s.points) {
      const dot = svgElement('circle', { cx: xOf(p.x).toFixed(1), cy: yOf(p.y).toFixed(1), r: 3.5 });
      dot.append(svgElement('title', {}, `${s.label}, epoch ${p.x}: ${precise(p.y)}`));
      group.append(dot);
    }
    svg.append(group);
  }
  if (!values.length) {
    svg.append(svgElement('text', { x: margin.left + plotW / 2, y: margin.top + plotH / 2, class: 'chart-empty', 'text-anchor': 'middle',
      'dominant-baseline': 'middle' }, 'The first point appears when epoch 1 ends'));
  }

  const legend = document.createElement('ul');
  legend.className = 'legend';
  for (const s of series) {
    const item = document.createElement('li');
    item.className = s.className;
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.setAttribute('aria-hidden', 'true');
    const latest = s.points.length ? ` ${precise(s.points[s.points.length - 1].y)}` : '';
    item.append(swatch, document.createTextNode(`${s.label}${latest}`));
    legend.append(item);
  }
  container.replaceChildren(svg, legend);
}

/** The fewest decimals (up to 6) that write `step` and its multiples exactly. */
function decimalsOf(step) {
  for (let digits = 0; digits < 6; digits += 1) {
    const scaled = step * 10 ** digits;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6) return digits;
  }
  return 6;
}
