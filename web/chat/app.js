// The Switchboard chat page: a client of the nane protocol (docs/protocol/chat.md) with no build
// step and no dependencies. User text only ever reaches the DOM through textContent.

const NAME_KEY = 'switchboard.chat.username';
const PING_EVERY_MS = 20_000;
const PONG_WITHIN_MS = 8_000;
const MAX_BACKOFF_MS = 10_000;

const $ = (id) => document.getElementById(id);
const el = {
  app: $('app'),
  back: $('back'),
  status: $('status'),
  statusLabel: $('status-label'),
  me: $('me'),
  openRoom: $('open-room'),
  roomInput: $('room-input'),
  rooms: $('rooms'),
  roomsEmpty: $('rooms-empty'),
  roomTitle: $('room-title'),
  roomMeta: $('room-meta'),
  scroller: $('scroller'),
  placeholder: $('placeholder'),
  messages: $('messages'),
  composer: $('composer'),
  text: $('text'),
  counter: $('counter'),
  send: $('send'),
  nameOverlay: $('name-overlay'),
  nameForm: $('name-form'),
  nameInput: $('name-input'),
  nameError: $('name-error'),
};

const state = {
  username: localStorage.getItem(NAME_KEY) ?? '',
  settings: { max_message_length: 10500, max_room_title_length: 50, max_username_length: 50 },
  /** lower-case room name → { name, last, unread } */
  rooms: new Map(),
  /** { key, name } of the open room, or null */
  current: null,
  /** Live messages of the open room that arrive while its history is loading. */
  early: null,
  /** Signatures of the messages on screen, so a message is never shown twice. */
  shown: new Set(),
  /** id → <li> of own messages not yet echoed by the server. */
  pending: new Map(),
  ws: null,
  attempt: 0,
  everConnected: false,
  reconnectTimer: 0,
  pingTimer: 0,
  pongTimer: 0,
  historySeq: 0,
};

const runes = (s) => [...s].length;
const keyOf = (name) => name.toLowerCase();
const signature = (m) => `${m.created}\u0000${m.sender?.username}\u0000${m.text}`;

// ---- connection ------------------------------------------------------------------------------

function setStatus(kind, label) {
  el.status.dataset.state = kind;
  el.statusLabel.textContent = label;
  const canSend = kind === 'online' && state.current !== null;
  el.text.disabled = state.current === null;
  el.send.disabled = !canSend;
}

function connect() {
  clearTimeout(state.reconnectTimer);
  if (!state.username) return;
  setStatus('connecting', state.everConnected ? 'reconnecting…' : 'connecting…');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${scheme}//${location.host}/ws?username=${encodeURIComponent(state.username)}`);
  state.ws = ws;
  ws.onopen = () => {
    if (state.ws !== ws) return;
    const again = state.everConnected;
    state.everConnected = true;
    state.attempt = 0;
    setStatus('online', 'online');
    schedulePing(ws);
    // After a restart the rooms and the open room's history may have changed (or been lost).
    if (again) {
      loadRooms();
      if (state.current) loadHistory();
    }
  };
  ws.onmessage = (event) => {
    if (state.ws !== ws) return;
    clearTimeout(state.pongTimer);
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      return;
    }
    if (msg && typeof msg.room === 'string') onMessage(msg);
  };
  ws.onclose = (event) => {
    if (state.ws !== ws) return;
    state.ws = null;
    clearTimeout(state.pingTimer);
    clearTimeout(state.pongTimer);
    for (const li of state.pending.values()) li.classList.replace('pending', 'failed');
    state.pending.clear();
    // 1012: the server is restarting, so it is worth trying again almost at once.
    const base = event.code === 1012 && state.attempt === 0 ? 250 : 500 * 2 ** state.attempt;
    const delay = Math.round(Math.min(MAX_BACKOFF_MS, base) * (0.75 + Math.random() / 2));
    state.attempt++;
    setStatus('offline', `offline, retrying in ${Math.max(1, Math.round(delay / 1000))} s`);
    state.reconnectTimer = setTimeout(connect, delay);
  };
}

