// Runs every file of tests/vectors/*.json (docs/FORMAT.md, "Vector files") through the JavaScript API and checks
// that it agrees with every vector: results of ok vectors, and the exact error code of must-fail
// vectors. Where a vector names a key that the public API keeps inside wasm (password_key,
// master_key, data_key, search_key ...), the `testing` build's exports (dist/testing, never
// shipped) bring it in or out; everything else goes through the public API: unlock,
// unlockWithRecovery, keys.decryptBlob, keys.blobDecryptor, keys.queryTokens, terms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const vectorsDir = path.resolve(here, '../../tests/vectors');
const sync = require('../dist/testing/sync_wasm.js');

const b64 = (bytes) => Buffer.from(bytes).toString('base64url');
let pairingJoinerRuns = 0;
const unb64 = (text) => new Uint8Array(Buffer.from(text, 'base64url'));

/** Runs `fn`; returns {ok: value} or {error: code}, failing on a non-SyncError. */
function attempt(fn) {
  try {
    return { ok: fn() };
  } catch (error) {
    assert.equal(error?.name, 'SyncError', `not a SyncError: ${error?.stack ?? error}`);
    assert.equal(typeof error.code, 'string');
    assert.ok(error.message.length > 0);
    return { error: error.code };
  }
}

/** Checks a vector: `fn` must succeed (and pass `check`) or fail with the vector's code. */
function expect(vector, fn, check) {
  const outcome = attempt(fn);
  if (vector.expect === 'error') {
    assert.ok(!('ok' in outcome), `${vector.comment}: expected ${vector.error}, it succeeded`);
    assert.equal(outcome.error, vector.error, vector.comment);
  } else {
    assert.ok('ok' in outcome, `${vector.comment}: failed with ${outcome.error}`);
    check?.(outcome.ok);
  }
}

// A deterministic generator for chunk splits (xorshift32).
function splitter(seed) {
  let s = seed >>> 0 || 1;
  return (max) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % max;
  };
}

/** Streams `blob` through a decryptor in random chunks; returns the plaintext or throws. */
function streamOpen(keys, blob, context, seed) {
  const rand = splitter(seed);
  const decryptor = keys.blobDecryptor(context);
  try {
    const parts = [];
    let offset = 0;
    while (offset < blob.length) {
      const n = Math.min(blob.length - offset, 1 + rand(rand(4) === 0 ? 70000 : 300));
      parts.push(decryptor.push(blob.subarray(offset, offset + n)));
      offset += n;
    }
    parts.push(decryptor.finish());
    return Buffer.concat(parts);
  } finally {
    decryptor.free();
  }
}

