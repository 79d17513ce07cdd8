// The Switchboard admin dashboard: a client of the admin API (docs/operations.md "Admin API") with
// no build step and no dependencies. Server-provided text only ever reaches the DOM through
// textContent.
import { AuthError, api, auth, basicHeader, NetworkError, seg } from './api.js';
import { drawChart } from './chart.js';
import { $, ago, clock, duration, fmt, h, MAX_ROWS, showMore, td, toast } from './dom.js';
import { createInspector } from './inspector.js';

const KEY_STORE = 'switchboard.admin.auth';
const POLL_MS = 2000;
const CHART_WINDOW_MS = 5 * 60_000;
const KICK_CONFIRM_MS = 4000;
const VIEWS = ['overview', 'channels', 'connections', 'queues'];

const state = {
  view: VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'overview',
  namespaces: [],
  prev: null,
  samples: [],
  pollTimer: 0,
  /** Bumped on every restart of the loop so a poll still in flight does not start a second loop. */
  pollGen: 0,
  pendingKick: null,
};

// ---------- login ----------

function showLogin(error) {
  stopPolling();
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').hidden = !error;
  $('login-error').textContent = error ?? '';
  $('key-input').focus();
}

/** `creds` = {header, role: 'admin' | 'manager', label}; checked against the server before use. */
async function signIn(creds) {
  $('login-button').disabled = true;
  try {
    // /stats needs the admin key; /namespaces is what a manager may read.
    await api(creds.role === 'admin' ? '/stats' : '/namespaces', { header: creds.header });
    Object.assign(auth, creds);
    sessionStorage.setItem(KEY_STORE, JSON.stringify(creds));
    $('login').hidden = true;
    $('app').hidden = false;
    $('app').dataset.role = creds.role;
    $('key-input').value = '';
    $('mgr-secret').value = '';
    startPolling();
  } catch (err) {
    if (err instanceof AuthError) {
      sessionStorage.removeItem(KEY_STORE);
      const what = creds.role === 'admin' ? 'Wrong admin key' : 'Manager sign-in refused';
      showLogin(`${what}: the server refused it (${err.message}).`);
    } else if (err instanceof NetworkError) showLogin(`Cannot reach the server (${err.message}).`);
    else showLogin(`The server answered with an error: ${err.message}`);
  } finally {
    $('login-button').disabled = false;
  }
}

function signOut(error) {
  auth.header = null;
  sessionStorage.removeItem(KEY_STORE);
  closeInspector();
  state.samples = [];
  state.prev = null;
  showLogin(error);
}

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if ($('manager-login').open) {
    const [ns, user, secret] = ['mgr-ns', 'mgr-user', 'mgr-secret'].map((id) => $(id).value.trim());
    signIn({ header: basicHeader(ns, user, secret), role: 'manager', label: `${ns} / ${user}` });
  } else {
    const key = $('key-input').value;
    signIn({ header: key ? `Bearer ${key}` : '', role: 'admin', label: '' });
  }
});
$('logout').addEventListener('click', () => signOut());
// One way to sign in at a time: the key field is ignored while the manager fields are open.
$('manager-login').addEventListener('toggle', () => {
  $('key-input').disabled = $('manager-login').open;
});

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
    else if (err instanceof NetworkError) setStatus('offline', 'server unreachable, retrying…');
    else setStatus('error', `error: ${err.message}`);
    return false;
  }
}

async function poll() {
  const gen = state.pollGen;
  await guarded(async () => {
    const [stats, namespaces] =
      auth.role === 'admin' ? await Promise.all([api('/stats'), api('/namespaces')]) : await managerStats();
    setStatus('online', stats.ready === false ? 'engine not ready' : 'live');
    state.namespaces = namespaces;
    renderStats(stats);
    renderNamespaces(namespaces);
    if (state.view === 'channels') await refreshChannels();
    if (state.view === 'connections') await refreshConnections();
    if (state.view === 'queues') await refreshQueues();
  });
  if (gen === state.pollGen && auth.header !== null) state.pollTimer = setTimeout(poll, POLL_MS);
}

function setStatus(kind, label) {
  $('status').dataset.state = kind;
  $('status-label').textContent = label;
}

// ---------- overview ----------

/**
 * A manager may not read /stats (server-wide): its figures are those of its namespace, from the
 * namespace list and its connections. No message counters: those are per node, not per namespace.
 */
