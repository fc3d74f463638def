// "Link a new device" (on an unlocked daemon: a code and its QR code, the device that typed it,
// approve or refuse) and "Join with a code" (on a locked one: take the keys from another device,
// no password). Plain JavaScript beside app.js; the same X-CSRF-Token on every change.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const TOKEN = document.querySelector('meta[name="csrf-token"]').content;
  let polling = null;

  async function call(method, path, body) {
    const init = { method, headers: { 'X-CSRF-Token': TOKEN }, credentials: 'same-origin' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(`/api${path}`, init);
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = new Error(data.error || `HTTP ${res.status}`);
      err.code = data.code;
      err.hint = data.hint;
      throw err;
    }
    return data;
  }

  const say = (err) => (err.hint ? `${err.message}. ${err.hint}.` : `${err.message}.`);

  function show(view) {
    const stage = view.stage;
    $('link-start').hidden = stage === 'waiting' || stage === 'approve';
    $('link-cancel').hidden = !(stage === 'waiting' || stage === 'approve');
    $('link-waiting').hidden = stage !== 'waiting';
    $('link-approve-box').hidden = stage !== 'approve';
    if (stage === 'waiting') {
      $('link-code').textContent = view.code;
      $('link-qr').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(view.qr_svg)}`;
      $('link-uri').textContent = view.link_uri;
    }
    if (stage === 'approve') {
      $('link-device').textContent = `\u201c${view.device_name}\u201d (${view.device_os})`;
    }
    const lines = {
      idle: '',
      waiting: 'On the new device, type this code (within 10 minutes) or scan the QR code.',
      approve: 'A device typed the code. Send it this account\u2019s keys only if it is yours.',
      sent: `The keys were sent to \u201c${view.device_name}\u201d.`,
      refused: 'Refused: no key was sent.',
      failed: `Linking failed (${view.code}): ${view.error}`,
    };
    $('link-status').textContent = lines[stage] || '';
    const active = stage === 'waiting';
    if (active && !polling) polling = setInterval(refresh, 1000);
    if (!active && polling) {
      clearInterval(polling);
      polling = null;
    }
  }

  async function refresh() {
    try {
      show(await call('GET', '/link'));
    } catch (err) {
      $('link-status').textContent = say(err);
    }
  }

  async function act(method, path, body) {
    try {
      show(await call(method, path, body));
    } catch (err) {
      $('link-status').textContent = say(err);
    }
  }

  async function join(e) {
    e.preventDefault();
    const button = $('join');
    button.disabled = true;
    $('join-error').textContent = '';
    $('join-status').textContent = 'Waiting for the other device\u2026 approve this device there.';
    try {
      await call('POST', '/join', {
        server: $('server').value.trim() || null,
        token: $('token').value.trim() || null,
        code: $('join-code').value.trim(),
        remember: $('join-remember').checked,
      });
      $('join-code').value = '';
      $('join-status').textContent = 'Linked: this device has the account\u2019s keys.';
    } catch (err) {
      $('join-status').textContent = '';
      $('join-error').textContent = say(err);
    } finally {
      button.disabled = false;
    }
  }

  $('link-start').addEventListener('click', () => act('POST', '/link/start'));
  $('link-cancel').addEventListener('click', () => act('POST', '/link/cancel'));
  $('link-approve').addEventListener('click', () => act('POST', '/link/approve', { approve: true }));
  $('link-refuse').addEventListener('click', () => act('POST', '/link/approve', { approve: false }));
  $('join-form').addEventListener('submit', join);
  refresh();
})();
