// The Switchboard admin dashboard: a client of the admin API (docs/operations.md "Admin API") with
// no build step and no dependencies. Server-provided text only ever reaches the DOM through
// textContent.
import { drawChart } from './chart.js';

const KEY_STORE = 'switchboard.admin.key';
const POLL_MS = 2000;
const TAIL_MS = 1000;
const CHART_WINDOW_MS = 5 * 60_000;
const HISTORY_SHOWN = 200;
const KICK_CONFIRM_MS = 4000;
const VIEWS = ['overview', 'channels', 'connections', 'queues'];

const $ = (id) => document.getElementById(id);

/** An element with text content and attributes; never parses markup. */
function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === 'text') node.textContent = String(v);
    else if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, String(v));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

const state = {
  key: sessionStorage.getItem(KEY_STORE),
  view: VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'overview',
  namespaces: [],
  prev: null,
  samples: [],
  pollTimer: 0,
  /** Bumped on every restart of the loop so a poll still in flight does not start a second loop. */
  pollGen: 0,
  /** The channel being inspected: {ns, channel, lastOrd, gen} */
  inspect: null,
  tailTimer: 0,
  pendingKick: null,
};

class AuthError extends Error {}

/** Calls the admin API with the key; a 401 sends the operator back to the login form. */
async function api(path, { method = 'GET', body, key = state.key } = {}) {
  const headers = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/admin/api${path}`, {
    method,
    headers,
    cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  const message = json && typeof json.error === 'string' ? json.error : `HTTP ${res.status}`;
  if (res.status === 401 || res.status === 403) throw new AuthError(message);
  if (!res.ok) throw new Error(message);
  return json;
}

const seg = encodeURIComponent;

// ---------- login ----------

function showLogin(error) {
  stopPolling();
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').hidden = !error;
  $('login-error').textContent = error ?? '';
  $('key-input').focus();
}

async function signIn(key) {
  $('login-button').disabled = true;
  try {
    await api('/stats', { key });
    state.key = key;
    sessionStorage.setItem(KEY_STORE, key);
    $('login').hidden = true;
    $('app').hidden = false;
    $('key-input').value = '';
    startPolling();
  } catch (err) {
    if (err instanceof AuthError) {
      sessionStorage.removeItem(KEY_STORE);
      showLogin(`Wrong admin key: the server refused it (${err.message}).`);
    } else showLogin(`Cannot reach the server: ${err.message}`);
  } finally {
    $('login-button').disabled = false;
  }
}

function signOut(error) {
  state.key = null;
  sessionStorage.removeItem(KEY_STORE);
  closeInspector();
  state.samples = [];
  state.prev = null;
  showLogin(error);
}

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  signIn($('key-input').value);
});
$('logout').addEventListener('click', () => signOut());

// ---------- polling ----------

function startPolling() {
  stopPolling();
  showView(state.view);
  poll();
}

function stopPolling() {
  clearTimeout(state.pollTimer);
  state.pollTimer = 0;
  state.pollGen++;
}

/** Wraps background work: a refused key signs out, anything else shows as "offline". */
async function guarded(work) {
  try {
    await work();
    return true;
  } catch (err) {
    if (err instanceof AuthError) signOut(`The admin key was refused: ${err.message}`);
    else setStatus('offline', `unreachable (${err.message})`);
    return false;
  }
}

async function poll() {
  const gen = state.pollGen;
  await guarded(async () => {
    const [stats, namespaces] = await Promise.all([api('/stats'), api('/namespaces')]);
    setStatus('online', stats.ready ? 'live' : 'engine not ready');
    state.namespaces = namespaces;
    renderStats(stats);
    renderNamespaces(namespaces);
    if (state.view === 'channels') await refreshChannels();
    if (state.view === 'connections') await refreshConnections();
    if (state.view === 'queues') await refreshQueues();
  });
  if (gen === state.pollGen && state.key !== null) state.pollTimer = setTimeout(poll, POLL_MS);
}

function setStatus(kind, label) {
  $('status').dataset.state = kind;
  $('status-label').textContent = label;
}

// ---------- overview ----------

const fmt = new Intl.NumberFormat();

function rate(now, prev, key) {
  const dt = (now.t - prev.t) / 1000;
  return dt > 0 ? Math.max(0, (now[key] - prev[key]) / dt) : 0;
}

function renderStats(stats) {
  const now = {
    t: Date.now(),
    accepted: stats.messages.accepted,
    delivered: stats.messages.delivered,
  };
  const conns = stats.connections.total;
  if (state.prev) {
    const inRate = rate(now, state.prev, 'accepted');
    const outRate = rate(now, state.prev, 'delivered');
    state.samples.push({ t: now.t, inRate, outRate, conns });
    state.samples = state.samples.filter((s) => s.t >= now.t - CHART_WINDOW_MS - POLL_MS);
    $('f-in-rate').textContent = inRate.toFixed(inRate < 10 ? 1 : 0);
    $('f-out-rate').textContent = outRate.toFixed(outRate < 10 ? 1 : 0);
  }
  state.prev = now;
  $('f-connections').textContent = fmt.format(conns);
  $('f-subscriptions').textContent = fmt.format(stats.subscriptions);
  $('f-accepted').textContent = fmt.format(stats.messages.accepted);
  $('f-delivered').textContent = fmt.format(stats.messages.delivered);
  $('f-failed').textContent = fmt.format(stats.messages.failed);
  $('f-memory').textContent = `${(stats.memory / 1048576).toFixed(0)} MB`;
  $('conn-badge').textContent = conns ? String(conns) : '';
  $('node').textContent = `node ${stats.node_id} · ${stats.engine} engine · up ${duration(stats.uptime)}`;
  if (state.view === 'overview') redrawChart();

  const dialects = Object.entries(stats.connections.by_dialect).sort(
    (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
  );
  const most = dialects[0]?.[1] ?? 1;
  $('by-dialect-empty').hidden = dialects.length > 0;
  $('by-dialect').replaceChildren(
    ...dialects.map(([name, n]) => {
      const bar = h('span', { class: 'bar' });
      bar.style.width = `${Math.max(4, (n / most) * 100)}%`;
      return h(
        'li',
        {},
        h('span', { class: 'bar-label', text: name }),
        bar,
        h('strong', { text: fmt.format(n) }),
      );
    }),
  );
}

/** The x axis grows a minute at a time with the data collected, up to CHART_WINDOW_MS. */
function redrawChart() {
  const first = state.samples[0];
  const span = first ? Date.now() - first.t : 0;
  const windowMs = Math.min(CHART_WINDOW_MS, Math.max(1, Math.ceil(span / 60_000)) * 60_000);
  const title = windowMs >= CHART_WINDOW_MS ? 'last 5 minutes' : `last ${windowMs / 60_000} min`;
  $('chart-title').textContent = `Traffic, ${title}`;
  drawChart($('chart'), state.samples, { windowMs });
}

function duration(seconds) {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d ${Math.floor((seconds % 86400) / 3600)}h`;
}

