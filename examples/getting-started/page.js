// The page of docs/getting-started.md: subscribe to `news` with the SiteClient that Switchboard
// serves at /sdk/switchboard.js, show every message, and remember the last one seen so that a
// reload resumes exactly after it (`after` = its ord): nothing missed, nothing twice.
const { switchboard } = await (await fetch('/config')).json();
const { SiteClient } = await import(`${switchboard}/sdk/switchboard.js`);

const $ = (id) => document.getElementById(id);
const client = new SiteClient({
  url: `${switchboard.replace(/^http/, 'ws')}/ws?site=demo`,
  // Fresh credentials from our backend before every subscribe and every resume.
  getAuth: async (channel) => {
    const res = await fetch(`/auth?channel=${encodeURIComponent(channel)}`);
    if (!res.ok) throw new Error(`auth refused: ${res.status}`);
    return res.json();
  },
});
client.on('state', ({ state }) => {
  $('state').textContent = state;
});

const last = Number(localStorage.getItem('news.ord') ?? 0);
await client.subscribe(
  'news',
  (message, { ord }) => {
    const item = document.createElement('li');
    item.textContent = message.text;
    $('messages').append(item);
    localStorage.setItem('news.ord', String(ord));
  },
  { after: last },
);
$('state').textContent = last ? `subscribed, resumed after ${last}` : 'subscribed';

$('say').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = event.target.text.value;
  event.target.text.value = '';
  await fetch('/say', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
});
