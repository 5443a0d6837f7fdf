// The run report's timeline: one lane per task over simulated time (or event order), drawn as
// SVG from the JSON in #timeline-data. Only what is in the window is drawn; when more
// operations are visible than D.bars_max, each lane is downsampled into blocks of BLOCK_PX
// pixels coloured by their most severe outcome. Every string from the trace reaches the page
// through textContent or setAttribute, never as markup.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('timeline-data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  var OUTCOMES = ['ok', 'failed', 'indeterminate', 'open'];
  var SEVERITY = [0, 1, 2, 2];
  var LABEL_W = 86, LANE_H = 20, AXIS_H = 30, KEY_H = 24, BLOCK_PX = 2, BAR_MIN_PX = 1.5;
  var root = document.getElementById('timeline');
  var tip = document.getElementById('tip');
  var details = document.getElementById('details');
  var status = document.getElementById('view-status');
  var laneOf = {};
  D.tasks.forEach(function (task, i) { laneOf[task] = i; });
  var opIndex = {};
  D.ops.forEach(function (op, i) { opIndex[op[0]] = i; });
  var faultsOf = {};
  D.faults.forEach(function (f, i) {
    if (f[7] !== null) { (faultsOf[f[7]] = faultsOf[f[7]] || []).push(i); }
  });
  // (event index, simulated ms) at every operation start and end, by index: the time of an event.
  var clock = [];
  D.ops.forEach(function (op) { clock.push([op[6], op[4]], [op[7], op[5]]); });
  clock.sort(function (a, b) { return a[0] - b[0]; });
  function timeAt(index) {
    var lo = 0, hi = clock.length - 1;
    if (hi < 0 || index < clock[0][0]) { return 0; }
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (clock[mid][0] <= index) { lo = mid; } else { hi = mid - 1; }
    }
    return clock[lo][1];
  }
  // Simulated time piles operations into few milliseconds when latency is off: then event order
  // (which keeps time's order, and labels its ticks with the time) is the default axis.
  var starts = {};
  D.ops.forEach(function (op) { starts[op[4]] = true; });
  var crowded = Object.keys(starts).length * 10 < D.ops.length;
  var S = { mode: crowded ? 'events' : 'time', x0: 0, x1: 1, violation: D.violations.length ? 0 : -1,
    matches: {}, matchList: [], matchAt: -1, drag: null, dragged: false };

  function visible(text) {
    return String(text).replace(/[\u0000-\u001f\u007f]/g, function (c) {
      return c === '\u007f' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0));
    });
  }
  function extent() {
    return S.mode === 'time' ? [0, Math.max(D.end_ms, 1)] : [0, Math.max(D.events, 1)];
  }
  function span(op) {
    return S.mode === 'time' ? [op[4], op[5]] : [op[6], op[7] + 1];
  }
  function at(timeMs, index) { return S.mode === 'time' ? timeMs : index; }
  function plotWidth() { return Math.max(200, root.clientWidth - LABEL_W - 12); }
  function xOf(v) { return LABEL_W + (v - S.x0) / (S.x1 - S.x0) * plotWidth(); }
  function valueOf(px) { return S.x0 + (px - LABEL_W) / plotWidth() * (S.x1 - S.x0); }
  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    for (var key in attrs) { node.setAttribute(key, attrs[key]); }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function label(parent, x, y, text, cls) {
    var node = el('text', { x: x, y: y, 'class': cls }, parent);
    node.textContent = visible(text);
    return node;
  }
  function onKey(args, key) {
    return args === key || args.indexOf(key + '/') === 0 || args.indexOf(key + ' ') === 0;
  }
  function selected() { return S.violation >= 0 ? D.violations[S.violation] : null; }

  function drawAxis(svg, height) {
    var w = plotWidth(), range = S.x1 - S.x0;
    var rough = range / Math.max(2, Math.floor(w / 120));
    var magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
    var ratio = rough / magnitude;
    var step = magnitude * (ratio <= 1 ? 1 : ratio <= 2 ? 2 : ratio <= 5 ? 5 : 10);
    step = Math.max(step, S.mode === 'time' ? 0.001 : 1);
    for (var v = Math.ceil(S.x0 / step) * step; v <= S.x1; v += step) {
      var x = xOf(v);
      el('line', { x1: x, x2: x, y1: AXIS_H - 6, y2: height, 'class': 'tick' }, svg);
      if (x < LABEL_W + w - 60) {
        var text = S.mode === 'time' ? (Math.round(v * 1000) / 1000) + ' ms' : '#' + v + ' \u00b7 ' + timeAt(v) + ' ms';
        label(svg, x + 2, AXIS_H - 10, text, 'tick-label');
      }
    }
    label(svg, 4, AXIS_H - 10, S.mode === 'time' ? 'sim time' : 'event', 'axis-name');
    el('rect', { x: LABEL_W, y: 0, width: w, height: 2, 'class': 'axis' }, svg);
  }

  function drawPhases(svg, top, height) {
    D.phases.forEach(function (p, i) {
      var next = D.phases[i + 1];
      var a = Math.max(xOf(at(p[1], p[2])), LABEL_W);
      var endV = next ? at(next[1], next[2]) : extent()[1];
      var b = Math.min(xOf(endV), LABEL_W + plotWidth());
      if (b < a) { return; }
      el('rect', { x: a, y: top, width: Math.max(b - a, 1), height: height - top,
        'class': 'phase phase-' + p[0], 'data-phase': p[0] }, svg);
      if (b - a > 40) { label(svg, a + 3, height + 26, p[0] + ' phase', 'phase-label'); }
    });
  }

  // Bars for `ops` (indices into D.ops) in `group` at y: one rect each, or blocks when too many.
  function drawBars(group, ops, y, h, cls, downsample) {
    var left = LABEL_W, right = LABEL_W + plotWidth();
    function clip(px) { return Math.min(Math.max(px, left), right); }
    if (!downsample) {
      ops.forEach(function (i) {
        var op = D.ops[i], s = span(op), x = clip(xOf(s[0]));
        var w = Math.max(clip(xOf(s[1])) - x, BAR_MIN_PX);
        var c = cls + ' ' + OUTCOMES[op[8]];
        var v = selected();
        if (v && v.history.indexOf(op[0]) >= 0) { c += v.history[0] === op[0] ? ' hist subject' : ' hist'; }
        if (S.matches[op[0]]) { c += ' match'; }
        el('rect', { x: x, y: y, width: w, height: h, 'class': c, 'data-op': op[0] }, group);
      });
      return ops.length;
    }
    var blocks = {};
    ops.forEach(function (i) {
      var op = D.ops[i], s = span(op), x = clip(xOf(s[0]));
      var b = Math.floor((x - LABEL_W) / BLOCK_PX);
      var block = blocks[b] || (blocks[b] = { count: 0, worst: 0, x1: x, n: [0, 0, 0, 0], first: i });
      block.count += 1;
      block.n[op[8]] += 1;
      if (SEVERITY[op[8]] > SEVERITY[block.worst]) { block.worst = op[8]; }
      block.x1 = Math.max(block.x1, clip(xOf(s[1])));
    });
    var drawn = 0;
    Object.keys(blocks).forEach(function (b) {
      var block = blocks[b], x = LABEL_W + b * BLOCK_PX;
      el('rect', { x: x, y: y, width: Math.max(block.x1 - x, BLOCK_PX), height: h,
        'class': cls + ' agg ' + OUTCOMES[block.worst], 'data-count': block.count,
        'data-outcomes': block.n.join(','), 'data-first': D.ops[block.first][0] }, group);
      drawn += 1;
    });
    return drawn;
  }

  function inWindow(op) {
    var s = span(op);
    return s[1] >= S.x0 && s[0] <= S.x1;
  }

  function drawFaults(svg, top) {
    var shown = 0;
    D.faults.forEach(function (f) {
      var v = at(f[1], f[0]);
      if (v < S.x0 || v > S.x1) { return; }
      var x = xOf(v);
      var y = f[2] === null ? top - 6 : top + laneOf[f[2]] * LANE_H + 1;
      var crashy = f[3].indexOf('crash') === 0;
      el('path', { d: 'M' + (x - 3) + ',' + y + 'h6l-3,5z',
        'class': 'fault' + (crashy ? ' crash-fault' : ''), 'data-fault': f[0] }, svg);
      shown += 1;
    });
    return shown;
  }

  function drawInstants(svg, list, cls, top, bottom) {
    var lastLabel = -1e9;
    list.forEach(function (c) {
      var v = at(c[1], c[0]);
      if (v < S.x0 || v > S.x1) { return; }
      var x = xOf(v);
      el('line', { x1: x, x2: x, y1: top, y2: bottom, 'class': cls, 'data-index': c[0] }, svg);
      if (cls === 'crash' && x - lastLabel > 26) {
        label(svg, x + 2, bottom + 12, '\u2715' + c[2], 'crash-label');
        lastLabel = x;
      }
    });
  }

  function drawViolations(svg, top, bottom) {
    D.violations.forEach(function (v, i) {
      var value = at(v.time_ms, v.index);
      if (value < S.x0 || value > S.x1) { return; }
      var x = xOf(value), cls = 'vline' + (i === S.violation ? ' sel' : '');
      el('line', { x1: x, x2: x, y1: top, y2: bottom, 'class': cls, 'data-violation': i }, svg);
      el('path', { d: 'M' + x + ',' + (top - 8) + 'l5,5l-5,5l-5,-5z', 'class': 'vmark' + (i === S.violation ? ' sel' : ''),
        'data-violation': i }, svg);
    });
  }

  function draw() {
    var lanes = D.tasks.length;
    var keyTop = AXIS_H + 10, lanesTop = keyTop + KEY_H + 6;
    var height = lanesTop + lanes * LANE_H + 32;
    var svg = el('svg', { width: root.clientWidth, height: height, 'class': 'timeline-svg' });
    drawPhases(svg, AXIS_H, lanesTop + lanes * LANE_H);
    drawAxis(svg, lanesTop + lanes * LANE_H);
    var inView = [], perLane = D.tasks.map(function () { return []; });
    D.ops.forEach(function (op, i) {
      if (inWindow(op)) { inView.push(i); perLane[op[1]].push(i); }
    });
    var downsample = inView.length > D.bars_max;
    var v = selected();
    var keyGroup = el('g', { 'class': 'keyrow' }, svg);
    el('rect', { x: LABEL_W, y: keyTop, width: plotWidth(), height: KEY_H, 'class': 'keyrow-bg' }, keyGroup);
    label(keyGroup, 4, keyTop + 15, v && v.key !== null ? 'key' : 'history', 'lane-label');
    if (v) {
      var keyOps = inView.filter(function (i) {
        var op = D.ops[i];
        return (v.key !== null && onKey(op[3], v.key)) || v.history.indexOf(op[0]) >= 0;
      });
      drawBars(keyGroup, keyOps, keyTop + 4, KEY_H - 8, 'kbar', keyOps.length > D.bars_max);
    }
    var bars = 0;
    for (var lane = 0; lane < lanes; lane += 1) {
      var y = lanesTop + lane * LANE_H;
      var g = el('g', { 'class': 'lane', 'data-task': D.tasks[lane] }, svg);
      el('rect', { x: LABEL_W, y: y, width: plotWidth(), height: LANE_H, 'class': 'lane-bg' }, g);
      label(g, 4, y + 14, 'task ' + D.tasks[lane], 'lane-label');
      bars += drawBars(g, perLane[lane], y + 3, LANE_H - 6, 'bar', downsample);
    }
    var faults = downsample ? 0 : drawFaults(svg, lanesTop);
    drawInstants(svg, D.restarts, 'restart', AXIS_H, lanesTop + lanes * LANE_H);
    drawInstants(svg, D.crashes, 'crash', AXIS_H, lanesTop + lanes * LANE_H);
    drawViolations(svg, keyTop, lanesTop + lanes * LANE_H);
    root.replaceChildren(svg);
    root.dataset.lanes = lanes;
    root.dataset.bars = bars;
    root.dataset.opsInView = inView.length;
    root.dataset.downsampled = downsample;
    root.dataset.faultsDrawn = faults;
    document.getElementById('from').value = Math.round(S.x0 * 1000) / 1000;
    document.getElementById('to').value = Math.round(S.x1 * 1000) / 1000;
    status.textContent = (S.mode === 'events' && crowded ? 'axis: event order, as simulated time piles ' + D.ops.length +
      ' operations into ' + Object.keys(starts).length + ' distinct milliseconds; ' : '') +
      inView.length + ' of ' + D.ops.length + ' operations in view' +
      (downsample ? ', downsampled into ' + bars + ' blocks of ' + BLOCK_PX + ' px (zoom in for single operations and fault markers)' : '');
  }

  var pending = false;
  function redraw() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; draw(); });
  }
  function clampWindow(x0, x1) {
    var e = extent(), min = S.mode === 'time' ? 0.05 : 4;
    if (!(x1 - x0 >= min)) { var mid = (x0 + x1) / 2; x0 = mid - min / 2; x1 = mid + min / 2; }
    S.x0 = Math.max(e[0], x0);
    S.x1 = Math.min(e[1], x1);
    if (!(S.x1 > S.x0)) { S.x0 = e[0]; S.x1 = e[1]; }
  }
  function setWindow(x0, x1) { clampWindow(x0, x1); redraw(); }
  function zoom(factor, center) {
    var c = center === undefined ? (S.x0 + S.x1) / 2 : center;
    setWindow(c - (c - S.x0) * factor, c + (S.x1 - c) * factor);
  }
  function focusOp(id) {
    var i = opIndex[id];
    if (i === undefined) { return; }
    var s = span(D.ops[i]), pad = Math.max((s[1] - s[0]) * 4, S.mode === 'time' ? 4 : 40);
    setWindow(s[0] - pad, s[1] + pad);
    showDetails(i);
  }

  function fieldRows(box, rows) {
    var table = document.createElement('table');
    rows.forEach(function (r) {
      var tr = table.insertRow(), th = document.createElement('th'), td = tr.insertCell();
      th.textContent = r[0];
      tr.insertBefore(th, td);
      td.textContent = visible(r[1]);
    });
    box.replaceChildren(table);
  }
  function opRows(i) {
    var op = D.ops[i];
    var rows = [['operation', 'op#' + op[0] + ' ' + D.names[op[2]]], ['arguments', op[3] === '' ? '(none)' : op[3]],
      ['task', D.tasks[op[1]]], ['result', OUTCOMES[op[8]] + (op[9] ? ': ' + op[9] : '')],
      ['simulated time', op[4] + ' .. ' + op[5] + ' ms'], ['events', op[6] + ' .. ' + op[7]]];
    (faultsOf[op[0]] || []).forEach(function (fi) {
      var f = D.faults[fi];
      rows.push(['fault at event ' + f[0], f[3] + ' on ' + f[4] + ' ' + f[5] + ': ' + f[6]]);
    });
    return rows;
  }
  function showDetails(i) { fieldRows(details, opRows(i)); details.hidden = false; }
  function blockRows(node) {
    var n = node.getAttribute('data-outcomes').split(',');
    return [['block', node.getAttribute('data-count') + ' operations (click to zoom in)'],
      ['outcomes', n[0] + ' ok, ' + n[1] + ' failed, ' + n[2] + ' indeterminate, ' + n[3] + ' unfinished'],
      ['first', 'op#' + node.getAttribute('data-first')]];
  }
  function faultRows(index) {
    var f = D.faults.filter(function (x) { return x[0] === index; })[0];
    return [['fault', f[3]], ['kv operation', f[4]], ['key', f[5]], ['effect', f[6]],
      ['event', f[0]], ['simulated time', f[1] + ' ms'], ['hit', f[7] === null ? '(no operation)' : 'op#' + f[7]]];
  }
  function rowsFor(node) {
    if (node.hasAttribute('data-op')) { return opRows(opIndex[node.getAttribute('data-op')]); }
    if (node.hasAttribute('data-count')) { return blockRows(node); }
    if (node.hasAttribute('data-fault')) { return faultRows(Number(node.getAttribute('data-fault'))); }
    if (node.hasAttribute('data-violation')) {
      var v = D.violations[Number(node.getAttribute('data-violation'))];
      return [['violation', v.invariant], ['key', v.key === null ? '(none named)' : v.key],
        ['event', v.index], ['simulated time', v.time_ms + ' ms']];
    }
    if (node.classList.contains('crash') || node.classList.contains('restart')) {
      var list = node.classList.contains('crash') ? D.crashes : D.restarts;
      var c = list.filter(function (x) { return x[0] === Number(node.getAttribute('data-index')); })[0];
      return node.classList.contains('crash')
        ? [['crash', c[2]], ['event', c[0]], ['simulated time', c[1] + ' ms'], ['operations in flight', c[3]]]
        : [['restart after crash', c[2]], ['event', c[0]], ['simulated time', c[1] + ' ms'], ['durable keys', c[3]]];
    }
    return null;
  }

  root.addEventListener('mousemove', function (e) {
    if (S.drag && (S.drag.moved || Math.abs(e.clientX - S.drag.px) > 3)) {
      var dv = (e.clientX - S.drag.px) / plotWidth() * (S.drag.x1 - S.drag.x0);
      S.drag.moved = true;
      tip.hidden = true;
      setWindow(S.drag.x0 - dv, S.drag.x1 - dv);
      return;
    }
    var rows = e.target.getAttribute ? rowsFor(e.target) : null;
    if (!rows) { tip.hidden = true; return; }
    fieldRows(tip, rows);
    tip.hidden = false;
    tip.style.left = Math.min(e.pageX + 14, window.innerWidth - tip.offsetWidth - 8) + 'px';
    tip.style.top = (e.pageY + 14) + 'px';
  });
  root.addEventListener('mouseleave', function () { tip.hidden = true; S.drag = null; });
  root.addEventListener('mousedown', function (e) {
    S.drag = { px: e.clientX, x0: S.x0, x1: S.x1, moved: false };
  });
  window.addEventListener('mouseup', function () {
    S.dragged = S.drag !== null && S.drag.moved;
    S.drag = null;
  });
  root.addEventListener('click', function (e) {
    var node = e.target;
    if (S.dragged || !node.hasAttribute) { return; }
    if (node.hasAttribute('data-op')) { showDetails(opIndex[node.getAttribute('data-op')]); }
    else if (node.hasAttribute('data-count')) {
      var v = valueOf(Number(node.getAttribute('x')));
      var w = (S.x1 - S.x0) * 40 / plotWidth();
      setWindow(v - w / 4, v + w);
    } else if (node.hasAttribute('data-violation')) { selectViolation(Number(node.getAttribute('data-violation'))); }
  });
  root.addEventListener('wheel', function (e) {
    e.preventDefault();
    var rect = root.getBoundingClientRect();
    zoom(e.deltaY < 0 ? 0.8 : 1.25, valueOf(e.clientX - rect.left));
  }, { passive: false });

  function selectViolation(i) {
    if (!(i >= 0 && i < D.violations.length)) { return; }
    S.violation = i;
    document.querySelectorAll('.vio').forEach(function (node) {
      node.hidden = Number(node.getAttribute('data-v')) !== i;
    });
    document.querySelectorAll('.vsel').forEach(function (node) {
      node.classList.toggle('on', Number(node.getAttribute('data-v')) === i);
    });
    redraw();
  }
  document.querySelectorAll('.vsel').forEach(function (node) {
    node.addEventListener('click', function () { selectViolation(Number(node.getAttribute('data-v'))); });
  });
  document.querySelectorAll('.opref').forEach(function (node) {
    node.addEventListener('click', function (e) {
      e.preventDefault();
      focusOp(Number(node.getAttribute('data-op')));
      root.scrollIntoView({ block: 'nearest' });
    });
  });

  function search() {
    var q = document.getElementById('search').value.trim(), out = document.getElementById('search-status');
    S.matches = {}; S.matchList = []; S.matchAt = -1;
    if (q !== '') {
      var id = /^(op)?#?(\d+)$/.exec(q);
      D.ops.forEach(function (op) {
        if ((id && op[0] === Number(id[2])) || (!id && op[3].indexOf(q) >= 0)) {
          S.matches[op[0]] = true;
          S.matchList.push(op[0]);
        }
      });
    }
    out.textContent = q === '' ? '' : S.matchList.length + ' operations match';
    redraw();
  }
  document.getElementById('search').addEventListener('input', search);
  document.getElementById('search').addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && S.matchList.length) {
      S.matchAt = (S.matchAt + 1) % S.matchList.length;
      focusOp(S.matchList[S.matchAt]);
      document.getElementById('search-status').textContent =
        'match ' + (S.matchAt + 1) + ' of ' + S.matchList.length + ' (Enter for the next)';
    }
  });
  document.getElementById('zoom-in').addEventListener('click', function () { zoom(0.5); });
  document.getElementById('zoom-out').addEventListener('click', function () { zoom(2); });
  document.getElementById('zoom-reset').addEventListener('click', function () {
    var e = extent(); setWindow(e[0], e[1]);
  });
  document.getElementById('zoom-apply').addEventListener('click', function () {
    setWindow(Number(document.getElementById('from').value), Number(document.getElementById('to').value));
  });
  document.getElementById('mode').addEventListener('change', function (e) {
    S.mode = e.target.value;
    var x = extent();
    S.x0 = x[0]; S.x1 = x[1];
    redraw();
  });
  window.addEventListener('resize', redraw);

  // A view can be linked: page.html#mode=events&from=100&to=400&violation=2&search=agent-0, or
  // #invariant=NAME for the first violation of that invariant.
  function linked() {
    var h = {};
    window.location.hash.replace(/^#/, '').split('&').forEach(function (pair) {
      var at = pair.indexOf('=');
      if (at <= 0) { return; }
      try { h[decodeURIComponent(pair.slice(0, at))] = decodeURIComponent(pair.slice(at + 1)); } catch (err) { return; }
    });
    return h;
  }
  var link = linked();
  if (link.mode === 'events' || link.mode === 'time') { S.mode = link.mode; }
  document.getElementById('mode').value = S.mode;
  var e0 = extent();
  clampWindow(link.from === undefined ? e0[0] : Number(link.from), link.to === undefined ? e0[1] : Number(link.to));
  if (link.violation !== undefined) { selectViolation(Number(link.violation)); }
  if (link.invariant !== undefined) {
    selectViolation(D.violations.findIndex(function (v) { return v.invariant === link.invariant; }));
  }
  if (link.search !== undefined) { document.getElementById('search').value = link.search; search(); }
  draw();
  var panel = document.getElementById('violation');
  if (panel) {
    var r = panel.getBoundingClientRect();
    document.body.dataset.violationVisible = r.height > 0 && r.top < window.innerHeight && r.bottom > 0;
  }
})();
