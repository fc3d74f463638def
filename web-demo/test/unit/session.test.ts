import { describe, expect, it } from 'vitest';
import { ApiError, SyncApi, type InitResponse } from '../../src/api';
import {
  accountKey,
  deviceIdFor,
  explainApiError,
  explainUnlockError,
  fetchKeys,
  keyIdsOf,
  minimumOf,
  readGuard,
  readLineageGuard,
  rememberGuard,
  rememberLineage,
  strongest,
  type KeyValueStore,
} from '../../src/session';

function memoryStore(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

const KEY_A = 'a'.repeat(32);
const KEY_B = 'b'.repeat(32);

describe('device id', () => {
  it('is made once per server, in the format the server accepts', () => {
    const store = memoryStore();
    const one = deviceIdFor(store, 'https://a.example');
    expect(one).toMatch(/^web-[0-9a-f-]{36}$/);
    expect(one.length).toBeLessThanOrEqual(64);
    expect(deviceIdFor(store, 'https://a.example')).toBe(one);
    expect(deviceIdFor(store, 'https://b.example')).not.toBe(one);
  });

  it('replaces a stored value the server would refuse', () => {
    const store = memoryStore();
    store.setItem('spsync.viewer.device:https://a.example', 'Not Valid!');
    expect(deviceIdFor(store, 'https://a.example')).toMatch(/^web-/);
  });
});

const KEY_C = 'c'.repeat(32);
const KEY_D = 'd'.repeat(32);
const SERVER = 'https://a.example';

/** An /init answer naming an envelope key and keyring keys (only the ids matter here). */
function initNaming(envelopeId: string, keyringIds: string[]): Pick<InitResponse, 'envelope' | 'keyring'> {
  const envelope = { key_id: envelopeId } as unknown as NonNullable<InitResponse['envelope']>;
  return { envelope, keyring: keyringIds.map((key_id) => ({ key_id, nonce: '', wrapped_key: '' })) };
}

describe('rollback guard by account lineage (a new token keeps it)', () => {
  it('finds the account of an old envelope by its key ids, whatever the token', () => {
    const store = memoryStore();
    // Unlocked key version 1 (A), then version 2 (B) whose keyring holds A.
    rememberLineage(store, SERVER, { key_version: 1, key_id: KEY_A }, keyIdsOf(initNaming(KEY_A, [])));
    rememberLineage(store, SERVER, { key_version: 2, key_id: KEY_B }, keyIdsOf(initNaming(KEY_B, [KEY_A])));
    // A hostile server serves the old envelope (A, no keyring) to a new token: the guard holds.
    expect(readLineageGuard(store, SERVER, keyIdsOf(initNaming(KEY_A, [])))).toEqual({ key_version: 2, key_id: KEY_B });
    expect(strongest(null, readLineageGuard(store, SERVER, [KEY_A]))).toEqual({ key_version: 2, key_id: KEY_B });
    // Another account on the same server, and the same keys on another server: no guard.
    expect(readLineageGuard(store, SERVER, [KEY_C])).toBeNull();
    expect(readLineageGuard(store, 'https://b.example', [KEY_A, KEY_B])).toBeNull();
  });

  it('merges lineages that meet, keeps accounts apart, keeps the newest key', () => {
    const store = memoryStore();
    rememberLineage(store, SERVER, { key_version: 3, key_id: KEY_C }, [KEY_C]);
    rememberLineage(store, SERVER, { key_version: 1, key_id: KEY_A }, [KEY_A]);
    // An older unlock of the second account does not lower it; a rotation of it joins A and B.
    rememberLineage(store, SERVER, { key_version: 2, key_id: KEY_B }, [KEY_B, KEY_A]);
    expect(readLineageGuard(store, SERVER, [KEY_A])).toEqual({ key_version: 2, key_id: KEY_B });
    rememberLineage(store, SERVER, { key_version: 1, key_id: KEY_A }, [KEY_A]);
    expect(readLineageGuard(store, SERVER, [KEY_A])).toEqual({ key_version: 2, key_id: KEY_B });
    expect(readLineageGuard(store, SERVER, [KEY_C])).toEqual({ key_version: 3, key_id: KEY_C });
    expect(readLineageGuard(store, SERVER, [KEY_D])).toBeNull();
  });

  it('keys of the answer that are not key ids are ignored; an unreadable store is none', () => {
    expect(keyIdsOf(initNaming(KEY_A, ['not hex', KEY_A, KEY_B]))).toEqual([KEY_A, KEY_B]);
    expect(keyIdsOf({ envelope: null, keyring: [] })).toEqual([]);
    const store = memoryStore();
    for (const bad of ['{', '{"a":1}', '[{"key_version":0,"key_id":"aa","known":[]}]', 'null']) {
      store.setItem(`spsync.viewer.lineage:${SERVER}`, bad);
      expect(readLineageGuard(store, SERVER, [KEY_A])).toBeNull();
    }
    rememberLineage(store, SERVER, { key_version: 1, key_id: KEY_A }, []);
    expect(readLineageGuard(store, SERVER, [KEY_A])).toEqual({ key_version: 1, key_id: KEY_A });
  });

  it('stays bounded', () => {
    const store = memoryStore();
    for (let i = 0; i < 40; i++) {
      const id = i.toString(16).padStart(32, '0');
      rememberLineage(store, SERVER, { key_version: 1, key_id: id }, [id]);
    }
    const stored = JSON.parse(store.getItem(`spsync.viewer.lineage:${SERVER}`) ?? '[]');
    expect(stored.length).toBe(32);
    expect(readLineageGuard(store, SERVER, [(39).toString(16).padStart(32, '0')])).not.toBeNull();
    expect(readLineageGuard(store, SERVER, ['0'.repeat(32)])).toBeNull();
  });
});

describe('rollback guard', () => {
  it('names the account without storing the token', async () => {
    const key = await accountKey('https://a.example', 'sps_very_secret_token');
    expect(key).toMatch(/^https:\/\/a\.example#[0-9a-f]{32}$/);
    expect(key).not.toContain('sps_very_secret_token');
    expect(await accountKey('https://a.example', ' sps_very_secret_token ')).toBe(key);
    expect(await accountKey('https://a.example', 'other')).not.toBe(key);
  });

  it('keeps the highest version seen', () => {
    const store = memoryStore();
    expect(readGuard(store, 'acct')).toBeNull();
    expect(minimumOf(null)).toBeUndefined();
    rememberGuard(store, 'acct', { key_version: 2, key_id: KEY_B });
    expect(rememberGuard(store, 'acct', { key_version: 1, key_id: KEY_A })).toEqual({ key_version: 2, key_id: KEY_B });
    expect(readGuard(store, 'acct')).toEqual({ key_version: 2, key_id: KEY_B });
    expect(minimumOf(readGuard(store, 'acct'))).toEqual({ key_version: 2, key_id: KEY_B });
    rememberGuard(store, 'acct', { key_version: 3, key_id: KEY_A });
    expect(readGuard(store, 'acct')).toEqual({ key_version: 3, key_id: KEY_A });
    expect(readGuard(store, 'other')).toBeNull();
  });

  it('ignores an unreadable stored guard', () => {
    const store = memoryStore();
    for (const bad of ['{', '{"key_version":0,"key_id":"aa"}', '{"key_version":1}', 'null']) {
      store.setItem('spsync.viewer.guard:acct', bad);
      expect(readGuard(store, 'acct')).toBeNull();
    }
  });
});

describe('fetchKeys', () => {
  const apiAnswering = (answer: InitResponse | ApiError) =>
    new SyncApi('https://s.example', 't', 'web-1', async () =>
      answer instanceof ApiError
        ? new Response(JSON.stringify({ error: answer.message, code: answer.code }), { status: answer.status })
        : new Response(JSON.stringify(answer)),
    );
  const device = { name: 'Web viewer', os: 'web', version: '1' };
  const noKeys: InitResponse = { is_new_user: true, envelope: null, recovery_envelope: null, keyring: [], revision: 0 };

  it('refuses "no keys" for an account this browser unlocked before (rollback)', async () => {
    await expect(fetchKeys(apiAnswering(noKeys), { key_version: 1, key_id: KEY_A }, device)).rejects.toMatchObject({ code: 'rollback' });
  });

  it('says so when the account has no keys yet', async () => {
    await expect(fetchKeys(apiAnswering(noKeys), null, device)).rejects.toMatchObject({ code: 'no_keys' });
  });

  it('explains a device limit and a bad token plainly', async () => {
    await expect(fetchKeys(apiAnswering(new ApiError(403, 'DEVICE_LIMIT_EXCEEDED', 'limit 3')), null, device)).rejects.toMatchObject({
      code: 'device_limit',
      message: expect.stringContaining('device limit'),
    });
    await expect(fetchKeys(apiAnswering(new ApiError(401, 'UNAUTHORIZED', 'invalid bearer token')), null, device)).rejects.toMatchObject({
      code: 'bad_token',
      message: expect.stringContaining('Token'),
    });
  });

  it('explains unlock errors', () => {
    expect(explainUnlockError({ code: 'wrong_password' }, null).message).toMatch(/^Wrong password/);
    expect(explainUnlockError({ code: 'rollback' }, { key_version: 4, key_id: KEY_A }).message).toMatch(/version 4/);
    expect(explainApiError(new ApiError(0, 'network', 'x')).message).toMatch(/Cannot reach/);
  });
});
