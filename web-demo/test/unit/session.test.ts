import { describe, expect, it } from 'vitest';
import { ApiError, SyncApi, type InitResponse } from '../../src/api';
import { accountKey, deviceIdFor, explainApiError, explainUnlockError, fetchKeys, minimumOf, readGuard, rememberGuard, type KeyValueStore } from '../../src/session';

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
