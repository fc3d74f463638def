// What the viewer keeps in localStorage (nothing secret) and the unlock sequence.
//
// - Its device id, one per server: the viewer registers itself as a device through `/init`
//   (name "Web viewer"), like any client, and sends that id as X-Device-Id. Keeping it means
//   that unlocking again does not take another of the account's device slots.
// - The rollback guard: the newest key (version and id) this browser has unlocked for an
//   account, passed to every unlock so that an older envelope is refused (docs/FORMAT.md, "Rotation, keyring, rollback"). The
//   account is found two ways: by the server and a SHA-256 of the bearer token (the token
//   itself is not stored), and by the server and the account's key ids (its lineage), so that a
//   new token for the same account (after a stolen device, say) keeps the guard: an old
//   envelope the server serves names a key id this browser has seen in that account's lineage.

import type { MinimumKey } from '@screenpipe/sync-wasm';
import { ApiError, type InitResponse, type SyncApi } from './api';

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface Guard {
  key_version: number;
  key_id: string;
}

const DEVICE_PREFIX = 'spsync.viewer.device:';
const GUARD_PREFIX = 'spsync.viewer.guard:';
const DEVICE_ID_RE = /^[a-z0-9-]{1,64}$/;

/** A new device id: `web-` and a random UUID (docs/FORMAT.md, "Encodings": 1 to 64 bytes of `[a-z0-9-]`). */
export function newDeviceId(): string {
  const uuid =
    typeof crypto.randomUUID === 'function'
      ? crypto.randomUUID()
      : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  return `web-${uuid.toLowerCase()}`;
}

/** This browser's device id for a server, made and kept on first use. */
export function deviceIdFor(store: KeyValueStore, server: string): string {
  const key = DEVICE_PREFIX + server;
  const known = store.getItem(key);
  if (known !== null && DEVICE_ID_RE.test(known)) return known;
  const id = newDeviceId();
  store.setItem(key, id);
  return id;
}

/** Names the account in local storage without storing its token: server + SHA-256(token)[0..16]. */
export async function accountKey(server: string, token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token.trim())));
  const hex = Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${server}#${hex}`;
}

export function readGuard(store: KeyValueStore, account: string): Guard | null {
  const text = store.getItem(GUARD_PREFIX + account);
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<Guard>;
    if (
      typeof value.key_version === 'number' &&
      Number.isInteger(value.key_version) &&
      value.key_version >= 1 &&
      typeof value.key_id === 'string' &&
      /^[0-9a-f]{32}$/.test(value.key_id)
    ) {
      return { key_version: value.key_version, key_id: value.key_id };
    }
  } catch {
    // unreadable: treated as none, then overwritten by the next unlock
  }
  return null;
}

/** Remembers `seen` when it is newer than what is stored; returns what is stored afterwards. */
export function rememberGuard(store: KeyValueStore, account: string, seen: Guard): Guard {
  const known = readGuard(store, account);
  if (known !== null && known.key_version >= seen.key_version) return known;
  store.setItem(GUARD_PREFIX + account, JSON.stringify(seen));
  return seen;
}

const LINEAGE_PREFIX = 'spsync.viewer.lineage:';
const KEY_ID_RE = /^[0-9a-f]{32}$/;
/** Most accounts remembered per server, and most key ids per account (the keyring's bound). */
const MAX_LINEAGES = 32;
const MAX_KNOWN_IDS = 1001;

/** A guard with the key ids of its account (the current one and the keyring's). */
export interface Lineage extends Guard {
  known: string[];
}

/** The key ids an `/init` answer names: its envelope's and its keyring's (well-formed ones). */
export function keyIdsOf(init: Pick<InitResponse, 'envelope' | 'keyring'>): string[] {
  const ids = [init.envelope?.key_id, ...init.keyring.map((e) => e.key_id)];
  return [...new Set(ids.filter((id): id is string => typeof id === 'string' && KEY_ID_RE.test(id)))];
}

function readLineages(store: KeyValueStore, server: string): Lineage[] {
  const text = store.getItem(LINEAGE_PREFIX + server);
  if (text === null) return [];
  try {
    const value = JSON.parse(text) as unknown;
    if (!Array.isArray(value)) return [];
    return value.filter(
      (l): l is Lineage =>
        typeof l === 'object' &&
        l !== null &&
        Number.isInteger(l.key_version) &&
        l.key_version >= 1 &&
        typeof l.key_id === 'string' &&
        KEY_ID_RE.test(l.key_id) &&
        Array.isArray(l.known) &&
        l.known.every((id: unknown) => typeof id === 'string' && KEY_ID_RE.test(id)),
    );
  } catch {
    return []; // unreadable: treated as none, then overwritten by the next unlock
  }
}

/**
 * The guard of the account on `server` whose lineage holds any of `ids` (an `/init` answer's key
 * ids), or null when this browser has unlocked none of them.
 */
export function readLineageGuard(store: KeyValueStore, server: string, ids: string[]): Guard | null {
  let found: Guard | null = null;
  for (const l of readLineages(store, server)) {
    if (ids.some((id) => l.known.includes(id))) found = strongest(found, { key_version: l.key_version, key_id: l.key_id });
  }
  return found;
}

