// platestream web page: plain JavaScript, no build step, no dependencies, nothing loaded from elsewhere.
// Talks to the API with the bearer token kept in sessionStorage; follows /v1/live with fetch() (EventSource
// cannot send an Authorization header) and resumes after a disconnect with its last id per stream.

const TOKEN_KEY = 'platestream.token';
const STREAMS = ['results', 'events', 'alerts'];
const MAX_ROWS = 200;
/** No byte from the live connection for this long (heartbeats come every 15 s) means it is dead. */
const STALL_MS = 40_000;

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) ?? '',
  role: '',
  /** Last id seen per stream: the live feed resumes after these. */
  cursors: {},
  /** `${stream} ${id}` of every entry shown, so a resumed feed never shows one twice. */
  seen: new Set(),
  mode: 'results',
  searchNext: null,
  abort: null,
};

const $ = (sel) => document.querySelector(sel);

/** Creates an element; children are nodes or text (never parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return node;
}

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, opts = {}) {
  const res = await fetch(path, {
    ...opts,
    headers: { authorization: `Bearer ${state.token}`, ...(opts.headers ?? {}) },
  });
  if (!res.ok) {
    let code = 'HTTP_' + res.status;
    let message = res.statusText;
    try {
      const body = await res.json();
      code = body.error?.code ?? code;
      message = body.error?.message ?? message;
    } catch {}
    throw new ApiError(res.status, code, message);
  }
  return res;
}
const getJson = async (path) => (await api(path)).json();

const time = (ms) => (ms ? new Date(ms).toLocaleString() : '');
const pct = (c) => (typeof c === 'number' ? `${Math.round(c * 100)}%` : '');

// ---------------------------------------------------------------- login

async function login(token) {
  state.token = token;
  await getJson('/v1/stats');
  try {
    await api('/v1/dlq?limit=1');
    state.role = 'admin';
  } catch (err) {
    if (err.status !== 403) throw err;
    state.role = 'viewer';
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  document.body.classList.toggle('viewer', state.role === 'viewer');
  $('#role').textContent = state.role;
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#logout').hidden = false;
  await startFeed();
  refreshHealth();
  setInterval(refreshHealth, 5000);
  loadWatchlist();
}

$('#login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const msg = $('#login-error');
  msg.hidden = true;
  try {
    await login($('#token').value.trim());
  } catch (err) {
    msg.textContent = err.message;
    msg.hidden = false;
  }
});

$('#logout').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
});

// ---------------------------------------------------------------- live feed

function setConn(text, cls) {
  const badge = $('#conn');
  badge.textContent = text;
  badge.className = `badge ${cls}`;
  document.body.classList.toggle('offline', cls !== 'on');
}

function cropUrl(frame, box) {
  if (!frame) return undefined;
  const b = box && box.w > 0 && box.h > 0 ? `?crop=${box.x},${box.y},${box.w},${box.h}` : '';
  return `/v1/frames/${frame}/image${b}`;
}

/** Images need the token too: fetched, then shown from a blob URL. A trimmed frame shows nothing. */
async function loadImage(img, url) {
  try {
    const blob = await (await api(url)).blob();
    img.src = URL.createObjectURL(blob);
  } catch {
    img.alt = 'frame trimmed';
    img.classList.add('gone');
  }
}

function feedRow(kind, item) {
  const isEvent = kind === 'events';
  const ts = isEvent ? item.lastTs : item.ts;
  const hit = item.watchlist === 'hit' || item.watchlist === 'hit-fuzzy';
  const img = el('img', { alt: '', class: 'crop' });
  const url = isEvent ? cropUrl(item.bestFrame, item.bestBox) : cropUrl(item.frame, item.box);
  if (url) loadImage(img, url);
  return el(
    'li',
    { 'data-kind': kind, 'data-id': item.id, class: hit ? 'hit' : '' },
    img,
    el(
      'div',
      {},
      el('div', { class: 'plate-text', title: 'history', onclick: () => showPlate(item.plate) }, item.plate),
      el(
        'div',
        { class: 'meta' },
        `${item.camera} · ${time(ts)}${isEvent ? ` · ${item.frames} frames` : ''}`,
      ),
    ),
    el('span', { class: 'conf' }, pct(item.confidence)),
  );
}

