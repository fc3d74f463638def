// The settings page of the screenpipe sync daemon: plain JavaScript, no dependency, nothing
// fetched from elsewhere. Every change carries the daemon's token (from the <meta> tag) in
// X-CSRF-Token; the status arrives live as Server-Sent Events (/api/events).
'use strict';

const $ = (id) => document.getElementById(id);
const TOKEN = document.querySelector('meta[name="csrf-token"]').content;

let status = null;
let devicesCycles = -1;
let confirmAction = null;

class ApiError extends Error {
  constructor(body, httpStatus) {
    super(body.error || `HTTP ${httpStatus}`);
    this.code = body.code || 'http';
    this.hint = body.hint || null;
    this.status = httpStatus;
  }
}

async function api(method, path, body) {
  const init = { method, headers: { 'X-CSRF-Token': TOKEN }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`/api${path}`, init);
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = {};
  }
  if (!res.ok) throw new ApiError(data, res.status);
  return data;
}

function message(err) {
  if (err instanceof ApiError) {
    if (err.code === 'wrong_password') return 'Wrong password. Check it and try again, or use the recovery phrase.';
    if (err.code === 'weak_password') return `${err.message}. Choose a longer, less guessable password.`;
    return err.hint ? `${err.message}. ${capitalize(err.hint)}.` : `${err.message}.`;
  }
  return `The daemon could not be reached (${err.message}).`;
}

const capitalize = (s) => s.charAt(0).toUpperCase() + s.slice(1);

function bytes(n) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

function timeElement(ms) {
  const t = document.createElement('time');
  const d = new Date(ms);
  t.dateTime = d.toISOString();
  t.textContent = d.toLocaleString();
  return t;
}

function setTime(el, ms, none) {
  el.replaceChildren(ms ? timeElement(ms) : document.createTextNode(none));
}

// ---- status -------------------------------------------------------------------------------

function render(s) {
  const wasLocked = status ? status.locked : true;
  status = s;
  const health = $('health');
  health.textContent = s.health.text;
  health.dataset.kind = s.health.kind;
  $('health-hint').textContent = s.health.hint ? capitalize(s.health.hint) + '.' : '';
  $('enabled').checked = s.enabled;

  const phraseShown = !$('phrase-box').hidden;
  $('signin').hidden = !s.locked || phraseShown;
  $('account').hidden = s.locked || phraseShown;
  $('token-note').textContent = s.configured ? 'A token is saved: leave empty to keep it.' : '';

  for (const [box, note] of [['remember', 'remember-note'], ['remember-unlocked', 'remember-unlocked-note']]) {
    $(box).disabled = !s.keychain.available;
    $(note).textContent = s.keychain.available
      ? ''
      : `Unavailable: this computer has no keychain (${s.keychain.reason}). The password is asked at each start.`;
  }
  $('remember-unlocked').checked = s.keychain.remembered;

  if (s.storage) {
    const bar = $('storage');
    bar.max = Math.max(s.storage.limit, 1);
    bar.value = Math.min(s.storage.used, bar.max);
    bar.setAttribute('aria-valuetext', `${bytes(s.storage.used)} of ${bytes(s.storage.limit)}`);
    const tier = s.storage.tier ? ` (${s.storage.tier})` : '';
    $('storage-text').textContent = `${bytes(s.storage.used)} of ${bytes(s.storage.limit)} used${tier}`;
  }
  setTime($('last-sync'), s.last_sync, 'Never');
  setTime($('next-sync'), s.next_sync, s.enabled ? 'When asked' : 'Sync is off');
  const pending = [];
  if (s.pending_uploads != null) pending.push(`${s.pending_uploads} blob${s.pending_uploads === 1 ? '' : 's'} waiting to upload`);
  if (s.missing_media) pending.push(`${s.missing_media} media file${s.missing_media === 1 ? '' : 's'} missing on disk`);
  $('pending').textContent = pending.length ? pending.join(', ') : '–';
  if (s.offloaded) {
    const o = s.offloaded;
    const parts = [];
    if (o.files) parts.push(`${bytes(o.bytes)} (${o.files} file${o.files === 1 ? '' : 's'} in the cloud only)`);
    if (o.text_records) parts.push(`the text of ${o.text_records} record${o.text_records === 1 ? '' : 's'} in the cloud only`);
    const freed = parts.length ? parts.join(', ') : 'Nothing offloaded';
    $('offloaded').textContent = o.error ? `${freed}; last offload failed: ${o.error}` : freed;
  } else {
    $('offloaded').textContent = '–';
  }

  if (!s.locked && (wasLocked || s.completed_cycles !== devicesCycles)) {
    devicesCycles = s.completed_cycles;
    loadDevices();
    if (wasLocked) {
      loadConfig();
      loadRetention();
    }
  }
}

