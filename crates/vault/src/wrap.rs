//! One wrap of the data key: XChaCha20-Poly1305 under a key derived with argon2id from a
//! password (or the recovery key), with a fresh random salt and nonce each time. The associated
//! data names who the wrap is for, so a wrap copied to another account's entry does not open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use zeroize::Zeroizing;

use crate::kdf::{derive_kek, KdfParams};
use crate::key::{DataKey, DATA_KEY_LEN};

pub(crate) const SALT_LEN: usize = 16;
pub(crate) const NONCE_LEN: usize = 24;
/// The data key plus the 16-byte Poly1305 tag.
pub(crate) const CIPHERTEXT_LEN: usize = DATA_KEY_LEN + 16;

/// Who a wrap belongs to; bound into the ciphertext as associated data.
#[derive(Debug, Clone, Copy)]
pub(crate) enum WrapOwner<'a> {
    Account(&'a str),
    Recovery,
}

impl WrapOwner<'_> {
    /// Prefixed so that no username (not even "recovery") can equal the recovery wrap's label.
    fn associated_data(self) -> Vec<u8> {
        match self {
            WrapOwner::Account(username) => format!("plkk-vault/1 account:{username}").into_bytes(),
            WrapOwner::Recovery => b"plkk-vault/1 recovery".to_vec(),
        }
    }
}

/// The data key encrypted under a secret, as stored in `keyring.json` (byte strings in hex).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Wrap {
    pub kdf: KdfParams,
    pub salt: String,
    pub nonce: String,
    pub ciphertext: String,
}

/// A wrap's byte strings, decoded and of the right lengths.
struct Decoded {
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    ciphertext: [u8; CIPHERTEXT_LEN],
}

/// Why a stored wrap cannot be used at all (as opposed to a wrong secret).
#[derive(Debug)]
pub(crate) struct Malformed(pub String);

/// Why unwrapping failed.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// The secret (or the owner) is not the one the wrap was made with.
    WrongSecret,
    Malformed(Malformed),
}

impl Wrap {
    /// Wraps `key` for `owner` under `secret`.
    ///
    /// Panics if `params` are outside argon2's limits (a programming error: callers pass
    /// [`KdfParams::DESK`], [`KdfParams::FAST`] or [`KdfParams::from_environment`]).
    pub fn seal(key: &DataKey, owner: WrapOwner<'_>, secret: &[u8], params: KdfParams) -> Wrap {
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        let mut rng = rand::rng();
        rng.fill_bytes(&mut salt);
        rng.fill_bytes(&mut nonce);
        let kek = derive_kek(params, secret, &salt)
            .unwrap_or_else(|e| panic!("argon2 refuses the parameters {params:?}: {e}"));
        let cipher = XChaCha20Poly1305::new_from_slice(&kek[..]).expect("a 32-byte key");
        let aad = owner.associated_data();
        let ciphertext = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &key.bytes()[..],
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 encrypts 32 bytes");
        Wrap {
            kdf: params,
            salt: hex::encode(salt),
            nonce: hex::encode(nonce),
            ciphertext: hex::encode(ciphertext),
        }
    }

    /// Checks the stored fields without the secret: hex of the right lengths, usable parameters.
    pub fn validate(&self) -> Result<(), Malformed> {
        self.decoded().map(|_| ())
    }

    fn decoded(&self) -> Result<Decoded, Malformed> {
        fn fixed<const N: usize>(field: &str, text: &str) -> Result<[u8; N], Malformed> {
            let mut out = [0u8; N];
            hex::decode_to_slice(text, &mut out)
                .map_err(|_| Malformed(format!("{field} is not {} hex digits", 2 * N)))?;
            Ok(out)
        }
        let salt = fixed::<SALT_LEN>("salt", &self.salt)?;
        let nonce = fixed::<NONCE_LEN>("nonce", &self.nonce)?;
        let ciphertext = fixed::<CIPHERTEXT_LEN>("ciphertext", &self.ciphertext)?;
        self.kdf
            .argon2()
            .map_err(|e| Malformed(format!("unusable argon2 parameters {:?}: {e}", self.kdf)))?;
        Ok(Decoded {
            salt,
            nonce,
            ciphertext,
        })
    }

    /// Unwraps the data key with `secret`; the AEAD tag tells a wrong secret.
    pub fn open(&self, owner: WrapOwner<'_>, secret: &[u8]) -> Result<DataKey, OpenError> {
        let Decoded {
            salt,
            nonce,
            ciphertext,
        } = self.decoded().map_err(OpenError::Malformed)?;
        let kek = derive_kek(self.kdf, secret, &salt)
            .map_err(|e| OpenError::Malformed(Malformed(format!("argon2 failed: {e}"))))?;
        let cipher = XChaCha20Poly1305::new_from_slice(&kek[..]).expect("a 32-byte key");
        let aad = owner.associated_data();
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: &ciphertext[..],
                        aad: &aad,
                    },
                )
                .map_err(|_| OpenError::WrongSecret)?,
        );
        DataKey::from_slice(&plain).ok_or_else(|| {
            OpenError::Malformed(Malformed("the wrapped key is not 32 bytes".into()))
        })
    }
}

/// The same argon2 work as opening a wrap made with `params`, for a username that has none, so
/// that the time taken does not tell whether the username exists.
pub(crate) fn dummy_derivation(params: KdfParams, secret: &[u8]) {
    let mut salt = [0u8; SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    let _ = derive_kek(params, secret, &salt);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open() {
        let key = DataKey::generate();
        let wrap = Wrap::seal(&key, WrapOwner::Account("ana"), b"pw", KdfParams::FAST);
        wrap.validate().unwrap();
        let opened = wrap.open(WrapOwner::Account("ana"), b"pw").unwrap();
        assert_eq!(opened.sqlcipher_key(), key.sqlcipher_key());
        assert!(matches!(
            wrap.open(WrapOwner::Account("ana"), b"pW"),
            Err(OpenError::WrongSecret)
        ));
    }

    #[test]
    fn a_wrap_is_bound_to_its_owner() {
        let key = DataKey::generate();
        let wrap = Wrap::seal(&key, WrapOwner::Account("ana"), b"pw", KdfParams::FAST);
        assert!(matches!(
            wrap.open(WrapOwner::Account("ben"), b"pw"),
            Err(OpenError::WrongSecret)
        ));
        let wrap = Wrap::seal(&key, WrapOwner::Account("recovery"), b"pw", KdfParams::FAST);
        assert!(matches!(
            wrap.open(WrapOwner::Recovery, b"pw"),
            Err(OpenError::WrongSecret)
        ));
    }

    #[test]
    fn fresh_salt_and_nonce_per_wrap() {
        let key = DataKey::generate();
        let a = Wrap::seal(&key, WrapOwner::Recovery, b"pw", KdfParams::FAST);
        let b = Wrap::seal(&key, WrapOwner::Recovery, b"pw", KdfParams::FAST);
        assert_ne!(a.salt, b.salt);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn malformed_fields_are_reported() {
        let key = DataKey::generate();
        let good = Wrap::seal(&key, WrapOwner::Recovery, b"pw", KdfParams::FAST);
        let mut bad = good.clone();
        bad.salt.pop();
        assert!(bad.validate().is_err());
        let mut bad = good.clone();
        bad.ciphertext = "zz".repeat(CIPHERTEXT_LEN);
        assert!(bad.validate().is_err());
        let mut bad = good;
        bad.kdf.memory_kib = 0;
        assert!(bad.validate().is_err());
        assert!(matches!(
            bad.open(WrapOwner::Recovery, b"pw"),
            Err(OpenError::Malformed(_))
        ));
    }
}