async function managerStats() {
  const [namespaces, conns] = await Promise.all([api('/namespaces'), api('/connections')]);
  const byDialect = {};
  for (const c of conns) byDialect[c.dialect] = (byDialect[c.dialect] ?? 0) + 1;
  const stats = {
    connections: { total: conns.length, by_dialect: byDialect },
    subscriptions: namespaces.reduce((n, ns) => n + ns.subscriptions, 0),
  };
  return [stats, namespaces];
}

function rate(now, prev, key) {
  const dt = (now.t - prev.t) / 1000;
  return dt > 0 ? Math.max(0, (now[key] - prev[key]) / dt) : 0;
}

/**
 * The message counters of each node that answered this poll, by node id. An answer without
 * `nodes` (a manager's, or a server that sums nothing) counts as this node alone.
 */
function countersByNode(stats) {
  const list = stats.nodes ?? (stats.messages ? [{ node: stats.node_id, messages: stats.messages }] : []);
  return new Map(
    list.map((n) => [n.node, { accepted: n.messages.accepted, delivered: n.messages.delivered }]),
  );
}

/**
 * Whether the cluster sums of two polls can be subtracted into a rate: the same nodes answered
 * both and none of them went back (a restart zeroes its counters). A node that joins or comes
 * back brings its whole lifetime count into the sum at once and one that drops out takes it away,
 * which would draw as a spike or a negative rate: that interval is left out instead.
 */
function comparable(now, prev) {
  if (now.nodes.size !== prev.nodes.size) return false;
  for (const [id, c] of now.nodes) {
    const p = prev.nodes.get(id);
    if (!p || c.accepted < p.accepted || c.delivered < p.delivered) return false;
  }
  return true;
}

const rateText = (r) => (r === null ? '–' : r.toFixed(r < 10 ? 1 : 0));

/**
 * `stats` as /admin/api/stats answers; a manager's lacks messages, memory and node details. The
 * overview shows `cluster` (the sums over every node that answered) when present; the node line
 * in the top bar stays the serving node's.
 */