function listen() {
  const source = new EventSource('/api/events');
  source.addEventListener('status', (e) => render(JSON.parse(e.data)));
  source.onerror = () => {
    $('health').textContent = 'The daemon is not answering; retrying…';
    $('health').dataset.kind = 'error';
  };
}

// ---- settings -----------------------------------------------------------------------------

// Fills the options from the daemon's settings, leaving alone the field the person is editing.
function fillSettings(c) {
  const set = (id, f) => {
    if (document.activeElement !== $(id)) f($(id));
  };
  set('enabled', (e) => (e.checked = c.enabled));
  set('frequency', (e) => (e.value = c.interval));
  set('type-screen', (e) => (e.checked = c.data_types.screen));
  set('type-audio', (e) => (e.checked = c.data_types.audio));
  set('type-text', (e) => (e.checked = c.data_types.text));
  set('bandwidth', (e) => (e.value = c.bandwidth_limit_mbps == null ? '' : String(c.bandwidth_limit_mbps)));
  const keep = c.keep_on_device || {};
  set('keep-screen', (e) => (e.value = keep.screen == null ? '' : String(keep.screen)));
  set('keep-audio', (e) => (e.value = keep.audio == null ? '' : String(keep.audio)));
  set('keep-text', (e) => (e.value = keep.text == null ? '' : String(keep.text)));
}

async function loadConfig() {
  try {
    const c = await api('GET', '/config');
    fillSettings(c);
    pull = c.pull;
    if (c.server && !$('server').value) $('server').value = c.server;
  } catch (err) {
    $('options-status').textContent = message(err);
  }
}

let pull = false;
// Saves run one after another, each sending the form as it is then; only the answer to the
// newest save refills the form (an older answer would undo an edit made meanwhile).
let saving = Promise.resolve();
let saveGeneration = 0;

function saveSettings() {
  const generation = ++saveGeneration;
  saving = saving.then(() => saveSettingsNow(generation));
  return saving;
}

async function saveSettingsNow(generation) {
  const raw = $('bandwidth').value.trim();
  const mbps = raw === '' ? null : Number(raw);
  if (mbps !== null && !(mbps > 0)) {
    $('options-status').textContent = 'The bandwidth limit is a number of Mbit/s above 0, or empty for none.';
    return;
  }
  const settings = {
    enabled: $('enabled').checked,
    interval: $('frequency').value,
    data_types: { screen: $('type-screen').checked, audio: $('type-audio').checked, text: $('type-text').checked },
    bandwidth_limit_mbps: mbps,
    pull,
    keep_on_device: {
      screen: $('keep-screen').value === '' ? null : Number($('keep-screen').value),
      audio: $('keep-audio').value === '' ? null : Number($('keep-audio').value),
      text: $('keep-text').value === '' ? null : Number($('keep-text').value),
    },
  };
  try {
    const saved = await api('PUT', '/config', settings);
    if (generation !== saveGeneration) return;
    fillSettings(saved);
    $('options-status').textContent = 'Saved.';
  } catch (err) {
    $('options-status').textContent = message(err);
  }
}

// ---- cloud retention ----------------------------------------------------------------------

const CLOUD = { 'cloud-screen': 'frames', 'cloud-audio': 'audio', 'cloud-text': 'text' };