/**
 * Remembers an unlock on `server`: the newest key seen and the account's key ids, merged with
 * every remembered lineage that shares one of them (bounded: the newest accounts and ids kept).
 */
export function rememberLineage(store: KeyValueStore, server: string, seen: Guard, ids: string[]): void {
  const all = new Set([seen.key_id, ...ids.filter((id) => KEY_ID_RE.test(id))]);
  let merged: Lineage = { ...seen, known: [...all] };
  const others: Lineage[] = [];
  for (const l of readLineages(store, server)) {
    if (l.known.some((id) => all.has(id)) || l.key_id === seen.key_id) {
      const top = strongest(merged, l) as Guard;
      merged = { key_version: top.key_version, key_id: top.key_id, known: [...new Set([...merged.known, ...l.known])] };
    } else {
      others.push(l);
    }
  }
  merged.known = merged.known.slice(0, MAX_KNOWN_IDS);
  store.setItem(LINEAGE_PREFIX + server, JSON.stringify([...others, merged].slice(-MAX_LINEAGES)));
}

/** The newer of two guards (a higher key version wins; null is the weakest). */
export function strongest(a: Guard | null, b: Guard | null): Guard | null {
  if (a === null) return b === null ? null : { key_version: b.key_version, key_id: b.key_id };
  if (b === null || a.key_version >= b.key_version) return { key_version: a.key_version, key_id: a.key_id };
  return { key_version: b.key_version, key_id: b.key_id };
}

/** The `minimum` argument of unlock for a stored guard. */
export function minimumOf(guard: Guard | null): MinimumKey {
  return guard === null ? undefined : { key_version: guard.key_version, key_id: guard.key_id };
}

/** An unlock failure to say plainly. */
export class UnlockError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'UnlockError';
    this.code = code;
  }
}

/**
 * Registers the viewer (`/init`) and returns the account's envelope and keyring, refusing a
 * "new account" answer for an account this browser has unlocked before (rollback).
 */
export async function fetchKeys(
  api: SyncApi,
  guard: Guard | null,
  device: { name: string; os: string; version: string },
): Promise<InitResponse & { envelope: NonNullable<InitResponse['envelope']> }> {
  let answer: InitResponse;
  try {
    answer = await api.init(device.name, device.os, device.version);
  } catch (e) {
    throw explainApiError(e);
  }
  if (answer.envelope === null) {
    if (guard !== null) {
      throw new UnlockError(
        'rollback',
        `The server says this account has no keys, but this browser has unlocked key version ${guard.key_version} of it before. Refusing (possible rollback).`,
      );
    }
    throw new UnlockError(
      'no_keys',
      'This account has no encryption keys yet. Set up sync on a desktop first (screenpipe-sync init), then unlock here.',
    );
  }
  return answer as InitResponse & { envelope: NonNullable<InitResponse['envelope']> };
}

/** A readable sentence for an API failure during sign-in. */
export function explainApiError(e: unknown): Error {
  if (!(e instanceof ApiError)) return e as Error;
  switch (e.code) {
    case 'UNAUTHORIZED':
    case 'http_401':
      return new UnlockError('bad_token', 'The server refused the token. Check the Token field.');
    case 'DEVICE_LIMIT_EXCEEDED':
      return new UnlockError(
        'device_limit',
        `This account has reached its device limit, so this browser cannot be added (${e.message}). Remove a device first (screenpipe-sync devices remove ID) or change plan.`,
      );
    case 'NO_SUBSCRIPTION':
      return new UnlockError('no_subscription', 'This account has no subscription: a new device (this browser) cannot be added.');
    case 'network':
      return new UnlockError('network', `Cannot reach the server. ${e.message}.`);
    case 'bad_server':
      return new UnlockError('bad_server', e.message);
    default:
      return new UnlockError(e.code, `The server refused: ${e.message} (${e.code}).`);
  }
}

/** A readable sentence for a SyncError of unlock. */
export function explainUnlockError(e: unknown, guard: Guard | null): Error {
  const code = (e as { code?: unknown })?.code;
  switch (code) {
    case 'wrong_password':
      return new UnlockError('wrong_password', 'Wrong password. The password does not open this account’s keys.');
    case 'empty_password':
      return new UnlockError('empty_password', 'Type the encryption password.');
    case 'rollback':
      return new UnlockError(
        'rollback',
        `The server offered an older key than this browser has unlocked before (version ${guard?.key_version ?? '?'}). Refusing: this may be a rollback to a key whose password leaked.`,
      );
    case 'params_out_of_bounds':
      return new UnlockError('params_out_of_bounds', 'The server sent password-hashing parameters outside the safe bounds. Refusing.');
    case 'malformed':
    case 'unsupported':
      return new UnlockError(String(code), `The account’s key envelope cannot be read (${(e as Error).message}).`);
    default:
      return e instanceof Error ? e : new Error(String(e));
  }
}