function renderStats(stats) {
  const totals = stats.cluster ?? stats;
  const conns = totals.connections.total;
  const m = totals.messages;
  const now = {
    t: Date.now(),
    accepted: m?.accepted ?? 0,
    delivered: m?.delivered ?? 0,
    nodes: countersByNode(stats),
  };
  if (state.prev) {
    const ok = comparable(now, state.prev);
    const inRate = ok ? rate(now, state.prev, 'accepted') : null;
    const outRate = ok ? rate(now, state.prev, 'delivered') : null;
    state.samples.push({ t: now.t, inRate, outRate, conns });
    state.samples = state.samples.filter((s) => s.t >= now.t - CHART_WINDOW_MS - POLL_MS);
    $('f-in-rate').textContent = rateText(inRate);
    $('f-out-rate').textContent = rateText(outRate);
  }
  state.prev = now;
  $('f-connections').textContent = fmt.format(conns);
  $('f-subscriptions').textContent = fmt.format(totals.subscriptions);
  $('conn-badge').textContent = conns ? String(conns) : '';
  if (m) {
    $('f-accepted').textContent = fmt.format(m.accepted);
    $('f-delivered').textContent = fmt.format(m.delivered);
    $('f-failed').textContent = fmt.format(m.failed);
    $('f-memory').textContent = megabytes(totals.memory);
    // The engine's count (every node's channels), refreshed by the server every few seconds.
    $('f-channels').textContent = stats.channels == null ? '–' : fmt.format(stats.channels);
    $('node').textContent = `node ${stats.node_id} · ${stats.engine} engine · up ${duration(stats.uptime)}`;
    renderNodes(stats);
  } else $('node').textContent = `manager ${auth.label}`;
  if (state.view === 'overview') redrawChart();

  const dialects = Object.entries(totals.connections.by_dialect).sort(
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

const megabytes = (bytes) => `${(bytes / 1048576).toFixed(0)} MB`;
const plural = (n, word) => `${fmt.format(n)} ${word}${n === 1 ? '' : 's'}`;

/**
 * How many nodes the figures cover, a warning naming the nodes that did not answer (their share
 * is not in the sums), and one row per node: those that answered, then those that did not.
 */
function renderNodes(stats) {
  const nodes = stats.nodes ?? [];
  const missing = stats.missing ?? [];
  const asked = nodes.length + missing.length;
  $('scope').textContent = stats.cluster
    ? missing.length === 0
      ? `Totals over the whole cluster: ${plural(nodes.length, 'node')} answered.`
      : `Totals over ${plural(nodes.length, 'node')} of ${asked}: ${missing.length} did not answer.`
    : `Figures of node ${stats.node_id} only.`;
  const warnings = [];
  if (missing.length > 0) {
    const named = missing.map((n) => `node ${n.node} (${n.error})`).join('; ');
    warnings.push(
      `Not counted, no answer from ${missing.length === 1 ? 'this node' : 'these nodes'}: ${named}.`,
    );
  }
  if (stats.cluster_error !== undefined) {
    warnings.push(
      `The cluster's nodes could not be listed (${stats.cluster_error}): the figures are this node's.`,
    );
  }
  $('missing').hidden = warnings.length === 0;
  $('missing').textContent = warnings.join(' ');

  const answered = nodes.map((n) => {
    const label = `${n.node}${n.node === stats.node_id ? ' (this page)' : ''}${n.ready === false ? ' · not ready' : ''}`;
    return h(
      'tr',
      { 'data-node': n.node },
      td('Node', label, 'strong'),
      td('Connections', fmt.format(n.connections.total), 'num'),
      td('Subscriptions', fmt.format(n.subscriptions), 'num'),
      td('Published', fmt.format(n.messages.accepted), 'num'),
      td('Delivered', fmt.format(n.messages.delivered), 'num'),
      td('Memory', megabytes(n.memory), 'num'),
      td('Up', duration(n.uptime)),
    );
  });
  const silent = missing.map((n) =>
    h(
      'tr',
      { 'data-node': n.node, class: 'warn' },
      td('Node', `${n.node} · no answer`, 'strong'),
      ...['Connections', 'Subscriptions', 'Published', 'Delivered', 'Memory', 'Up'].map((l) =>
        td(l, '–', 'num'),
      ),
    ),
  );
  $('nodes').replaceChildren(...answered, ...silent);
}

/** The x axis grows a minute at a time with the data collected, up to CHART_WINDOW_MS. */
function redrawChart() {
  const first = state.samples[0];
  const span = first ? Date.now() - first.t : 0;
  const windowMs = Math.min(CHART_WINDOW_MS, Math.max(1, Math.ceil(span / 60_000)) * 60_000);
  const title = windowMs >= CHART_WINDOW_MS ? 'last 5 minutes' : `last ${windowMs / 60_000} min`;
  $('chart-title').textContent = `${auth.role === 'admin' ? 'Traffic' : 'Connections'}, ${title}`;
  drawChart($('chart'), state.samples, { windowMs, rates: auth.role === 'admin' });
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

// ---------- channels ----------

const { refreshChannels, closeInspector } = createInspector(guarded);

// ---------- connections ----------

async function refreshConnections() {
  const ns = $('conn-ns').value;
  const list = await api(`/connections${ns ? `?namespace=${seg(ns)}` : ''}`);
  list.sort((a, b) => a.connected_at.localeCompare(b.connected_at));
  $('connections-empty').hidden = list.length > 0;
  showMore($('connections-more'), list.length, 'connections', 'the oldest first; filter by namespace');
  const pending = state.pendingKick && state.pendingKick.until > Date.now() ? state.pendingKick.id : null;
  $('connections').replaceChildren(
    ...list.slice(0, MAX_ROWS).map((c) => {
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
        // The id is what `switchboard ctl` and the API take; the address tells clients apart.
        h(
          'td',
          { 'data-label': 'Client', class: 'client' },
          h(
            'div',
            {},
            h('span', { class: 'mono', text: c.id }),
            c.remote_address ? h('span', { class: 'meta', text: c.remote_address }) : null,
          ),
        ),
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

/** The credentials this tab signed in with, or null. */
function storedCredentials() {
  try {
    const creds = JSON.parse(sessionStorage.getItem(KEY_STORE) ?? 'null');
    return typeof creds?.header === 'string' ? creds : null;
  } catch {
    return null;
  }
}

const stored = storedCredentials();
if (stored !== null) signIn(stored);
else showLogin();