function fillRetention(r) {
  for (const [id, type] of Object.entries(CLOUD)) {
    const days = r.policy[type];
    const select = $(id);
    if (days != null && ![...select.options].some((o) => o.value === String(days))) {
      select.add(new Option(`${days} days`, String(days)));
    }
    select.value = days == null ? '' : String(days);
  }
  const tier = r.tier_retention_days == null ? 'keeps everything forever' : `keeps data ${r.tier_retention_days} days`;
  $('cloud-retention-note').textContent = `Your plan ${tier}; older data is removed from the cloud.`;
}

async function loadRetention() {
  try {
    fillRetention(await api('GET', '/retention'));
  } catch (err) {
    $('cloud-retention-note').textContent = message(err);
  }
}

async function saveRetention() {
  const policy = {};
  for (const [id, type] of Object.entries(CLOUD)) {
    policy[type] = $(id).value === '' ? null : Number($(id).value);
  }
  try {
    fillRetention(await api('PUT', '/retention', policy));
    $('options-status').textContent = 'Saved.';
  } catch (err) {
    $('cloud-retention-note').textContent = message(err);
    loadRetention();
  }
}

// ---- devices ------------------------------------------------------------------------------

async function loadDevices() {
  try {
    const { devices } = await api('GET', '/devices');
    const list = $('devices');
    list.replaceChildren(
      ...devices.map((d) => {
        const li = document.createElement('li');
        li.className = 'device';
        const name = document.createElement('strong');
        name.textContent = d.name;
        name.id = `device-${d.device_id}`;
        const os = document.createElement('span');
        os.className = 'os';
        os.textContent = d.os;
        const last = document.createElement('span');
        last.className = 'last';
        last.append('Last sync: ');
        last.append(d.last_sync ? timeElement(d.last_sync) : 'never');
        li.append(name, os, last);
        if (d.this_device) {
          const badge = document.createElement('span');
          badge.className = 'badge';
          badge.textContent = 'This device';
          li.append(badge);
        } else {
          const remove = document.createElement('button');
          remove.type = 'button';
          remove.textContent = 'Remove';
          remove.setAttribute('aria-describedby', name.id);
          remove.addEventListener('click', () =>
            ask(
              `Remove ${d.name}?`,
              `${d.name} (${d.os}) stops syncing and leaves the account. Its data already in the cloud stays; it can join again with the password.`,
              'Yes, remove',
              async () => {
                await api('DELETE', `/devices/${encodeURIComponent(d.device_id)}`);
                await loadDevices();
              },
              $('devices-error'),
            ),
          );
          li.append(remove);
        }
        return li;
      }),
    );
    $('devices-error').textContent = '';
  } catch (err) {
    $('devices-error').textContent = message(err);
  }
}

// ---- confirmation -------------------------------------------------------------------------

function ask(title, text, okLabel, action, errorEl) {
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = okLabel;
  confirmAction = { action, errorEl };
  $('confirm').showModal();
  $('confirm-cancel').focus();
}

async function confirmed() {
  const pending = confirmAction;
  confirmAction = null;
  $('confirm').close();
  if (!pending) return;
  try {
    pending.errorEl.textContent = '';
    await pending.action();
  } catch (err) {
    pending.errorEl.textContent = message(err);
  }
}

// ---- forms --------------------------------------------------------------------------------

async function connect(e) {
  e.preventDefault();
  const button = $('connect');
  button.disabled = true;
  $('connect-error').textContent = '';
  $('connect').textContent = 'Connecting…';
  try {
    const answer = await api('POST', '/connect', {
      server: $('server').value.trim() || null,
      token: $('token').value.trim() || null,
      password: $('password').value,
      remember: $('remember').checked,
    });
    $('password').value = '';
    $('token').value = '';
    if (answer.recovery_phrase) showPhrase(answer.recovery_phrase);
  } catch (err) {
    $('connect-error').textContent = message(err);
    $('password').focus();
  } finally {
    button.disabled = false;
    button.textContent = 'Connect';
  }
}

async function recover(e) {
  e.preventDefault();
  $('recover-error').textContent = '';
  try {
    await api('POST', '/recover', {
      server: $('server').value.trim() || null,
      token: $('token').value.trim() || null,
      recovery_phrase: $('phrase').value.trim(),
      new_password: $('recover-password').value,
      remember: $('remember').checked,
    });
    $('phrase').value = '';
    $('recover-password').value = '';
  } catch (err) {
    $('recover-error').textContent = message(err);
  }
}

