//! The key hierarchy end to end: account creation, unlock, password change, recovery, rotation
//! with the keyring, the rollback rule, KDF floors, and `Debug` output that hides every secret.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use sync_core::blob::{BlobContext, SealOptions, open_blob, seal_blob};
use sync_core::hazmat::random::SeededRandom;
use sync_core::keys::envelope::open_envelope;
use sync_core::keys::recovery::open_recovery_envelope;
use sync_core::keys::{KdfParams, KeySet, KeyVersionGuard, RecoveryKey};
use sync_core::search::query_tokens;
use sync_core::wire::Envelope;
use sync_core::{BlobId, BlobType, DeviceId, UnixMillis};

/// The cheapest parameters the bounds allow, to keep tests fast.
const FAST: KdfParams = KdfParams { m_kib: 19_456, t: 2, p: 1 };
const PASSWORD: &str = "plum-harbor-violet-7-engine";
const NEW_PASSWORD: &str = "saffron quarry lantern 42 drift";

fn ctx() -> BlobContext {
    BlobContext {
        blob_id: BlobId([1; 16]),
        blob_type: BlobType::Audio,
        device_id: DeviceId::new("phone").unwrap(),
        time_start: UnixMillis(1_000),
        time_end: UnixMillis(2_000),
    }
}

#[test]
fn create_unlock_change_password_recover() {
    let mut rng = SeededRandom::new(1);
    let account = KeySet::create_account(PASSWORD, &FAST, &mut rng).unwrap();
    assert_eq!(account.keys.current_version(), 1);
    assert_eq!(account.envelope.key_id, account.keys.current_key_id());
    let blob = seal_blob(
        account.keys.current_data_key(),
        account.keys.current_key_id(),
        &ctx(),
        b"sound",
        &SealOptions::for_type(BlobType::Audio),
        &mut rng,
    )
    .unwrap();

    let mut guard = KeyVersionGuard::new();
    let keys = KeySet::unlock(&account.envelope, PASSWORD, &[], &mut guard).unwrap();
    assert_eq!(guard.key_version, Some(1));
    assert_eq!(open_blob(&keys.data_keys(), &ctx(), &blob).unwrap(), b"sound");
    assert_eq!(KeySet::unlock(&account.envelope, "nope", &[], &mut guard).unwrap_err().code(), "wrong_password");
    assert_eq!(KeySet::unlock(&account.envelope, "", &[], &mut guard).unwrap_err().code(), "empty_password");

    // Password change: new salt and nonce, same master key and version.
    let changed = keys.change_password(NEW_PASSWORD, &FAST, &mut rng).unwrap();
    assert_eq!(changed.key_id, account.envelope.key_id);
    assert_eq!(changed.key_version, 1);
    assert_ne!(changed.salt, account.envelope.salt);
    assert_eq!(open_envelope(&changed, PASSWORD).unwrap_err().code(), "wrong_password");
    let again = KeySet::unlock(&changed, NEW_PASSWORD, &[], &mut guard).unwrap();
    assert_eq!(open_blob(&again.data_keys(), &ctx(), &blob).unwrap(), b"sound");
    assert_eq!(keys.change_password("password1", &FAST, &mut rng).unwrap_err().code(), "weak_password");

    // Recovery: the phrase opens the recovery envelope; then a new password.
    let phrase = account.recovery_phrase.expose().to_owned();
    let recovered = KeySet::unlock_with_recovery(&account.recovery_envelope, &phrase, &[], &mut guard).unwrap();
    assert_eq!(open_blob(&recovered.data_keys(), &ctx(), &blob).unwrap(), b"sound");
    let reset = recovered.change_password("a whole new secret, 1999 edition", &FAST, &mut rng).unwrap();
    KeySet::unlock(&reset, "a whole new secret, 1999 edition", &[], &mut guard).unwrap();
    // Another valid phrase does not open it.
    let other = RecoveryKey::make(&mut rng).unwrap().to_phrase().unwrap();
    assert_eq!(
        KeySet::unlock_with_recovery(&account.recovery_envelope, other.expose(), &[], &mut guard).unwrap_err().code(),
        "wrong_password"
    );
    assert_eq!(
        KeySet::unlock_with_recovery(&account.recovery_envelope, "abandon art", &[], &mut guard).unwrap_err().code(),
        "bad_mnemonic"
    );
}

