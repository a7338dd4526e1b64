// RefundWorker ops console: plain JavaScript over the admin API, no build step and nothing fetched from elsewhere.
//
// Rules this file keeps:
// - The operator key lives in sessionStorage (this tab only) and goes out in the Authorization header only: never in a
//   URL, never in storage that outlives the tab, never printed.
// - Everything shown is set with textContent or attribute setters through el(): nothing is ever parsed as HTML. Dead-letter
//   bodies, headers and fault messages are attacker-controlled and must render as text.
// - Controls that change state are built only when /admin/me says the key may change things: a reader sees none.
(function () {
  'use strict';

  const KEY = 'refundworker.console.key';
  const FINAL = ['Succeeded', 'Failed', 'Rejected'];
  const STATES = ['Pending', 'Sending', 'Reconciling', 'NeedsReview', 'Succeeded', 'Failed', 'Rejected'];
  let me = null;
  let timer = null;
  let seq = 0;

  // ---------- DOM helpers ----------

  /** el('tag', {attr: value, onclick: fn}, child...) where a child is a node, a string (as text) or null. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
      else if (name === 'text') node.textContent = String(value);
      else if (name === 'className') node.className = value;
      else if (value === true) node.setAttribute(name, '');
      else node.setAttribute(name, String(value));
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const $ = (id) => document.getElementById(id);
  const uid = (prefix) => `${prefix}-${++seq}`;

  function fmtTime(value) {
    if (!value) return '';
    const d = new Date(value);
    return isNaN(d) ? String(value) : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function fmtAge(seconds) {
    if (!seconds) return '0 s';
    if (seconds < 120) return `${Math.round(seconds)} s`;
    if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
    return `${(seconds / 3600).toFixed(1)} h`;
  }

  function stateSpan(state) {
    return el('span', { className: `state state-${state}`, 'data-state': state, text: state });
  }

  function table(headers, rows, attrs) {
    return el('div', { className: 'scroll' },
      el('table', attrs || {},
        el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col', className: h.num ? 'num' : null, text: h.label || h })))),
        el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: headers.length, className: 'muted', text: 'Nothing here.' })))));
  }

  function kv(pairs) {
    return el('dl', { className: 'kv' }, pairs.filter((p) => p).flatMap(([k, v]) => [el('dt', { text: k }), el('dd', {}, v === null || v === undefined ? '' : v)]));
  }

  /** A labelled input (label for= id), returned as [wrapper, input]. */
  function field(labelText, input, grow) {
    input.id = input.id || uid('f');
    return [el('div', { className: grow ? 'field grow' : 'field' }, el('label', { for: input.id, text: labelText }), input), input];
  }

  function setStatus(text) { $('status').textContent = text; }

  function problemText(p) {
    if (!p) return 'The request failed.';
    const parts = [p.title || `HTTP ${p.status}`];
    if (p.detail) parts.push(p.detail);
    if (p.field) parts.push(`(field: ${p.field})`);
    else if (p.rule) parts.push(`(rule: ${p.rule})`);
    return parts.join(' — ');
  }

  // ---------- API ----------

  class ApiError extends Error {
    constructor(status, problem) { super(problemText(problem)); this.status = status; this.problem = problem || {}; }
  }

  async function api(method, path, body) {
    const key = sessionStorage.getItem(KEY);
    const headers = { Accept: 'application/json' };
    if (key) headers.Authorization = `Bearer ${key}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    // The page is served at /admin/ui/: '../x' is /admin/x, also behind a proxy that adds a path prefix.
    const response = await fetch(new URL(`../${path}`, location.href), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store', credentials: 'omit', redirect: 'error', referrerPolicy: 'no-referrer',
    });
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = { title: `HTTP ${response.status}`, detail: text.slice(0, 300) }; }
    if (response.status === 401 && path !== 'me') { signOut('Your key was not accepted (401). Sign in again.'); }
    if (!response.ok) throw new ApiError(response.status, json || { status: response.status });
    return json;
  }

  const q = (params) => {
    const s = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') s.set(k, v);
    const t = s.toString();
    return t ? `?${t}` : '';
  };

  // ---------- session ----------

  async function signIn(key) {
    sessionStorage.setItem(KEY, key);
    try {
      me = await api('GET', 'me');
    } catch (e) {
      sessionStorage.removeItem(KEY);
      me = null;
      throw e;
    }
    $('who-name').textContent = me.name;
    const role = $('who-role');
    role.textContent = me.mayChange ? me.role : `${me.role} · read-only`;
    role.className = `badge ${me.role}`;
    $('login').hidden = true;
    $('nav').hidden = false;
    $('who').hidden = false;
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    me = null;
    stopTimer();
    $('nav').hidden = true;
    $('who').hidden = true;
    $('view').replaceChildren();
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('login-key').value = '';
    $('login-key').focus();
  }

  // ---------- routing ----------

  function stopTimer() { if (timer) { clearInterval(timer); timer = null; } }

  /** Re-runs fn every ms while the same view is shown; a view change stops it. */
  function every(ms, fn) {
    stopTimer();
    timer = setInterval(() => { fn().catch((e) => setStatus(`Refresh failed: ${e.message}`)); }, ms);
  }

  function route(focusHeading) {
    if (!me) return;
    stopTimer();
    const hash = decodeURIComponent(location.hash.replace(/^#/, '')) || 'overview';
    const [name, ...rest] = hash.split('/');
    const arg = rest.join('/');
    for (const a of document.querySelectorAll('#nav a')) {
      const current = a.dataset.view === name || (a.dataset.view === 'dead-letters' && name.startsWith('dead-letter')) || (a.dataset.view === 'operations' && name === 'operation');
      if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    const views = {
      overview: overview, 'dead-letters': deadLetterGroups, 'dead-letter-group': deadLetterGroup, 'dead-letter': deadLetter,
      operations: operations, operation: operation, providers: providers, audit: audit,
    };
    const view = $('view');
    const render = views[name] || overview;
    setStatus('');
    view.replaceChildren(el('p', { className: 'muted', text: 'Loading…' }));
    render(arg, view)
      .then(() => { const h = view.querySelector('h2'); if (focusHeading === true && h) h.focus(); })
      .catch((e) => view.replaceChildren(el('p', { className: 'error', role: 'alert', text: e.message })));
  }

  function heading(text) {
    const h = el('h2', { tabindex: '-1', text });
    document.title = `${text} · RefundWorker ops console`;
    return h;
  }

  // ---------- Overview ----------

  async function overview(_, view) {
    const draw = async () => {
      const s = await api('GET', 'summary');
      const providersOfConcern = s.providers.filter((p) => p.paused || p.circuit === 'open' || p.circuit === 'half-open');
      const byProvider = new Map();
      for (const row of s.operations) {
        if (!byProvider.has(row.provider)) byProvider.set(row.provider, {});
        byProvider.get(row.provider)[row.state] = row.count;
      }
      const card = (id, label, n, alert, href) => el('div', { className: alert ? 'card alert' : 'card', id },
        el('span', { className: 'n', text: n }), href ? el('a', { href, text: label }) : el('span', { text: label }));
      view.replaceChildren(
        heading('Overview'),
        el('div', { className: 'cards' },
          card('card-needs-review', 'NeedsReview operations', s.needsReview, s.needsReview > 0, '#operations/state=NeedsReview'),
          card('card-dead-letters', 'New dead letters', s.deadLettersNew, s.deadLettersNew > 0, '#dead-letters'),
          card('card-outbox', `Outbox unsent (oldest ${fmtAge(s.outbox.oldestUnsentAgeSeconds)}, ${s.outbox.parked} parked)`, s.outbox.unsent, s.outbox.parked > 0 || s.outbox.oldestUnsentAgeSeconds > 60),
          card('card-providers', 'Providers paused or with an open circuit', providersOfConcern.length, providersOfConcern.length > 0, '#providers')),
        el('div', { className: 'grid' },
          el('section', { className: 'panel wide', 'aria-labelledby': 'ov-ops' },
            el('h3', { id: 'ov-ops', text: `Operations by provider and state (live, and final ones of the last ${s.finalWindowHours} h)` }),
            table([{ label: 'Provider' }, ...STATES.map((st) => ({ label: st, num: true }))],
              [...byProvider.entries()].map(([provider, counts]) => el('tr', {},
                el('th', { scope: 'row', text: provider }),
                STATES.map((st) => el('td', { className: 'num' }, counts[st]
                  ? el('a', { href: `#operations/${new URLSearchParams({ provider, state: st })}`, text: counts[st] }) : '0')))), { id: 'overview-operations' })),
          el('section', { className: 'panel', 'aria-labelledby': 'ov-dl' },
            el('h3', { id: 'ov-dl', text: 'New dead letters by group' }),
            table(['Group', 'Queue', { label: 'Letters', num: true }, 'Last seen'],
              s.deadLetterGroups.map((g) => el('tr', {},
                el('td', { className: 'wrap' }, el('a', { href: `#dead-letter-group/${g.fingerprint}`, text: g.sampleReason || g.fingerprint })),
                el('td', { text: g.queue }), el('td', { className: 'num', text: g.count }), el('td', { text: fmtTime(g.lastSeen) }))), { id: 'overview-dead-letters' })),
          el('section', { className: 'panel', 'aria-labelledby': 'ov-pr' },
            el('h3', { id: 'ov-pr', text: 'Providers' }),
            providerTable(s.providers, false, 'overview-providers'))));
      setStatus(`Overview as of ${fmtTime(s.generatedAt)}; refreshes every 10 s.`);
    };
    await draw();
    every(10000, draw);
  }

  function providerTable(list, withActions, id) {
    const headers = ['Provider', 'Paused', 'Circuit (this replica)', 'Since', 'By', 'Reason'];
    if (withActions) headers.push('Action');
    return table(headers, list.map((p) => el('tr', { 'data-provider': p.name },
      el('th', { scope: 'row', text: p.name }),
      el('td', {}, p.paused ? el('span', { className: 'state state-paused', text: 'paused' }) : 'no'),
      el('td', {}, el('span', { className: `state state-${p.circuit}`, text: p.circuit })),
      el('td', { text: fmtTime(p.pausedAt) }), el('td', { text: p.pausedBy || '' }), el('td', { className: 'wrap', text: p.pauseReason || '' }),
      withActions ? el('td', {}, pauseForm(p)) : null)), { id });
  }

  // ---------- Providers ----------

  async function providers(_, view) {
    const s = await api('GET', 'summary');
    view.replaceChildren(heading('Providers'),
      el('p', { className: 'muted', text: 'A paused provider gets no calls from any replica; its operations wait without spending attempts. Circuit states are those of the replica that answered.' }),
      el('section', { className: 'panel' }, providerTable(s.providers, me.mayChange, 'providers-table')));
  }

  function pauseForm(p) {
    const action = p.paused ? 'resume' : 'pause';
    const [reasonField, reason] = field(`Reason to ${action} ${p.name}`, el('input', { type: 'text', name: 'reason', required: true, autocomplete: 'off' }));
    const error = el('p', { className: 'error', role: 'alert' });
    const submit = el('button', { type: 'submit', className: p.paused ? null : 'danger', text: p.paused ? `Resume ${p.name}` : `Pause ${p.name}` });
    return el('form', {
      className: 'inline', 'data-action': action, novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        error.textContent = '';
        if (!reason.value.trim()) { error.textContent = 'A reason is required: it goes to the audit log.'; reason.focus(); return; }
        submit.disabled = true;
        try {
          await api('POST', `providers/${encodeURIComponent(p.name)}/${action}`, { reason: reason.value.trim() });
          setStatus(`${p.name} ${action === 'pause' ? 'paused' : 'resumed'}.`);
          route();
        } catch (err) { error.textContent = err.message; submit.disabled = false; }
      },
    }, reasonField, submit, error);
  }

  // ---------- Dead letters ----------

  async function deadLetterGroups(arg, view) {
    const params = new URLSearchParams(arg);
    const status = params.has('status') ? params.get('status') : 'New';
    const data = await api('GET', `dead-letters/groups${q({ status, queue: params.get('queue') })}`);
    const [statusField, statusSelect] = field('Status', el('select', { name: 'status' },
      [['New', 'New'], ['Replayed', 'Replayed'], ['Discarded', 'Discarded'], ['', 'Any']].map(([v, t]) => el('option', { value: v, selected: v === status, text: t }))));
    const [queueField, queue] = field('Queue', el('input', { type: 'text', name: 'queue', value: params.get('queue') || '' }));
    view.replaceChildren(heading('Dead letters'),
      el('form', {
        className: 'inline panel',
        onsubmit: (e) => { e.preventDefault(); location.hash = `dead-letters/${new URLSearchParams({ status: statusSelect.value, queue: queue.value.trim() })}`; },
      }, statusField, queueField, el('button', { type: 'submit', text: 'Filter' })),
      el('section', { className: 'panel' },
        el('h3', { text: 'Groups (same fault, same message type)' }),
        table(['Fault', 'Type', 'Queue', { label: 'Letters', num: true }, { label: 'New', num: true }, 'First seen', 'Last seen'],
          data.groups.map((g) => el('tr', { 'data-fingerprint': g.fingerprint },
            el('td', { className: 'wrap' }, el('a', { href: `#dead-letter-group/${g.fingerprint}`, text: g.sampleReason || g.fingerprint })),
            el('td', { className: 'wrap', text: shortType(g.messageType) }), el('td', { text: g.queue }),
            el('td', { className: 'num', text: g.count }), el('td', { className: 'num', text: g.newCount }),
            el('td', { text: fmtTime(g.firstSeen) }), el('td', { text: fmtTime(g.lastSeen) }))), { id: 'dead-letter-groups' })));
  }

  const shortType = (t) => (t ? String(t).split(':').pop() : '(unreadable)');

  async function deadLetterGroup(fingerprint, view) {
    const data = await api('GET', `dead-letters${q({ fingerprint, limit: 200 })}`);
    const sample = data.items[0];
    const children = [heading(`Dead-letter group ${fingerprint}`),
      el('p', {}, el('a', { href: '#dead-letters', text: '← all groups' })),
      sample ? el('section', { className: 'panel' }, kv([
        ['Fault', sample.exceptionType ? `${sample.exceptionType}: ${sample.exceptionMessage || ''}` : (sample.faultReason || 'unknown')],
        ['Message type', sample.messageType || '(unreadable)'], ['Queue', sample.originalQueue]])) : null];
    if (me.mayChange) children.push(bulkPanel(fingerprint));
    children.push(el('section', { className: 'panel' }, el('h3', { text: `Letters (${data.items.length}${data.nextCursor ? '+' : ''})` }),
      letterTable(data.items)));
    view.replaceChildren(...children);
  }

  function letterTable(items) {
    return table(['Letter', 'Status', 'Type', { label: 'Failures', num: true }, { label: 'Replays', num: true }, 'Last failed', 'Fault'],
      items.map((l) => el('tr', { 'data-letter': l.id },
        el('td', { className: 'mono' }, el('a', { href: `#dead-letter/${l.id}`, text: l.id })),
        el('td', { className: `st-${l.status}`, text: l.status }), el('td', { text: shortType(l.messageType) }),
        el('td', { className: 'num', text: l.failures }), el('td', { className: 'num', text: l.replayCount }),
        el('td', { text: fmtTime(l.lastFailedAt) }),
        el('td', { className: 'wrap', text: l.exceptionType ? `${l.exceptionType}: ${l.exceptionMessage || ''}`.slice(0, 200) : (l.faultReason || '') }))),
      { id: 'letters' });
  }

  function bulkPanel(fingerprint) {
    const [reasonField, reason] = field('Reason (goes to the audit log)', el('input', { type: 'text', name: 'reason', autocomplete: 'off' }), true);
    const [statusField, status] = field('Letters', el('select', { name: 'scope' },
      el('option', { value: 'New', text: 'New letters only' }), el('option', { value: '', text: 'All letters of the group' })));
    const result = el('div', { id: 'bulk-result', 'aria-live': 'polite' });
    const error = el('p', { className: 'error', role: 'alert' });
    const filter = () => ({ fingerprint, status: status.value || null });
    const needReason = () => {
      if (reason.value.trim()) return true;
      error.textContent = 'A reason is required: it goes to the audit log.';
      reason.focus();
      return false;
    };
    const run = (fn) => async () => {
      error.textContent = '';
      if (!needReason()) return;
      for (const b of buttons) b.disabled = true;
      try { await fn(); } catch (e) { error.textContent = e.message; } finally { for (const b of buttons) b.disabled = false; }
    };
    const dryReplay = run(async () => {
      const r = await api('POST', 'dead-letters/replay', { filter: filter(), reason: reason.value.trim(), dryRun: true });
      const skipped = Object.entries(r.skippedBecause || {}).map(([k, v]) => `${v} ${k}`).join(', ');
      result.replaceChildren(el('p', { className: 'note', id: 'bulk-dry-run', text: `Dry run: ${r.matched} matched, ${r.wouldReplay} would be replayed, ${r.wouldSkip} skipped${skipped ? ` (${skipped})` : ''}. Nothing was sent.` }));
    });
    const replay = run(async () => {
      const r = await api('POST', 'dead-letters/replay', { filter: filter(), reason: reason.value.trim() });
      const progress = el('progress', { max: Math.max(r.letters, 1), value: 0, 'aria-label': 'Replay progress' });
      const line = el('p', { id: 'bulk-progress', text: `Job ${r.jobId}: starting, ${r.letters} letters.` });
      result.replaceChildren(line, progress);
      for (let i = 0; i < 600; i++) {
        const job = await api('GET', `jobs/${r.jobId}`);
        progress.value = job.done + job.skipped + job.failed;
        line.textContent = `Job ${job.id}: ${job.status}. ${job.done} replayed, ${job.skipped} skipped, ${job.failed} failed of ${job.total}.${job.error ? ` ${job.error}` : ''}`;
        if (job.status !== 'Running') {
          result.appendChild(el('p', { className: job.status === 'Completed' ? 'note' : 'error', id: 'bulk-summary', text: `Summary: ${job.done} replayed, ${job.skipped} skipped, ${job.failed} failed (${job.status}).` }));
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    });
    const dryDiscard = run(async () => {
      const r = await api('POST', 'dead-letters/discard', { filter: filter(), reason: reason.value.trim(), dryRun: true });
      result.replaceChildren(el('p', { className: 'note', id: 'bulk-dry-run', text: `Dry run: ${r.matched} matched, ${r.wouldDiscard} would be discarded. Nothing was changed.` }));
    });
    const discard = run(async () => {
      const r = await api('POST', 'dead-letters/discard', { filter: filter(), reason: reason.value.trim() });
      result.replaceChildren(el('p', { className: 'note', id: 'bulk-summary', text: `Summary: ${r.discarded} discarded.` }));
    });
    const buttons = [
      el('button', { type: 'button', className: 'secondary', id: 'bulk-replay-dry', text: 'Dry-run replay', onclick: dryReplay }),
      el('button', { type: 'button', id: 'bulk-replay', text: 'Replay group', onclick: replay }),
      el('button', { type: 'button', className: 'secondary', id: 'bulk-discard-dry', text: 'Dry-run discard', onclick: dryDiscard }),
      el('button', { type: 'button', className: 'danger', id: 'bulk-discard', text: 'Discard group', onclick: discard }),
    ];
    return el('section', { className: 'panel', 'aria-labelledby': 'bulk-title' },
      el('h3', { id: 'bulk-title', text: 'Bulk: replay or discard this group' }),
      el('div', { className: 'actions' }, reasonField, statusField, buttons), error, result);
  }

  /** The message inside a MassTransit envelope, pretty-printed: what an edited replay sends. Empty when unreadable. */
  function messageOf(letter) {
    if (letter.bodyEncoding !== 'utf-8') return '';
    try {
      const envelope = JSON.parse(letter.body);
      const message = envelope && typeof envelope === 'object' && 'message' in envelope ? envelope.message : envelope;
      return JSON.stringify(message, null, 2);
    } catch { return ''; }
  }

  async function deadLetter(id, view) {
    const l = await api('GET', `dead-letters/${encodeURIComponent(id)}`);
    const children = [heading(`Dead letter ${l.id}`),
      el('p', {}, el('a', { href: `#dead-letter-group/${l.fingerprint}`, text: '← its group' })),
      el('section', { className: 'panel' }, kv([
        ['Status', el('span', { id: 'letter-status', className: `st-${l.status}`, text: l.status })],
        ['Queue', `${l.originalQueue} (from ${l.sourceQueue})`], ['Message type', l.messageType || '(unreadable)'],
        ['Message id', l.messageId || ''], ['Failures', String(l.failures)], ['Replays', el('span', { id: 'letter-replays', text: l.replayCount })],
        ['First failed', fmtTime(l.firstFailedAt)], ['Last failed', fmtTime(l.lastFailedAt)],
        ['Fault', l.exceptionType ? `${l.exceptionType}: ${l.exceptionMessage || ''}` : (l.faultReason || 'unknown')],
        l.bodyTruncated ? ['Body', `truncated (${l.bodySize} bytes received): not replayable as it is`] : null,
        l.discardedBy ? ['Discarded', `by ${l.discardedBy}: ${l.discardReason || ''}`] : null,
      ]))];
    if (me.mayChange) children.push(letterActions(l));
    children.push(
      el('section', { className: 'panel' }, el('h3', { text: `Body (${l.bodyEncoding}, ${l.contentType || 'no content type'})` }),
        el('pre', { id: 'letter-body', text: l.body })),
      el('section', { className: 'panel' }, el('h3', { text: 'Replay history' }),
        table(['#', 'At', 'By', 'Reason', 'Edited', 'Message id'], (l.replays || []).map((r) => el('tr', {},
          el('td', { text: r.number }), el('td', { text: fmtTime(r.at) }), el('td', { text: r.by }), el('td', { className: 'wrap', text: r.reason }),
          el('td', { text: r.edited ? 'yes' : 'no' }), el('td', { className: 'mono', text: r.messageId || '' }))), { id: 'replay-history' })),
      el('section', { className: 'panel' }, el('h3', { text: 'Headers' }), el('pre', { id: 'letter-headers', text: JSON.stringify(l.headers, null, 2) })),
      el('details', { className: 'panel' }, el('summary', { text: 'Stack trace' }), el('pre', { id: 'letter-stack', text: l.stackTrace || '(none)' })));
    view.replaceChildren(...children);
  }

  function letterActions(l) {
    const [reasonField, reason] = field('Reason (goes to the audit log)', el('input', { type: 'text', id: 'letter-reason', autocomplete: 'off' }), true);
    const [forceField, force] = field('Force (replay again, or a discarded letter)', el('input', { type: 'checkbox', id: 'letter-force' }));
    const message = el('p', { className: 'note', id: 'letter-result', role: 'status' });
    const error = el('p', { className: 'error', id: 'letter-error', role: 'alert' });
    const outcome = el('div', { id: 'letter-outcome', 'aria-live': 'polite' });
    const editor = el('textarea', { id: 'letter-edit', spellcheck: 'false' });
    editor.value = messageOf(l);
    const editError = el('p', { className: 'error', id: 'edit-error', role: 'alert' });
    const editNote = el('p', { className: 'note', id: 'edit-note', role: 'status' });
    const requireReason = () => {
      if (reason.value.trim()) return true;
      error.textContent = 'A reason is required: it goes to the audit log.';
      reason.focus();
      return false;
    };
    const act = (fn) => async () => {
      error.textContent = ''; message.textContent = ''; editError.textContent = ''; editNote.textContent = '';
      if (!requireReason()) return;
      for (const b of buttons) b.disabled = true;
      try { await fn(); } catch (e) { error.textContent = e.message; } finally { for (const b of buttons) b.disabled = false; }
    };
    const parseEdited = () => {
      try { return JSON.parse(editor.value); } catch (e) { throw new ApiError(400, { title: 'Not JSON', detail: e.message, field: 'body' }); }
    };
    const validate = async () => {
      const body = parseEdited();
      try {
        const r = await api('POST', `dead-letters/${l.id}/validate`, { body });
        editNote.textContent = `Valid ${r.contract || 'message'}.`;
        return body;
      } catch (e) { editError.textContent = e.message; editor.focus(); return null; }
    };
    const afterReplay = async (r, body) => {
      message.textContent = `Replayed as message ${r.messageId} (replay ${r.replayNumber}).`;
      const fresh = await api('GET', `dead-letters/${l.id}`);
      $('letter-status').textContent = fresh.status;
      $('letter-status').className = `st-${fresh.status}`;
      $('letter-replays').textContent = String(fresh.replayCount);
      const history = $('replay-history');
      if (history) history.replaceWith(replayHistory(fresh));
      watchOutcome(body, outcome);
    };
    const replay = act(async () => {
      const r = await api('POST', `dead-letters/${l.id}/replay`, { reason: reason.value.trim(), force: force.checked });
      await afterReplay(r, safeMessage(editor.value));
    });
    const replayEdited = act(async () => {
      let body;
      try { body = parseEdited(); } catch (e) { editError.textContent = e.message; editor.focus(); return; }
      if (!(await validate())) return;
      const r = await api('POST', `dead-letters/${l.id}/replay`, { reason: reason.value.trim(), force: force.checked, body });
      await afterReplay(r, body);
    });
    const validateOnly = async () => {
      editError.textContent = ''; editNote.textContent = '';
      try { await validate(); } catch (e) { editError.textContent = e.message; }
    };
    const discard = act(async () => {
      await api('POST', `dead-letters/${l.id}/discard`, { reason: reason.value.trim() });
      message.textContent = 'Discarded.';
      $('letter-status').textContent = 'Discarded';
      $('letter-status').className = 'st-Discarded';
    });
    const buttons = [
      el('button', { type: 'button', id: 'letter-replay', text: 'Replay as received', onclick: replay }),
      el('button', { type: 'button', className: 'danger', id: 'letter-discard', text: 'Discard', onclick: discard }),
      el('button', { type: 'button', className: 'secondary', id: 'letter-validate', text: 'Validate edited body', onclick: validateOnly }),
      el('button', { type: 'button', id: 'letter-replay-edited', text: 'Validate and replay edited body', onclick: replayEdited }),
    ];
    return el('section', { className: 'panel', 'aria-labelledby': 'letter-actions-title' },
      el('h3', { id: 'letter-actions-title', text: 'Replay or discard' }),
      el('div', { className: 'actions' }, reasonField, forceField, buttons[0], buttons[1]), message, error, outcome,
      el('h3', { text: 'Edit and replay' }),
      el('p', { className: 'muted', text: 'The message only (not the envelope). It is checked against the contract before it is sent; the letter keeps the body it was received with.' }),
      el('label', { for: 'letter-edit', text: 'Edited message (JSON)' }), editor,
      el('div', { className: 'actions' }, buttons[2], buttons[3]), editNote, editError);
  }

  function replayHistory(l) {
    return table(['#', 'At', 'By', 'Reason', 'Edited', 'Message id'], (l.replays || []).map((r) => el('tr', {},
      el('td', { text: r.number }), el('td', { text: fmtTime(r.at) }), el('td', { text: r.by }), el('td', { className: 'wrap', text: r.reason }),
      el('td', { text: r.edited ? 'yes' : 'no' }), el('td', { className: 'mono', text: r.messageId || '' }))), { id: 'replay-history' });
  }

  function safeMessage(text) { try { return JSON.parse(text); } catch { return null; } }

  /** After a replay: finds the operation the message asked for (by its requestId) and follows it to a final state. */
  function watchOutcome(body, target) {
    // MassTransit reads property names case-insensitively, so an order system may send RequestId as well as requestId.
    const entry = body && typeof body === 'object' ? Object.entries(body).find(([k]) => k.toLowerCase() === 'requestid') : null;
    const requestId = entry && typeof entry[1] === 'string' ? entry[1] : null;
    if (!requestId) { target.replaceChildren(el('p', { className: 'muted', text: 'The message names no requestId: follow its outcome under Operations.' })); return; }
    const line = el('p', { id: 'replay-outcome', text: `Waiting for the operation of request ${requestId}…` });
    target.replaceChildren(line);
    const started = Date.now();
    const poll = async () => {
      if (!document.body.contains(line)) return;
      try {
        const r = await api('GET', `operations${q({ key: requestId, limit: 5 })}`);
        const op = r.items[0];
        if (op) {
          line.replaceChildren('Outcome: operation ', el('a', { href: `#operation/${op.id}`, text: op.id }), ' is ', stateSpan(op.state), '.');
          if (FINAL.includes(op.state) || op.state === 'NeedsReview') return;
        }
      } catch (e) { line.textContent = `Could not read the outcome: ${e.message}`; }
      if (Date.now() - started < 180000) setTimeout(poll, 1500);
    };
    setTimeout(poll, 500);
  }

  // ---------- Operations ----------

  const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  async function operations(arg, view) {
    const params = new URLSearchParams(arg);
    const [keyField, key] = field('Key or id (partnerRefundNo, originalPartnerReferenceNo, externalId, requestId or operation id)',
      el('input', { type: 'search', id: 'op-search', value: params.get('key') || '', autocomplete: 'off' }), true);
    const [stateField, state] = field('State', el('select', { id: 'op-state' },
      el('option', { value: '', text: 'Any' }), STATES.map((s) => el('option', { value: s, selected: s === params.get('state'), text: s }))));
    const [providerField, provider] = field('Provider', el('input', { type: 'text', id: 'op-provider', value: params.get('provider') || '' }));
    const results = el('div', { id: 'op-results' });
    view.replaceChildren(heading('Operations'),
      el('form', {
        className: 'inline panel', role: 'search',
        onsubmit: (e) => {
          e.preventDefault();
          const next = `operations/${new URLSearchParams(Object.entries({ key: key.value.trim(), state: state.value, provider: provider.value.trim() }).filter(([, v]) => v))}`;
          if (`#${next}` === decodeURIComponent(location.hash)) route(); else location.hash = next;
        },
      }, keyField, stateField, providerField, el('button', { type: 'submit', id: 'op-search-submit', text: 'Search' })),
      results);
    const k = params.get('key');
    if (!k && !params.get('state') && !params.get('provider')) {
      results.replaceChildren(el('p', { className: 'muted', text: 'Search by a key or an id, or list by state or provider.' }));
      return;
    }
    if (k && GUID.test(k)) {
      try {
        const op = await api('GET', `operations/${k}`);
        results.replaceChildren(el('section', { className: 'panel' }, opTable([op])));
        return;
      } catch (e) { if (e.status !== 404) throw e; }
    }
    const r = await api('GET', `operations${q({ key: k, state: params.get('state'), provider: params.get('provider'), limit: 100 })}`);
    results.replaceChildren(el('section', { className: 'panel' }, el('h3', { text: `${r.items.length}${r.nextCursor ? '+' : ''} operations` }), opTable(r.items)));
  }

  function opTable(items) {
    return table(['Operation', 'Kind', 'Provider', 'Key', { label: 'Amount', num: true }, 'State', { label: 'Attempts', num: true }, 'Updated'],
      items.map((o) => el('tr', { 'data-operation': o.id },
        el('td', { className: 'mono' }, el('a', { href: `#operation/${o.id}`, text: o.id })),
        el('td', { text: o.kind }), el('td', { text: o.provider }),
        el('td', { className: 'wrap', text: o.kind === 'refund' ? o.partnerRefundNo : o.originalPartnerReferenceNo }),
        el('td', { className: 'num', text: o.amount === null ? '' : `${o.amount} ${o.currency || ''}` }),
        el('td', {}, stateSpan(o.state)), el('td', { className: 'num', text: o.attempts }), el('td', { text: fmtTime(o.updatedAt) }))),
      { id: 'operations-table' });
  }

  function traceLink(traceId) {
    if (!traceId) return '';
    const template = me.grafanaTraceUrl;
    if (!template) return el('span', { className: 'mono', text: traceId });
    let url;
    try { url = new URL(template.split('{traceId}').join(encodeURIComponent(traceId))); } catch { return el('span', { className: 'mono', text: traceId }); }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return el('span', { className: 'mono', text: traceId });
    return el('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer', className: 'mono trace-link', text: traceId });
  }

  async function operation(id, view) {
    let lastSignature = null;
    const draw = async () => {
      const o = await api('GET', `operations/${encodeURIComponent(id)}`);
      const rows = [];
      for (const a of o.attemptLog || []) {
        rows.push({ at: a.at, node: el('tr', { className: 'attempt' },
          el('td', { text: fmtTime(a.at) }), el('td', { text: `${a.action} #${a.number}` }),
          el('td', { className: 'wrap', text: [a.httpStatus ? `HTTP ${a.httpStatus}` : null, a.responseCode ? `code ${a.responseCode}` : null, a.classification, a.transportFailure].filter(Boolean).join(' · ') }),
          el('td', { className: 'num', text: `${Math.round(a.latencyMs)} ms` }), el('td', {}, traceLink(a.traceId)),
          el('td', { className: 'wrap', text: a.detail || '' })) });
      }
      for (const ev of o.events || []) {
        rows.push({ at: ev.createdAt, node: el('tr', { className: 'event' },
          el('td', { text: fmtTime(ev.createdAt) }), el('td', { text: 'outcome event' }),
          el('td', { className: 'wrap', text: shortType(ev.type.replace(/\./g, ':')) }), el('td', {}),
          el('td', {}), el('td', { text: ev.delivered ? `delivered ${fmtTime(ev.sentAt)}` : 'not delivered yet' })) });
      }
      for (const au of o.audit || []) {
        rows.push({ at: au.at, node: el('tr', { className: 'audit' },
          el('td', { text: fmtTime(au.at) }), el('td', { text: `audit: ${au.action}` }),
          el('td', { text: `${au.outcome} (${au.statusCode}) by ${au.actor}` }), el('td', {}), el('td', {}),
          el('td', { className: 'wrap', text: au.reason || '' })) });
      }
      rows.sort((x, y) => new Date(x.at) - new Date(y.at));
      const children = [heading(`Operation ${o.id}`),
        el('section', { className: 'panel' }, kv([
          ['State', el('span', { id: 'op-state-value', className: `state state-${o.state}`, text: o.state })],
          ['Kind', o.kind], ['Provider', o.provider], ['Merchant', o.merchantId || ''],
          ['Key', o.kind === 'refund' ? o.partnerRefundNo : o.originalPartnerReferenceNo], ['Request id', o.requestId],
          ['Amount', o.amount === null ? '' : `${o.amount} ${o.currency || ''}`], ['Attempts / queries', `${o.attempts} / ${o.queries}`],
          ['Created', fmtTime(o.createdAt)], ['Completed', fmtTime(o.completedAt)], ['Next attempt', fmtTime(o.nextAttemptAt)],
          ['Response', [o.responseCode, o.errorCode, o.outcomeMessage].filter(Boolean).join(' · ')], ['Reference no', o.referenceNo || ''],
          o.resolution ? ['Resolved', `${o.resolution.outcome} by ${o.resolution.resolvedBy} at ${fmtTime(o.resolution.resolvedAt)}: ${o.resolution.evidence} (${o.resolution.reason})`] : null,
        ]))];
      if (me.mayChange && (o.state === 'Reconciling' || o.state === 'NeedsReview')) children.push(reconcileForm(o));
      if (me.mayChange && o.state === 'NeedsReview') children.push(resolveForm(o));
      children.push(el('section', { className: 'panel' }, el('h3', { text: 'Timeline' }),
        table(['At', 'What', 'Result', { label: 'Latency', num: true }, 'Trace', 'Detail'], rows.map((r) => r.node), { id: 'timeline', className: 'timeline' })));
      // Redraw only when something changed, and never over what the operator is typing or confirming.
      const signature = JSON.stringify([o.state, o.attempts, o.queries, o.updatedAt, (o.events || []).map((e) => e.delivered), (o.audit || []).length]);
      if (signature === lastSignature) return o;
      const busy = [...view.querySelectorAll('form[data-keep] input, form[data-keep] textarea')].some((x) => (x.type === 'radio' ? x.checked : x.value))
        || view.querySelector('.confirm');
      if (busy && lastSignature !== null) return o;
      lastSignature = signature;
      view.replaceChildren(...children);
      return o;
    };
    const first = await draw();
    if (!FINAL.includes(first.state)) every(3000, async () => { const o = await draw(); if (FINAL.includes(o.state)) stopTimer(); });
  }

  function reconcileForm(o) {
    const [reasonField, reason] = field('Reason to reconcile now', el('input', { type: 'text', id: 'reconcile-reason', autocomplete: 'off' }), true);
    const error = el('p', { className: 'error', role: 'alert' });
    return el('form', {
      className: 'panel', 'data-keep': true, novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        error.textContent = '';
        if (!reason.value.trim()) { error.textContent = 'A reason is required: it goes to the audit log.'; reason.focus(); return; }
        try {
          await api('POST', `operations/${o.id}/reconcile`, { reason: reason.value.trim() });
          reason.value = '';
          setStatus('Reconcile asked: the provider is queried now.');
          route();
        } catch (err) { error.textContent = err.message; }
      },
    }, el('h3', { text: 'Reconcile now' }),
    el('p', { className: 'muted', text: 'Queries the provider now; the state machine decides from its answer.' }),
    el('div', { className: 'actions' }, reasonField, el('button', { type: 'submit', id: 'reconcile-submit', text: 'Reconcile now' })), error);
  }

  function resolveForm(o) {
    const outcomeName = uid('outcome');
    const radio = (value, text) => {
      const input = el('input', { type: 'radio', name: outcomeName, value, id: `resolve-${value}` });
      return el('span', {}, input, el('label', { for: input.id, text }));
    };
    const [refField, referenceNo] = field('Provider reference no (optional)', el('input', { type: 'text', id: 'resolve-reference', autocomplete: 'off' }));
    const evidence = el('textarea', { id: 'resolve-evidence', required: true, rows: 3 });
    const [reasonField, reason] = field('Reason', el('input', { type: 'text', id: 'resolve-reason', required: true, autocomplete: 'off' }), true);
    const error = el('p', { className: 'error', id: 'resolve-error', role: 'alert' });
    const confirmBox = el('div', { id: 'resolve-confirm-box' });
    const form = el('form', {
      // novalidate: the page checks the required fields itself and names them; the browser's own check would swallow the submit.
      className: 'panel', 'data-keep': true, id: 'resolve-form', novalidate: true,
      onsubmit: (e) => {
        e.preventDefault();
        error.textContent = '';
        const chosen = form.querySelector(`input[name="${outcomeName}"]:checked`);
        const missing = [];
        if (!chosen) missing.push('the outcome');
        if (!evidence.value.trim()) missing.push('evidence');
        if (!reason.value.trim()) missing.push('a reason');
        if (missing.length) {
          error.textContent = `Required: ${missing.join(', ')}.`;
          (!chosen ? form.querySelector(`input[name="${outcomeName}"]`) : !evidence.value.trim() ? evidence : reason).focus();
          return;
        }
        const event = o.kind === 'refund' ? (chosen.value === 'succeeded' ? 'RefundSucceeded' : 'RefundFailed') : (chosen.value === 'succeeded' ? 'CancelSucceeded' : 'CancelFailed');
        const yes = el('button', { type: 'button', className: 'danger', id: 'resolve-confirm', text: `Yes, resolve as ${chosen.value}` });
        const no = el('button', { type: 'button', className: 'secondary', id: 'resolve-cancel', text: 'Cancel' });
        const box = el('div', { className: 'confirm', role: 'alertdialog', 'aria-labelledby': 'resolve-confirm-text' },
          el('p', { id: 'resolve-confirm-text', text: `Resolve operation ${o.id} (${o.provider} ${o.kind} ${o.amount ?? ''} ${o.currency || ''}) as ${chosen.value}? ` +
            `This publishes ${event} to the order system and cannot be undone.` }), el('div', { className: 'actions' }, yes, no));
        no.addEventListener('click', () => { confirmBox.replaceChildren(); form.querySelector('#resolve-submit').focus(); });
        yes.addEventListener('click', async () => {
          yes.disabled = true; no.disabled = true;
          try {
            const r = await api('POST', `operations/${o.id}/resolve`, {
              outcome: chosen.value, referenceNo: referenceNo.value.trim() || null, evidence: evidence.value.trim(), reason: reason.value.trim(),
            });
            for (const x of form.querySelectorAll('input, textarea')) { if (x.type !== 'radio') x.value = ''; }
            setStatus(`Resolved: ${r.state}, ${r.eventType} queued.`);
            route();
          } catch (err) { error.textContent = err.message; confirmBox.replaceChildren(); }
        });
        confirmBox.replaceChildren(box);
        yes.focus();
      },
    },
    el('h3', { text: 'Resolve by hand' }),
    el('p', { className: 'muted', text: 'Only when the provider\'s outcome is known from outside the worker (a statement line, a provider ticket). Evidence and a reason are kept with the operation and in the audit log.' }),
    el('fieldset', {}, el('legend', { text: 'Outcome at the provider' }), radio('succeeded', 'Succeeded'), radio('failed', 'Failed')),
    el('div', { className: 'actions' }, refField),
    el('label', { for: evidence.id, text: 'Evidence (what shows the provider\'s outcome)' }), evidence,
    el('div', { className: 'actions' }, reasonField, el('button', { type: 'submit', id: 'resolve-submit', text: 'Resolve…' })),
    error, confirmBox);
    return form;
  }

  // ---------- Audit ----------

  async function audit(arg, view) {
    const params = new URLSearchParams(arg);
    const input = (name, label, type) => field(label, el('input', { type: type || 'text', id: `audit-${name}`, value: params.get(name) || '', autocomplete: 'off' }));
    const fields = { actor: input('actor', 'Actor'), action: input('action', 'Action (e.g. provider.pause)'), target: input('target', 'Target (e.g. provider:nicepay)'), since: input('since', 'Since (ISO 8601)') };
    const tbody = el('tbody', {});
    const more = el('button', { type: 'button', className: 'secondary', id: 'audit-more', text: 'Load more', hidden: true });
    const headers = ['At', 'Actor', 'Role', 'Action', 'Target', 'Outcome', 'Reason', 'Detail'];
    view.replaceChildren(heading('Audit log'),
      el('form', {
        className: 'inline panel',
        onsubmit: (e) => {
          e.preventDefault();
          const next = `audit/${new URLSearchParams(Object.entries(fields).map(([k, [, i]]) => [k, i.value.trim()]).filter(([, v]) => v))}`;
          if (`#${next}` === decodeURIComponent(location.hash)) route(); else location.hash = next;
        },
      }, Object.values(fields).map(([f]) => f), el('button', { type: 'submit', id: 'audit-filter', text: 'Filter' })),
      el('section', { className: 'panel' }, el('div', { className: 'scroll' }, el('table', { id: 'audit-table' },
        el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col', text: h })))), tbody)), more));
    let cursor = null;
    const load = async () => {
      const r = await api('GET', `audit${q({ actor: params.get('actor'), action: params.get('action'), target: params.get('target'), since: params.get('since'), cursor, limit: 100 })}`);
      for (const { entry: a, target } of r.items) {
        tbody.appendChild(el('tr', {},
          el('td', { text: fmtTime(a.at) }), el('td', { text: a.actor }), el('td', { text: a.role }), el('td', { text: a.action }),
          el('td', { className: 'wrap', text: target }), el('td', { text: `${a.outcome} (${a.statusCode})` }),
          el('td', { className: 'wrap', text: a.reason || '' }), el('td', { className: 'wrap mono', text: a.detail ? JSON.stringify(a.detail) : '' })));
      }
      if (!tbody.children.length) tbody.appendChild(el('tr', {}, el('td', { colspan: headers.length, className: 'muted', text: 'Nothing here.' })));
      cursor = r.nextCursor;
      more.hidden = !cursor;
    };
    more.addEventListener('click', () => load().catch((e) => setStatus(e.message)));
    await load();
  }

  // ---------- start ----------

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const input = $('login-key');
      const key = input.value.trim();
      $('login-error').textContent = '';
      if (!key) { $('login-error').textContent = 'Paste your operator key.'; input.focus(); return; }
      $('login-submit').disabled = true;
      try {
        await signIn(key);
        input.value = '';
        route();
        $('main').focus();
      } catch (err) {
        $('login-error').textContent = err.status === 401 ? 'That key was not accepted.' : err.message;
        input.focus();
      } finally { $('login-submit').disabled = false; }
    });
    $('sign-out').addEventListener('click', () => signOut('Signed out.'));
    // After a navigation, focus moves to the new page's heading so a keyboard or screen-reader user starts there.
    window.addEventListener('hashchange', () => route(true));
    const saved = sessionStorage.getItem(KEY);
    if (saved) {
      signIn(saved).then(route).catch(() => signOut('Your saved key was not accepted. Sign in again.'));
    } else {
      signOut('');
    }
  });
})();