function showPhrase(phrase) {
  $('phrase-words').textContent = phrase;
  $('phrase-written').checked = false;
  $('phrase-done').disabled = true;
  $('phrase-box').hidden = false;
  $('signin').hidden = true;
  $('account').hidden = true;
  $('phrase-words').focus();
}

function phraseDone() {
  $('phrase-words').textContent = '';
  $('phrase-box').hidden = true;
  if (status) render(status);
}

async function changePassword(e) {
  e.preventDefault();
  $('password-status').textContent = 'Changing…';
  try {
    await api('POST', '/password', { current_password: $('current-password').value, new_password: $('new-password').value });
    $('current-password').value = '';
    $('new-password').value = '';
    $('password-status').textContent = 'Password changed.';
  } catch (err) {
    $('password-status').textContent = message(err);
  }
}

async function syncNow() {
  try {
    await api('POST', '/sync');
    $('options-status').textContent = 'Syncing now.';
  } catch (err) {
    $('options-status').textContent = message(err);
  }
}

function wire() {
  $('connect-form').addEventListener('submit', connect);
  $('recover-form').addEventListener('submit', recover);
  $('password-form').addEventListener('submit', changePassword);
  $('phrase-written').addEventListener('change', () => ($('phrase-done').disabled = !$('phrase-written').checked));
  $('phrase-done').addEventListener('click', phraseDone);
  for (const id of ['enabled', 'frequency', 'type-screen', 'type-audio', 'type-text', 'keep-screen', 'keep-audio', 'keep-text', 'bandwidth']) {
    $(id).addEventListener('change', saveSettings);
  }
  for (const id of Object.keys(CLOUD)) $(id).addEventListener('change', saveRetention);
  $('sync-now').addEventListener('click', syncNow);
  $('lock').addEventListener('click', () => api('POST', '/lock').catch((err) => ($('options-status').textContent = message(err))));
  $('remember-unlocked').addEventListener('change', async () => {
    try {
      await api('PUT', '/remember', { remember: $('remember-unlocked').checked });
      $('options-status').textContent = $('remember-unlocked').checked ? 'The keys are kept in this computer\u2019s keychain.' : 'The keys are no longer kept on this computer.';
    } catch (err) {
      $('options-status').textContent = message(err);
    }
  });
  $('delete-data').addEventListener('click', () => {
    const used = status && status.storage ? ` (${bytes(status.storage.used)})` : '';
    ask(
      'Delete cloud data?',
      `Everything this account stores in the cloud${used} is deleted, from every device: screen recordings, audio and text. Recordings on this computer, the devices and the keys stay. Data already sent is not uploaded again.`,
      'Yes, delete cloud data',
      async () => {
        const r = await api('POST', '/delete-cloud-data', { confirm: true });
        $('danger-status').textContent = `Deleted ${r.deleted_blobs} blobs from the cloud.`;
      },
      $('danger-status'),
    );
  });
  $('unlink').addEventListener('click', () =>
    ask(
      'Unlink this device?',
      'This device stops syncing and leaves the account. Its remembered keys, its sync state and the saved token are forgotten on this computer. Recordings on this computer and the data in the cloud stay.',
      'Yes, unlink this device',
      async () => {
        await api('POST', '/unlink', { confirm: true });
        $('danger-status').textContent = '';
      },
      $('danger-status'),
    ),
  );
  $('confirm-ok').addEventListener('click', confirmed);
  $('confirm-cancel').addEventListener('click', () => {
    confirmAction = null;
    $('confirm').close();
  });
  $('confirm').addEventListener('cancel', () => (confirmAction = null));
}

async function loadSearchApi() {
  $('search-api-url').textContent = `${location.origin}/search`;
  $('search-api-port').textContent = location.port;
  try {
    const s = await api('GET', '/search-api');
    $('search-api-key').textContent = s.key || '';
    $('search-api-key-line').hidden = !s.required;
    $('search-api-open').hidden = s.required;
  } catch (err) {
    $('search-api-open').textContent = message(err);
    $('search-api-open').hidden = false;
  }
}

wire();
loadConfig();
loadSearchApi();
listen();
