//! HMAC-signed, expiring URLs for the local object store.
//!
//! A URL is `{public_url}/api/sync/objects/{user_id}/{blob_id}?size=N&expires=T&sig=HEX`. The
//! signature is HMAC-SHA256 under the server's URL secret over
//! `"spsync-url/v1\n" METHOD "\n" USER_ID/BLOB_ID "\n" SIZE "\n" EXPIRES`, so a URL is bound to
//! its method (`PUT` or `GET`), its object and its exact size, and stops working at `expires`
//! (Unix seconds). The signature is checked first and in constant time; only a genuine URL
//! can be reported as expired.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use sync_core::encoding::hex;

use crate::store::ObjectKey;

/// The HTTP method a URL is signed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlMethod {
    /// Upload.
    Put,
    /// Download.
    Get,
}

impl UrlMethod {
    fn as_str(self) -> &'static str {
        match self {
            UrlMethod::Put => "PUT",
            UrlMethod::Get => "GET",
        }
    }
}

/// Why a signed URL was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The signature is missing, malformed or wrong for this method, object, size and expiry.
    #[error("bad signature")]
    BadSignature,
    /// Genuine, but past its expiry.
    #[error("expired")]
    Expired,
}

/// The query parameters of a signed URL.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct SignedParams {
    /// The exact object size the URL is bound to.
    pub size: u64,
    /// Expiry, Unix seconds.
    pub expires: i64,
    /// HMAC-SHA256, 64 lowercase hex characters.
    pub sig: String,
}

/// Signs and verifies local object URLs.
#[derive(Clone)]
pub struct UrlSigner {
    secret: [u8; 32],
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner(..)")
    }
}

impl UrlSigner {
    /// A signer with this secret.
    pub fn new(secret: [u8; 32]) -> UrlSigner {
        UrlSigner { secret }
    }

    fn mac(&self, method: UrlMethod, key: &ObjectKey, size: u64, expires: i64) -> Hmac<Sha256> {
        // The key length is fixed at 32 bytes, which HMAC always accepts.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Default::default()));
        let message = format!("spsync-url/v1\n{}\n{}\n{}\n{}", method.as_str(), key.path(), size, expires);
        mac.update(message.as_bytes());
        mac
    }

    /// The signature's hex form.
    pub fn sign(&self, method: UrlMethod, key: &ObjectKey, size: u64, expires: i64) -> String {
        hex::encode(&self.mac(method, key, size, expires).finalize().into_bytes())
    }

    /// The full URL for `public_url` (no trailing slash).
    pub fn url(&self, public_url: &str, method: UrlMethod, key: &ObjectKey, size: u64, expires: i64) -> String {
        format!(
            "{public_url}{}/objects/{}?size={size}&expires={expires}&sig={}",
            sync_core::wire::BASE_PATH,
            key.path(),
            self.sign(method, key, size, expires)
        )
    }

    /// Checks a URL's parameters at `now` (Unix seconds).
    pub fn verify(&self, method: UrlMethod, key: &ObjectKey, params: &SignedParams, now: i64) -> Result<(), UrlError> {
        let sig = hex::decode_array::<32>(&params.sig, "signature").map_err(|_| UrlError::BadSignature)?;
        self.mac(method, key, params.size, params.expires).verify_slice(&sig).map_err(|_| UrlError::BadSignature)?;
        if now >= params.expires {
            return Err(UrlError::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_core::BlobId;

    #[test]
    fn binds_method_object_size_and_expiry() {
        let signer = UrlSigner::new([7; 32]);
        let key = ObjectKey { user_id: 3, blob_id: BlobId([1; 16]) };
        let sig = signer.sign(UrlMethod::Put, &key, 100, 2_000);
        let ok = SignedParams { size: 100, expires: 2_000, sig: sig.clone() };
        assert_eq!(signer.verify(UrlMethod::Put, &key, &ok, 1_000), Ok(()));
        assert_eq!(signer.verify(UrlMethod::Put, &key, &ok, 2_000), Err(UrlError::Expired));
        assert_eq!(signer.verify(UrlMethod::Get, &key, &ok, 1_000), Err(UrlError::BadSignature));
        let other = ObjectKey { user_id: 4, blob_id: BlobId([1; 16]) };
        assert_eq!(signer.verify(UrlMethod::Put, &other, &ok, 1_000), Err(UrlError::BadSignature));
        let bigger = SignedParams { size: 101, ..ok.clone() };
        assert_eq!(signer.verify(UrlMethod::Put, &key, &bigger, 1_000), Err(UrlError::BadSignature));
        let later = SignedParams { expires: 9_000, ..ok.clone() };
        assert_eq!(signer.verify(UrlMethod::Put, &key, &later, 3_000), Err(UrlError::BadSignature));
        let garbage = SignedParams { sig: "zz".into(), ..ok };
        assert_eq!(signer.verify(UrlMethod::Put, &key, &garbage, 1_000), Err(UrlError::BadSignature));
        let url = signer.url("http://h:1", UrlMethod::Get, &key, 5, 6);
        assert!(
            url.starts_with("http://h:1/api/sync/objects/3/01010101010101010101010101010101?size=5&expires=6&sig=")
        );
    }
}
