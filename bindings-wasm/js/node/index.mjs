// Node entry of @screenpipe/sync-wasm (ES module): the CommonJS build, re-exported.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const sync = require('./index.cjs');

export const {
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
  init,
  isSyncError,
  decryptionStream,
} = sync;
export default init;
