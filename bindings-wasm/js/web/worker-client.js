// `SyncWorker`: the package's API, run in a Web Worker (./worker.js).
//
//   import { SyncWorker } from '@screenpipe/sync-wasm/worker';
//   const sync = new SyncWorker();
//   const keys = await sync.unlock(envelope, password, keyring, minimumKeyVersion);
//   const bytes = await keys.decryptBlob(blob, context);
//
// Every method returns a promise; errors are SyncErrors with the same `code` as in the main
// thread. Keys never leave the worker: `RemoteKeys` is a handle. Byte arrays passed in are
// copied (structured clone); results are transferred.

let nextId = 1;

function syncError({ name, message, code }) {
  const error = new Error(message);
  error.name = name;
  if (code !== undefined) error.code = code;
  return error;
}

export class SyncWorker {
  /** Starts the worker (or wraps one you made from `worker.js`, e.g. with a bundler's syntax). */
  constructor(worker) {
    this.worker = worker ?? new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.pending = new Map();
    this.worker.onmessage = (event) => {
      const { id, result, error } = event.data;
      const call = this.pending.get(id);
      if (call === undefined) return;
      this.pending.delete(id);
      if (error !== undefined) call.reject(syncError(error));
      else call.resolve(result);
    };
    this.worker.onerror = (event) => {
      const error = syncError({ name: 'Error', message: `the sync worker failed: ${event.message ?? 'unknown error'}` });
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
    };
  }

  call(op, ...args) {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args });
    });
  }

  async createAccount(password, params) {
    const out = await this.call('createAccount', password, params);
    return { ...out, keys: new RemoteKeys(this, out.keys) };
  }

  async unlock(envelope, password, keyring, minimum) {
    return new RemoteKeys(this, await this.call('unlock', envelope, password, keyring, minimum));
  }

  async unlockWithRecovery(recoveryEnvelope, mnemonic, keyring, minimum) {
    return new RemoteKeys(this, await this.call('unlockWithRecovery', recoveryEnvelope, mnemonic, keyring, minimum));
  }

  terms(text) {
    return this.call('terms', text);
  }

  /** Starts joining an account with a code (the joiner of device linking), in the worker. */
  async joinStart(code, deviceName, deviceOs, nowMs) {
    return new RemoteJoiner(this, await this.call('joinStart', code, deviceName, deviceOs, nowMs));
  }

  buildInfo() {
    return this.call('buildInfo');
  }

  /** Opens a media pack from a payload decrypted elsewhere (e.g. streamed); it stays in the worker. */
  async openMediaPack(payload) {
    return new RemoteMediaPack(this, await this.call('openMediaPack', payload));
  }

  isMediaPack(bytes) {
    return this.call('isMediaPack', bytes);
  }

  packHeaderLength(prefix) {
    return this.call('packHeaderLength', prefix);
  }

  packIndex(header) {
    return this.call('packIndex', header);
  }

  /** Stops the worker; every key in it is gone. */
  terminate() {
    this.worker.terminate();
    const error = syncError({ name: 'SyncError', message: 'the sync worker was terminated', code: 'invalid_state' });
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }
}

export class RemoteKeys {
  constructor(client, { handle, keyId, keyVersion, keyIds }) {
    this.client = client;
    this.handle = handle;
    this.keyId = keyId;
    this.keyVersion = keyVersion;
    this.keyIds = keyIds;
  }

  changePassword(newPassword, params) {
    return this.client.call('changePassword', this.handle, newPassword, params);
  }

  async rotate(currentEnvelope, password, params) {
    const out = await this.client.call('rotate', this.handle, currentEnvelope, password, params);
    return { ...out, keys: new RemoteKeys(this.client, out.keys) };
  }

  decryptBlob(blob, context) {
    return this.client.call('decryptBlob', this.handle, blob, context);
  }

  openRecords(blob, context) {
    return this.client.call('openRecords', this.handle, blob, context);
  }

  /** Decrypts a `frames` blob holding a media pack and keeps it open in the worker. */
  async openPack(blob, context) {
    return new RemoteMediaPack(this.client, await this.client.call('openPack', this.handle, blob, context));
  }

  encryptBlob(data, context, options) {
    return this.client.call('encryptBlob', this.handle, data, context, options);
  }

  queryTokens(text, startMs, endMs) {
    return this.client.call('queryTokens', this.handle, text, startMs, endMs);
  }

  async blobDecryptor(context) {
    return new RemoteBlobDecryptor(this.client, await this.client.call('blobDecryptor', this.handle, context));
  }

  /** Zeroizes the keys in the worker. */
  free() {
    return this.client.call('free', this.handle);
  }
}

export class RemoteBlobDecryptor {
  constructor(client, handle) {
    this.client = client;
    this.handle = handle;
  }

  push(chunk) {
    return this.client.call('push', this.handle, chunk);
  }

  finish() {
    return this.client.call('finish', this.handle);
  }

  free() {
    return this.client.call('free', this.handle);
  }
}

export class RemoteMediaPack {
  constructor(client, { handle, entries, headerLength, payloadLength }) {
    this.client = client;
    this.handle = handle;
    this.entries = entries;
    this.headerLength = headerLength;
    this.payloadLength = payloadLength;
  }

  /** The bytes of the entry named `name`, or `undefined` when the pack has none. */
  entry(name) {
    return this.client.call('packEntry', this.handle, name);
  }

  /** Releases the pack's payload in the worker. */
  free() {
    return this.client.call('free', this.handle);
  }
}

/** A `Joiner` in the worker: the keys it receives stay there (`{keys: RemoteKeys}`). */
export class RemoteJoiner {
  constructor(client, { handle, mailbox }) {
    this.client = client;
    this.handle = handle;
    this.mailbox = mailbox;
  }

  /** `{send: [messages]}`, `{confirmed: true}` or `{keys: RemoteKeys}`. */
  async receive(message, nowMs, minimum) {
    const out = await this.client.call('joinReceive', this.handle, message, nowMs, minimum);
    return out.keys ? { keys: new RemoteKeys(this.client, out.keys) } : out;
  }

  free() {
    return this.client.call('free', this.handle);
  }
}
