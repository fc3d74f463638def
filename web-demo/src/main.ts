// The viewer: sign in (register this browser through /init, unlock in a Web Worker), then the
// timeline, search and status views; Lock frees every key and forgets everything shown.

import './style.css';
import { SyncWorker, type RemoteKeys } from '@screenpipe/sync-wasm/worker';
import { ApiError, normalizeServer, SyncApi, type BlobInfo, type DeviceInfo } from './api';
import type { Ctx } from './context';
import { Detail } from './detail';
import { parseDeepLink } from './dayModel';
import { DayView } from './dayView';
import { byId } from './dom';
import { ImageCache } from './imageCache';
import { linkKeys, wireLink } from './link';
import { SearchView } from './searchView';
import {
  accountKey,
  deviceIdFor,
  explainApiError,
  explainUnlockError,
  fetchKeys,
  minimumOf,
  keyIdsOf,
  readGuard,
  readLineageGuard,
  rememberGuard,
  rememberLineage,
  strongest,
  UnlockError,
} from './session';
import { StatusView } from './statusView';
import { Timeline } from './timeline';

declare const __APP_VERSION__: string;

const els = {
  signin: byId('signin'),
  form: byId<HTMLFormElement>('signin-form'),
  server: byId<HTMLInputElement>('server'),
  token: byId<HTMLInputElement>('token'),
  password: byId<HTMLInputElement>('password'),
  unlock: byId<HTMLButtonElement>('unlock'),
  progress: byId('unlock-progress'),
  step: byId('unlock-step'),
  error: byId('unlock-error'),
  app: byId('app'),
  lock: byId<HTMLButtonElement>('lock'),
  who: byId('who'),
};

const SERVER_KEY = 'spsync.viewer.server';

function deviceOs(): string {
  const ua = navigator.userAgent;
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad|iPod/.test(ua)
      ? 'iOS'
      : /Mac OS X/.test(ua)
        ? 'macOS'
        : /Windows/.test(ua)
          ? 'Windows'
          : /CrOS/.test(ua)
            ? 'ChromeOS'
            : /Linux/.test(ua)
              ? 'Linux'
              : 'unknown';
  return `web (${os})`;
}

class App {
  private worker: SyncWorker | null = null;
  private session: (Ctx & { keysHandle: RemoteKeys }) | null = null;
  private generation = 0;
  private objectUrls = new Set<string>();
  private busy = false;
  private readonly detail = new Detail();
  private readonly timeline = new Timeline();
  private readonly day = new DayView();
  private readonly search = new SearchView(this.detail);
  private readonly status = new StatusView((devices) => this.setDevices(devices));

