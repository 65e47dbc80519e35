// PosSync status page: reads /api/status every 2 s and draws it. Plain JavaScript, no library.
'use strict';

(function () {
  const REFRESH_MS = 2000;
  // Built from origin + path: when the page was opened as http://user:token@host/, fetch refuses
  // URLs that carry credentials, and the browser sends the cached ones by itself.
  const STATUS_URL = new URL('api/status', location.origin + location.pathname).href;
  const STATE_LABEL = { online: 'online', stale: 'stale', offline: 'offline' };

  let lastOk = null;

  // --- small DOM helpers ------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined) continue;
      if (key === 'class') node.className = value;
      else if (key === 'text') node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function replace(id, ...children) {
    const target = document.getElementById(id);
    target.replaceChildren(...children.filter((c) => c));
  }

  // --- formatting -------------------------------------------------------------------------

  function ago(millis) {
    const s = Math.max(0, Math.round(millis / 1000));
    if (s < 60) return s + ' s ago';
    const m = Math.floor(s / 60);
    if (m < 60) return m + ' min ago';
    const h = Math.floor(m / 60);
    if (h < 48) return h + ' h ' + (m % 60) + ' min ago';
    return Math.floor(h / 24) + ' days ago';
  }

  function duration(seconds) {
    const d = Math.floor(seconds / 86400);
    const h = Math.floor((seconds % 86400) / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (d > 0) return d + ' d ' + h + ' h';
    if (h > 0) return h + ' h ' + m + ' min';
    if (m > 0) return m + ' min ' + s + ' s';
    return s + ' s';
  }

  function mib(bytes) {
    return (bytes / 1048576).toFixed(0) + ' MiB';
  }

  function clock(millis) {
    return new Date(millis).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  // 09:54: hours and minutes, 24-hour, as a shop's receipts show them.
  function hhmm(millis) {
    return new Date(millis).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }

  function dateTime(millis) {
    return new Date(millis).toLocaleString([], {
      month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit'
    });
  }

  // --- sections ---------------------------------------------------------------------------

  function fact(label, value, sub, textual) {
    return el('div', { class: 'fact' },
      el('div', { class: 'label', text: label }),
      el('div', { class: textual ? 'value text' : 'value', text: value, title: value }),
      sub ? el('div', { class: 'sub', text: sub }) : null);
  }

  function renderNode(status) {
    const n = status.node;
    document.getElementById('version').textContent = 'version ' + n.version;
    let terminals = 0;
    let online = 0;
    for (const db of status.databases) {
      const all = db.multi_sessions.flatMap((ms) => ms.terminals).concat(db.other_terminals);
      terminals += all.length;
      online += all.filter((t) => t.state === 'online').length;
    }
    const waiting = status.outbox.waiting.reduce((sum, w) => sum + w.paid_orders, 0);
    replace('facts',
      fact('Terminals online', online + ' / ' + terminals),
      fact('Paid orders waiting for Odoo', String(waiting)),
      fact('Running for', duration(n.uptime_seconds), 'since ' + dateTime(n.started_at)));
    replace('dev-facts',
      fact('Held polls', String(n.held_polls)),
      fact('Last notification id', String(n.last_notification_id)),
      fact('Heap', mib(n.heap_used_bytes), 'of ' + mib(n.heap_max_bytes)),
      fact('POS listener', n.pos_listener, 'auth.mode ' + n.auth_mode, true));
  }

  // One banner per Odoo database whose paid orders cannot be written: the shop's people need to
  // know that Odoo does not have them yet, since when, and when PosSync tries again.
  function renderBanners(status) {
    const banners = [];
    const paused = new Set(status.outbox.paused.map((p) => p.dbname));
    for (const p of status.outbox.paused) {
      banners.push(el('div', { class: 'banner', 'data-banner': p.dbname, role: 'alert' },
        el('strong', { text: 'Odoo refused PosSync for ' + p.dbname + ' since ' + hhmm(p.since) + '. ' }),
        el('span', { text: 'Paid orders wait here until the settings are fixed and the outbox is resumed (possync outbox resume --db ' + p.dbname + '). ' }),
        el('span', { class: 'reason', text: p.reason })));
    }
    for (const w of status.outbox.waiting) {
      if (w.attempts === 0 || paused.has(w.dbname)) continue; // not tried yet, or said above
      const orders = w.paid_orders === 1 ? '1 paid order' : w.paid_orders + ' paid orders';
      banners.push(el('div', { class: 'banner', 'data-banner': w.dbname, role: 'alert' },
        el('strong', { text: 'Odoo (' + w.dbname + ') cannot be reached: ' }),
        el('span', { class: 'what', text: orders + ' waiting since ' + hhmm(w.oldest_created_at)
          + ', next try ' + hhmm(w.next_attempt_at) + '. ' }),
        el('span', { text: 'They are safe here and go to Odoo by themselves once it answers. ' }),
        w.last_error ? el('span', { class: 'reason', text: '(' + w.last_error + ')' }) : null));
    }
    replace('banners', ...banners);
  }

  function terminalRow(db, t, now) {
    const name = t.pos_name || 'POS ' + t.pos_id;
    const details = [];
    if (t.cashier) details.push('cashier ' + t.cashier);
    const dev = ['POS ' + t.pos_id];
    if (t.user_id !== null) dev.push('user ' + t.user_id);
    if (t.message_id !== null) dev.push('message_ID ' + t.message_id);
    const when = t.last_poll === null ? 'not seen since the start' : 'last seen ' + ago(now - t.last_poll);
    return el('li', {
      class: 'terminal',
      'data-terminal': db + '/' + t.pos_id,
      'data-state': t.state,
      title: t.last_poll === null ? '' : 'last poll ' + dateTime(t.last_poll)
    },
      el('span', { class: 'dot ' + t.state, 'aria-hidden': 'true' }),
      el('div', {},
        el('div', { class: 'name', text: name }),
        el('div', { class: 'details' },
          details.join(' · ') || (t.user_id === null ? 'not registered in a multi-session here' : ''),
          el('span', { class: 'dev', text: (details.length > 0 ? ' · ' : '') + dev.join(' · ') }))),
      el('div', { class: 'when' },
        el('div', { class: 'state', text: STATE_LABEL[t.state] || t.state }),
        el('div', { class: 'muted', text: when })));
  }

  function stat(label, value, field) {
    return el('div', { class: 'stat' },
      el('div', { class: 'label', text: label }),
      el('div', { class: 'value', 'data-field': field, text: String(value) }));
  }

  function multiSessionCard(db, ms, now) {
    const online = ms.terminals.filter((t) => t.state === 'online').length;
    return el('article', { class: 'ms', 'data-multi-session': db + '/' + ms.id },
      el('div', { class: 'ms-head' },
        el('span', { class: 'ms-title', text: 'Multi-session ' + ms.id }),
        el('span', { class: 'ms-summary', text: online + ' of ' + ms.terminals.length + ' terminals online' })),
      el('div', { class: 'ms-stats' },
        stat('Open orders', ms.draft_orders, 'draft_orders'),
        stat('Last order no.', ms.last_sequence_number, 'last_sequence_number'),
        stat('Run', ms.run, 'run'),
        stat('Orders kept', ms.orders_kept, 'orders_kept')),
      ms.terminals.length === 0
        ? el('p', { class: 'empty', text: 'No terminal registered.' })
        : el('ul', { class: 'terminals' }, ...ms.terminals.map((t) => terminalRow(db, t, now))));
  }

  function renderDatabases(status) {
    const now = status.node.now;
    const t = status.thresholds;
    document.getElementById('thresholds').textContent =
      (t.stale_after_seconds < t.offline_after_seconds ? 'stale after ' + t.stale_after_seconds + ' s, ' : '')
      + 'offline after ' + t.offline_after_seconds + ' s without a poll';
    if (status.databases.length === 0) {
      replace('databases', el('p', { class: 'empty',
        text: 'No multi-session yet: terminals appear with their first sync.' }));
      return;
    }
    replace('databases', ...status.databases.map((db) => el('div', { class: 'db', 'data-db': db.dbname },
      el('h3', { class: 'db-name' }, 'Database ', el('code', { text: db.dbname })),
      db.multi_sessions.length === 0 ? null
        : el('div', { class: 'ms-grid' }, ...db.multi_sessions.map((ms) => multiSessionCard(db.dbname, ms, now))),
      db.other_terminals.length === 0 ? null
        : el('div', { class: 'others' },
          el('div', { class: 'subhead', text: 'Polling, but in no multi-session shown here' }),
          el('ul', { class: 'terminals' }, ...db.other_terminals.map((term) => terminalRow(db.dbname, term, now)))))));
  }

  function badge(state) {
    return el('span', { class: 'badge ' + state, text: state });
  }

  function renderOutbox(status) {
    const o = status.outbox;
    const parts = [];
    for (const p of o.paused) {
      parts.push(el('div', { class: 'pause', 'data-paused': p.dbname },
        el('strong', { text: 'Paused: ' + p.dbname }),
        el('span', { text: p.reason }),
        el('span', { class: 'muted', text: ' (since ' + dateTime(p.since) + ')' })));
    }
    const dbs = Object.keys(o.counts);
    if (dbs.length > 0) {
      parts.push(el('div', { class: 'counts' }, ...dbs.map((db) => el('div', { class: 'count-card', 'data-outbox-db': db },
        el('div', { class: 'db-label', text: db }),
        ...Object.entries(o.counts[db]).map(([state, n]) => el('span', { class: 'badge ' + state, text: state + ' ' + n }))))));
    }
    if (o.recent.length === 0) {
      parts.push(el('p', { class: 'empty', text: o.configured.length === 0
        ? 'No Odoo write-back configured (odoo.<name>.* settings): terminals push paid orders to Odoo themselves.'
        : 'Nothing queued for ' + o.configured.join(', ') + ': no order waits for Odoo.' }));
    } else {
      parts.push(el('div', { class: 'subhead', text: 'Most recent entries' }));
      parts.push(el('table', {},
        el('thead', {}, el('tr', {},
          el('th', { class: 'num', text: '#' }), el('th', { text: 'Database' }), el('th', { text: 'Order' }),
          el('th', { text: 'Kind' }), el('th', { text: 'State' }), el('th', { class: 'num', text: 'Attempts' }),
          el('th', { text: 'Last error' }), el('th', { text: 'Updated' }))),
        el('tbody', {}, ...o.recent.map((e) => el('tr', { 'data-outbox-entry': e.id },
          el('td', { class: 'num', text: String(e.id) }),
          el('td', { text: e.dbname }),
          el('td', { text: e.pos_reference || e.uid, title: e.uid }),
          el('td', { text: e.kind }),
          el('td', {}, badge(e.state)),
          el('td', { class: 'num', text: String(e.attempts) }),
          el('td', { class: 'error', text: e.last_error || '' }),
          el('td', { class: 'muted', text: dateTime(e.updated_at) }))))));
    }
    replace('outbox', ...parts);
  }

  function renderCluster(status) {
    const c = status.cluster;
    const panel = document.getElementById('cluster-panel');
    panel.hidden = !c;
    if (!c) return;
    replace('cluster-node', 'this node: ' + c.node + (c.following ? '' : ' · not reading the database: polls answered from memory'));
    const parts = [];
    if (c.error) {
      parts.push(el('p', { class: 'error', text: 'The cluster\'s tables cannot be read: ' + c.error }));
    }
    const leases = {};
    for (const l of c.outbox_leases) (leases[l.node] = leases[l.node] || []).push(l.dbname);
    parts.push(el('table', {},
      el('thead', {}, el('tr', {},
        el('th', { text: 'Node' }), el('th', { text: 'State' }), el('th', { text: 'Last heartbeat' }),
        el('th', { text: 'Started' }), el('th', { text: 'Version' }), el('th', { text: 'Delivers the outbox of' }))),
      el('tbody', {}, ...c.nodes.map((n) => el('tr', { 'data-cluster-node': n.name },
        el('td', { text: n.name + (n.name === c.node ? ' (this one)' : '') }),
        el('td', {}, badge(n.state === 'up' ? 'online' : 'offline')),
        el('td', { class: 'muted', text: ago(status.node.now - n.heartbeat_at) }),
        el('td', { class: 'muted', text: dateTime(n.started_at) }),
        el('td', { text: n.version }),
        el('td', { text: (leases[n.name] || []).join(', ') }))))));
    replace('cluster', ...parts);
  }

  // --- chart ------------------------------------------------------------------------------

  // The top of an axis with four gridlines at round values: 4 × (1, 2, 2.5 or 5 × 10^n).
  function niceMax(value) {
    if (!(value > 0)) return 1;
    const rough = value / 4;
    const exp = Math.pow(10, Math.floor(Math.log10(rough)));
    for (const f of [1, 2, 2.5, 5, 10]) {
      if (rough <= f * exp) return 4 * f * exp;
    }
    return 40 * exp;
  }

  function drawChart(history) {
    const canvas = document.getElementById('chart');
    const points = history.points;
    document.getElementById('chart-empty').hidden = points.length > 0;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    if (points.length === 0) return;

    const css = getComputedStyle(document.documentElement);
    const colour = (name) => css.getPropertyValue(name).trim();
    const pad = { left: 44, right: 52, top: 10, bottom: 24 };
    const w = width - pad.left - pad.right;
    const h = height - pad.top - pad.bottom;
    const stepMs = history.step_seconds * 1000;
    const span = 120 * stepMs; // ten minutes, the right edge is the newest step
    const end = points[points.length - 1].at + stepMs;
    const x = (t) => pad.left + w * (1 - (end - t) / span);
    const maxUpdates = niceMax(Math.max(...points.map((p) => p.updates_per_second)));
    const maxLatency = niceMax(Math.max(...points.map((p) => p.fanout_ms_avg || 0)));

    // grid and axes
    g.font = '11px system-ui, sans-serif';
    g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = pad.top + h - (h * i) / 4;
      g.strokeStyle = i === 0 ? '#c7ccd3' : '#eceef1';
      g.beginPath();
      g.moveTo(pad.left, y + 0.5);
      g.lineTo(pad.left + w, y + 0.5);
      g.stroke();
      g.fillStyle = colour('--updates');
      g.textAlign = 'right';
      g.textBaseline = 'middle';
      g.fillText(formatAxis((maxUpdates * i) / 4), pad.left - 6, y);
      g.fillStyle = colour('--fanout');
      g.textAlign = 'left';
      g.fillText(formatAxis((maxLatency * i) / 4) + ' ms', pad.left + w + 6, y);
    }
    g.fillStyle = colour('--muted');
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (let minutes = 10; minutes >= 0; minutes -= 2) {
      const t = end - minutes * 60000;
      g.fillText(minutes === 0 ? 'now' : '−' + minutes + ' min', x(t), pad.top + h + 6);
    }

    // updates/s as bars
    const barWidth = Math.max(1, (w * stepMs) / span - 1);
    g.fillStyle = colour('--updates');
    g.globalAlpha = 0.75;
    for (const p of points) {
      if (p.updates_per_second <= 0) continue;
      const bh = (h * p.updates_per_second) / maxUpdates;
      g.fillRect(x(p.at), pad.top + h - bh, barWidth, bh);
    }
    g.globalAlpha = 1;

    // fan-out latency as a line (gaps where nothing was delivered)
    g.strokeStyle = colour('--fanout');
    g.lineWidth = 2;
    g.lineJoin = 'round';
    g.beginPath();
    let drawing = false;
    for (const p of points) {
      if (p.fanout_ms_avg === null) {
        drawing = false;
        continue;
      }
      const px = x(p.at) + barWidth / 2;
      const py = pad.top + h - (h * p.fanout_ms_avg) / maxLatency;
      if (drawing) g.lineTo(px, py); else g.moveTo(px, py);
      drawing = true;
    }
    g.stroke();
    g.fillStyle = colour('--fanout');
    for (const p of points) {
      if (p.fanout_ms_avg === null) continue;
      g.beginPath();
      g.arc(x(p.at) + barWidth / 2, pad.top + h - (h * p.fanout_ms_avg) / maxLatency, 2, 0, 2 * Math.PI);
      g.fill();
    }
  }

  function formatAxis(v) {
    return String(Number(v.toPrecision(3)));
  }

  // --- refresh loop -----------------------------------------------------------------------

  function setLive(state, text) {
    const live = document.getElementById('live');
    live.dataset.live = state;
    document.getElementById('live-text').textContent = text;
  }

  let lastHistory = null;

  async function refresh() {
    try {
      const response = await fetch(STATUS_URL, { cache: 'no-store', credentials: 'same-origin' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const status = await response.json();
      renderNode(status);
      renderBanners(status);
      renderDatabases(status);
      renderOutbox(status);
      renderCluster(status);
      lastHistory = status.history;
      drawChart(lastHistory);
      lastOk = Date.now();
      setLive('ok', 'live · updated ' + clock(status.node.now));
    } catch (e) {
      setLive('error', 'cannot reach PosSync (' + e.message + ')'
        + (lastOk ? ' · last update ' + clock(lastOk) : ''));
    } finally {
      setTimeout(refresh, REFRESH_MS);
    }
  }

  window.addEventListener('resize', () => { if (lastHistory) drawChart(lastHistory); });
  // The developer numbers of each terminal show with the fold's.
  const fold = document.getElementById('dev-fold');
  fold.addEventListener('toggle', () => document.body.classList.toggle('dev-open', fold.open));
  refresh();
})();
