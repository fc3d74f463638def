//! Subkeys of a master key (docs/FORMAT.md, "Subkeys"): `HKDF(master_key, info = "spsync/v1/<name>", 32)`.

use zeroize::Zeroizing;

use super::master::MasterSecret;
use crate::error::Result;
use crate::ids::BlobId;
use crate::primitives::hkdf::{hkdf_sha256, hmac_sha256};
use crate::primitives::secret::secret_bytes;

secret_bytes!(
    /// Seals and opens blobs (through a per-blob key).
    DataKey
);
secret_bytes!(
    /// Keys the search-token HMAC.
    SearchKey
);
secret_bytes!(
    /// Derives deterministic blob ids for packaged data.
    IdKey
);
secret_bytes!(
    /// Seals older master keys into keyring entries.
    KeyringKey
);

/// The four subkeys of one master key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subkeys {
    /// `HKDF(master, "spsync/v1/data")`.
    pub data: DataKey,
    /// `HKDF(master, "spsync/v1/search")`.
    pub search: SearchKey,
    /// `HKDF(master, "spsync/v1/id")`.
    pub id: IdKey,
    /// `HKDF(master, "spsync/v1/keyring")`.
    pub keyring: KeyringKey,
}

fn derive(master: &MasterSecret, info: &[u8]) -> Result<[u8; 32]> {
    hkdf_sha256::<32>(master.expose(), None, info)
}

impl Subkeys {
    /// Derives every subkey of `master`.
    pub fn derive(master: &MasterSecret) -> Result<Subkeys> {
        let data = Zeroizing::new(derive(master, b"spsync/v1/data")?);
        let search = Zeroizing::new(derive(master, b"spsync/v1/search")?);
        let id = Zeroizing::new(derive(master, b"spsync/v1/id")?);
        let keyring = Zeroizing::new(derive(master, b"spsync/v1/keyring")?);
        Ok(Subkeys {
            data: DataKey::from_bytes(*data),
            search: SearchKey::from_bytes(*search),
            id: IdKey::from_bytes(*id),
            keyring: KeyringKey::from_bytes(*keyring),
        })
    }
}

impl IdKey {
    /// `HMAC-SHA256(id_key, material)[0..16]`: the blob id of packaged data, so that packaging
    /// the same thing again gives the same id.
    pub fn derive_blob_id(&self, material: &[u8]) -> Result<BlobId> {
        let mac = hmac_sha256(self.expose(), material)?;
        let mut id = [0u8; 16];
        id.copy_from_slice(&mac[..16]);
        Ok(BlobId(id))
    }
}
