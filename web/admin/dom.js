// DOM helpers shared by the dashboard's modules. Nothing here parses markup: text reaches the page
// through textContent only.

/** Rows drawn at most per list: a busy node has more connections than a table can show usefully. */
export const MAX_ROWS = 500;

export const $ = (id) => document.getElementById(id);

export const fmt = new Intl.NumberFormat();

/** An element with text content and attributes; never parses markup. */
export function h(tag, props = {}, ...children) {
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

export function td(label, text, cls) {
  return h('td', { 'data-label': label, text, class: cls });
}

export function duration(seconds) {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d ${Math.floor((seconds % 86400) / 3600)}h`;
}

export function showMore(note, total, what, hint) {
  note.hidden = total <= MAX_ROWS;
  note.textContent = `Showing ${MAX_ROWS} of ${fmt.format(total)} ${what} (${hint}).`;
}

export function clock(time) {
  const d = new Date(time);
  return (
    d.toLocaleTimeString([], { hour12: false }) +
    (Date.now() - d > 86_400_000 ? ` ${d.toLocaleDateString()}` : '')
  );
}

export function ago(time) {
  const s = Math.max(0, Math.floor((Date.now() - new Date(time)) / 1000));
  return `${duration(s)} ago`;
}

let toastTimer = 0;
export function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    t.hidden = true;
  }, 4000);
}
