'use strict';
// Node entry of @screenpipe/sync-wasm (CommonJS). The module is compiled synchronously on
// require; `init()` exists (and resolves at once) so that code shared with browsers runs as is.
const wasm = require('./sync_wasm.js');

function init() {
  return Promise.resolve();
}

function isSyncError(error, code) {
  return (
    error instanceof Error &&
    error.name === 'SyncError' &&
    typeof error.code === 'string' &&
    (code === undefined || error.code === code)
  );
}

function decryptionStream(decryptor) {
  const done = () => {
    try {
      decryptor.free();
    } catch {
      // already freed
    }
  };
  return new TransformStream({
    transform(chunk, controller) {
      try {
        const out = decryptor.push(chunk);
        if (out.length > 0) controller.enqueue(out);
      } catch (error) {
        done();
        throw error;
      }
    },
    flush(controller) {
      try {
        const out = decryptor.finish();
        if (out.length > 0) controller.enqueue(out);
      } finally {
        done();
      }
    },
  });
}

module.exports = {
  createAccount: wasm.createAccount,
  unlock: wasm.unlock,
  unlockWithRecovery: wasm.unlockWithRecovery,
  terms: wasm.terms,
  errorCodes: wasm.errorCodes,
  buildInfo: wasm.buildInfo,
  Keys: wasm.Keys,
  BlobDecryptor: wasm.BlobDecryptor,
  MediaPack: wasm.MediaPack,
  Joiner: wasm.Joiner,
  isMediaPack: wasm.isMediaPack,
  packHeaderLength: wasm.packHeaderLength,
  packIndex: wasm.packIndex,
  init,
  default: init,
  isSyncError,
  decryptionStream,
};