function showBanner(text) {
  const b = $('#banner');
  b.textContent = text;
  b.hidden = false;
  clearTimeout(showBanner.timer);
  showBanner.timer = setTimeout(() => {
    b.hidden = true;
  }, 30_000);
}

/** One live (or caught-up) entry: shown once, newest on top. */
function onEntry(kind, item) {
  state.cursors[kind] = item.id;
  const key = `${kind} ${item.id}`;
  if (state.seen.has(key)) return;
  state.seen.add(key);
  if (kind === 'alerts') {
    showBanner(`Watchlist hit: ${item.plate} (${item.label}) at ${item.camera}, ${time(item.ts)}`);
    return;
  }
  refreshHealthSoon();
  if (kind !== state.mode || !item.plate) return;
  if (item.watchlist === 'hit' || item.watchlist === 'hit-fuzzy') {
    showBanner(`Watchlist hit: ${item.plate} at ${item.camera}, ${time(item.ts ?? item.lastTs)}`);
  }
  const list = $('#live-list');
  list.prepend(feedRow(kind, item));
  while (list.children.length > MAX_ROWS) list.lastElementChild.remove();
  $('#live-empty').hidden = true;
}

/** Fills the feed with the newest entries and pins every stream's position, then follows live. */
async function startFeed() {
  const events = await getJson('/v1/events?limit=1');
  state.mode = events.items.length > 0 ? 'events' : 'results';
  $('#feed-mode').value = state.mode;
  await fillFeed();
  follow();
}

async function fillFeed() {
  $('#live-list').replaceChildren();
  $('#live-empty').hidden = false;
  for (const kind of STREAMS) {
    // withEmpty: the newest entry of the stream, plate or not, is where the live feed resumes.
    const page = await getJson(`/v1/${kind}?limit=20${kind === 'results' ? '&withEmpty=true' : ''}`);
    if (!(kind in state.cursors)) state.cursors[kind] = page.items[0]?.id ?? '0-0';
    if (kind !== state.mode) continue;
    for (const item of [...page.items].reverse()) {
      const key = `${kind} ${item.id}`;
      if (item.plate && !state.seen.has(key)) {
        state.seen.add(key);
        $('#live-list').prepend(feedRow(kind, item));
        $('#live-empty').hidden = true;
      }
    }
  }
}

$('#feed-mode').addEventListener('change', async (e) => {
  state.mode = e.target.value;
  state.seen.clear();
  await fillFeed();
});

/** Parses Server-Sent Events from a fetch body; returns when the connection ends. */
async function readEvents(res, onMessage) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let msg = { event: 'message', data: [] };
  let stall;
  const arm = () => {
    clearTimeout(stall);
    stall = setTimeout(() => state.abort?.abort(), STALL_MS);
  };
  arm();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      arm();
      buffer += decoder.decode(value, { stream: true });
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') {
          if (msg.data.length) onMessage(msg.event, msg.data.join('\n'));
          msg = { event: 'message', data: [] };
        } else if (!line.startsWith(':')) {
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
          if (field === 'event') msg.event = value;
          else if (field === 'data') msg.data.push(value);
        }
        nl = buffer.indexOf('\n');
      }
    }
  } finally {
    clearTimeout(stall);
  }
}

