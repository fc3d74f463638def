// Browser and bundler entry of @screenpipe/sync-wasm (ES module).
//
//   import init, { unlock } from '@screenpipe/sync-wasm';
//   await init();                       // fetches and compiles sync_wasm_bg.wasm once
//   const keys = unlock(envelope, password, keyring, minimumKeyVersion);
//
// `init()` resolves the .wasm next to this file (`new URL(..., import.meta.url)`), which
// browsers and the usual bundlers (Vite, webpack 5, Rollup, esbuild with a file loader) handle.
// Pass a URL, a Response, an ArrayBuffer or a WebAssembly.Module to load it from elsewhere.
import wasmInit from './sync_wasm.js';

export {
  createAccount,
  unlock,
  unlockWithRecovery,
  terms,
  errorCodes,
  buildInfo,
  Keys,
  BlobDecryptor,
  MediaPack,
  Joiner,
  isMediaPack,
  packHeaderLength,
  packIndex,
} from './sync_wasm.js';

let ready;

/** Loads and instantiates the WebAssembly module (once; later calls return the same promise). */
export function init(moduleOrPath) {
  ready ??= wasmInit(moduleOrPath === undefined ? undefined : { module_or_path: moduleOrPath });
  return ready;
}

export default init;

/** True when `error` is an error thrown by this package (optionally: with this `code`). */
export function isSyncError(error, code) {
  return (
    error instanceof Error &&
    error.name === 'SyncError' &&
    typeof error.code === 'string' &&
    (code === undefined || error.code === code)
  );
}

/**
 * A TransformStream that decrypts a blob's ciphertext stream with `decryptor` (from
 * `keys.blobDecryptor(context)`), e.g. `response.body.pipeThrough(decryptionStream(d))`.
 * The stream errors (with the SyncError) if the blob does not verify; plaintext read before the
 * stream closes is provisional. The decryptor is freed when the stream ends either way.
 */
export function decryptionStream(decryptor) {
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
