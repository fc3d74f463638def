// Types of @screenpipe/sync-wasm/worker: the API in a Web Worker. Every method returns a promise.
import type {
  BlobContext,
  Bytes,
  Envelope,
  KdfParams,
  KeyringEntry,
  MinimumKey,
  PackEntry,
  PackIndex,
  RecordsBundle,
  RecoveryEnvelope,
  SealOptions,
} from './index.js';

export class SyncWorker {
  /** Starts `worker.js` as a module worker, or wraps a worker you started from it. */
  constructor(worker?: Worker);
  createAccount(
    password: string,
    params?: KdfParams | null,
  ): Promise<{ envelope: Envelope; recoveryEnvelope: RecoveryEnvelope; mnemonic: string; keys: RemoteKeys }>;
  unlock(envelope: Envelope, password: string, keyring?: KeyringEntry[] | null, minimum?: MinimumKey): Promise<RemoteKeys>;
  unlockWithRecovery(
    recoveryEnvelope: RecoveryEnvelope,
    mnemonic: string,
    keyring?: KeyringEntry[] | null,
    minimum?: MinimumKey,
  ): Promise<RemoteKeys>;
  terms(text: string): Promise<string[]>;
  /** Starts joining an account with a code or link URI (device linking); the keys stay in the worker. */
  joinStart(code: string, deviceName: string, deviceOs: string, nowMs: number): Promise<RemoteJoiner>;
  /** Opens a media pack from a whole payload decrypted elsewhere (e.g. streamed); free it when done. */
  openMediaPack(payload: Bytes): Promise<RemoteMediaPack>;
  isMediaPack(bytes: Bytes): Promise<boolean>;
  packHeaderLength(prefix: Bytes): Promise<number>;
  packIndex(header: Bytes): Promise<PackIndex>;
  buildInfo(): Promise<{ version: string; simd128: boolean; segmentAead: string; features: string[] }>;
  /** Stops the worker; every key in it is gone. */
  terminate(): void;
}

export class RemoteKeys {
  private constructor();
  readonly keyId: string;
  readonly keyVersion: number;
  readonly keyIds: string[];
  changePassword(newPassword: string, params?: KdfParams | null): Promise<Envelope>;
  rotate(
    currentEnvelope: Envelope,
    password: string,
    params?: KdfParams | null,
  ): Promise<{ envelope: Envelope; recoveryEnvelope: RecoveryEnvelope; keyring: KeyringEntry[]; mnemonic: string; keys: RemoteKeys }>;
  decryptBlob(blob: Bytes, context: BlobContext): Promise<Uint8Array>;
  openRecords(blob: Bytes, context: BlobContext): Promise<RecordsBundle>;
  /** Decrypts a `frames` blob holding a media pack and keeps it open in the worker (free it when done). */
  openPack(blob: Bytes, context: BlobContext): Promise<RemoteMediaPack>;
  encryptBlob(data: Bytes, context: BlobContext, options?: SealOptions | null): Promise<Uint8Array>;
  queryTokens(text: string, startMs: number | string, endMs: number | string): Promise<string[]>;
  blobDecryptor(context: BlobContext): Promise<RemoteBlobDecryptor>;
  free(): Promise<boolean>;
}

export class RemoteBlobDecryptor {
  private constructor();
  push(chunk: Bytes): Promise<Uint8Array>;
  finish(): Promise<Uint8Array>;
  free(): Promise<boolean>;
}

/** A media pack open in the worker: its index here, its payload there. */
export class RemoteMediaPack {
  private constructor();
  readonly entries: PackEntry[];
  readonly headerLength: number;
  readonly payloadLength: number;
  /** The bytes of the entry named `name`, or `undefined` when the pack has none. */
  entry(name: string): Promise<Uint8Array | undefined>;
  /** Releases the pack's payload in the worker. */
  free(): Promise<boolean>;
}

/** A `Joiner` in the worker. */
export class RemoteJoiner {
  readonly mailbox: number;
  /** Takes the desktop's next message: messages to post, the code confirmed, or the keys (kept in the worker). */
  receive(
    message: string,
    nowMs: number,
    minimum?: MinimumKey,
  ): Promise<{ send: string[] } | { confirmed: true } | { keys: RemoteKeys }>;
  free(): Promise<boolean>;
}
