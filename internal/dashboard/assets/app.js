// pm2dock dashboard: one page, read-only. Everything it shows comes from the
// server's /api routes (see internal/dashboard/doc.go); live changes arrive
// on one server-sent event stream, the page never polls.
'use strict';
(() => {
  const token = document.querySelector('meta[name="pm2dock-token"]').content;
  const $ = (sel) => document.querySelector(sel);
  const services = [...document.querySelectorAll('#timeline .lane')].map((l) => l.dataset.service);

  const url = (path, params = {}) => {
    const u = new URL(path, location.origin);
    u.searchParams.set('token', token);
    for (const [k, v] of Object.entries(params)) if (v !== '' && v != null) u.searchParams.set(k, v);
    return u;
  };
  const api = async (path, params) => {
    const r = await fetch(url(path, params), { cache: 'no-store' });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${(await r.text()).trim()}`);
    return r.json();
  };

  const S = {
    range: 3600000, // the window: the last hour or day, ending now
    status: null, // the last status message
    events: [], // the window's events, time-ordered
    figures: {}, // service -> [[ms, cpu, mem, limit]]
    sel: null, // {service, since, until} chosen for the log panel
    follow: false,
    stream: null,
    fetched: new Set(),
  };
  const now = () => Date.now();
  const from = () => now() - S.range;

  // ---- formatting
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  const stamp = (ms) => { const d = new Date(ms); return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`; };
  const clock = (ms) => { const d = new Date(ms); return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`; };
  const secs = (s) => {
    if (s == null) return '-';
    s = Math.max(0, Math.floor(s));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
    if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
    return `${Math.floor(s / 86400)}d${pad(Math.floor(s / 3600) % 24)}h`;
  };
  const bytes = (b) => {
    if (b == null) return '-';
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
    return `${b.toFixed(i ? 1 : 0)}${u[i]}`;
  };
  const ago = (ms) => (ms == null ? '-' : `${secs((now() - ms) / 1000)} ago`);
  const el = (tag, attrs = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  };
  const eventKey = (e) => `${e.ts} ${e.service} ${e.event}`;
  const eventText = (e) => {
    let t = `${clock(e._t ??= Date.parse(e.ts))} ${e.service} ${e.event}`;
    if (e.exit_code != null) t += ` (exit ${e.exit_code}${e.oom_killed ? ', OOM-killed' : ''})`;
    if (e.by) t += ` by ${e.by}`;
    if (e.reason) t += `: ${e.reason}`;
    if (e.output) t += `\nprobe: ${e.output}`;
    return t;
  };

  // ---- status rows
  const renderStatus = () => {
    const m = S.status;
    if (!m) return;
    const tbody = $('#status tbody');
    const rows = new Map(m.rows.map((r) => [r.name, r]));
    tbody.replaceChildren(...services.map((name) => {
      const r = rows.get(name);
      if (!r) return el('tr', { 'data-service': name }, el('td', {}, name), el('td', { colSpan: 11, class: 'dim' }, 'not in the status'));
      const c = r.container;
      const running = c && c.state === 'running' && c.started_at;
      const up = running ? secs((now() - Date.parse(c.started_at)) / 1000) : '-';
      const f = r.last_failure;
      const fail = f ? el('span', { title: (f.last_lines || []).join('\n') }, el('span', { 'data-ago': f.at }, ago(Date.parse(f.at))), `: ${f.reason}`) : '-';
      return el('tr', { 'data-service': name, 'data-state': r.state, class: `st-${r.state}` },
        el('td', {}, name),
        el('td', { class: 'state' }, r.state + (r.job && r.completed ? ' (job)' : '')),
        el('td', {}, r.pm2.status),
        el('td', {}, r.pm2.pid ? String(r.pm2.pid) : '-'),
        el('td', { title: (c && c.health_output) || '' }, c ? (c.health || 'no check') : '-'),
        el('td', { class: 'uptime', 'data-started': running ? c.started_at : '' }, up),
        el('td', {}, String(r.pm2.restarts)),
        r.pm2.last_start ? el('td', { 'data-ago': r.pm2.last_start }, ago(Date.parse(r.pm2.last_start))) : el('td', {}, '-'),
        el('td', {}, c && c.cpu_percent != null ? `${c.cpu_percent.toFixed(1)}%` : '-'),
        el('td', {}, c && c.mem_bytes != null ? bytes(c.mem_bytes) + (c.mem_limit_bytes ? ` / ${bytes(c.mem_limit_bytes)}` : '') : '-'),
        el('td', {}, c && c.ports.length ? c.ports.join(', ') : '-'),
        el('td', { class: 'fail' }, fail));
    }));
    const probs = [];
    if (m.engine_error) probs.push(`Docker engine: ${m.engine_error}`);
    if (m.pm2_error) probs.push(`PM2: ${m.pm2_error}`);
    $('#problems').replaceChildren(...probs.map((p) => el('div', { class: 'problem' }, p)));
  };


  const tickTimes = () => {
    for (const td of document.querySelectorAll('#status td.uptime')) {
      if (td.dataset.started) td.textContent = secs((now() - Date.parse(td.dataset.started)) / 1000);
    }
    for (const e of document.querySelectorAll('#status [data-ago]')) e.textContent = ago(Date.parse(e.dataset.ago));
  };

  // ---- timeline
  const kindClass = (k) => ({
    start: 'k-start', restart: 'k-start', adopt: 'k-start', ready: 'k-good', healthy: 'k-good', completed: 'k-good',
    'engine-up': 'k-good', unhealthy: 'k-warn', 'engine-down': 'k-warn', exit: 'k-bad', 'crash-loop': 'k-bad', stop: 'k-stop',
  }[k] || 'k-start');
  const renderAxis = () => {
    const f = from(); const n = 6;
    $('#axis').replaceChildren(...Array.from({ length: n + 1 }, (_, i) => el('span', { class: 'tick' }, clock(f + (S.range * i) / n))));
  };
  const renderTimeline = () => {
    const f = from();
    renderAxis();
    const bySvc = new Map(services.map((k) => [k, []]));
    for (const e of S.events) bySvc.get(e.service)?.push(e);
    for (const lane of document.querySelectorAll('#timeline .lane')) {
      const track = lane.querySelector('.track');
      const mine = bySvc.get(lane.dataset.service) || [];
      const kids = [];
      for (const e of mine) {
        const t = e._t ??= Date.parse(e.ts);
        if (t < f) continue;
        const m = document.createElement('span');
        m.className = `ev ${kindClass(e.event)}`;
        m.title = eventText(e);
        m.dataset.ts = e.ts; m.dataset.event = e.event; m.dataset.by = e.by || '';
        m.style.left = `${Math.min(100, ((t - f) / S.range) * 100)}%`;
        kids.push(m);
      }
      // A container's end is in the status at once, in the journal once the
      // shim has told it from an engine shutdown (up to 5 s later): until
      // then the status's failure stands in for it.
      const r = S.status && S.status.rows.find((x) => x.name === lane.dataset.service);
      const lf = r && r.last_failure;
      if (lf && lf.shim_exit_code == null) {
        const at = Date.parse(lf.at);
        const journaled = mine.some((e) => (e.event === 'exit' || e.event === 'crash-loop') && Math.abs(e._t - at) < 15000);
        if (!journaled && at >= f) {
          const m = el('span', { class: 'ev k-bad pending', title: `${clock(at)} ${lane.dataset.service} exit (exit ${lf.exit_code}${lf.oom_killed ? ', OOM-killed' : ''}): ${lf.reason}`, 'data-ts': lf.at, 'data-event': 'exit', 'data-by': '' });
          m.style.left = `${Math.min(100, ((at - f) / S.range) * 100)}%`;
          kids.push(m);
        }
      }
      if (S.sel && S.sel.service === lane.dataset.service) {
        const s = el('span', { class: 'sel' });
        s.style.left = `${Math.max(0, ((S.sel.since - f) / S.range) * 100)}%`;
        s.style.width = `${Math.max(0.2, ((S.sel.until - Math.max(f, S.sel.since)) / S.range) * 100)}%`;
        kids.unshift(s);
      }
      track.replaceChildren(...kids);
    }
  };
  const legend = () => {
    const kinds = [['k-start', 'start, restart, adopt'], ['k-good', 'healthy, ready, completed, engine up'], ['k-warn', 'unhealthy, engine down'], ['k-bad', 'exit, crash loop'], ['k-stop', 'stop']];
    $('#legend').replaceChildren(...kinds.map(([c, t]) => el('span', {}, el('span', { class: `ev-key ${c}` }), ` ${t}`)));
  };
  // Drag across a lane selects that window; a click selects the minute around the point.
  for (const lane of document.querySelectorAll('#timeline .lane')) {
    const track = lane.querySelector('.track');
    let down = null;
    const at = (x) => { const b = track.getBoundingClientRect(); return from() + (Math.min(Math.max(x - b.left, 0), b.width) / b.width) * S.range; };
    track.addEventListener('mousedown', (ev) => { down = { x: ev.clientX, t: at(ev.clientX), target: ev.target }; ev.preventDefault(); });
    track.addEventListener('mousemove', (ev) => {
      if (!down || Math.abs(ev.clientX - down.x) < 4) return;
      const t = at(ev.clientX);
      S.sel = { service: lane.dataset.service, since: Math.min(down.t, t), until: Math.max(down.t, t) };
      renderTimeline();
    });
    window.addEventListener('mouseup', (ev) => {
      if (!down) return;
      const d = down; down = null;
      if (Math.abs(ev.clientX - d.x) >= 4) {
        const t = at(ev.clientX);
        choose(lane.dataset.service, Math.min(d.t, t), Math.max(d.t, t));
      } else {
        const t = d.target.dataset && d.target.dataset.ts ? Date.parse(d.target.dataset.ts) : d.t;
        choose(lane.dataset.service, t - 30000, t + 30000);
      }
    });
  }

  // ---- graphs
  let cpuPlot = null; let memPlot = null;
  const palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
  const graphData = (col) => {
    const tables = services.map((s) => {
      const pts = S.figures[s] || [];
      return [pts.map((p) => p[0] / 1000), pts.map((p) => p[col])];
    });
    return uPlot.join(tables);
  };
  const makePlot = (node, col, fmt) => {
    const opts = {
      width: node.clientWidth || 600, height: 180,
      scales: { x: { time: true, range: () => [from() / 1000, now() / 1000] } },
      series: [{}, ...services.map((s, i) => ({ label: s, stroke: palette[i % palette.length], width: 1.5, spanGaps: false, value: (u, v) => (v == null ? '-' : fmt(v)) }))],
      axes: [{}, { values: (u, vs) => vs.map(fmt), size: 70 }],
      cursor: { drag: { x: true, y: false, setScale: false }, sync: { key: 'pm2dock' } },
      hooks: { setSelect: [(u) => {
        if (u.select.width < 2) return;
        const a = u.posToVal(u.select.left, 'x') * 1000; const b = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
        u.setSelect({ left: 0, width: 0 }, false);
        choose($('#logsvc').value, a, b);
      }] },
    };
    return new uPlot(opts, graphData(col), node);
  };
  const renderGraphs = () => {
    if (!cpuPlot) {
      cpuPlot = makePlot($('#cpu'), 1, (v) => `${v.toFixed(1)}%`);
      memPlot = makePlot($('#mem'), 2, bytes);
    } else {
      cpuPlot.setData(graphData(1));
      memPlot.setData(graphData(2));
    }
    const n = Object.values(S.figures).reduce((a, pts) => a + pts.length, 0);
    $('#cpu').dataset.points = $('#mem').dataset.points = String(n);
  };
  // Points come each 5 s a service: drawn within a second, at most once a second.
  let graphTimer = null;
  const graphSoon = () => {
    graphTimer ??= setTimeout(() => { graphTimer = null; renderGraphs(); }, 1000);
  };
  window.addEventListener('resize', () => {
    for (const [p, n] of [[cpuPlot, '#cpu'], [memPlot, '#mem']]) if (p) p.setSize({ width: $(n).clientWidth, height: 180 });
  });

  // ---- logs
  // A message stored as base64 (not UTF-8) is shown with printable ASCII as
  // is and every other byte as \xNN (pm2dock logs also keeps such a line's
  // valid UTF-8 sequences as they are; the page escapes them too).
  const unb64 = (b) => [...atob(b)].map((c) => {
    const n = c.charCodeAt(0);
    return n >= 0x20 && n < 0x7f || n === 9 ? c : `\\x${n.toString(16).padStart(2, '0')}`;
  }).join('');
  const logLine = (r) => {
    const msg = r.b64 ? unb64(r.msg) : r.msg;
    return el('div', { class: `line lv-${r.level}`, 'data-ts': r.ts, 'data-service': r.service, 'data-stream': r.stream, 'data-level': r.level },
      el('span', { class: 'ts' }, stamp(Date.parse(r.ts))), ' ', el('span', { class: 'svc' }, r.service), ' ',
      el('span', { class: 'lvl' }, r.level.toUpperCase()), ' ', el('span', { class: 'msg' }, msg));
  };
  const maxShown = 5000;
  const choose = (service, since, until) => {
    S.sel = { service, since: Math.floor(since), until: Math.ceil(until) };
    $('#logsvc').value = service;
    if (S.follow) { S.follow = false; $('#follow').checked = false; openStream(); }
    renderTimeline();
    loadLogs();
  };
  const loadLogs = async () => {
    const sel = S.sel;
    if (!sel) return;
    const since = new Date(sel.since).toISOString(); const until = new Date(sel.until).toISOString();
    $('#logwin').textContent = `${sel.service}, ${stamp(sel.since)} to ${stamp(sel.until)}`;
    $('#logs').dataset.state = 'loading';
    try {
      const res = await api('/api/logs', { service: sel.service, since, until, level: $('#loglevel').value });
      if (S.sel !== sel) return; // another window was chosen meanwhile
      $('#logs').replaceChildren(...res.records.map(logLine));
      $('#lognote').textContent = res.truncated ? `the first ${res.records.length} lines; narrow the window for the rest` : `${res.records.length} lines`;
      $('#logs').dataset.since = since; $('#logs').dataset.until = until;
      $('#logs').dataset.state = 'loaded';
    } catch (e) {
      $('#lognote').textContent = e.message;
      $('#logs').dataset.state = 'error';
    }
  };
  // Follow: the stream is opened first (the server follows the store from a
  // moment before), then the last lines are fetched; lines the stream brings
  // meanwhile wait, and every line is shown once (ts, stream and message).
  // Each (re)open of the stream while following does this again.
  const lineKey = (r) => `${r.ts} ${r.stream} ${r.msg}`;
  let followGen = 0;
  const startFollow = () => {
    S.follow = true; S.sel = null; S.followReady = false; S.followQueue = [];
    followGen++;
    $('#logs').dataset.state = 'loading';
    openStream(); // its open runs syncFollow
  };
  const syncFollow = async () => {
    const gen = ++followGen;
    const svc = $('#logsvc').value;
    S.followReady = false; S.followQueue = [];
    $('#logwin').textContent = `${svc}, following (the last 5 minutes, then new lines)`;
    try {
      const res = await api('/api/logs', { service: svc, since: '5m', until: new Date(now() + 60000).toISOString(), level: $('#loglevel').value, tail: maxShown });
      if (gen !== followGen || !S.follow) return; // another window or follow began meanwhile
      const seen = new Set(res.records.map(lineKey));
      const lines = res.records.concat(S.followQueue.filter((r) => !seen.has(lineKey(r))));
      for (const r of S.followQueue) seen.add(lineKey(r));
      S.fetched = seen; S.followQueue = []; S.followReady = true;
      $('#logs').replaceChildren(...lines.slice(-maxShown).map(logLine));
      $('#logs').scrollTop = $('#logs').scrollHeight;
      $('#lognote').textContent = 'following';
      $('#logs').dataset.state = 'following';
    } catch (e) { $('#lognote').textContent = e.message; }
  };
  const appendLog = (r) => {
    if (!S.follow || r.service !== $('#logsvc').value) return;
    if (!S.followReady) { S.followQueue.push(r); return; } // the fetch is on its way
    const k = lineKey(r);
    if (S.fetched.has(k)) return; // fetched already
    S.fetched.add(k);
    const box = $('#logs');
    const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    box.append(logLine(r));
    while (box.childElementCount > maxShown) box.firstElementChild.remove();
    if (atEnd) box.scrollTop = box.scrollHeight;
  };
  $('#follow').addEventListener('change', (ev) => { if (ev.target.checked) startFollow(); else { S.follow = false; openStream(); } });
  $('#logsvc').addEventListener('change', () => { if (S.follow) startFollow(); else if (S.sel) choose($('#logsvc').value, S.sel.since, S.sel.until); });
  $('#loglevel').addEventListener('change', () => { if (S.follow) startFollow(); else loadLogs(); });

  // ---- the window, and the stream
  // The first window's answers were asked for by the page's head (preload),
  // while the scripts loaded: fetched again here with the same URLs, the
  // browser hands over those answers.
  const preloaded = async (id) => {
    const r = await fetch(document.getElementById(id).href, { cache: 'no-store' });
    if (!r.ok) throw new Error(`${id}: ${r.status} ${(await r.text()).trim()}`);
    return r.json();
  };
  let first = true;
  const loadWindow = async () => {
    let ev; let fig;
    if (first && S.range === 3600000) {
      first = false;
      [ev, fig] = await Promise.all([preloaded('first-events'), preloaded('first-figures')]);
    } else {
      const since = new Date(from()).toISOString(); const until = new Date(now() + 60000).toISOString();
      [ev, fig] = await Promise.all([api('/api/events', { since, until, buckets: 300 }), api('/api/figures', { since, until, buckets: 360 })]);
    }
    // Events pushed while the answer was on its way are kept, once.
    const seen = new Set(ev.events.map(eventKey));
    S.events = ev.events.concat(S.events.filter((e) => !seen.has(eventKey(e)) && Date.parse(e.ts) >= Date.parse(ev.since)));
    S.events.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    // Points pushed while the answer was on its way are kept, once.
    for (const [svc, pts] of Object.entries(fig.services)) {
      const last = pts.length ? pts[pts.length - 1][0] : -Infinity;
      fig.services[svc] = pts.concat((S.figures[svc] || []).filter((p) => p[0] > last));
    }
    S.figures = fig.services;
    const cut = [];
    if (ev.folded) cut.push(`${ev.folded} more events not drawn (one of each kind per service every ${secs(S.range / 300000)})`);
    if (ev.truncated) cut.push(`only the first ${ev.events.length} events drawn`);
    $('#folded').textContent = cut.length ? `${cut.join('; ')}: pm2dock events lists them all` : '';
    performance.mark('pm2dock-fetched');
    renderTimeline();
    performance.mark('pm2dock-timeline');
    renderGraphs();
    performance.mark('pm2dock-graphs');
  };
  const openStream = () => {
    if (S.stream) S.stream.close();
    const params = S.follow ? { logs: $('#logsvc').value, level: $('#loglevel').value } : {};
    const es = new EventSource(url('/api/stream', params));
    S.stream = es;
    es.onopen = () => {
      $('#conn').textContent = 'live'; $('#conn').className = 'conn live';
      // Every open but the page's first may have missed events and points.
      if (S.opened) loadWindow().catch((e) => { $('#folded').textContent = e.message; });
      S.opened = true;
      if (S.follow) syncFollow();
    };
    es.onerror = () => { $('#conn').textContent = 'reconnecting…'; $('#conn').className = 'conn down'; };
    es.addEventListener('status', (m) => { S.status = JSON.parse(m.data); renderStatus(); renderTimeline(); });
    es.addEventListener('event', (m) => {
      const e = JSON.parse(m.data);
      const k = eventKey(e);
      if (S.events.some((x) => x.ts === e.ts && eventKey(x) === k)) return; // fetched already
      if (!S.events.length || S.events[S.events.length - 1].ts <= e.ts) S.events.push(e);
      else { S.events.push(e); S.events.sort((a, b) => (a.ts < b.ts ? -1 : 1)); }
      renderTimeline();
    });
    es.addEventListener('figure', (m) => {
      const f = JSON.parse(m.data);
      (S.figures[f.service] ||= []).push(f.point);
      graphSoon();
    });
    es.addEventListener('log', (m) => appendLog(JSON.parse(m.data)));
  };
  for (const b of document.querySelectorAll('.range button')) {
    b.addEventListener('click', async () => {
      const t = performance.now();
      S.range = Number(b.dataset.range);
      for (const o of document.querySelectorAll('.range button')) o.classList.toggle('on', o === b);
      delete document.body.dataset.windowMs;
      await loadWindow();
      document.body.dataset.windowMs = String(Math.round(performance.now() - t)); // how long the window took to show
    });
  }

  // Time moves: the rows' uptimes and "ago"s each second (from the last status,
  // no request); the window's edge every 5 s.
  setInterval(tickTimes, 1000);
  setInterval(() => {
    const f = from();
    while (S.events.length && Date.parse(S.events[0].ts) < f - 60000) S.events.shift();
    for (const pts of Object.values(S.figures)) {
      let n = 0;
      while (n < pts.length && pts[n][0] < f - 60000) n++;
      if (n) pts.splice(0, n);
    }
    renderTimeline();
    if (cpuPlot) renderGraphs(); // the window's edge moved
  }, 5000);

  legend();
  openStream();
  (async () => {
    try {
      const [st] = await Promise.all([preloaded('first-status'), loadWindow()]);
      if (!S.status) { S.status = st; renderStatus(); }
      performance.mark('pm2dock-ready');
      document.body.dataset.ready = String(Math.round(performance.getEntriesByName('pm2dock-ready')[0].startTime));
    } catch (e) {
      $('#problems').replaceChildren(el('div', { class: 'problem' }, e.message));
    }
  })();
})();
