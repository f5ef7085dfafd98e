/* The @wai dashboard page: live charts (uPlot) from the WebSocket, history for longer ranges, and the cache
   actions. Plain browser JavaScript, no build step and no third-party requests (the server serves uPlot). */
(function () {
  'use strict';

  const config = JSON.parse(document.getElementById('wai-config').textContent);
  const LIVE_PROTOCOL = 'wai.dashboard.v1';
  const LIVE_POINTS = 300; // 5 minutes at the default 1 s interval
  const RANGES = { '5m': { ms: 5 * 60e3, step: 1000 }, '1h': { ms: 3600e3, step: 15e3 }, '24h': { ms: 86400e3, step: 300e3 } };
  const COLORS = { blue: '#4ea1ff', green: '#3ddc97', amber: '#f5b942', red: '#ff6b6b', purple: '#b38cff', cyan: '#38d0e0' };

  const $ = (selector, root = document) => root.querySelector(selector);
  const field = (name) => document.querySelectorAll(`[data-field="${name}"]`);
  const setField = (name, text) => field(name).forEach((node) => { node.textContent = text; });

  // ── token ─────────────────────────────────────────────────────────────────────────────────────────────
  const tokenInput = $('#token');
  tokenInput.value = sessionStorage.getItem('wai-dashboard-token') || '';
  tokenInput.addEventListener('change', () => {
    sessionStorage.setItem('wai-dashboard-token', tokenInput.value.trim());
    reconnect(0);
  });
  const token = () => tokenInput.value.trim();

  function base64url(text) {
    const bytes = new TextEncoder().encode(text);
    let binary = '';
    bytes.forEach((byte) => { binary += String.fromCharCode(byte); });
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  async function api(method, path, body) {
    const headers = {};
    if (token()) headers.authorization = `Bearer ${token()}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${config.prefix}/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const payload = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error((payload.error && payload.error.message) || `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return payload;
  }

  // ── formatting ────────────────────────────────────────────────────────────────────────────────────────
  /** Readable numbers: fewer decimals as values grow (1,320 ms, 43.7 req/s, 0.22 %). */
  const fmt = (value, digits = 1) => {
    if (value === null || value === undefined || !Number.isFinite(value)) return '–';
    const places = Math.abs(value) >= 100 ? 0 : digits;
    return value.toLocaleString('en-US', { maximumFractionDigits: places, minimumFractionDigits: value !== 0 && Math.abs(value) < 10 ? Math.min(places, 1) : 0 });
  };
  const esc = (text) => String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const ago = (t) => {
    const s = Math.max(0, Math.round((Date.now() - t) / 1000));
    return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
  };

  // ── charts ────────────────────────────────────────────────────────────────────────────────────────────
  // Each chart: its series (label, colour, value from a live frame, history metric and scale factor).
  const CHARTS = {
    latency: [
      { label: 'p50', color: COLORS.green, live: (f) => f.responseTime.p50, metric: 'latency_p50' },
      { label: 'p95', color: COLORS.amber, live: (f) => f.responseTime.p95, metric: 'latency_p95' },
      { label: 'p99', color: COLORS.red, live: (f) => f.responseTime.p99, metric: 'latency_p99' },
    ],
    rps: [{ label: 'req/s', color: COLORS.blue, live: (f) => f.requestsPerSecond, metric: 'requests_per_second', fill: true }],
    errors: [{ label: 'errors %', color: COLORS.red, live: (f) => f.errorRate * 100, metric: 'error_rate', scale: 100, fill: true }],
    memory: [{ label: 'heap MB', color: COLORS.purple, live: (f) => f.memory.heapUsed / 1048576, metric: 'heap_used', scale: 1 / 1048576, fill: true }],
    loop: [
      { label: 'p50', color: COLORS.cyan, live: (f) => f.eventLoop.delayP50, metric: 'event_loop_delay_p50' },
      { label: 'p99', color: COLORS.amber, live: (f) => f.eventLoop.delayP99, metric: 'event_loop_delay_p99' },
    ],
    cache: [{ label: 'hit %', color: COLORS.green, live: (f) => f.cacheHitRate, metric: 'cache_hit_rate', scale: 100, fill: true }],
  };

  const axis = { stroke: '#8393a7', grid: { stroke: '#1c2736', width: 1 }, ticks: { stroke: '#1c2736', width: 1 }, font: '11px system-ui, sans-serif' };
  const pad = (n) => String(n).padStart(2, '0');
  /** Clock labels on one line: seconds for the live range, minutes for the longer ones. */
  const timeLabels = (u, splits) => splits.map((s) => {
    const d = new Date(s * 1000);
    return range === '5m' ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  });
  const valueLabels = (u, splits) => splits.map((v) => fmt(v, 2));
  const charts = {};

  function makeChart(name) {
    const card = $(`[data-chart="${name}"]`);
    const target = $('.plot', card);
    const series = CHARTS[name];
    const data = [[], ...series.map(() => [])];
    const plot = new uPlot(
      {
        width: Math.max(200, target.clientWidth),
        height: 180,
        cursor: { points: { size: 6 } },
        legend: { live: false },
        scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.15 : 1] } },
        axes: [{ ...axis, values: timeLabels, space: 70 }, { ...axis, size: 52, values: valueLabels }],
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, fill: s.fill ? `${s.color}22` : undefined, points: { show: false }, value: (u, v) => fmt(v, 2) }))],
      },
      data,
      target,
    );
    charts[name] = { card, plot, data, series };
  }

  function redraw(name) {
    const chart = charts[name];
    chart.plot.setData(chart.data);
    const last = chart.data[1][chart.data[1].length - 1];
    chart.card.dataset.points = String(chart.data[0].length);
    chart.card.dataset.last = last === undefined || last === null ? '' : String(last);
  }

  function appendLive(frame) {
    const t = frame.timestamp / 1000;
    for (const name of Object.keys(charts)) {
      const chart = charts[name];
      chart.data[0].push(t);
      chart.series.forEach((s, i) => {
        const value = s.live(frame);
        chart.data[i + 1].push(value === null || value === undefined ? null : value);
      });
      if (chart.data[0].length > LIVE_POINTS) chart.data.forEach((column) => column.shift());
      redraw(name);
    }
  }

  let range = '5m';
  let historyTimer;

  /** Fills every chart from `GET history` for the selected range (step-averaged by the monitor). */
  async function loadHistory() {
    const { ms, step } = RANGES[range];
    const to = Date.now();
    const from = to - ms;
    await Promise.all(
      Object.keys(charts).map(async (name) => {
        const chart = charts[name];
        const results = await Promise.all(chart.series.map((s) => api('GET', `history?metric=${s.metric}&from=${Math.floor(from)}&to=${Math.ceil(to)}&step=${step}`).catch(() => ({ points: [] }))));
        // Align the series on the union of their timestamps.
        const times = [...new Set(results.flatMap((r) => r.points.map((p) => p.t)))].sort((a, b) => a - b);
        const columns = results.map((r, i) => {
          const byTime = new Map(r.points.map((p) => [p.t, p.v * (chart.series[i].scale || 1)]));
          return times.map((t) => (byTime.has(t) ? byTime.get(t) : null));
        });
        chart.data.length = 0;
        chart.data.push(times.map((t) => t / 1000), ...columns);
        redraw(name);
      }),
    );
  }

  document.querySelectorAll('[data-range]').forEach((button) => {
    button.addEventListener('click', () => {
      document.querySelectorAll('[data-range]').forEach((b) => b.classList.toggle('active', b === button));
      range = button.dataset.range;
      clearInterval(historyTimer);
      loadHistory().catch(() => {});
      if (range !== '5m') historyTimer = setInterval(() => loadHistory().catch(() => {}), 15000);
    });
  });

  // ── cards and tables ──────────────────────────────────────────────────────────────────────────────────
  let lastFrame;

  function renderKpis(f) {
    setField('health', fmt(f.health.score, 0));
    setField('status', f.health.status);
    $('#kpi-health').dataset.status = f.health.status;
    setField('p50', fmt(f.responseTime.p50));
    setField('p95', fmt(f.responseTime.p95));
    setField('p99', fmt(f.responseTime.p99));
    setField('rps', fmt(f.requestsPerSecond));
    setField('requests', fmt(f.requestCount, 0));
    setField('errors', fmt(f.errorRate * 100, 2));
    setField('heap', fmt(f.memory.usagePercent));
    setField('heapUsed', fmt(f.memory.heapUsed / 1048576, 0));
    setField('loop', fmt(f.eventLoop.delayP99));
    // Fleet frames carry the worst instance's delay only (utilisation is per instance).
    setField('elu', f.type === 'fleet' ? '–' : `${fmt(f.eventLoop.utilization * 100, 0)} %`);
    setField('cache', f.cacheHitRate === null ? '–' : fmt(f.cacheHitRate));
    $('#subtitle').textContent = `updated ${new Date(f.timestamp).toLocaleTimeString()} · CPU ${fmt(f.cpuPercent, 0)} %`;
  }

  function renderEndpoints(f) {
    const body = $('#endpoints tbody');
    $('#endpoint-count').textContent = f.endpointCount > f.endpoints.length ? `top ${f.endpoints.length} of ${f.endpointCount}` : `${f.endpointCount} routes`;
    if (f.endpoints.length === 0) {
      body.innerHTML = '<tr class="empty"><td colspan="7">No requests yet</td></tr>';
      return;
    }
    body.innerHTML = f.endpoints
      .map((e) => {
        const errorClass = e.errorRate >= 0.05 ? 'bad' : e.errorRate > 0 ? 'warn' : '';
        const p95Class = e.p95 >= 1000 ? 'bad' : e.p95 >= 300 ? 'warn' : '';
        return `<tr><td><span class="method method-${esc(e.method)}">${esc(e.method)}</span><span class="route">${esc(e.route)}</span></td>` +
          `<td class="num">${fmt(e.count, 0)}</td><td class="num">${fmt(e.requestsPerSecond)}</td><td class="num">${fmt(e.p50)}</td>` +
          `<td class="num ${p95Class}">${fmt(e.p95)}</td><td class="num">${fmt(e.p99)}</td><td class="num ${errorClass}">${fmt(e.errorRate * 100, 2)} %</td></tr>`;
      })
      .join('');
  }

  // ── fleet ─────────────────────────────────────────────────────────────────────────────────────────────
  /** `null` until the user picks a scope: then the page shows the fleet when more than one instance is live. */
  let chosenScope = null;
  let lastFleet;
  let selectedInstance = null;

  function currentScope() {
    if (!lastFleet || lastFleet.available === false) return 'instance';
    return chosenScope || (lastFleet.instanceCount > 1 ? 'fleet' : 'instance');
  }

  function updateScopeButtons() {
    const active = currentScope();
    document.querySelectorAll('[data-scope]').forEach((b) => b.classList.toggle('active', b.dataset.scope === active));
    document.body.dataset.scope = active;
  }

  function renderInstances(f) {
    const card = $('#instances-card');
    if (f.available === false) {
      card.hidden = false;
      $('#instance-note').textContent = 'fleet unavailable: showing this instance';
      $('#instances tbody').innerHTML = `<tr class="empty"><td colspan="9">${esc(f.error.message)}</td></tr>`;
      return;
    }
    card.hidden = false;
    $('#instance-note').textContent = `${f.instanceCount} live`;
    $('#instances tbody').innerHTML = f.instances
      .map((i) => `<tr data-instance="${esc(i.id)}" class="${i.id === selectedInstance ? 'selected' : ''}"><td><span class="route">${esc(i.id)}</span> <span class="muted">${esc(i.host)} · pid ${esc(i.pid)}</span></td>` +
        `<td class="num" data-status="${esc(i.health.status)}">${fmt(i.health.score, 0)} ${esc(i.health.status)}</td><td class="num">${fmt(i.requestsPerSecond)}</td>` +
        `<td class="num">${fmt(i.responseTime.p95)}</td><td class="num">${fmt(i.errorRate * 100, 2)} %</td><td class="num">${fmt(i.memory.usagePercent)} %</td>` +
        `<td class="num">${fmt(i.eventLoopDelayP99)}</td><td class="num">${fmt(i.cpuPercent, 0)} %</td><td class="num">${fmt(i.activeAlerts, 0)}</td></tr>`)
      .join('');
  }

  /** Drill-down: one instance's busiest endpoints, from `metrics?scope=fleet&instance=`. */
  async function showInstance(id) {
    selectedInstance = id;
    const detail = $('#instance-detail');
    try {
      const view = await api('GET', `metrics?scope=fleet&instance=${encodeURIComponent(id)}`);
      detail.innerHTML = `<strong>${esc(id)}</strong>: ` + (view.endpoints.slice(0, 10)
        .map((e) => `${esc(e.method)} ${esc(e.route)} — ${fmt(e.count, 0)} req, p50 ${fmt(e.responseTime.p50)} · p95 ${fmt(e.responseTime.p95)} · p99 ${fmt(e.responseTime.p99)} ms`)
        .join('<br>') || 'no requests in its window');
    } catch (error) {
      detail.textContent = `${id}: ${error.message}`;
    }
    if (lastFleet) renderInstances(lastFleet);
  }

  $('#instances').addEventListener('click', (event) => {
    const row = event.target.closest('tr[data-instance]');
    if (row) showInstance(row.dataset.instance);
  });

  document.querySelectorAll('[data-scope]').forEach((button) => {
    button.addEventListener('click', () => {
      chosenScope = button.dataset.scope;
      // The live charts hold one scope's figures.
      for (const name of Object.keys(charts)) charts[name].data.forEach((column) => { column.length = 0; });
      updateScopeButtons();
      const frame = currentScope() === 'fleet' ? lastFleet : lastFrame;
      if (frame) render(frame);
    });
  });

  function onFleet(frame) {
    lastFleet = frame;
    $('#scope').hidden = false;
    setField('instanceCount', frame.available === false ? '(down)' : `(${frame.instanceCount})`);
    renderInstances(frame);
    updateScopeButtons();
    if (currentScope() === 'fleet') render(frame);
  }

  function findingItem(severity, title, detail, meta) {
    return `<li data-severity="${esc(severity)}"><div class="finding-title"><span class="badge badge-${esc(severity)}">${esc(severity)}</span><span>${esc(title)}</span></div>` +
      (detail ? `<div class="finding-detail">${esc(detail)}</div>` : '') + (meta ? `<div class="finding-meta">${esc(meta)}</div>` : '') + '</li>';
  }

  function renderList(id, items, empty, toItem) {
    $(`#${id}`).innerHTML = items.length === 0 ? `<li class="empty">${esc(empty)}</li>` : items.map(toItem).join('');
  }

  function renderFindings(f) {
    $('#alert-count').textContent = f.alerts.length ? `${f.alerts.length} active` : '';
    renderList('alerts', f.alerts, 'No active alerts', (a) =>
      findingItem(a.severity, a.message, `${a.type}${a.route ? ` · ${a.route}` : ''}${a.instance ? ` · on ${a.instance}` : ''} · ${a.state} since ${ago(a.startedAt)}`, `value ${fmt(a.value, 2)} · threshold ${fmt(a.threshold, 2)}`));
    $('#bottleneck-count').textContent = f.bottlenecks.length ? `${f.bottlenecks.length} found` : '';
    renderList('bottlenecks', f.bottlenecks, 'No bottlenecks found', (b) => findingItem(b.severity, b.title, b.detail, b.impact));
    renderList('recommendations', f.recommendations, 'Nothing to recommend', (r) => findingItem(r.severity, r.title, r.action || r.detail, r.expectedEffect || r.impact));
  }

  let knownStrategies = '';
  function renderCache(f) {
    const tiers = $('#cache-tiers');
    if (!f.cache) {
      tiers.innerHTML = '';
      $('#cache-note').textContent = 'no cache attached';
      return;
    }
    $('#cache-note').textContent = f.cacheHitRate === null ? '' : `${fmt(f.cacheHitRate)} % hits overall`;
    tiers.innerHTML = f.cache.tiers
      .map((t) => `<div class="tier" data-available="${t.available}"><div class="tier-name">${esc(t.name)}</div>` +
        `<div class="tier-value">${t.available ? `${fmt(t.hitRate)}<small>% hits</small>` : 'down'}</div>` +
        `<div class="muted">${t.size === null ? '&nbsp;' : `${fmt(t.size, 0)} entries`}</div></div>`)
      .join('');
    const names = f.cache.strategies.join('\n');
    if (names !== knownStrategies) {
      knownStrategies = names;
      $('#strategies').innerHTML = f.cache.strategies.map((name) => `<option value="${esc(name)}"></option>`).join('');
    }
  }

  function render(frame) {
    renderKpis(frame);
    // The cache card and its actions are this instance's in either scope.
    if (lastFrame) renderCache(lastFrame);
    renderEndpoints(frame);
    renderFindings(frame);
    if (frame.type === 'fleet') $('#subtitle').textContent = `fleet of ${frame.instanceCount} instances · updated ${new Date(frame.timestamp).toLocaleTimeString()}`;
    if (range === '5m') appendLive(frame);
  }

  function onSnapshot(frame) {
    lastFrame = frame;
    if (currentScope() === 'instance') render(frame);
  }

  function onAlertEvent(message) {
    if (!lastFrame) return;
    const others = lastFrame.alerts.filter((a) => a.id !== message.alert.id);
    lastFrame.alerts = message.type === 'alert' ? [message.alert, ...others] : others;
    if (currentScope() === 'instance') renderFindings(lastFrame);
  }

  // ── live connection ───────────────────────────────────────────────────────────────────────────────────
  const connection = $('#connection');
  let socket;
  let retryTimer;
  let retryDelay = 1000;

  function setConnection(state, text) {
    connection.dataset.state = state;
    connection.textContent = text;
    connection.className = `pill ${state === 'live' ? 'pill-live' : state === 'auth' ? 'pill-bad' : state === 'down' ? 'pill-warn' : 'pill-muted'}`;
  }

  function connect() {
    if (!config.livePath) {
      setConnection('off', 'live off');
      return;
    }
    const protocols = [LIVE_PROTOCOL];
    if (token()) protocols.push(`wai.bearer.${base64url(token())}`);
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}${config.livePath}`, protocols);
    socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      retryDelay = 1000;
      setConnection('live', 'live');
    };
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'snapshot') onSnapshot(message);
      else if (message.type === 'fleet') onFleet(message);
      else if (message.type === 'alert' || message.type === 'alert:resolved') onAlertEvent(message);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      // A refused upgrade never opens: with a token required that is almost always a missing/wrong token.
      if (!opened && config.tokenRequired) setConnection('auth', token() ? 'token rejected' : 'token needed');
      else setConnection('down', 'reconnecting');
      reconnect(retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    };
  }

  function reconnect(delay) {
    clearTimeout(retryTimer);
    if (socket && socket.readyState <= 1) {
      const old = socket;
      socket = undefined;
      old.close();
    }
    retryTimer = setTimeout(connect, delay);
  }

  // ── cache actions ─────────────────────────────────────────────────────────────────────────────────────
  const status = $('#action-status');
  function showStatus(kind, text) {
    status.dataset.kind = kind;
    status.textContent = text;
  }

  function ensureToken() {
    if (token() || !config.tokenRequired) return;
    const entered = window.prompt('Dashboard token (PERFORMANCE_DASHBOARD_TOKEN)');
    if (entered) {
      tokenInput.value = entered.trim();
      sessionStorage.setItem('wai-dashboard-token', tokenInput.value);
      reconnect(0);
    }
  }

  async function runAction(button, action) {
    ensureToken();
    button.disabled = true;
    try {
      showStatus('ok', await action());
    } catch (error) {
      showStatus('error', `${error.status ? `${error.status}: ` : ''}${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  $('#warm-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const strategy = $('#warm-strategy').value.trim();
    runAction($('#warm'), async () => {
      const result = await api('POST', `cache/warm${strategy ? `?strategy=${encodeURIComponent(strategy)}` : ''}`);
      const keys = result.results.reduce((sum, r) => sum + r.keysWarmed, 0);
      return `Warmed ${keys} keys with ${result.results.map((r) => r.strategy).join(', ') || 'no strategies'}`;
    });
  });

  const kindSelect = $('#invalidate-kind');
  const valueInput = $('#invalidate-value');
  kindSelect.addEventListener('change', () => {
    valueInput.disabled = kindSelect.value === 'all';
    valueInput.placeholder = kindSelect.value === 'tag' ? 'user' : kindSelect.value === 'key' ? 'user:123:profile' : '';
  });
  $('#invalidate-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const kind = kindSelect.value;
    const value = valueInput.value.trim();
    runAction($('#invalidate'), async () => {
      const body = kind === 'all' ? { all: true } : { [kind]: value };
      const result = await api('POST', 'cache/invalidate', body);
      if (result.invalidated === 'key') return result.deleted ? `Deleted key ${result.key}` : `Key ${result.key} was not cached`;
      if (result.invalidated === 'tag') return `Invalidated tag ${result.tag}`;
      return 'Cleared the cache';
    });
  });

  // ── start ─────────────────────────────────────────────────────────────────────────────────────────────
  Object.keys(CHARTS).forEach(makeChart);
  window.addEventListener('resize', () => {
    for (const name of Object.keys(charts)) {
      const target = $('.plot', charts[name].card);
      charts[name].plot.setSize({ width: Math.max(200, target.clientWidth), height: 180 });
    }
  });
  if (!config.mutationsEnabled) {
    document.querySelectorAll('.actions button, .actions input, .actions select').forEach((node) => { node.disabled = true; });
    showStatus('error', 'Cache actions are disabled: the server has no token configured (production).');
  }
  loadHistory().catch(() => {}).finally(connect);
})();