function td(label, text, cls) {
  return h('td', { 'data-label': label, text, class: cls });
}

function renderNamespaces(list) {
  $('namespaces').replaceChildren(
    ...list.map((n) =>
      h(
        'tr',
        {},
        td('Name', n.name, 'strong'),
        td('Connections', fmt.format(n.connections), 'num'),
        td('Subscriptions', fmt.format(n.subscriptions), 'num'),
        td('History', n.history_size ?? '–', 'num'),
        td('Rocket path', n.rocket_path ?? '–', 'mono'),
      ),
    ),
  );
  for (const select of [$('channel-ns'), $('conn-ns')]) fillNamespaceSelect(select, list);
}

/** Keeps the operator's choice when the list is refreshed. */
function fillNamespaceSelect(select, list) {
  const names = list.map((n) => n.name);
  const current = [...select.options].filter((o) => o.value !== '').map((o) => o.value);
  if (current.join('\n') === names.join('\n')) return;
  const chosen = select.value;
  const keep = [...select.options].filter((o) => o.value === '');
  select.replaceChildren(...keep, ...names.map((name) => h('option', { value: name, text: name })));
  if (names.includes(chosen) || chosen === '') select.value = chosen;
  if (select.value === '' && keep.length === 0 && names.length > 0) select.value = names[0];
}

// ---------- views ----------

function showView(view) {
  state.view = view;
  if (location.hash.slice(1) !== view) history.replaceState(null, '', `#${view}`);
  for (const section of document.querySelectorAll('.view')) section.hidden = section.dataset.name !== view;
  for (const tab of document.querySelectorAll('.tabs button')) {
    if (tab.dataset.view === view) tab.setAttribute('aria-current', 'page');
    else tab.removeAttribute('aria-current');
  }
}

for (const tab of document.querySelectorAll('.tabs button')) {
  tab.addEventListener('click', () => {
    showView(tab.dataset.view);
    stopPolling();
    poll();
  });
}
window.addEventListener('resize', () => {
  if (state.view === 'overview') redrawChart();
});

// ---------- channels and the inspector ----------

