// Types of @screenpipe/sync-wasm/worker: the API in a Web Worker. Every method returns a promise.
import type {
  BlobContext,
  Bytes,
  Envelope,
  KdfParams,
  KeyringEntry,
  MinimumKey,
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
