//! Device tokens and enrolment codes: how they are made, typed and hashed. Neither is ever stored
//! in clear; the database keeps the SHA-256 hex of each.

use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

/// Characters of an enrolment code: upper-case letters and digits without the look-alikes
/// 0/O and 1/I, so a code read over the phone is typed right.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const CODE_GROUPS: usize = 3;
const CODE_GROUP_LEN: usize = 4;

/// SHA-256 of `secret` as lower-case hex.
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// A new bearer token: 32 random bytes as hex.
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// A new enrolment code such as `K7QM-3XWD-P9RT`.
pub(crate) fn new_enrollment_code() -> String {
    let mut rng = rand::rng();
    let groups: Vec<String> = (0..CODE_GROUPS)
        .map(|_| {
            (0..CODE_GROUP_LEN)
                .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
                .collect()
        })
        .collect();
    groups.join("-")
}

/// The canonical form of a typed code (upper case, without dashes or spaces), or None when it
/// cannot be a code (wrong length or a character outside the alphabet).
pub fn normalize_enrollment_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid = code.len() == CODE_GROUPS * CODE_GROUP_LEN
        && code.bytes().all(|byte| CODE_ALPHABET.contains(&byte));
    valid.then_some(code)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
            let _ = write!(text, "{byte:02x}");
            text
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_normalized(typed: &str, expected: Option<&str>) {
        assert_eq!(
            normalize_enrollment_code(typed).as_deref(),
            expected,
            "typed {typed:?}"
        );
    }

    #[test]
    fn typed_codes_normalize_to_their_canonical_form() {
        check_normalized("K7QM-3XWD-P9RT", Some("K7QM3XWDP9RT"));
        check_normalized("k7qm 3xwd p9rt", Some("K7QM3XWDP9RT"));
        check_normalized(" K7QM3XWDP9RT ", Some("K7QM3XWDP9RT"));
        check_normalized("K7QM-3XWD-P9R", None);
        check_normalized("K7QM-3XWD-P9RTX", None);
        check_normalized("K0QM-3XWD-P9RT", None); // zero is not in the alphabet
        check_normalized("KIQM-3XWD-P9RT", None); // nor is I
        check_normalized("", None);
    }

    #[test]
    fn new_codes_have_the_documented_shape_and_differ() {
        let code = new_enrollment_code();
        assert_eq!(code.len(), 14, "{code}");
        assert_eq!(code.matches('-').count(), 2, "{code}");
        assert!(normalize_enrollment_code(&code).is_some(), "{code}");
        assert_ne!(code, new_enrollment_code(), "codes must be random");
    }

    #[test]
    fn tokens_are_64_hex_digits_and_random() {
        let token = new_token();
        assert_eq!(token.len(), 64);
        assert!(token.bytes().all(|byte| byte.is_ascii_hexdigit()));
        assert_ne!(token, new_token());
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(hash_secret("abc"), hash_secret("abd"));
    }
}
