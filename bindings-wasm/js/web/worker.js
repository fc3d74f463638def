// The Web Worker side of `SyncWorker` (./worker-client.js): runs the WebAssembly module off the
// main thread, so that unlocking (Argon2id, about a third of a second and 64 MiB) and large
// decryptions never freeze a page. Keys stay in this worker: the page holds numbered handles.
import init, * as sync from './index.js';

const ready = init();
const objects = new Map();
let nextHandle = 1;

function keep(object) {
  const handle = nextHandle++;
  objects.set(handle, object);
  return handle;
}

function get(handle) {
  const object = objects.get(handle);
  if (object === undefined) {
    const error = new Error('this handle was freed');
    error.name = 'SyncError';
    error.code = 'invalid_state';
    throw error;
  }
  return object;
}

function describeKeys(keys) {
  return { handle: keep(keys), keyId: keys.keyId, keyVersion: keys.keyVersion, keyIds: keys.keyIds };
}

const ops = {
  createAccount(password, params) {
    const { envelope, recoveryEnvelope, mnemonic, keys } = sync.createAccount(password, params);
    return { envelope, recoveryEnvelope, mnemonic, keys: describeKeys(keys) };
  },
  unlock: (envelope, password, keyring, minimum) => describeKeys(sync.unlock(envelope, password, keyring, minimum)),
  unlockWithRecovery: (recoveryEnvelope, mnemonic, keyring, minimum) =>
    describeKeys(sync.unlockWithRecovery(recoveryEnvelope, mnemonic, keyring, minimum)),
  changePassword: (handle, newPassword, params) => get(handle).changePassword(newPassword, params),
  rotate(handle, currentEnvelope, password, params) {
    const { envelope, recoveryEnvelope, keyring, mnemonic, keys } = get(handle).rotate(currentEnvelope, password, params);
    return { envelope, recoveryEnvelope, keyring, mnemonic, keys: describeKeys(keys) };
  },
  decryptBlob: (handle, blob, context) => get(handle).decryptBlob(blob, context),
  openRecords: (handle, blob, context) => get(handle).openRecords(blob, context),
  openPack(handle, blob, context) {
    const pack = get(handle).openPack(blob, context);
    return { handle: keep(pack), entries: pack.entries, headerLength: pack.headerLength, payloadLength: pack.payloadLength };
  },
  openMediaPack(payload) {
    const pack = new sync.MediaPack(payload);
    return { handle: keep(pack), entries: pack.entries, headerLength: pack.headerLength, payloadLength: pack.payloadLength };
  },
  packEntry: (handle, name) => get(handle).entry(name),
  isMediaPack: (bytes) => sync.isMediaPack(bytes),
  packHeaderLength: (prefix) => sync.packHeaderLength(prefix),
  packIndex: (header) => sync.packIndex(header),
  encryptBlob: (handle, data, context, options) => get(handle).encryptBlob(data, context, options),
  queryTokens: (handle, text, startMs, endMs) => get(handle).queryTokens(text, startMs, endMs),
  blobDecryptor: (handle, context) => keep(get(handle).blobDecryptor(context)),
  push: (handle, chunk) => get(handle).push(chunk),
  finish: (handle) => get(handle).finish(),
  joinStart(code, deviceName, deviceOs, nowMs) {
    const joiner = new sync.Joiner(code, deviceName, deviceOs, nowMs);
    return { handle: keep(joiner), mailbox: joiner.mailbox() };
  },
  joinReceive(handle, message, nowMs, minimum) {
    const step = get(handle).receive(message, nowMs, minimum);
    return step.keys ? { keys: describeKeys(step.keys) } : { ...step };
  },
  terms: (text) => sync.terms(text),
  buildInfo: () => sync.buildInfo(),
  free(handle) {
    const object = objects.get(handle);
    objects.delete(handle);
    object?.free();
    return true;
  },
};

self.onmessage = async (event) => {
  const { id, op, args } = event.data;
  try {
    await ready;
    const fn = ops[op];
    if (fn === undefined) throw new Error(`unknown operation ${op}`);
    const result = fn(...args);
    const transfer = result instanceof Uint8Array ? [result.buffer] : [];
    self.postMessage({ id, result }, transfer);
  } catch (error) {
    self.postMessage({
      id,
      error: { name: error?.name ?? 'Error', message: error?.message ?? String(error), code: error?.code },
    });
  }
};