/** Follows /v1/live for ever: on any end or error, shows "disconnected" and reconnects with the cursors. */
async function follow() {
  let delay = 500;
  for (;;) {
    state.abort = new AbortController();
    const cursor = STREAMS.filter((k) => state.cursors[k])
      .map((k) => `${k}:${state.cursors[k]}`)
      .join(',');
    try {
      setConn('connecting', 'wait');
      const res = await api(`/v1/live?streams=${STREAMS.join(',')}&cursor=${encodeURIComponent(cursor)}`, {
        signal: state.abort.signal,
        headers: { accept: 'text/event-stream' },
      });
      setConn('live', 'on');
      delay = 500;
      await readEvents(res, (event, data) => {
        if (STREAMS.includes(event)) onEntry(event, JSON.parse(data));
        else if (event === 'gap')
          showBanner('Some entries were trimmed from Redis before this page could read them.');
      });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        location.reload();
        return;
      }
    }
    setConn('disconnected', 'off');
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 5000);
  }
}

// ---------------------------------------------------------------- pipeline health

/** New entries refresh the health panel too, at most once a second. */
function refreshHealthSoon() {
  if (refreshHealthSoon.timer) return;
  refreshHealthSoon.timer = setTimeout(() => {
    refreshHealthSoon.timer = undefined;
    refreshHealth();
  }, 1000);
}

async function refreshHealth() {
  const dl = $('#health');
  try {
    const s = await getJson('/v1/stats');
    const g = s.groups.find((x) => x.name === 'workers');
    const alive = s.consumers.filter((c) => c.alive !== false).length;
    const rows = [
      ['lag (frames waiting)', g ? (g.lag ?? '?') : 'no group', g && g.lag > 100],
      ['pending', g ? g.pending : '', false],
      ['workers alive', `${alive} of ${s.consumers.length}`, alive === 0],
      ['frames/s (last min)', s.results.framesPerSecond, false],
      ['DLQ', s.dlq.length, s.dlq.length > 0],
      ['results stored', s.results.length, false],
    ];
    dl.replaceChildren(
      ...rows.flatMap(([k, v, warn]) => [el('dt', {}, k), el('dd', { class: warn ? 'warn' : '' }, v)]),
    );
  } catch (err) {
    dl.replaceChildren(el('dt', {}, 'stats'), el('dd', { class: 'warn' }, err.message));
  }
}

// ---------------------------------------------------------------- search

function searchParams() {
  const form = new FormData($('#search-form'));
  const p = new URLSearchParams();
  for (const name of ['camera', 'plate', 'match', 'from', 'to', 'minConfidence']) {
    const v = String(form.get(name) ?? '').trim();
    if (v) p.set(name, v);
  }
  if (form.get('watchlist')) p.set('watchlist', 'true');
  return { kind: String(form.get('kind')), params: p };
}

async function search(more) {
  const { kind, params } = searchParams();
  if (more && state.searchNext) params.set('cursor', state.searchNext);
  params.set('limit', '50');
  const body = $('#search-table tbody');
  try {
    const page = await getJson(`/v1/${kind}?${params}`);
    if (!more) body.replaceChildren();
    for (const it of page.items) {
      const ts = kind === 'events' ? it.lastTs : it.ts;
      body.append(
        el(
          'tr',
          { 'data-id': it.id },
          el('td', {}, time(ts)),
          el('td', {}, it.camera),
          el('td', {}, el('span', { class: 'plate-text', onclick: () => showPlate(it.plate) }, it.plate)),
          el('td', {}, pct(it.confidence)),
          el('td', {}, it.watchlist ?? (kind === 'alerts' ? it.label : '')),
        ),
      );
    }
    state.searchNext = page.next;
    $('#more').hidden = !page.next;
    $('#search-msg').textContent = `${body.children.length} shown${page.next ? '; more with "Older"' : ''}`;
  } catch (err) {
    $('#search-msg').textContent = err.message;
  }
}