async function refreshChannels() {
  const ns = $('channel-ns').value;
  if (!ns) return;
  const channels = await api(`/namespaces/${seg(ns)}/channels`);
  if ($('channel-ns').value !== ns) return;
  $('channels-empty').hidden = channels.length > 0;
  $('channels').replaceChildren(
    ...channels.map((c) => {
      const active = state.inspect?.ns === ns && state.inspect.channel === c.name;
      return h(
        'li',
        { class: active ? 'active' : undefined },
        h(
          'button',
          { type: 'button', onclick: () => openChannel(ns, c.name), 'data-channel': c.name },
          h('span', { class: 'channel-name', text: c.name }),
          h('span', {
            class: 'meta',
            text: `${c.subscribers} subscriber${c.subscribers === 1 ? '' : 's'} · last ${c.last_time ? clock(c.last_time) : '–'}`,
          }),
        ),
      );
    }),
  );
}

$('channel-ns').addEventListener('change', () => guarded(refreshChannels));
$('open-channel').addEventListener('submit', (e) => {
  e.preventDefault();
  const name = $('channel-input').value.trim();
  if (name && $('channel-ns').value) openChannel($('channel-ns').value, name);
});

function closeInspector() {
  clearTimeout(state.tailTimer);
  state.inspect = null;
}

async function openChannel(ns, channel) {
  closeInspector();
  const inspect = { ns, channel, lastOrd: 0 };
  state.inspect = inspect;
  $('inspector-title').textContent = `${ns} / ${channel}`;
  $('inspector-meta').textContent = 'loading…';
  $('history').replaceChildren();
  $('publish').hidden = false;
  $('publish-result').textContent = '';
  await guarded(async () => {
    const r = await api(`/namespaces/${seg(ns)}/channels/${seg(channel)}/history?last=50`);
    if (state.inspect !== inspect) return;
    appendHistory(r.publications, false);
    inspect.lastOrd = Math.max(r.top, ...r.publications.map((p) => p.ord));
    renderInspectorMeta();
  });
  await guarded(refreshChannels);
  if (state.inspect === inspect) state.tailTimer = setTimeout(() => tail(inspect), TAIL_MS);
}

/** Polls history with `after` = the last ord seen: works the same for every dialect. */
async function tail(inspect) {
  if (state.inspect !== inspect) return;
  if ($('tail-toggle').checked) {
    await guarded(async () => {
      const { ns, channel } = inspect;
      const r = await api(`/namespaces/${seg(ns)}/channels/${seg(channel)}/history?after=${inspect.lastOrd}`);
      if (state.inspect !== inspect) return;
      const fresh = r.publications.filter((p) => p.ord > inspect.lastOrd);
      appendHistory(fresh, true);
      if (fresh.length > 0) inspect.lastOrd = fresh[fresh.length - 1].ord;
      renderInspectorMeta();
    });
  }
  if (state.inspect === inspect) state.tailTimer = setTimeout(() => tail(inspect), TAIL_MS);
}

function renderInspectorMeta() {
  const live = $('tail-toggle').checked ? 'tailing live' : 'paused';
  const n = $('history').children.length;
  $('inspector-meta').textContent =
    `${n} message${n === 1 ? '' : 's'} shown · last ord ${state.inspect?.lastOrd || '–'} · ${live}`;
  $('history-empty').hidden = n > 0;
}
$('tail-toggle').addEventListener('change', renderInspectorMeta);

function appendHistory(publications, fresh) {
  const list = $('history');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  for (const p of publications) {
    const data =
      p.binary === true
        ? `(binary, base64) ${p.data}`
        : typeof p.data === 'string'
          ? p.data
          : JSON.stringify(p.data, null, 2);
    list.append(
      h(
        'li',
        { class: fresh ? 'fresh' : undefined, 'data-ord': p.ord },
        h(
          'div',
          { class: 'pub-head' },
          h('span', { class: 'mono', text: `#${p.ord}` }),
          h('time', { text: clock(p.time) }),
          p.event !== undefined ? h('span', { class: 'tag', text: p.event }) : null,
          p.sender !== undefined ? h('span', { class: 'sender', text: `from ${p.sender}` }) : null,
        ),
        h('pre', { class: 'pub-data', text: data }),
      ),
    );
  }
  while (list.children.length > HISTORY_SHOWN) list.firstElementChild.remove();
  if (atBottom || !fresh) list.scrollTop = list.scrollHeight;
}