#[test]
fn weak_passwords_and_kdf_floors_are_refused_at_creation() {
    let mut rng = SeededRandom::new(2);
    assert_eq!(KeySet::create_account("hunter2", &FAST, &mut rng).unwrap_err().code(), "weak_password");
    assert_eq!(KeySet::create_account("", &FAST, &mut rng).unwrap_err().code(), "empty_password");
    for weak in [
        KdfParams { m_kib: 19_455, t: 2, p: 1 },
        KdfParams { m_kib: 65_536, t: 1, p: 4 },
        KdfParams { m_kib: 65_536, t: 3, p: 17 },
        KdfParams { m_kib: 262_145, t: 3, p: 4 },
    ] {
        assert_eq!(KeySet::create_account(PASSWORD, &weak, &mut rng).unwrap_err().code(), "params_out_of_bounds");
    }
    // A server cannot weaken an existing envelope either: it is refused before any work.
    let account = KeySet::create_account(PASSWORD, &FAST, &mut rng).unwrap();
    let mut weakened: Envelope = account.envelope.clone();
    weakened.kdf.m_kib = 1024;
    assert_eq!(open_envelope(&weakened, PASSWORD).unwrap_err().code(), "params_out_of_bounds");
    let mut short_salt = account.envelope.clone();
    short_salt.salt.truncate(8);
    assert_eq!(open_envelope(&short_salt, PASSWORD).unwrap_err().code(), "params_out_of_bounds");
    // Parameters are authenticated: a stronger claim does not open either.
    let mut changed = account.envelope;
    changed.kdf.t = 3;
    assert_eq!(open_envelope(&changed, PASSWORD).unwrap_err().code(), "wrong_password");
}

