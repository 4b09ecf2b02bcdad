/* grpctk report page. Runs in the browser, after uPlot (inlined before it).
 *
 * Everything shown that came from the capture is set as text (textContent, attribute values, canvas text),
 * never parsed as markup: this file has no innerHTML, insertAdjacentHTML or document.write. The data was
 * escaped for control and bidirectional characters when the report was written (src/report/data.ts).
 */
'use strict';
(function () {
  var D = JSON.parse(document.getElementById('grpctk-data').textContent);
  // Marks for bench/report.js: where the time to first paint goes.
  performance.mark('grpctk-parsed');
  var SVG = 'http://www.w3.org/2000/svg';

  // ---- small DOM helpers: text only ----
  function el(tag, cls, children) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    append(e, children);
    return e;
  }
  function append(e, children) {
    if (children === undefined || children === null) return e;
    if (!Array.isArray(children)) children = [children];
    for (var i = 0; i < children.length; i++) {
      var c = children[i];
      if (c === null || c === undefined || c === false) continue;
      e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    }
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function svgTitle(e, text) {
    var t = document.createElementNS(SVG, 'title');
    t.textContent = text;
    e.appendChild(t);
    return e;
  }

  // ---- formatting ----
  var nf = new Intl.NumberFormat('en-US');
  function num(n) { return n === null || n === undefined ? '–' : nf.format(n); }
  function ms(x) {
    if (x === null || x === undefined) return '–';
    if (x >= 1000) return nf.format(Math.round(x * 10) / 10) + ' ms';
    return nf.format(x) + ' ms';
  }
  function sig3(x) { return String(Number(x.toPrecision(3))); }
  function msAxis(x) {
    if (x >= 60000) return sig3(x / 60000) + ' min';
    if (x >= 1000) return sig3(x / 1000) + ' s';
    if (x >= 1) return sig3(x) + ' ms';
    return sig3(x * 1000) + ' µs';
  }
  function isDecade(v) { var l = Math.log10(v); return Math.abs(l - Math.round(l)) < 1e-9; }
  function decades(self, splits) { return splits.map(function (v) { return isDecade(v) ? v : null; }); }
  function pct(r) { return r === null || r === undefined ? '–' : (Math.round(r * 10000) / 100) + '%'; }
  function bytes(n) {
    if (n < 1000) return n + ' B';
    var u = ['kB', 'MB', 'GB', 'TB'], i = -1;
    do { n /= 1000; i++; } while (n >= 1000 && i < u.length - 1);
    return n.toFixed(n < 10 ? 2 : 1) + ' ' + u[i];
  }
  /** Relative seconds from the origin to ISO-8601 UTC with microseconds. */
  function iso(rel) {
    var us = Math.round(rel * 1e6);
    var s = D.origin + Math.floor(us / 1e6);
    var frac = String(((us % 1e6) + 1e6) % 1e6).padStart(6, '0');
    return new Date(s * 1000).toISOString().slice(0, 19) + '.' + frac + 'Z';
  }
  function shellWord(s) {
    return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'";
  }

  // ---- colours and markers ----
  var STATUS_COLORS = {
    OK: '#3b7dd8', CANCELLED: '#8a8f98', UNKNOWN: '#7b1fa2', INVALID_ARGUMENT: '#f39c12', DEADLINE_EXCEEDED: '#e4572e',
    NOT_FOUND: '#d4a017', ALREADY_EXISTS: '#b7950b', PERMISSION_DENIED: '#a04000', RESOURCE_EXHAUSTED: '#ff6f00',
    FAILED_PRECONDITION: '#c68600', ABORTED: '#e91e63', OUT_OF_RANGE: '#9e6b00', UNIMPLEMENTED: '#6d4c41',
    INTERNAL: '#b71c1c', UNAVAILABLE: '#d50000', DATA_LOSS: '#880e4f', UNAUTHENTICATED: '#5d4037', NONE: '#9c27b0',
  };
  function statusColor(label) { return STATUS_COLORS[label] || '#263238'; }
  var SHAPES = ['circle', 'square', 'triangle', 'diamond', 'cross', 'ring'];
  function shapeOf(m) { return SHAPES[m % SHAPES.length]; }
  function drawMarker(ctx, shape, x, y, r) {
    switch (shape) {
      case 'circle': ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI); break;
      case 'square': ctx.rect(x - r * 0.9, y - r * 0.9, r * 1.8, r * 1.8); break;
      case 'triangle': ctx.moveTo(x, y - r * 1.1); ctx.lineTo(x + r, y + r * 0.8); ctx.lineTo(x - r, y + r * 0.8); ctx.closePath(); break;
      case 'diamond': ctx.moveTo(x, y - r * 1.2); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r * 1.2); ctx.lineTo(x - r, y); ctx.closePath(); break;
      case 'cross': ctx.rect(x - r, y - r * 0.3, r * 2, r * 0.6); ctx.rect(x - r * 0.3, y - r, r * 0.6, r * 2); break;
      default: ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI); ctx.moveTo(x + r * 0.45, y); ctx.arc(x, y, r * 0.45, 0, 2 * Math.PI, true);
    }
  }
  function markerCanvas(shape, color) {
    var c = document.createElement('canvas');
    var px = window.devicePixelRatio || 1;
    c.width = 12 * px; c.height = 12 * px;
    c.style.width = '12px'; c.style.height = '12px';
    var ctx = c.getContext('2d');
    ctx.scale(px, px);
    ctx.fillStyle = color;
    ctx.beginPath(); drawMarker(ctx, shape, 6, 6, 4.5); ctx.fill('evenodd');
    return c;
  }

  var root = el('main');
  document.body.appendChild(root);
  document.title = 'grpctk report: ' + D.input.name;

  // ---- header ----
  function header() {
    root.appendChild(el('h1', null, ['gRPC report: ', D.input.name]));
    var sub = D.generator + ' · ' + (D.input.kind === 'ndjson' ? 'decode NDJSON' : 'capture');
    if (D.input.bytes !== null) sub += ', ' + bytes(D.input.bytes);
    root.appendChild(el('div', 'sub', sub));
    var t = D.totals;
    var facts = el('div', 'facts');
    function fact(k, v, cls) { facts.appendChild(el('div', 'fact' + (cls ? ' ' + cls : ''), [el('div', 'v', v), el('div', 'k', k)])); }
    function when(ts) { return ts ? ts.replace('T', ' ').replace(/(\.\d{6})\d*Z$/, '$1') + ' UTC' : '–'; }
    fact('first call start → last call end' + (D.span.first && D.span.last ? ' (' + msAxis(Math.max(0, Date.parse(D.span.last) - Date.parse(D.span.first))) + ')' : ''),
      D.span.first ? when(D.span.first) + ' → ' + (D.span.last && D.span.last.slice(0, 10) === D.span.first.slice(0, 10) ? when(D.span.last).slice(11) : when(D.span.last)) : '–', 'wide');
    if (D.input.kind === 'capture') fact('packets', D.input.packets === null ? '–' : num(D.input.packets));
    fact('connections', num(t.connections) + (t.connectionsCapped ? '+' : ''));
    fact('calls', num(t.calls));
    fact('errors', num(t.errors) + (t.calls ? ' (' + pct(t.errors / t.calls) + ')' : ''), t.errors > 0 ? 'bad' : null);
    fact('gRPC messages', num(t.messages));
    root.appendChild(facts);
    if (D.filters.length) root.appendChild(el('div', 'sub', ['Filters: ', el('code', null, D.filters.map(shellWord).join(' '))]));
    var notes = el('div', 'notes' + (D.notes.length ? '' : ' none'));
    if (D.notes.length === 0) notes.appendChild(el('div', null, 'Everything in the input was decoded: no gaps, no header blocks lost, every message had a schema.'));
    else {
      notes.appendChild(el('strong', null, 'What could not be decoded, and why'));
      var ul = el('ul');
      D.notes.forEach(function (n) { ul.appendChild(el('li', null, n.count === null ? n.what : [num(n.count) + ' × ', n.what])); });
      notes.appendChild(ul);
    }
    root.appendChild(notes);
  }

  // ---- latency over time, and calls/s and error rate below it on the same time axis ----
  var P = D.points;
  var N = P.t.length;
  var xs = new Float64Array(N), ys = new Float64Array(N);
  for (var i = 0; i < N; i++) { xs[i] = D.origin + P.t[i]; ys[i] = Math.max(P.d[i], 0.001); }
  var methodOn = D.methods.map(function () { return true; });
  var statusOn = D.statuses.map(function () { return true; });
  // Percentile lines help when points are many; over a few calls they only join the dots.
  var showP = { p50: D.sampled || N > 2000, p99: D.sampled || N > 2000 };
  var charts = [];
  var xRange = (function () {
    var lo = Infinity, hi = -Infinity;
    if (N) { lo = xs[0]; hi = xs[N - 1]; }
    var B = D.bins;
    if (B.t.length) { lo = Math.min(lo, D.origin + B.t[0]); hi = Math.max(hi, D.origin + B.t[B.t.length - 1] + B.width); }
    if (!isFinite(lo)) { lo = D.origin; hi = D.origin + 1; }
    if (hi - lo < 1e-3) { lo -= 0.0005; hi += 0.0005; }
    // A margin, so the first and last calls are not cut in half at the edges.
    var pad = (hi - lo) * 0.015;
    return [lo - pad, hi + pad];
  })();
  function lowerBound(a, v) { var lo = 0, hi = a.length; while (lo < hi) { var m = (lo + hi) >> 1; if (a[m] < v) lo = m + 1; else hi = m; } return lo; }

  function utc(ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); }
  function chartWidth(box) { return Math.max(480, box.clientWidth || 1000); }
  var syncing = false;
  function syncX(u, key) {
    if (key !== 'x' || syncing) return;
    syncing = true;
    var min = u.scales.x.min, max = u.scales.x.max;
    charts.forEach(function (c) { if (c !== u) c.setScale('x', { min: min, max: max }); });
    syncing = false;
  }
  function resetBoth() { charts.forEach(function (c) { c.setScale('x', { min: xRange[0], max: xRange[1] }); }); }
  var cursorOpts = {
    drag: { x: true, y: false },
    points: { show: false },
    sync: { key: 'grpctk-time', setSeries: false },
    bind: { dblclick: function () { return function () { resetBoth(); return null; }; } },
  };

  function drawPoints(u) {
    var ctx = u.ctx, px = uPlot.pxRatio || 1, r = (N < 2000 ? 4 : N < 20000 ? 3 : 2.2) * px;
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    var lo = lowerBound(xs, u.scales.x.min), hi = lowerBound(xs, u.scales.x.max + 1e-9);
    // One path per (status, shape): few fills however many points.
    var paths = {};
    for (var i = lo; i < hi; i++) {
      var m = P.m[i], s = P.s[i];
      if (!methodOn[m] || !statusOn[s]) continue;
      var key = s + ':' + (m % SHAPES.length);
      var p = paths[key];
      if (!p) { p = paths[key] = new Path2D(); }
      drawMarker(p, shapeOf(m), u.valToPos(xs[i], 'x', true), u.valToPos(ys[i], 'y', true), r);
    }
    ctx.globalAlpha = 0.75;
    for (var k in paths) { ctx.fillStyle = statusColor(D.statuses[+k.split(':')[0]]); ctx.fill(paths[k], 'nonzero'); }
    ctx.globalAlpha = 1;
    // Percentile lines per interval (from a histogram of 10 buckets per decade: about ±12%).
    var B = D.bins;
    [['p99', '#111', [6, 3]], ['p50', '#555', [2, 3]]].forEach(function (spec) {
      if (!showP[spec[0]]) return;
      var vals = B[spec[0]];
      ctx.beginPath();
      ctx.setLineDash(spec[2].map(function (v) { return v * px; }));
      ctx.strokeStyle = spec[1];
      ctx.lineWidth = 1.5 * px;
      var pen = false;
      for (var j = 0; j < vals.length; j++) {
        if (vals[j] === null) { pen = false; continue; }
        var x0 = u.valToPos(D.origin + B.t[j], 'x', true), x1 = u.valToPos(D.origin + B.t[j] + B.width, 'x', true);
        var y = u.valToPos(Math.max(vals[j], 0.001), 'y', true);
        if (!pen) { ctx.moveTo(x0, y); pen = true; } else ctx.lineTo(x0, y);
        ctx.lineTo(x1, y);
      }
      ctx.stroke();
      ctx.setLineDash([]);
    });
    ctx.restore();
    if (!drawnOnce) { drawnOnce = true; performance.mark('grpctk-points'); }
  }
  var drawnOnce = false;

  var tip, picked;
  function nearest(u, left, top) {
    if (left < 0 || !N) return -1;
    var R = 8;
    var lo = lowerBound(xs, u.posToVal(left - R, 'x')), hi = lowerBound(xs, u.posToVal(left + R, 'x'));
    var best = -1, bestD = R * R + 1;
    for (var i = lo; i < hi && i < N; i++) {
      if (!methodOn[P.m[i]] || !statusOn[P.s[i]]) continue;
      var dx = u.valToPos(xs[i], 'x') - left, dy = u.valToPos(ys[i], 'y') - top;
      var d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  }
  function pointText(i) {
    var conn = D.conns[P.c[i]];
    return [
      D.methods[P.m[i]],
      D.statuses[P.s[i]] + ' · ' + ms(P.d[i]),
      'start ' + iso(P.t[i]),
      conn[0] + ' → ' + conn[1] + ' (tcp.stream ' + conn[2] + ', stream ' + P.h[i] + ')',
    ].join('\n');
  }
  function pointCommand(i) {
    var conn = D.conns[P.c[i]];
    // The point's start is known to the microsecond here: a window of a few microseconds around it.
    var since = iso(P.t[i] - 1e-6), until = iso(P.t[i] + 2e-6);
    var words = D.decodePrefix.concat(['--host', conn[0].replace(/[^0-9A-Za-z.:[\]]/g, '?'), '--method', D.methods[P.m[i]].replace(/[^A-Za-z0-9_./-]/g, '?'), '--since', since, '--until', until]);
    return words.map(shellWord).join(' ') + ' ' + D.inputWord;
  }

  function latencyChart() {
    var sec = el('section', null, el('h2', null, 'Latency over time'));
    root.appendChild(sec);
    var note = D.sampled
      ? 'Each point is a call (start time × duration, log scale), coloured by status, one marker shape per method. A uniform sample of ' + num(N) + ' of the ' + num(D.pointsTotal) + ' calls with a duration is drawn; the p50 and p99 lines are computed over every call.'
      : 'Each point is a call (start time × duration, log scale), coloured by status, one marker shape per method: ' + num(N) + ' calls with a duration' + (D.totals.calls > N ? ' (' + num(D.totals.calls - N) + ' without one are not drawn)' : '') + '.';
    sec.appendChild(el('p', 'hint', note + ' Drag to zoom (both charts), double-click to zoom out, hover a point to name its call, click it for the command that decodes it.'));

    // Method legend (toggles).
    var ml = el('div', 'legend', el('span', 'title', 'Methods'));
    var methodCounts = D.methods.map(function () { return 0; });
    for (var i = 0; i < N; i++) methodCounts[P.m[i]]++;
    D.methods.forEach(function (name, m) {
      if (!methodCounts[m]) return;
      var cb = el('input'); cb.type = 'checkbox'; cb.checked = true;
      cb.addEventListener('change', function () { methodOn[m] = cb.checked; charts[0].redraw(false); });
      var label = el('label', null, [cb, markerCanvas(shapeOf(m), '#444'), el('span', 'name', name), el('span', 'hint', '(' + num(methodCounts[m]) + ')')]);
      label.title = name;
      ml.appendChild(label);
    });
    sec.appendChild(ml);
    var sl = el('div', 'legend', el('span', 'title', 'Status'));
    var statusCounts = D.statuses.map(function () { return 0; });
    for (var j = 0; j < N; j++) statusCounts[P.s[j]]++;
    D.statuses.forEach(function (name, s) {
      if (!statusCounts[s]) return;
      var cb = el('input'); cb.type = 'checkbox'; cb.checked = true;
      cb.addEventListener('change', function () { statusOn[s] = cb.checked; charts[0].redraw(false); });
      var sw = el('span', 'swatch'); sw.style.background = statusColor(name);
      sl.appendChild(el('label', null, [cb, sw, el('span', 'name', name), el('span', 'hint', '(' + num(statusCounts[s]) + ')')]));
    });
    ['p50', 'p99'].forEach(function (k) {
      var cb = el('input'); cb.type = 'checkbox'; cb.checked = showP[k];
      cb.addEventListener('change', function () { showP[k] = cb.checked; charts[0].redraw(false); });
      sl.appendChild(el('label', null, [cb, el('span', 'name', k + ' per interval')]));
    });
    sec.appendChild(sl);

    var box = el('div', 'chart');
    box.id = 'latency-chart';
    sec.appendChild(box);
    tip = el('div', 'tip');
    tip.id = 'hover';
    picked = el('div', 'picked');
    picked.id = 'picked';
    sec.appendChild(picked);

    var yMin = Infinity, yMax = -Infinity;
    for (var k = 0; k < N; k++) { if (ys[k] < yMin) yMin = ys[k]; if (ys[k] > yMax) yMax = ys[k]; }
    D.bins.p99.forEach(function (v) { if (v !== null) { yMax = Math.max(yMax, v); yMin = Math.min(yMin, Math.max(v, 0.001)); } });
    if (!isFinite(yMin)) { yMin = 0.1; yMax = 1000; }
    var lo10 = Math.pow(10, Math.floor(Math.log10(yMin))), hi10 = Math.pow(10, Math.ceil(Math.log10(yMax * 1.0001)));
    if (hi10 <= lo10) hi10 = lo10 * 10;

    var u = new uPlot({
      width: chartWidth(box), height: 340,
      tzDate: utc,
      scales: { x: { time: true, range: function () { return xRange; } }, y: { distr: 3, log: 10, range: function () { return [lo10, hi10]; } } },
      axes: [
        { space: 90, label: 'call start (UTC)', labelSize: 20 },
        { size: 72, label: 'duration', filter: decades, grid: { filter: decades }, ticks: { filter: decades }, values: function (self, vals) { return vals.map(function (v) { return isDecade(v) ? msAxis(v) : ''; }); } },
        { side: 1, size: 64, scale: 'y', grid: { show: false }, ticks: { show: false }, values: function (self, vals) { return vals.map(function () { return ''; }); } },
      ],
      series: [{}, { label: 'calls', paths: function () { return null; }, points: { show: false }, stroke: 'transparent' }],
      legend: { show: false },
      cursor: cursorOpts,
      hooks: {
        draw: [drawPoints],
        setScale: [syncX],
        setCursor: [function (self) {
          var i = nearest(self, self.cursor.left, self.cursor.top);
          if (i < 0) { tip.style.display = 'none'; return; }
          tip.textContent = pointText(i);
          tip.style.display = 'block';
          var x = self.cursor.left + 14, y = self.cursor.top + 14;
          if (x > self.over.clientWidth - 300) x = self.cursor.left - 310;
          tip.style.left = x + 'px';
          tip.style.top = y + 'px';
        }],
      },
    }, [Array.from(xs), Array.from(ys)], box);
    u.over.appendChild(tip);
    var down = null;
    u.over.addEventListener('mousedown', function (e) { down = [e.clientX, e.clientY]; });
    u.over.addEventListener('click', function (e) {
      if (down && Math.abs(e.clientX - down[0]) + Math.abs(e.clientY - down[1]) > 4) return;
      var i = nearest(u, u.cursor.left, u.cursor.top);
      if (i < 0) return;
      picked.textContent = '';
      picked.appendChild(el('div', 'wrap mono', pointText(i)));
      picked.appendChild(commandBox(pointCommand(i)));
      picked.style.display = 'block';
    });
    u.over.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
    charts.push(u);
  }

  function rateChart() {
    var sec = el('section');
    root.appendChild(sec);
    var B = D.bins;
    sec.appendChild(el('p', 'hint', 'Calls per second and error rate per interval of ' + msAxis(B.width * 1000) + ' (calls counted at their start).'));
    var box = el('div', 'chart');
    box.id = 'rate-chart';
    sec.appendChild(box);
    var x = [], rate = [], err = [];
    for (var i = 0; i < B.t.length; i++) {
      x.push(D.origin + B.t[i]);
      rate.push(B.calls[i] / B.width);
      err.push(B.calls[i] ? (100 * B.errors[i]) / B.calls[i] : null);
    }
    // A last point at the end of the last interval, so the last step is drawn its full width.
    if (B.t.length) { x.push(D.origin + B.t[B.t.length - 1] + B.width); rate.push(rate[rate.length - 1]); err.push(err[err.length - 1]); }
    var stepped = uPlot.paths.stepped({ align: 1 });
    var u = new uPlot({
      width: chartWidth(box), height: 190,
      tzDate: utc,
      scales: {
        x: { time: true, range: function () { return xRange; } },
        rate: { range: function (self, min, max) { return [0, Math.max(1, (max || 0) * 1.1)]; } },
        err: { range: function (self, min, max) { return [0, Math.max(5, Math.min(100, Math.ceil(((max || 0) * 1.1) / 5) * 5))]; } },
      },
      axes: [
        { space: 90 },
        { scale: 'rate', size: 72, label: 'calls/s', values: function (self, vals) { return vals.map(function (v) { return v >= 1000 ? (v / 1000) + 'k' : String(v); }); } },
        { scale: 'err', side: 1, size: 64, label: 'errors %', grid: { show: false } },
      ],
      series: [
        { value: function (self, v) { return v === null ? '–' : iso(v - D.origin).slice(11, 23); } },
        { label: 'calls/s', scale: 'rate', stroke: '#3b7dd8', fill: 'rgba(59,125,216,0.15)', width: 1.5, paths: stepped, points: { show: false }, value: function (self, v) { return v === null ? '–' : nf.format(Math.round(v * 10) / 10); } },
        { label: 'error rate %', scale: 'err', stroke: '#d50000', width: 1.5, paths: stepped, points: { show: false }, value: function (self, v) { return v === null ? '–' : (Math.round(v * 100) / 100) + '%'; } },
      ],
      cursor: cursorOpts,
      hooks: { setScale: [syncX] },
    }, [x, rate, err], box);
    charts.push(u);
  }

  // ---- per-method table ----
  function histCanvas(hist, lo, hi) {
    var c = document.createElement('canvas');
    var px = window.devicePixelRatio || 1, w = 180, h = 30;
    c.width = w * px; c.height = h * px; c.style.width = w + 'px'; c.style.height = h + 'px';
    var ctx = c.getContext('2d');
    ctx.scale(px, px);
    ctx.fillStyle = '#f0f2f5'; ctx.fillRect(0, 0, w, h);
    var max = 0;
    hist.forEach(function (p) { if (p[1] > max) max = p[1]; });
    var bw = w / (hi - lo + 1);
    ctx.fillStyle = '#3b7dd8';
    hist.forEach(function (p) {
      var bh = Math.max(1, (h - 2) * Math.sqrt(p[1] / max));
      ctx.fillRect((p[0] - lo) * bw, h - bh, Math.max(1, bw - 0.5), bh);
    });
    return c;
  }
  function bucketMs(i) { return Math.pow(10, i / D.hist.perDecade + D.hist.minExp); }

  function methodTable() {
    var sec = el('section', null, el('h2', null, 'Methods'));
    root.appendChild(sec);
    var rows = D.table.rows;
    var lo = Infinity, hi = -Infinity;
    rows.forEach(function (r) { r.hist.forEach(function (p) { lo = Math.min(lo, p[0]); hi = Math.max(hi, p[0]); }); });
    if (isFinite(lo)) sec.appendChild(el('p', 'hint', 'Numbers as grpctk stats gives them (latency over complete calls, nearest rank). Click a column to sort. Distribution: calls per latency bucket (10 per decade, square-root height) from ' + msAxis(bucketMs(lo)) + ' to ' + msAxis(bucketMs(hi + 1)) + ', the same scale on every row.'));
    var cols = [
      ['method', 'Method', function (r) { return r.method; }, 'key'],
      ['calls', 'Calls', function (r) { return r.calls; }],
      ['errors', 'Errors', function (r) { return r.errors; }],
      ['error_rate', 'Error rate', function (r) { return r.error_rate; }],
      ['p50', 'p50', function (r) { return r.latency.p50; }],
      ['p90', 'p90', function (r) { return r.latency.p90; }],
      ['p99', 'p99', function (r) { return r.latency.p99; }],
      ['max', 'Max', function (r) { return r.latency.max; }],
      ['dist', 'Latency distribution', null],
      ['status', 'Statuses', null],
      ['calls_per_second', 'Calls/s', function (r) { return r.calls_per_second; }],
      ['mean', 'Mean', function (r) { return r.latency.mean; }],
      ['messages', 'Msgs req/resp', function (r) { return r.request_messages + r.response_messages; }],
      ['bytes', 'Bytes req/resp', function (r) { return r.request_bytes + r.response_bytes; }],
    ];
    var table = el('table');
    table.id = 'method-table';
    var thead = el('thead'), tr = el('tr');
    var tbody = el('tbody');
    var sortCol = 1, sortDir = -1;
    cols.forEach(function (c, ci) {
      var th = el('th', c[3] || null, c[1]);
      th.dataset.col = c[0];
      if (c[2]) th.addEventListener('click', function () {
        if (sortCol === ci) sortDir = -sortDir; else { sortCol = ci; sortDir = ci === 0 ? 1 : -1; }
        render();
      });
      tr.appendChild(th);
    });
    thead.appendChild(tr);
    table.appendChild(thead);
    table.appendChild(tbody);
    function cells(r, total) {
      var row = el('tr', total ? 'total' : null);
      row.appendChild(el('td', 'key', r.method));
      row.appendChild(el('td', null, num(r.calls)));
      row.appendChild(el('td', r.errors ? 'err' : null, num(r.errors)));
      row.appendChild(el('td', r.errors ? 'err' : null, pct(r.error_rate)));
      ['p50', 'p90', 'p99', 'max'].forEach(function (k) { row.appendChild(el('td', null, ms(r.latency[k]))); });
      var dist = el('td', 'dist');
      if (r.hist.length && isFinite(lo)) {
        var cv = histCanvas(r.hist, lo, hi);
        cv.title = 'p50 ' + ms(r.latency.p50) + ', p99 ' + ms(r.latency.p99) + ' over ' + num(r.latency.count) + ' complete calls';
        dist.appendChild(cv);
      }
      row.appendChild(dist);
      var st = el('td', 'statuses');
      Object.keys(r.status).forEach(function (k) {
        var b = el('span', 'badge', k + ' ' + num(r.status[k]));
        b.style.background = statusColor(k);
        st.appendChild(b);
        st.appendChild(document.createTextNode(' '));
      });
      row.appendChild(st);
      row.appendChild(el('td', null, r.calls_per_second === null ? '–' : num(r.calls_per_second)));
      row.appendChild(el('td', null, ms(r.latency.mean)));
      row.appendChild(el('td', null, num(r.request_messages) + ' / ' + num(r.response_messages)));
      row.appendChild(el('td', null, bytes(r.request_bytes) + ' / ' + bytes(r.response_bytes)));
      return row;
    }
    function render() {
      var get = cols[sortCol][2];
      var sorted = rows.slice().sort(function (a, b) {
        var x = get(a), y = get(b);
        if (x === y) return 0;
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : 1) * sortDir;
      });
      tbody.textContent = '';
      sorted.forEach(function (r) { tbody.appendChild(cells(r, false)); });
      tbody.appendChild(cells(D.table.total, true));
      Array.prototype.forEach.call(tr.children, function (th, ci) { th.classList.toggle('sorted-desc', ci === sortCol && sortDir < 0); th.classList.toggle('sorted-asc', ci === sortCol && sortDir > 0); });
    }
    render();
    var wrap = el('div');
    wrap.style.overflowX = 'auto';
    wrap.appendChild(table);
    sec.appendChild(wrap);
    if (D.table.more > 0) sec.appendChild(el('p', 'more', num(D.table.more) + ' less busy methods are not listed (the table keeps the ' + num(D.limits.tableRows) + ' busiest); the total row counts every call.'));
  }

  // ---- listed calls ----
  function commandBox(text) {
    var code = el('code', null, text);
    var btn = el('button', null, 'Copy');
    btn.type = 'button';
    btn.addEventListener('click', function () {
      var done = function () { btn.textContent = 'Copied'; setTimeout(function () { btn.textContent = 'Copy'; }, 1500); };
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, function () { selectText(code); });
      else selectText(code);
    });
    return el('div', 'cmd', [code, btn]);
  }
  function selectText(node) {
    var r = document.createRange();
    r.selectNodeContents(node);
    var s = window.getSelection();
    s.removeAllRanges();
    s.addRange(r);
  }
  function kvTable(pairs) {
    var t = el('table', 'kv');
    pairs.forEach(function (p) { t.appendChild(el('tr', null, [el('td', null, p[0]), el('td', null, p[1] === null || p[1] === undefined ? '–' : String(p[1]))])); });
    return t;
  }
  var FRAME_COLORS = { HEADERS: '#2e7d32', DATA: '#3b7dd8', RST_STREAM: '#d50000', WINDOW_UPDATE: '#9e9e9e', CONTINUATION: '#66bb6a', PRIORITY: '#bdbdbd' };
  function frameTimeline(call) {
    var fr = call.frames;
    var w = 900, rowH = 22, h = 2 * rowH + 30, left = 110;
    var end = 0;
    fr.forEach(function (f) { if (f[0] !== null && f[0] > end) end = f[0]; });
    if (call.duration !== null && call.duration > end) end = call.duration;
    if (end <= 0) end = 1;
    var s = svg('svg', { width: '100%', viewBox: '0 0 ' + w + ' ' + h, role: 'img' });
    s.style.maxWidth = w + 'px';
    var xOf = function (t) { return left + ((w - left - 10) * t) / end; };
    ['client → server', 'server → client'].forEach(function (label, d) {
      var y = 10 + d * rowH;
      s.appendChild(svg('line', { x1: left, x2: w - 10, y1: y + rowH / 2, y2: y + rowH / 2, stroke: '#d9dde5' }));
      var t = svg('text', { x: 0, y: y + rowH / 2 + 3 });
      t.textContent = label;
      s.appendChild(t);
    });
    fr.forEach(function (f) {
      if (f[0] === null) return;
      var y = 10 + f[1] * rowH;
      var r = svg('rect', { x: xOf(f[0]) - 2, y: y + 3, width: 4, height: rowH - 6, fill: FRAME_COLORS[f[2]] || '#555' });
      svgTitle(r, 'frame ' + f[5] + ' · +' + ms(f[0]) + ' · ' + f[2] + ' flags 0x' + f[3].toString(16) + ' · ' + num(f[4]) + ' bytes');
      s.appendChild(r);
    });
    var axis = svg('text', { x: left, y: h - 4 });
    axis.textContent = '0';
    s.appendChild(axis);
    var axis2 = svg('text', { x: w - 10, y: h - 4, 'text-anchor': 'end' });
    axis2.textContent = '+' + ms(Math.round(end * 1000) / 1000);
    s.appendChild(axis2);
    return s;
  }
  function callBody(call) {
    var body = el('div', 'body');
    body.appendChild(kvTable([
      ['connection', call.client + ' → ' + call.server + ' (tcp.stream ' + call.tcp + ')'],
      ['HTTP/2 stream', call.stream],
      ['authority', call.authority],
      ['start', call.start],
      ['end', call.end === null ? 'not in the capture' : call.end],
      ['duration', call.duration === null ? '–' : ms(call.duration)],
      ['HTTP status', call.httpStatus],
      ['grpc-status', call.statusCode === null ? 'none' : call.statusCode + ' ' + call.status],
      ['grpc-message', call.grpcMessage],
      ['reset', call.reset],
      ['grpc-timeout', call.timeout === null ? null : ms(call.timeout)],
      ['packets', call.firstFrame + ' – ' + call.lastFrame],
    ]));
    body.appendChild(el('h3', null, 'Decode this call'));
    body.appendChild(commandBox(call.command));
    if (call.errors.length) {
      body.appendChild(el('h3', null, 'Problems while decoding'));
      var ul = el('ul');
      call.errors.forEach(function (e) { ul.appendChild(el('li', 'mono', e)); });
      body.appendChild(ul);
    }
    [['Request headers', call.requestHeaders], ['Response headers', call.responseHeaders], ['Trailers', call.trailers]].forEach(function (h) {
      body.appendChild(el('h3', null, h[0]));
      body.appendChild(h[1].length ? kvTable(h[1]) : el('div', 'hint', 'none'));
    });
    if (call.statusDetails !== null) {
      body.appendChild(el('h3', null, 'grpc-status-details-bin'));
      body.appendChild(el('pre', 'body', call.statusDetails));
    }
    body.appendChild(el('h3', null, 'Messages'));
    if (call.messages.length === 0) body.appendChild(el('div', 'hint', call.nothingHeld ? 'not kept: the input has no message records for this call, or the report let go of them (see the Limits in the README)' : 'none'));
    call.messages.forEach(function (m) {
      var head = (m.dir === 'request' ? '→ request #' : '← response #') + m.index + ' · +' + ms(m.t) + ' · ' + num(m.length) + ' bytes' + (m.compressed ? ' (' + (m.encoding || 'compressed') + ')' : '') + ' · ' + (m.type || 'no schema: raw decode by field number');
      body.appendChild(el('div', 'msghead mono', head));
      if (m.error) body.appendChild(el('div', 'mono err', m.error));
      if (m.body !== null) body.appendChild(el('pre', 'body', m.body + (m.bodyCut ? '\n… (cut at ' + num(D.limits.bodyChars) + ' characters)' : '')));
    });
    if (call.messagesMore) body.appendChild(el('div', 'more', num(call.messagesMore) + ' more messages not kept'));
    body.appendChild(el('h3', null, 'HTTP/2 frames'));
    if (call.frames.length === 0) body.appendChild(el('div', 'hint', 'no frame records for this call'));
    else {
      body.appendChild(frameTimeline(call));
      var ft = el('table', 'kv');
      ft.appendChild(el('tr', null, ['packet', 'time', 'direction', 'type', 'flags', 'length'].map(function (h) { return el('th', null, h); })));
      call.frames.forEach(function (f) {
        ft.appendChild(el('tr', null, [f[5], f[0] === null ? '–' : '+' + ms(f[0]), f[1] ? '←' : '→', f[2], '0x' + f[3].toString(16), num(f[4])].map(function (v) { return el('td', null, String(v)); })));
      });
      var det = el('details', null, [el('summary', 'hint', 'frame list (' + call.frames.length + ')'), ft]);
      body.appendChild(det);
      if (call.framesMore) body.appendChild(el('div', 'more', num(call.framesMore) + ' more frames not kept'));
    }
    return body;
  }
  function callList(title, id, calls, total, what) {
    var sec = el('section', null, el('h2', null, title));
    sec.id = id;
    root.appendChild(sec);
    if (calls.length === 0) { sec.appendChild(el('p', 'hint', 'none')); return; }
    sec.appendChild(el('p', 'hint', what));
    var hidden = [];
    calls.forEach(function (call, ci) {
      var badge = el('span', 'badge', call.status);
      badge.style.background = statusColor(call.status);
      var summary = el('summary', null, [
        el('span', 'dur', call.duration === null ? 'open' : ms(call.duration)),
        badge,
        el('span', 'mono', call.method),
        el('span', 'hint', call.start.slice(11).replace(/(\.\d{6})\d*Z$/, '$1') + ' · ' + call.client + ' → ' + call.server + ' · stream ' + call.stream),
      ]);
      var d = el('details', 'call', summary);
      var built = false;
      d.addEventListener('toggle', function () { if (d.open && !built) { built = true; d.appendChild(callBody(call)); } });
      if (ci >= 10) { d.style.display = 'none'; hidden.push(d); }
      sec.appendChild(d);
    });
    if (hidden.length) {
      var btn = el('button', null, 'Show ' + hidden.length + ' more');
      btn.type = 'button';
      btn.addEventListener('click', function () { hidden.forEach(function (d) { d.style.display = ''; }); btn.remove(); });
      sec.appendChild(btn);
    }
    if (total > calls.length) sec.appendChild(el('p', 'more', num(total - calls.length) + ' more not listed (the report keeps the first ' + num(calls.length) + ').'));
  }

  // ---- connections: a lane per stream ----
  function connections() {
    var sec = el('section', null, el('h2', null, 'Connections'));
    sec.id = 'connections';
    root.appendChild(sec);
    if (D.connections.length === 0) { sec.appendChild(el('p', 'hint', 'none')); return; }
    sec.appendChild(el('p', 'hint', 'Each HTTP/2 stream of a gRPC call is a lane from its request HEADERS to its end, coloured by status; ✕ marks a reset (RST_STREAM), a dashed line a GOAWAY, a faded lane a call still open at the end of the capture. Hover a lane to name its call.'));
    D.connections.forEach(function (c, ci) {
      var d = el('details', 'conn');
      if (ci < 3) d.open = true;
      d.appendChild(el('summary', null, 'tcp.stream ' + c.tcp + ' · ' + c.client + ' → ' + c.server + ' · ' + num(c.calls) + ' calls' + (c.errors ? ', ' + num(c.errors) + ' errors' : '')));
      var built = false;
      var build = function () {
        if (built || !d.open) return;
        built = true;
        var lanes = c.lanes;
        var lo = Infinity, hi = -Infinity;
        lanes.forEach(function (l) { lo = Math.min(lo, l[2]); hi = Math.max(hi, l[3] === null ? l[2] : l[3]); });
        c.goaway.forEach(function (g) { lo = Math.min(lo, g); hi = Math.max(hi, g); });
        if (!isFinite(lo)) return;
        if (hi - lo < 1e-6) hi = lo + 1e-3;
        // Few streams: a lane each, labelled with its id. Many: packed into rows (a stream takes the first
        // row free at its start), so the height shows how many were open at once.
        var packed = lanes.length > 40;
        var rowOf = [], rowEnd = [];
        lanes.forEach(function (l, li) {
          if (!packed) { rowOf.push(li); return; }
          var e = l[3] === null ? hi : l[3], r = 0;
          while (r < rowEnd.length && rowEnd[r] > l[2]) r++;
          if (r >= 80) r = 79;
          rowEnd[r] = Math.max(rowEnd[r] || -Infinity, e + (hi - lo) * 0.002);
          rowOf.push(r);
        });
        var rows = packed ? rowEnd.length : lanes.length;
        var w = 1000, left = 64, laneH = Math.max(4, Math.min(14, Math.floor(360 / Math.max(1, rows)))), top = 6;
        var h = top + rows * laneH + 22;
        var s = svg('svg', { width: '100%', viewBox: '0 0 ' + w + ' ' + h, role: 'img' });
        s.style.maxWidth = w + 'px';
        var xOf = function (t) { return left + ((w - left - 10) * (t - lo)) / (hi - lo); };
        lanes.forEach(function (l, li) {
          var y = top + rowOf[li] * laneH;
          var x0 = xOf(l[2]), x1 = l[3] === null ? xOf(hi) : xOf(l[3]);
          var status = D.statuses[l[4]];
          var r = svg('rect', { x: x0, y: y + 1, width: Math.max(2, x1 - x0), height: Math.max(2, laneH - 2), fill: statusColor(status), opacity: l[3] === null ? 0.35 : 0.85 });
          svgTitle(r, 'stream ' + l[0] + ' · ' + D.methods[l[1]] + ' · ' + status + (l[5] ? ' · reset ' + l[5] : '') + ' · ' + (l[3] === null ? 'still open' : ms(Math.round((l[3] - l[2]) * 1e6) / 1e3)) + ' · start ' + iso(l[2]));
          s.appendChild(r);
          if (l[5]) {
            var x = svg('text', { x: x1 + 2, y: y + laneH - 1, fill: '#d50000' });
            x.textContent = '✕';
            s.appendChild(x);
          }
          if (!packed) {
            var t = svg('text', { x: left - 4, y: y + laneH - 2, 'text-anchor': 'end' });
            t.textContent = String(l[0]);
            s.appendChild(t);
          }
        });
        if (packed) {
          var lab = svg('text', { x: left - 4, y: top + 10, 'text-anchor': 'end' });
          lab.textContent = 'streams';
          s.appendChild(lab);
        }
        c.goaway.forEach(function (g) {
          var line = svg('line', { x1: xOf(g), x2: xOf(g), y1: 0, y2: h - 18, stroke: '#000', 'stroke-dasharray': '4 3' });
          svgTitle(line, 'GOAWAY at ' + iso(g));
          s.appendChild(line);
        });
        var a0 = svg('text', { x: left, y: h - 4 });
        a0.textContent = iso(lo).slice(11);
        s.appendChild(a0);
        var a1 = svg('text', { x: w - 10, y: h - 4, 'text-anchor': 'end' });
        a1.textContent = iso(hi).slice(11) + ' (+' + msAxis((hi - lo) * 1000) + ')';
        s.appendChild(a1);
        d.appendChild(s);
        if (c.lanesMore) d.appendChild(el('div', 'more', 'A sample of ' + num(lanes.length) + ' of its ' + num(c.calls) + ' calls is drawn: ' + num(D.limits.lanesPerConnection) + ' chosen at random over its whole life, and its failed or reset calls (up to ' + num(D.limits.failedLanesPerConnection) + ').'));
      };
      d.addEventListener('toggle', build);
      sec.appendChild(d);
      build();
    });
    if (D.connectionsMore > 0) sec.appendChild(el('p', 'more', num(D.connectionsMore) + ' more connections not drawn (the first ' + num(D.limits.connections) + ' are).'));
  }

  header();
  latencyChart();
  performance.mark('grpctk-latency');
  rateChart();
  methodTable();
  performance.mark('grpctk-table');
  callList('Slowest calls', 'slowest', D.slowest, D.slowest.length, 'The ' + D.slowest.length + ' slowest complete calls, slowest first. Open one for its headers, trailers, messages and HTTP/2 frames.');
  callList('Failed calls', 'failed', D.failed, D.failedTotal, 'Calls that ended other than OK (a non-OK grpc-status, or none at all), in the order they ended: ' + num(D.failedTotal) + ' in all.');
  connections();
  performance.mark('grpctk-done');

  var resizeTimer = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { charts.forEach(function (c) { c.setSize({ width: chartWidth(c.root.parentNode), height: c.height }); }); }, 150);
  });
  // Ready once the first frame with everything in it has been painted (a timer set in the frame's callback
  // runs after that paint): what a person waits for, and what the tests wait for.
  requestAnimationFrame(function () {
    setTimeout(function () { document.documentElement.dataset.ready = String(Math.round(performance.now())); }, 0);
  });
})();
