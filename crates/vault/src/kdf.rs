//! Password-based key derivation with argon2id: the key-encryption keys of the keyring's wraps,
//! and PHC hashes for PINs. The cost parameters travel with what they produced (in each wrap,
//! inside each PHC string), so raising `DESK` later does not lock anyone out.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, PasswordHash, Version};
use zeroize::Zeroizing;

/// Length of a derived key-encryption key (XChaCha20-Poly1305 key).
pub(crate) const KEK_LEN: usize = 32;

/// argon2id cost. `DESK` is for a 4 GB, 2-core clinic PC (~0.2 s here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl KdfParams {
    pub const DESK: KdfParams = KdfParams {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 2,
    };

    /// Tests and demos only (8 MiB, one pass): what `PLKK_KDF=fast` selects. Far too cheap to
    /// protect real patient data against a stolen keyring.
    pub const FAST: KdfParams = KdfParams {
        memory_kib: 8 * 1024,
        iterations: 1,
        parallelism: 1,
    };

    /// The cost a program's setting names: `"fast"` gives [`KdfParams::FAST`] (tests and demos
    /// only), anything else (or none) [`KdfParams::DESK`]. The programs read the setting from
    /// `PLKK_KDF`; only new wraps and hashes use it, unwrapping uses the parameters stored with
    /// the wrap.
    pub fn from_setting(setting: Option<&str>) -> KdfParams {
        match setting {
            Some("fast") => KdfParams::FAST,
            _ => KdfParams::DESK,
        }
    }

    /// Tests and demos only: `PLKK_KDF=fast` in the environment gives 8 MiB, 1 pass (documented
    /// as such); anything else gives `DESK`. Used only when a wrap is made; unwrapping uses the
    /// parameters stored with the wrap.
    pub fn from_environment() -> KdfParams {
        match std::env::var("PLKK_KDF") {
            Ok(value) if value == "fast" => KdfParams::FAST,
            _ => KdfParams::DESK,
        }
    }

    /// The argon2id instance for these parameters, or why argon2 refuses them.
    pub(crate) fn argon2(self) -> Result<Argon2<'static>, argon2::Error> {
        let params = Params::new(
            self.memory_kib,
            self.iterations,
            self.parallelism,
            Some(KEK_LEN),
        )?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Derives a 32-byte key-encryption key from `secret` and `salt`.
pub(crate) fn derive_kek(
    params: KdfParams,
    secret: &[u8],
    salt: &[u8],
) -> Result<Zeroizing<[u8; KEK_LEN]>, argon2::Error> {
    let mut kek = Zeroizing::new([0u8; KEK_LEN]);
    params
        .argon2()?
        .hash_password_into(secret, salt, &mut kek[..])?;
    Ok(kek)
}

/// argon2id PHC hash of a PIN (or any short secret), with a random salt.
///
/// The cost is [`KdfParams::from_environment`]. Panics only if the operating system's random
/// number generator fails.
pub fn hash_secret(secret: &str) -> String {
    let argon2 = KdfParams::from_environment()
        .argon2()
        .expect("the built-in argon2 parameters are valid");
    argon2
        .hash_password(secret.as_bytes())
        .expect("argon2id hashing with a fresh random salt")
        .to_string()
}

/// argon2id PHC hash of a PIN (or any short secret) at the cost `params`, with a random salt.
///
/// Panics only if the operating system's random number generator fails, or if `params` are
/// outside argon2's limits (pass [`KdfParams::DESK`] or [`KdfParams::FAST`]).
pub fn hash_secret_with(secret: &str, params: KdfParams) -> String {
    let argon2 = params
        .argon2()
        .expect("the built-in argon2 parameters are valid");
    argon2
        .hash_password(secret.as_bytes())
        .expect("argon2id hashing with a fresh random salt")
        .to_string()
}

/// Whether `secret` matches a PHC string from [`hash_secret`]; false for a damaged string.
pub fn verify_secret(phc: &str, secret: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    if hash.algorithm != argon2::ARGON2ID_IDENT {
        return false;
    }
    // The parameters and salt come from the PHC string, not from this instance.
    Argon2::default()
        .verify_password(secret.as_bytes(), &hash)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_valid_for_argon2() {
        assert!(KdfParams::DESK.argon2().is_ok());
        assert!(KdfParams::FAST.argon2().is_ok());
        let nonsense = KdfParams {
            memory_kib: 0,
            iterations: 0,
            parallelism: 0,
        };
        assert!(nonsense.argon2().is_err());
    }

    #[test]
    fn derivation_depends_on_secret_and_salt() {
        let salt = [7u8; 16];
        let a = derive_kek(KdfParams::FAST, b"secret", &salt).unwrap();
        let b = derive_kek(KdfParams::FAST, b"secret", &salt).unwrap();
        let c = derive_kek(KdfParams::FAST, b"secreT", &salt).unwrap();
        let d = derive_kek(KdfParams::FAST, b"secret", &[8u8; 16]).unwrap();
        assert_eq!(*a, *b);
        assert_ne!(*a, *c);
        assert_ne!(*a, *d);
    }

    #[test]
    fn secret_hash_round_trip() {
        let phc = hash_secret("4711");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_secret(&phc, "4711"));
        assert!(!verify_secret(&phc, "4712"));
        assert!(!verify_secret(&phc, ""));
        // A fresh salt each time.
        assert_ne!(phc, hash_secret("4711"));
    }

    #[test]
    fn a_setting_names_the_cost() {
        assert_eq!(KdfParams::from_setting(Some("fast")), KdfParams::FAST);
        assert_eq!(KdfParams::from_setting(Some("slow")), KdfParams::DESK);
        assert_eq!(KdfParams::from_setting(None), KdfParams::DESK);
        let phc = hash_secret_with("4711", KdfParams::FAST);
        assert!(phc.contains("m=8192,t=1,p=1"), "{phc}");
        assert!(verify_secret(&phc, "4711"));
    }

    #[test]
    fn damaged_phc_strings_never_verify() {
        assert!(!verify_secret("", "4711"));
        assert!(!verify_secret("garbage", "4711"));
        assert!(!verify_secret("$argon2id$v=19$m=8192,t=1,p=1$", "4711"));
        let phc = hash_secret("4711");
        let truncated = &phc[..phc.len() - 10];
        assert!(!verify_secret(truncated, "4711"));
    }
}