$('publish').addEventListener('submit', async (e) => {
  e.preventDefault();
  const inspect = state.inspect;
  if (!inspect) return;
  const raw = $('publish-data').value;
  let data = raw;
  try {
    data = JSON.parse(raw);
  } catch {
    data = raw; // not JSON: published as a string
  }
  const event = $('publish-event').value.trim();
  $('publish-button').disabled = true;
  await guarded(async () => {
    try {
      const r = await api(`/namespaces/${seg(inspect.ns)}/channels/${seg(inspect.channel)}/publish`, {
        method: 'POST',
        body: event ? { data, event } : { data },
      });
      $('publish-result').textContent =
        `Published as #${r.ord}, delivered to ${r.delivered?.s ?? 0} subscriber(s).`;
      $('publish-data').value = '';
    } catch (err) {
      if (err instanceof AuthError) throw err;
      $('publish-result').textContent = `Not published: ${err.message}`;
    }
  });
  $('publish-button').disabled = false;
});

// ---------- connections ----------

async function refreshConnections() {
  const ns = $('conn-ns').value;
  const list = await api(`/connections${ns ? `?namespace=${seg(ns)}` : ''}`);
  list.sort((a, b) => a.connected_at.localeCompare(b.connected_at));
  $('connections-empty').hidden = list.length > 0;
  const pending = state.pendingKick && state.pendingKick.until > Date.now() ? state.pendingKick.id : null;
  $('connections').replaceChildren(
    ...list.map((c) => {
      const context = c.context && Object.keys(c.context).length > 0 ? JSON.stringify(c.context) : '–';
      const subs = c.watching_all ? 'whole namespace' : c.subscriptions.join(', ') || '–';
      const kick = h('button', {
        type: 'button',
        class: pending === c.id ? 'danger confirm' : 'danger',
        text: pending === c.id ? 'Confirm kick' : 'Kick',
        title: `Disconnect ${c.id}`,
        onclick: () => kickClicked(c.id),
      });
      return h(
        'tr',
        { 'data-id': c.id },
        td('Dialect', c.dialect, 'tag-cell'),
        td('Namespace', c.namespace),
        td('User', c.user ?? '–'),
        td('Context', context, 'mono clip'),
        td('Subscriptions', subs, 'clip'),
        td('Connected since', `${clock(c.connected_at)} (${ago(c.connected_at)})`),
        h('td', { class: 'actions' }, kick),
      );
    }),
  );
}

$('conn-ns').addEventListener('change', () => guarded(refreshConnections));

/** Two clicks: the first arms the button for a few seconds, the second disconnects. */
async function kickClicked(id) {
  if (state.pendingKick?.id !== id || state.pendingKick.until < Date.now()) {
    state.pendingKick = { id, until: Date.now() + KICK_CONFIRM_MS };
    await guarded(refreshConnections);
    return;
  }
  state.pendingKick = null;
  await guarded(async () => {
    try {
      await api(`/connections/${seg(id)}/disconnect`, { method: 'POST', body: {} });
      toast(`Disconnected ${id}`);
    } catch (err) {
      if (err instanceof AuthError) throw err;
      toast(`Could not disconnect ${id}: ${err.message}`);
    }
    await refreshConnections();
  });
}

// ---------- queues ----------

async function refreshQueues() {
  const perNs = await Promise.all(
    state.namespaces.map(async (n) => ({
      ns: n.name,
      topics: await api(`/namespaces/${seg(n.name)}/topics`),
    })),
  );
  const rows = perNs.flatMap(({ ns, topics }) => topics.map((t) => ({ ns, ...t })));
  $('topics-empty').hidden = rows.length > 0;
  $('topics').replaceChildren(
    ...rows.map((t) =>
      h(
        'tr',
        { class: t.depth > 0 && t.consumers === 0 ? 'warn' : undefined },
        td('Namespace', t.ns),
        td('Topic', t.topic, 'strong'),
        td('Depth', fmt.format(t.depth), 'num'),
        td('Consumers', fmt.format(t.consumers), 'num'),
        td('Dropped', fmt.format(t.dropped), 'num'),
      ),
    ),
  );
}

// ---------- small things ----------

function clock(time) {
  const d = new Date(time);
  return (
    d.toLocaleTimeString([], { hour12: false }) +
    (Date.now() - d > 86_400_000 ? ` ${d.toLocaleDateString()}` : '')
  );
}

function ago(time) {
  const s = Math.max(0, Math.floor((Date.now() - new Date(time)) / 1000));
  return `${duration(s)} ago`;
}

let toastTimer = 0;
function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    t.hidden = true;
  }, 4000);
}

if (state.key !== null) signIn(state.key);
else showLogin();