$('#search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  search(false);
});
$('#more').addEventListener('click', () => search(true));
$('#export').addEventListener('click', async () => {
  const { kind, params } = searchParams();
  try {
    const blob = await (await api(`/v1/${kind}.csv?${params}`)).blob();
    const a = el('a', { href: URL.createObjectURL(blob), download: `${kind}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    $('#search-msg').textContent = err.message;
  }
});

// ---------------------------------------------------------------- plate history

async function showPlate(plate) {
  $('#plate-input').value = plate;
  const out = $('#plate-history');
  try {
    const h = await getJson(`/v1/plates/${encodeURIComponent(plate)}`);
    const rows = [
      ...h.events.map((e) => ({
        ts: e.lastTs,
        camera: e.camera,
        what: `pass, ${e.frames} frames`,
        c: e.confidence,
      })),
      ...h.sightings.map((s) => ({ ts: s.ts, camera: s.camera, what: 'read', c: s.confidence })),
    ].sort((a, b) => b.ts - a.ts);
    out.replaceChildren(
      el('p', { class: 'muted' }, `${h.plate}: ${h.sightings.length} sightings, ${h.events.length} passes`),
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          {},
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              el('th', {}, 'time'),
              el('th', {}, 'camera'),
              el('th', {}, 'what'),
              el('th', {}, 'conf'),
            ),
          ),
          el(
            'tbody',
            {},
            ...rows.map((r) =>
              el(
                'tr',
                {},
                el('td', {}, time(r.ts)),
                el('td', {}, r.camera),
                el('td', {}, r.what),
                el('td', {}, pct(r.c)),
              ),
            ),
          ),
        ),
      ),
    );
  } catch (err) {
    out.replaceChildren(el('p', { class: 'error' }, err.message));
  }
}

$('#plate-form').addEventListener('submit', (e) => {
  e.preventDefault();
  showPlate($('#plate-input').value.trim());
});

// ---------------------------------------------------------------- watchlist

async function loadWatchlist() {
  const body = $('#wl-table tbody');
  try {
    const { entries } = await getJson('/v1/watchlist');
    body.replaceChildren(
      ...entries.map((w) =>
        el(
          'tr',
          { 'data-plate': w.plate },
          el('td', {}, el('span', { class: 'plate-text' }, w.plate)),
          el('td', {}, w.label),
          el('td', {}, w.expiresAt ? w.expiresAt.slice(0, 10) : ''),
          el(
            'td',
            {},
            state.role === 'admin'
              ? el('button', { type: 'button', onclick: () => removeWatch(w.plate) }, 'Remove')
              : '',
          ),
        ),
      ),
    );
  } catch (err) {
    $('#wl-msg').textContent = err.message;
  }
}

async function removeWatch(plate) {
  try {
    await api(`/v1/watchlist/${encodeURIComponent(plate)}`, { method: 'DELETE' });
    $('#wl-msg').textContent = `removed ${plate}`;
  } catch (err) {
    $('#wl-msg').textContent = err.message;
  }
  loadWatchlist();
}

$('#wl-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  const body = { plate: String(form.get('plate')), label: String(form.get('label')) };
  if (form.get('expires')) body.expires = String(form.get('expires'));
  try {
    const r = await (
      await api('/v1/watchlist', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).json();
    $('#wl-msg').textContent = `added ${r.entry.plate}`;
    e.target.reset();
  } catch (err) {
    $('#wl-msg').textContent = err.message;
  }
  loadWatchlist();
});

$('#wl-import').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  if (!file) return;
  try {
    const r = await (
      await api('/v1/watchlist/import', {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: await file.text(),
      })
    ).json();
    $('#wl-msg').textContent = `imported: ${r.inserted} added, ${r.updated} updated`;
  } catch (err) {
    $('#wl-msg').textContent = err.message;
  }
  e.target.value = '';
  loadWatchlist();
});

// ---------------------------------------------------------------- start

if (state.token) {
  login(state.token).catch(() => {
    sessionStorage.removeItem(TOKEN_KEY);
    $('#login').hidden = false;
  });
}