/** A socket can die without a close event (sleeping laptop, lost Wi-Fi): ping, expect a pong. */
function schedulePing(ws) {
  state.pingTimer = setTimeout(() => {
    if (state.ws !== ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send('{"ping":true}');
    state.pongTimer = setTimeout(() => ws.close(), PONG_WITHIN_MS);
    schedulePing(ws);
  }, PING_EVERY_MS);
}

function reconnectNow() {
  if (state.ws === null && state.username) {
    state.attempt = 0;
    connect();
  }
}

// ---- rooms -----------------------------------------------------------------------------------

function roomEntry(name) {
  const key = keyOf(name);
  let room = state.rooms.get(key);
  if (!room) {
    room = { name, last: null, unread: 0 };
    state.rooms.set(key, room);
  }
  return room;
}

async function loadRooms() {
  try {
    const res = await fetch('/api/rooms');
    const body = await res.json();
    for (const r of body.result ?? []) {
      const room = roomEntry(r.name);
      room.name = r.name;
      if (!room.last || r.last_message.created >= room.last.created) room.last = r.last_message;
    }
    renderRooms();
  } catch {
    // Offline: the reconnect will load them again.
  }
}

function renderRooms() {
  const list = [...state.rooms.entries()].sort(
    ([, a], [, b]) =>
      (b.last?.created ?? '').localeCompare(a.last?.created ?? '') || a.name.localeCompare(b.name),
  );
  const items = list.map(([key, room]) => {
    const li = document.createElement('li');
    li.className = 'room';
    li.dataset.room = room.name;
    if (state.current?.key === key) li.classList.add('active');
    const button = document.createElement('button');
    button.type = 'button';
    button.addEventListener('click', () => openRoom(room.name));
    const top = document.createElement('span');
    top.className = 'room-top';
    const name = document.createElement('span');
    name.className = 'room-name';
    name.textContent = room.name;
    const time = document.createElement('time');
    time.textContent = room.last ? shortTime(room.last.created) : '';
    top.append(name, time);
    const preview = document.createElement('span');
    preview.className = 'room-preview';
    preview.textContent = room.last ? `${room.last.sender.username}: ${room.last.text}` : 'No messages yet';
    button.append(top, preview);
    if (room.unread > 0) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = room.unread > 99 ? '99+' : String(room.unread);
      button.append(badge);
    }
    li.append(button);
    return li;
  });
  el.rooms.replaceChildren(...items);
  el.roomsEmpty.hidden = items.length > 0;
  const unread = [...state.rooms.values()].reduce((n, r) => n + r.unread, 0);
  document.title = unread > 0 ? `(${unread}) Switchboard chat` : 'Switchboard chat';
}

function openRoom(name) {
  const trimmed = [...name.trim()].slice(0, state.settings.max_room_title_length).join('');
  if (!trimmed) return;
  const key = keyOf(trimmed);
  const known = state.rooms.get(key);
  state.current = { key, name: known?.name ?? trimmed };
  if (known) known.unread = 0;
  history.replaceState(null, '', `#${encodeURIComponent(state.current.name)}`);
  el.roomTitle.textContent = state.current.name;
  el.app.dataset.view = 'chat';
  setStatus(el.status.dataset.state, el.statusLabel.textContent);
  renderRooms();
  loadHistory();
  el.text.focus();
}

async function loadHistory() {
  const seq = ++state.historySeq;
  const room = state.current;
  state.early = [];
  el.roomMeta.textContent = 'loading…';
  let messages = [];
  try {
    const res = await fetch(`/api/rooms/${encodeURIComponent(room.name)}/history`);
    if (res.ok) messages = (await res.json()).result ?? [];
    else if (res.status !== 404) throw new Error(`HTTP ${res.status}`);
  } catch {
    if (seq === state.historySeq) el.roomMeta.textContent = 'could not load the history';
    return;
  }
  if (seq !== state.historySeq) return; // another room was opened meanwhile
  if (messages.length > 0) {
    room.name = messages[0].room;
    el.roomTitle.textContent = room.name;
  }
  const early = state.early;
  state.early = null;
  state.shown.clear();
  state.pending.clear();
  el.messages.replaceChildren();
  for (const m of messages) appendMessage(m);
  for (const m of early) appendMessage(m);
  el.roomMeta.textContent = '';
  el.placeholder.textContent = 'No messages yet. Say something to start this room.';
  el.placeholder.hidden = el.messages.childElementCount > 0;
  scrollToEnd(true);
}

// ---- messages --------------------------------------------------------------------------------

function onMessage(msg) {
  const key = keyOf(msg.room);
  const room = roomEntry(msg.room);
  room.last = msg;
  const open = state.current?.key === key;
  if (open && state.early !== null) state.early.push(msg);
  else if (open) appendMessage(msg);
  else room.unread++;
  renderRooms();
}

function appendMessage(msg) {
  const sig = signature(msg);
  if (state.shown.has(sig)) return;
  state.shown.add(sig);
  const mine = msg.sender.username === state.username;
  const pendingLi = msg.id !== undefined ? state.pending.get(msg.id) : undefined;
  if (pendingLi) {
    state.pending.delete(msg.id);
    pendingLi.classList.remove('pending');
    fillMessage(pendingLi, msg);
    return;
  }
  const atEnd = nearEnd();
  const li = document.createElement('li');
  li.className = mine ? 'message mine' : 'message';
  fillMessage(li, msg);
  const prev = el.messages.lastElementChild;
  if (
    prev &&
    prev.dataset.sender === msg.sender.username &&
    withinMinutes(prev.dataset.created, msg.created, 5)
  ) {
    li.classList.add('continued');
  }
  el.messages.append(li);
  el.placeholder.hidden = true;
  scrollToEnd(atEnd || mine);
}