  constructor() {
    els.server.value = localStorage.getItem(SERVER_KEY) ?? location.origin;
    els.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.unlock();
    });
    els.lock.addEventListener('click', () => void this.lock());
    wireLink((code) => void this.unlock(code));
    for (const button of document.querySelectorAll<HTMLButtonElement>('nav.views button')) {
      button.addEventListener('click', () => this.show(button.dataset.view ?? 'timeline'));
    }
    // A deep link (#t=…&device=…) opens its moment; before unlock the hash simply waits.
    window.addEventListener('hashchange', () => {
      const link = parseDeepLink(location.hash);
      if (link === null || this.session === null) return;
      this.show('timeline');
      this.day.goTo(link);
    });
    // Start the worker now: the WebAssembly module compiles while the user types.
    this.ensureWorker();
  }

  private ensureWorker(): SyncWorker {
    this.worker ??= new SyncWorker();
    return this.worker;
  }

  private setStep(text: string | null): void {
    els.progress.hidden = text === null;
    els.step.textContent = text ?? '';
  }

  private setError(text: string | null): void {
    els.error.hidden = text === null;
    els.error.textContent = text ?? '';
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    els.unlock.disabled = busy;
    els.form.toggleAttribute('aria-busy', busy);
  }

  /** Unlocks with the password, or, with `linkCode`, with keys linked from a desktop (link.ts). */
  async unlock(linkCode: string | null = null): Promise<void> {
    if (this.busy || this.session !== null) return;
    this.setError(null);
    const password = els.password.value;
    const token = els.token.value.trim();
    let server: string;
    try {
      server = normalizeServer(els.server.value, location.origin);
    } catch (e) {
      this.setError(explainApiError(e).message);
      els.server.focus();
      return;
    }
    if (token === '') {
      this.setError('Type the account’s token.');
      els.token.focus();
      return;
    }
    if (password === '' && linkCode === null) {
      this.setError('Type the encryption password.');
      els.password.focus();
      return;
    }
    this.setBusy(true);
    const generation = this.generation;
    const worker = this.ensureWorker();
    let unlocked: RemoteKeys | null = null;
    try {
      const deviceId = deviceIdFor(localStorage, server);
      const api = new SyncApi(server, token, deviceId);
      const account = await accountKey(server, token);
      const tokenGuard = readGuard(localStorage, account);
      this.setStep('Registering this browser with the server…');
      const init = await fetchKeys(api, tokenGuard, { name: 'Web viewer', os: deviceOs(), version: __APP_VERSION__ });
      // The account's guard, found by its token or by the key ids the answer names.
      const guard = strongest(tokenGuard, readLineageGuard(localStorage, server, keyIdsOf(init)));
      this.setStep('Loading the decryption module…');
      await worker.buildInfo();
      this.setStep(
        `Deriving the key from the password (Argon2id, ${Math.round(init.envelope.kdf.m_kib / 1024)} MiB, ${init.envelope.kdf.t} passes) in a background worker…`,
      );
      let keys: RemoteKeys;
      try {
        keys = unlocked =
          linkCode === null
            ? await worker.unlock(init.envelope, password, init.keyring, minimumOf(guard))
            : await linkKeys({ server, token, code: linkCode, worker, deviceName: 'Web viewer', deviceOs: deviceOs(), minimum: minimumOf(guard), onStep: (t) => this.setStep(t) });
      } catch (e) {
        throw explainUnlockError(e, guard);
      }
      if (keys.keyId !== init.envelope.key_id) {
        throw new UnlockError('rollback', 'The linked keys are not the account’s current keys (the server’s envelope names another). Refusing.');
      }
      if (generation !== this.generation) return;
      const seen = { key_version: keys.keyVersion, key_id: keys.keyId };
      rememberGuard(localStorage, account, seen);
      rememberLineage(localStorage, server, seen, keyIdsOf(init));
      localStorage.setItem(SERVER_KEY, server);
      els.password.value = '';
      this.setStep('Loading the account’s status…');
      const [status, { devices }] = await Promise.all([api.status(), api.devices()]);
      const ctx = this.makeContext(api, keys, worker, deviceId, generation);
      ctx.status = status;
      this.session = ctx;
      this.setDevices(devices);
      this.setStep(null);
      this.enter(ctx, devices, server);
    } catch (e) {
      this.setStep(null);
      if (generation !== this.generation) return;
      const error = e instanceof ApiError ? explainApiError(e) : e;
      let message = error instanceof UnlockError ? error.message : `Unlock failed: ${(error as Error).message ?? String(error)}`;
      if ((error as UnlockError).code === 'network' && new URL(server).origin !== location.origin) {
        message += ` This page may only connect to the origin that serves it (and those its build allows): open the viewer that ${new URL(server).host} serves, or see web-demo/README.md (VIEWER_CONNECT_SRC).`;
      }
      this.setError(message);
      if ((error as UnlockError).code === 'wrong_password' || (error as UnlockError).code === 'empty_password') {
        els.password.select();
        els.password.focus();
      } else if ((error as UnlockError).code === 'bad_token') {
        els.token.focus();
      }
    } finally {
      // Keys unlocked by an attempt that did not become the session are freed, worker and all.
      if (unlocked !== null && this.session?.keysHandle !== unlocked) {
        await unlocked.free().catch(() => false);
        if (this.worker === worker) await this.dropWorker();
        worker.terminate();
        if (generation === this.generation) this.ensureWorker();
      }
      this.setBusy(false);
    }
  }

  private makeContext(api: SyncApi, keys: RemoteKeys, worker: SyncWorker, deviceId: string, generation: number) {
    const ctx: Ctx & { keysHandle: RemoteKeys } = {
      api,
      keys,
      keysHandle: keys,
      worker,
      selfDeviceId: deviceId,
      deviceNames: new Map(),
      status: null,
      alive: () => generation === this.generation && this.session === ctx,
      trackUrl: (url) => this.objectUrls.add(url),
      fatal: (e) => this.fatal(e),
      openBlob: (blob: BlobInfo, from?: HTMLElement | null, focusRowId?: number) => {
        if (!ctx.alive()) return;
        this.detail.open(ctx, blob, from, focusRowId);
      },
      openBlobById: async (blobId: string, from?: HTMLElement | null, focusRowId?: number) => {
        try {
          const { blobs } = await api.download({ blob_ids: [blobId] });
          if (!ctx.alive()) return;
          const blob = blobs[0];
          if (blob === undefined) throw new Error('the server does not list this blob');
          this.detail.open(ctx, blob, from, focusRowId);
        } catch (e) {
          if (!ctx.alive() || this.fatal(e)) return;
          window.alert(`Cannot open this blob: ${(e as Error).message}`);
        }
      },
      images: new ImageCache({ api, keys, alive: () => ctx.alive() }),
      showMoment: (device: string, ms: number) => {
        if (!ctx.alive()) return;
        this.show('timeline');
        this.day.goTo({ t: ms, device });
      },
    };
    return ctx;
  }

  private setDevices(devices: DeviceInfo[]): void {
    if (this.session === null) return;
    this.session.deviceNames = new Map(devices.map((d) => [d.device_id, d.device_name]));
  }

  private enter(ctx: Ctx, devices: DeviceInfo[], server: string): void {
    els.signin.hidden = true;
    els.app.hidden = false;
    els.lock.hidden = false;
    els.who.hidden = false;
    els.who.textContent = `Unlocked · ${new URL(server).host} · key v${ctx.keys.keyVersion}`;
    this.timeline.start(ctx);
    this.day.start(ctx, parseDeepLink(location.hash));
    this.search.start(ctx);
    this.status.start(ctx, devices);
    this.show('timeline');
  }

  private show(view: string): void {
    for (const button of document.querySelectorAll<HTMLButtonElement>('nav.views button')) {
      const on = button.dataset.view === view;
      if (on) button.setAttribute('aria-current', 'page');
      else button.removeAttribute('aria-current');
    }
    for (const name of ['timeline', 'search', 'status']) byId(`view-${name}`).hidden = name !== view;
    if (view === 'status') void this.status.refresh();
    byId(`${view}-title`).focus();
  }

  /** Ends the session when the server no longer accepts this browser; true when it did. */
  private fatal(e: unknown): boolean {
    const code = (e as { code?: string })?.code;
    let message: string | null = null;
    if (code === 'UNKNOWN_DEVICE' || code === 'SELF_REMOVED') {
      message = 'This browser is no longer one of the account’s devices (it was removed). Unlock again to register it.';
    } else if (code === 'UNAUTHORIZED') {
      message = 'The server no longer accepts the token. Check it and unlock again.';
    }
    if (message === null) return false;
    void this.lock().then(() => this.setError(message));
    return true;
  }

  /** Frees the keys in the worker, stops it, and forgets everything decrypted. */
  async lock(): Promise<void> {
    this.generation += 1;
    const session = this.session;
    this.session = null;
    this.detail.wipe();
    session?.images.close();
    this.day.wipe();
    this.timeline.wipe();
    this.search.wipe();
    this.status.wipe();
    for (const url of this.objectUrls) URL.revokeObjectURL(url);
    this.objectUrls.clear();
    if (session !== null) await session.keysHandle.free().catch(() => false);
    await this.dropWorker();
    els.password.value = '';
    els.app.hidden = true;
    els.lock.hidden = true;
    els.who.hidden = true;
    els.who.textContent = '';
    els.signin.hidden = false;
    this.setError(null);
    this.setStep(null);
    this.ensureWorker();
    els.password.focus();
  }

  private async dropWorker(): Promise<void> {
    this.worker?.terminate();
    this.worker = null;
  }
}

new App();
