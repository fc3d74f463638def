// Compiled (not run) by `npm run typecheck`: the published types describe the API as used.
import init, {
  createAccount,
  unlock,
  unlockWithRecovery,
  terms,
  errorCodes,
  buildInfo,
  isSyncError,
  decryptionStream,
  type BlobContext,
  type Envelope,
  type ErrorCode,
  type Keys,
  type RecordsBundle,
  type MediaPack,
  type PackIndex,
  isMediaPack,
  packHeaderLength,
  packIndex,
} from '@screenpipe/sync-wasm';
import { SyncWorker, type RemoteKeys, type RemoteMediaPack } from '@screenpipe/sync-wasm/worker';

export async function example(body: ReadableStream<Uint8Array>, blob: Uint8Array): Promise<void> {
  await init();
  const account = createAccount('correct horse battery staple 1987!', { m_kib: 19456, t: 2, p: 1 });
  const envelope: Envelope = account.envelope;
  const keys: Keys = unlock(envelope, 'correct horse battery staple 1987!', [], account.keys.keyVersion);
  const again: Keys = unlockWithRecovery(account.recoveryEnvelope, account.mnemonic, null, { key_version: 1, key_id: keys.keyId });
  const context: BlobContext = { blob_id: '00'.repeat(16), blob_type: 'text', device_id: 'd', time_start: 0, time_end: '2026-01-05T09:00:00.000Z' };
  const plain: Uint8Array = keys.decryptBlob(blob, context);
  const records: RecordsBundle = keys.openRecords(blob.buffer as ArrayBuffer, context);
  const sealed: Uint8Array = keys.encryptBlob(plain, context, { segmentExp: 12, pad: true });
  const frame = records.frames[0];
  const snapshotText: string | null = frame.text;
  const snapshotEntry: string | undefined = frame.snapshot?.entry;
  const memory: string | undefined = records.memories[0]?.content;
  const meetingTitle: string | null | undefined = records.meetings[0]?.title;
  const pack: MediaPack = keys.openPack(sealed, { ...context, blob_type: 'frames' });
  const jpeg: Uint8Array | undefined = snapshotEntry === undefined ? undefined : pack.entry(snapshotEntry);
  const isPack: boolean = isMediaPack(plain);
  const index: PackIndex = packIndex(plain.subarray(0, packHeaderLength(plain.subarray(0, 12))));
  const firstTime: string | undefined = index.entries[0]?.time;
  pack.free();
  const tokens: string[] = keys.queryTokens('hello', 0, Date.now());
  const words: string[] = terms('hello world');
  const codes: ErrorCode[] = errorCodes();
  const simd: boolean = buildInfo().simd128;
  const decryptor = keys.blobDecryptor(context);
  const stream: ReadableStream<Uint8Array> = body.pipeThrough(decryptionStream(decryptor));
  const changed: Envelope = keys.changePassword('another long passphrase 2026');
  const rotation = keys.rotate(changed, 'another long passphrase 2026');
  const next: Keys = rotation.keys;
  try {
    unlock(envelope, 'x');
  } catch (error) {
    if (isSyncError(error, 'wrong_password')) {
      const code: ErrorCode = error.code;
      void code;
    }
  }
  const worker = new SyncWorker();
  const remote: RemoteKeys = await worker.unlock(envelope, 'pw', [], 1);
  const bytes: Uint8Array = await remote.decryptBlob(sealed, context);
  const remoteDecryptor = await remote.blobDecryptor(context);
  const part: Uint8Array = await remoteDecryptor.push(bytes);
  const remotePack: RemoteMediaPack = await remote.openPack(sealed, context);
  const remoteJpeg: Uint8Array | undefined = await remotePack.entry(remotePack.entries[0]?.name ?? '');
  await remotePack.free();
  const streamedPack: RemoteMediaPack = await worker.openMediaPack(bytes);
  await streamedPack.free();
  await remote.free();
  worker.terminate();
  void [snapshotText, memory, meetingTitle, jpeg, isPack, firstTime, remoteJpeg];
  void [again, records, tokens, words, codes, simd, stream, next, part];
  keys.free();
}