const runners = {
  kdf(v) {
    expect(
      v,
      () => sync.testingKdf(v.password, v.salt, v.kdf),
      (out) => {
        assert.equal(out.password_key, v.password_key, v.comment);
        assert.equal(out.wrap_key, v.wrap_key, v.comment);
      },
    );
  },
  envelope(v) {
    // The public API: unlock with the password.
    expect(
      v,
      () => {
        const keys = sync.unlock(v.envelope, v.password);
        try {
          return { keyId: keys.keyId, keyVersion: keys.keyVersion };
        } finally {
          keys.free();
        }
      },
      (out) => {
        assert.equal(out.keyId, v.envelope.key_id);
        assert.equal(out.keyVersion, v.envelope.key_version);
      },
    );
    // The master key inside.
    expect(
      v,
      () => sync.testingOpenEnvelope(v.envelope, v.password),
      (master) => assert.equal(master, v.master_key, v.comment),
    );
  },
  recovery(v) {
    if (v.mnemonic !== '') {
      expect(
        v,
        () => {
          const keys = sync.unlockWithRecovery(v.recovery_envelope, v.mnemonic);
          try {
            return keys.keyId;
          } finally {
            keys.free();
          }
        },
        (keyId) => assert.equal(keyId, v.recovery_envelope.key_id),
      );
      expect(
        v,
        () => {
          const key = sync.testingRecoveryKey(v.mnemonic);
          return { key, master: sync.testingOpenRecoveryEnvelope(v.recovery_envelope, key) };
        },
        ({ key, master }) => {
          assert.equal(key, v.recovery_key, v.comment);
          assert.equal(master, v.master_key, v.comment);
        },
      );
    } else {
      expect(
        v,
        () => sync.testingOpenRecoveryEnvelope(v.recovery_envelope, v.recovery_key),
        (master) => assert.equal(master, v.master_key, v.comment),
      );
    }
  },
  subkeys(v) {
    expect(
      v,
      () => sync.testingSubkeys(v.master_key),
      (out) => {
        for (const k of ['data_key', 'search_key', 'id_key', 'keyring_key']) assert.equal(out[k], v[k], `${v.comment}: ${k}`);
      },
    );
  },
  keyring(v) {
    expect(
      v,
      () => sync.testingOpenKeyring(v.master_key, v.key_id, v.key_version, v.entries),
      (opened) => assert.deepEqual(opened, v.opened, v.comment),
    );
    // The same keyring through a Keys handle: every key id held, current first.
    expect(
      v,
      () => {
        const keys = sync.testingKeysFromMaster(v.master_key, v.key_id, v.key_version, v.entries);
        try {
          return keys.keyIds;
        } finally {
          keys.free();
        }
      },
      (ids) => assert.deepEqual(ids, [v.key_id, ...v.opened.map((o) => o.key_id)], v.comment),
    );
  },
  blob(v, index) {
    const keys = sync.testingKeysFromDataKey(v.key_id, v.data_key);
    try {
      const blob = unb64(v.blob);
      expect(
        v,
        () => keys.decryptBlob(blob, v.context),
        (plain) => assert.equal(b64(plain), v.plaintext, v.comment),
      );
      // Streaming, with three different random splits, must agree with one-shot.
      for (const seed of [index + 1, index + 101, index + 1001]) {
        expect(
          v,
          () => streamOpen(keys, blob, v.context, seed),
          (plain) => assert.equal(b64(plain), v.plaintext, `${v.comment} (stream, seed ${seed})`),
        );
      }
    } finally {
      keys.free();
    }
  },
  token(v) {
    expect(
      v,
      () => sync.testingToken(v.search_key, v.field, v.bucket, v.term),
      (token) => assert.equal(token, v.token, v.comment),
    );
  },
  // Device linking: this package implements the joiner's side only (a browser is linked from a
  // desktop), so it runs every vector from the joiner's side: the ok vectors' messages 2 and 3
  // made byte for byte from message 1 and `joiner_random`, message 4 accepted, then the payload
  // (or pairing_denied); the delivery vectors of side `joiner`. The initiator's vectors are the
  // core's (cargo test -p sync-core).
  pairing(v) {
    const start = Date.parse(v.start);
    const joiner = () => sync.testingJoiner(v.joiner_code ?? v.code, v.device.name, v.device.os, start, v.joiner_random);
    if (v.messages) {
      const j = joiner();
      assert.deepEqual(sync.testingJoinerReceive(j, v.messages[0], start).send, [v.messages[1], v.messages[2]], v.comment);
      assert.deepEqual({ ...sync.testingJoinerReceive(j, v.messages[3], start) }, { confirmed: true }, v.comment);
      const last = attempt(() => sync.testingJoinerReceive(j, v.messages[4], start));
      if (v.approve) assert.equal(last.ok?.payload, v.payload, v.comment);
      else assert.equal(last.error, 'pairing_denied', v.comment);
      assert.equal(j.stage(), 'ended');
      pairingJoinerRuns += 1;
      return;
    }
    if (v.side !== 'joiner') return;
    const j = joiner();
    const at = v.at ? Date.parse(v.at) : start;
    v.deliver.forEach((message, i) => {
      if (i + 1 < v.deliver.length) {
        sync.testingJoinerReceive(j, message, start);
      } else {
        expect(v, () => sync.testingJoinerReceive(j, message, at));
      }
    });
    pairingJoinerRuns += 1;
  },
  terms(v) {
    expect(
      v,
      () => sync.terms(v.text),
      (terms) => assert.deepEqual(terms, v.terms, v.comment),
    );
  },
};

// Vector kinds whose API this package does not expose yet, with where they are checked instead.
// A kind missing from both lists fails the run below.
const notInThisPackage = {};

const files = readdirSync(vectorsDir)
  .filter((f) => f.endsWith('.json'))
  .sort();

test('the vector files are there', () => {
  assert.ok(files.length >= Object.keys(runners).length + Object.keys(notInThisPackage).length, `only ${files.join(', ')} in ${vectorsDir}`);
});

for (const file of files) {
  const doc = JSON.parse(readFileSync(path.join(vectorsDir, file), 'utf8'));
  if (notInThisPackage[doc.kind]) {
    test(`${file} (${doc.kind}): not in this package`, () => {
      assert.equal(runners[doc.kind], undefined, `${doc.kind} has a runner: remove it from notInThisPackage`);
      assert.ok(Array.isArray(doc.vectors) && doc.vectors.length > 0, 'no vectors');
    });
    continue;
  }
  test(`${file} (${doc.kind}, ${doc.vectors?.length} vectors)`, () => {
    const run = runners[doc.kind];
    assert.ok(run, `no runner for kind ${doc.kind}`);
    assert.ok(Array.isArray(doc.vectors) && doc.vectors.length > 0, 'no vectors');
    doc.vectors.forEach((vector, i) => {
      if (vector.expect !== undefined) assert.ok(['ok', 'error'].includes(vector.expect), `vector ${i}: expect ${vector.expect}`);
      run(vector, i);
    });
  });
}

test('the pairing vectors ran from the joiner\'s side', () => {
  const doc = JSON.parse(readFileSync(path.join(vectorsDir, 'pairing.json'), 'utf8'));
  const expected = doc.vectors.filter((v) => v.messages || v.side === 'joiner').length;
  assert.ok(expected >= 10, `only ${expected} joiner-side vectors`);
  assert.equal(pairingJoinerRuns, expected);
});
