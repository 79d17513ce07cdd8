// The channel inspector: the channel list of a namespace, a channel's history tailed live by
// polling it with `after` = the last ord seen (the same for every dialect), and a publish form.
import { AuthError, api, seg } from './api.js';
import { $, clock, h, MAX_ROWS, showMore } from './dom.js';

const TAIL_MS = 1000;
const HISTORY_SHOWN = 200;

/** The channel being inspected: {ns, channel, lastOrd}; replaced (never mutated into another) on switch. */
let current = null;
let tailTimer = 0;

/** `guarded` runs background work and deals with its failures (see app.js). */
export function createInspector(guarded) {
  async function refreshChannels() {
    const ns = $('channel-ns').value;
    if (!ns) return;
    const channels = await api(`/namespaces/${seg(ns)}/channels`);
    if ($('channel-ns').value !== ns) return;
    $('channels-empty').hidden = channels.length > 0;
    showMore($('channels-more'), channels.length, 'channels', 'type a name above to open one not listed');
    $('channels').replaceChildren(
      ...channels.slice(0, MAX_ROWS).map((c) => {
        const active = current?.ns === ns && current.channel === c.name;
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
    clearTimeout(tailTimer);
    current = null;
  }

  async function openChannel(ns, channel) {
    closeInspector();
    const inspect = { ns, channel, lastOrd: 0 };
    current = inspect;
    $('inspector-title').textContent = `${ns} / ${channel}`;
    $('inspector-meta').textContent = 'loading…';
    $('history').replaceChildren();
    $('publish').hidden = false;
    $('publish-result').textContent = '';
    await guarded(async () => {
      const r = await api(`/namespaces/${seg(ns)}/channels/${seg(channel)}/history?last=50`);
      if (current !== inspect) return;
      appendHistory(r.publications, false);
      inspect.lastOrd = Math.max(r.top, ...r.publications.map((p) => p.ord));
      renderInspectorMeta();
    });
    await guarded(refreshChannels);
    if (current === inspect) tailTimer = setTimeout(() => tail(inspect), TAIL_MS);
  }

  /** Polls history with `after` = the last ord seen: works the same for every dialect. */
  async function tail(inspect) {
    if (current !== inspect) return;
    if ($('tail-toggle').checked) {
      await guarded(async () => {
        const { ns, channel } = inspect;
        const r = await api(
          `/namespaces/${seg(ns)}/channels/${seg(channel)}/history?after=${inspect.lastOrd}`,
        );
        if (current !== inspect) return;
        const fresh = r.publications.filter((p) => p.ord > inspect.lastOrd);
        appendHistory(fresh, true);
        if (fresh.length > 0) inspect.lastOrd = fresh[fresh.length - 1].ord;
        renderInspectorMeta();
      });
    }
    if (current === inspect) tailTimer = setTimeout(() => tail(inspect), TAIL_MS);
  }

  function renderInspectorMeta() {
    const live = $('tail-toggle').checked ? 'tailing live' : 'paused';
    const n = $('history').children.length;
    $('inspector-meta').textContent =
      `${n} message${n === 1 ? '' : 's'} shown · last ord ${current?.lastOrd || '–'} · ${live}`;
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
    const inspect = current;
    if (!inspect) return;
    const raw = $('publish-data').value;
    if (raw.trim() === '') {
      $('publish-result').textContent = 'Type the data to publish first.';
      return;
    }
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

  return { refreshChannels, closeInspector };
}