function fillMessage(li, msg) {
  li.dataset.sender = msg.sender.username;
  li.dataset.created = msg.created ?? '';
  li.style.setProperty('--hue', String(hue(msg.sender.username)));
  const avatar = document.createElement('span');
  avatar.className = 'avatar';
  avatar.textContent = [...msg.sender.username][0]?.toUpperCase() ?? '?';
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  const meta = document.createElement('div');
  meta.className = 'meta';
  const who = document.createElement('span');
  who.className = 'sender';
  who.textContent = msg.sender.username;
  const time = document.createElement('time');
  if (msg.created) {
    time.dateTime = msg.created;
    time.textContent = shortTime(msg.created);
    time.title = new Date(msg.created).toLocaleString();
  } else {
    time.textContent = 'sending…';
  }
  meta.append(who, time);
  const text = document.createElement('div');
  text.className = 'text';
  text.textContent = msg.text;
  bubble.append(meta, text);
  li.replaceChildren(avatar, bubble);
}

function sendMessage() {
  const text = el.text.value.trim();
  const ws = state.ws;
  if (!text || !state.current || !ws || ws.readyState !== WebSocket.OPEN) return;
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  ws.send(JSON.stringify({ room: state.current.name, text, id }));
  // Shown at once, confirmed when the server's echo with the same id comes back.
  const li = document.createElement('li');
  li.className = 'message mine pending';
  fillMessage(li, { text, sender: { username: state.username } });
  state.pending.set(id, li);
  el.messages.append(li);
  el.placeholder.hidden = true;
  el.text.value = '';
  autosize();
  updateCounter();
  scrollToEnd(true);
}

// ---- small helpers ---------------------------------------------------------------------------

function shortTime(iso) {
  const d = new Date(iso);
  const now = new Date();
  if (d.toDateString() === now.toDateString())
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toLocaleDateString([], { day: 'numeric', month: 'short' });
}

function withinMinutes(a, b, minutes) {
  return Math.abs(Date.parse(b) - Date.parse(a)) < minutes * 60_000;
}

function hue(name) {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

function nearEnd() {
  const s = el.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
}

function scrollToEnd(force) {
  if (force) el.scroller.scrollTop = el.scroller.scrollHeight;
}

function autosize() {
  el.text.style.height = 'auto';
  el.text.style.height = `${Math.min(el.text.scrollHeight, 160)}px`;
}

function updateCounter() {
  const max = state.settings.max_message_length;
  const used = runes(el.text.value.trim());
  el.counter.hidden = used < max * 0.9;
  el.counter.textContent = `${used}/${max}`;
  el.counter.classList.toggle('over', used > max);
}

function askName(current) {
  el.nameInput.value = current;
  el.nameError.hidden = true;
  el.nameOverlay.hidden = false;
  el.nameInput.focus();
}

function setName(name) {
  const changed = name !== state.username;
  state.username = name;
  localStorage.setItem(NAME_KEY, name);
  el.me.textContent = name;
  el.nameOverlay.hidden = true;
  if (!changed && state.ws) return;
  const old = state.ws;
  state.ws = null;
  old?.close(1000, 'changing name');
  state.attempt = 0;
  connect();
}

// ---- wiring ----------------------------------------------------------------------------------

el.nameForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const name = el.nameInput.value.trim();
  const max = state.settings.max_username_length;
  if (!name) return;
  if (runes(name) > max) {
    el.nameError.textContent = `At most ${max} characters, please.`;
    el.nameError.hidden = false;
    return;
  }
  setName(name);
});

el.me.addEventListener('click', () => askName(state.username));
el.back.addEventListener('click', () => {
  el.app.dataset.view = 'rooms';
});

el.openRoom.addEventListener('submit', (e) => {
  e.preventDefault();
  openRoom(el.roomInput.value);
  el.roomInput.value = '';
});

el.composer.addEventListener('submit', (e) => {
  e.preventDefault();
  sendMessage();
});

el.text.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    sendMessage();
  }
});
el.text.addEventListener('input', () => {
  autosize();
  updateCounter();
});

window.addEventListener('online', reconnectNow);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') reconnectNow();
});

async function main() {
  try {
    const res = await fetch('/api/settings');
    Object.assign(state.settings, (await res.json()).result);
  } catch {
    // Defaults are nane's.
  }
  el.roomInput.maxLength = state.settings.max_room_title_length;
  el.me.textContent = state.username;
  loadRooms();
  const fromHash = decodeURIComponent(location.hash.slice(1));
  if (fromHash) openRoom(fromHash);
  if (state.username) connect();
  else askName('');
}

main();
