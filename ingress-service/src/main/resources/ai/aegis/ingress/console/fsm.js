// Draws a workflow's states and transitions (from its manifest) as an inline SVG: a layered layout (breadth-first
// from the initial state), each state a box, each transition an arrow with its condition; the current state
// highlighted, states the run went through marked.
const NS = 'http://www.w3.org/2000/svg';
const W = 150, H = 46, GX = 70, GY = 36;

function el(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function transitionsOf(state) {
  return (state && Array.isArray(state.transitions) ? state.transitions : [])
    .filter(t => t && t.target)
    .map(t => ({ target: t.target, label: t.condition || t.when || '' }));
}

export function drawFsm(manifest, { current, visited = [], title = 'Workflow states' } = {}) {
  const spec = (manifest && manifest.spec) || {};
  const states = spec.states || {};
  const names = Object.keys(states);
  const initial = spec.initial_state || names[0];
  // layers: breadth-first from the initial state; unreachable states in a last layer
  const layer = new Map();
  const queue = initial ? [initial] : [];
  if (initial) layer.set(initial, 0);
  while (queue.length) {
    const s = queue.shift();
    for (const t of transitionsOf(states[s])) {
      if (!layer.has(t.target) && t.target in states) {
        layer.set(t.target, layer.get(s) + 1);
        queue.push(t.target);
      }
    }
  }
  const maxLayer = Math.max(0, ...layer.values());
  for (const n of names) if (!layer.has(n)) layer.set(n, maxLayer + 1);
  const layers = [];
  for (const n of names) (layers[layer.get(n)] ||= []).push(n);
  const rows = Math.max(1, ...layers.map(l => (l ? l.length : 0)));
  const pos = new Map();
  layers.forEach((l, i) => (l || []).forEach((n, j) => {
    const offset = (rows - l.length) * (H + GY) / 2;
    pos.set(n, { x: 20 + i * (W + GX), y: 20 + offset + j * (H + GY) });
  }));
  const width = 40 + layers.length * (W + GX) - GX;
  const height = 40 + rows * (H + GY) - GY;
  const svg = el('svg', { class: 'fsm', viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-labelledby': 'fsm-title fsm-desc', width, height });
  svg.append(el('title', { id: 'fsm-title' }, title));
  svg.append(el('desc', { id: 'fsm-desc' }, names.map(n => `${n}${n === current ? ' (current)' : ''}: `
    + (transitionsOf(states[n]).map(t => `${t.label || 'next'} to ${t.target}`).join(', ') || 'final'))
    .join('; ')));
  const defs = el('defs');
  const marker = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8,
    markerHeight: 8, orient: 'auto-start-reverse' });
  marker.append(el('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }));
  defs.append(marker);
  svg.append(defs);
  for (const n of names) {
    transitionsOf(states[n]).forEach((t, k) => {
      const a = pos.get(n), b = pos.get(t.target);
      if (!a || !b) return;
      const g = el('g', { class: 'edge' });
      let d, lx, ly;
      if (t.target === n) {
        d = `M${a.x + W - 30},${a.y} C${a.x + W},${a.y - 30} ${a.x + W + 20},${a.y} ${a.x + W},${a.y + 12}`;
        lx = a.x + W; ly = a.y - 16;
      } else if (b.x > a.x) {
        const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
        const mx = (x1 + x2) / 2;
        d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
        lx = mx; ly = (y1 + y2) / 2 - 4 - k * 2;
      } else {
        // backwards or within a layer: around below
        const x1 = a.x + W / 2, y1 = a.y + H, x2 = b.x + W / 2, y2 = b.y + H;
        const low = Math.max(y1, y2) + GY * 0.8;
        d = `M${x1},${y1} C${x1},${low} ${x2},${low} ${x2},${y2}`;
        lx = (x1 + x2) / 2; ly = low - 4;
      }
      g.append(el('path', { d, 'marker-end': 'url(#arrow)' }));
      if (t.label) g.append(el('text', { x: lx, y: ly, 'text-anchor': 'middle' }, t.label));
      svg.append(g);
    });
  }
  for (const n of names) {
    const p = pos.get(n);
    const cls = ['state', n === current ? 'current' : '', visited.includes(n) ? 'visited' : ''].join(' ').trim();
    const g = el('g', { class: cls, 'data-state': n });
    g.append(el('rect', { x: p.x, y: p.y, width: W, height: H, rx: 8 }));
    g.append(el('text', { x: p.x + W / 2, y: p.y + 20, 'text-anchor': 'middle' },
      (n === initial ? '\u25B6 ' : '') + n));
    g.append(el('text', { class: 'kind', x: p.x + W / 2, y: p.y + 36, 'text-anchor': 'middle' },
      (states[n] && states[n].kind) || ''));
    svg.append(g);
  }
  return svg;
}