#[test]
fn rotation_keyring_and_rollback() {
    let mut rng = SeededRandom::new(3);
    let account = KeySet::create_account(PASSWORD, &FAST, &mut rng).unwrap();
    let v1 = account.keys.clone();
    let old_blob = seal_blob(
        v1.current_data_key(),
        v1.current_key_id(),
        &ctx(),
        b"old",
        &SealOptions::for_type(BlobType::Audio),
        &mut rng,
    )
    .unwrap();

    assert_eq!(v1.rotate(&account.envelope, "wrong", &FAST, &mut rng).unwrap_err().code(), "wrong_password");
    let r2 = v1.rotate(&account.envelope, PASSWORD, &FAST, &mut rng).unwrap();
    assert_eq!(r2.keys.current_version(), 2);
    assert_ne!(r2.keys.current_key_id(), v1.current_key_id());
    assert_eq!(r2.keyring.len(), 1);
    assert_eq!(r2.keyring[0].key_id, v1.current_key_id());

    let mut guard = KeyVersionGuard::new();
    let k2 = KeySet::unlock(&r2.envelope, PASSWORD, &r2.keyring, &mut guard).unwrap();
    assert_eq!(k2.key_ids(), vec![r2.keys.current_key_id(), v1.current_key_id()]);
    assert_eq!(open_blob(&k2.data_keys(), &ctx(), &old_blob).unwrap(), b"old");
    // New blobs use the newest key.
    let new_blob = seal_blob(
        k2.current_data_key(),
        k2.current_key_id(),
        &ctx(),
        b"new",
        &SealOptions::for_type(BlobType::Audio),
        &mut rng,
    )
    .unwrap();
    assert_eq!(open_blob(&v1.data_keys(), &ctx(), &new_blob).unwrap_err().code(), "unknown_key");

    // Second rotation: the keyring holds both older keys.
    let r3 = k2.rotate(&r2.envelope, PASSWORD, &FAST, &mut rng).unwrap();
    let k3 = KeySet::unlock(&r3.envelope, PASSWORD, &r3.keyring, &mut guard).unwrap();
    assert_eq!(k3.current_version(), 3);
    assert_eq!(k3.key_ids().len(), 3);
    assert_eq!(open_blob(&k3.data_keys(), &ctx(), &old_blob).unwrap(), b"old");
    // Queries search under every key.
    let q = query_tokens(k3.token_keys(), "hello", UnixMillis(0), UnixMillis(1)).unwrap();
    assert_eq!(q.len(), 3);

    // Rollback: the guard has seen v3 and refuses v2 and v1, from envelopes and recovery.
    assert_eq!(guard.key_version, Some(3));
    assert_eq!(KeySet::unlock(&r2.envelope, PASSWORD, &r2.keyring, &mut guard).unwrap_err().code(), "rollback");
    assert_eq!(KeySet::unlock(&account.envelope, PASSWORD, &[], &mut guard).unwrap_err().code(), "rollback");
    assert_eq!(
        KeySet::unlock_with_recovery(&r2.recovery_envelope, r2.recovery_phrase.expose(), &r2.keyring, &mut guard)
            .unwrap_err()
            .code(),
        "rollback"
    );
    assert_eq!(guard.check_new_user().unwrap_err().code(), "rollback");
    // The old recovery phrase stops working for the new recovery envelope.
    let old_phrase = RecoveryKey::from_phrase(account.recovery_phrase.expose()).unwrap();
    assert_eq!(open_recovery_envelope(&r3.recovery_envelope, &old_phrase).unwrap_err().code(), "wrong_password");
    // The new one works.
    KeySet::unlock_with_recovery(&r3.recovery_envelope, r3.recovery_phrase.expose(), &r3.keyring, &mut guard).unwrap();

    // A keyring from another master does not open; a keyring naming the current key is malformed.
    assert_eq!(KeySet::unlock(&r3.envelope, PASSWORD, &r2.keyring, &mut guard).unwrap_err().code(), "tampered");
    let mut self_named = r3.keyring.clone();
    self_named[0].key_id = r3.envelope.key_id;
    assert_eq!(KeySet::unlock(&r3.envelope, PASSWORD, &self_named, &mut guard).unwrap_err().code(), "malformed");
}

#[test]
fn debug_output_hides_every_secret() {
    let mut rng = SeededRandom::new(4);
    let account = KeySet::create_account(PASSWORD, &FAST, &mut rng).unwrap();
    let phrase = account.recovery_phrase.expose().to_owned();
    let keys = &account.keys;
    let master = open_envelope(&account.envelope, PASSWORD).unwrap();
    let secret_hex: String = master.secret.expose().iter().map(|b| format!("{b:02x}")).collect();
    let data_hex: String = keys.current_data_key().expose().iter().map(|b| format!("{b:02x}")).collect();
    let printed = [
        format!("{account:?}"),
        format!("{keys:?}"),
        format!("{master:?}"),
        format!("{:?}", keys.current_data_key()),
        format!("{:?}", keys.id_key()),
        format!("{:?}", keys.token_keys()),
        format!("{:?}", keys.data_keys()),
        format!("{:#?}", account.recovery_phrase),
    ];
    for text in &printed {
        assert!(!text.contains(&secret_hex) && !text.contains(&data_hex), "{text}");
        assert!(!text.contains(&format!("{:?}", master.secret.expose())), "{text}");
        assert!(!text.contains(&format!("{:?}", keys.current_data_key().expose())), "{text}");
        for word in phrase.split(' ') {
            assert!(!text.contains(&format!(" {word} ")), "{text}");
        }
    }
    // Snapshots of the redacted forms.
    assert_eq!(format!("{:?}", keys.current_data_key()), "DataKey(<redacted>)");
    assert_eq!(format!("{:?}", account.recovery_phrase), "RecoveryPhrase(<redacted>)");
    assert_eq!(format!("{:?}", master.secret), "MasterSecret(<redacted>)");
    assert!(printed[1].starts_with("KeySet { current: KeyId("));
}
