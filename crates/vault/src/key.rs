//! The secrets themselves: the database's random data key and the clinic's recovery key. Both
//! are zeroed when dropped and neither `Debug` implementation shows the secret.

use std::fmt;

use rand::RngCore;
use zeroize::Zeroizing;

/// Length of the data key in bytes (256 bits).
pub(crate) const DATA_KEY_LEN: usize = 32;

/// The database's 256-bit data key. Zeroed when dropped; `Debug` never shows it.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; DATA_KEY_LEN]>);

impl DataKey {
    /// A new random key (OS randomness).
    pub fn generate() -> DataKey {
        let mut bytes = Zeroizing::new([0u8; DATA_KEY_LEN]);
        rand::rng().fill_bytes(&mut bytes[..]);
        DataKey(bytes)
    }

    /// The key as SQLCipher's raw-key literal: `x'<64 hex digits>'` (no PBKDF2 at open).
    pub fn sqlcipher_key(&self) -> String {
        let mut literal = String::with_capacity(3 + 2 * DATA_KEY_LEN);
        literal.push_str("x'");
        for byte in self.0.iter() {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            literal.push(char::from(DIGITS[usize::from(byte >> 4)]));
            literal.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
        }
        literal.push('\'');
        literal
    }

    /// The raw key bytes, for wrapping.
    pub(crate) fn bytes(&self) -> &[u8; DATA_KEY_LEN] {
        &self.0
    }

    /// A key from unwrapped bytes; `None` unless exactly 32 bytes.
    pub(crate) fn from_slice(bytes: &[u8]) -> Option<DataKey> {
        let mut key = Zeroizing::new([0u8; DATA_KEY_LEN]);
        if bytes.len() != DATA_KEY_LEN {
            return None;
        }
        key.copy_from_slice(bytes);
        Some(DataKey(key))
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// Crockford's base32 alphabet: digits and capital letters without I, L, O and U, so nothing
/// written on paper can be misread as another character.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a recovery key (5 random bits each: 140 bits).
const RECOVERY_CHARS: usize = 28;

/// Characters between dashes.
const GROUP: usize = 4;

/// The recovery key shown once at setup, e.g. `ABCD-EFGH-...` (at least 128 bits of randomness,
/// letters and digits without look-alikes, grouped by 4 for writing on paper; parsing ignores case,
/// spaces and dashes).
///
/// The format: 28 characters of Crockford's base32 (`0-9`, `A-Z` without `I L O U`), 140 random
/// bits, in seven dash-separated groups of four. When read back, `O` is taken as `0` and `I`/`L`
/// as `1`, as Crockford's scheme intends.
#[derive(Clone)]
pub struct RecoveryKey(Zeroizing<String>);

impl RecoveryKey {
    /// The key as shown to people: `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A new random recovery key.
    pub(crate) fn generate() -> RecoveryKey {
        let mut random = Zeroizing::new([0u8; RECOVERY_CHARS]);
        rand::rng().fill_bytes(&mut random[..]);
        let mut text = Zeroizing::new(String::with_capacity(
            RECOVERY_CHARS + RECOVERY_CHARS / GROUP,
        ));
        for (i, byte) in random.iter().enumerate() {
            if i > 0 && i % GROUP == 0 {
                text.push('-');
            }
            // 256 is a multiple of 32, so the low five bits are uniform.
            text.push(char::from(ALPHABET[usize::from(byte & 0x1f)]));
        }
        RecoveryKey(text)
    }

    /// The canonical secret (28 capital characters, no dashes) that the recovery wrap is derived
    /// from. Used for both a generated key and a typed one.
    pub(crate) fn canonical(&self) -> Zeroizing<String> {
        canonical_recovery(&self.0).unwrap_or_default()
    }
}

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(..)")
    }
}

/// Reads a typed recovery key: ignores case, whitespace and dashes, reads `O` as `0` and `I`/`L`
/// as `1`. `None` when a character is outside the alphabet or the length is wrong.
pub(crate) fn canonical_recovery(typed: &str) -> Option<Zeroizing<String>> {
    let mut out = Zeroizing::new(String::with_capacity(RECOVERY_CHARS));
    for c in typed.chars() {
        if c.is_whitespace() || c == '-' {
            continue;
        }
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == RECOVERY_CHARS).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlcipher_literal_is_lowercase_hex() {
        let key = DataKey::from_slice(&[0xAB; 32]).unwrap();
        let literal = key.sqlcipher_key();
        assert_eq!(literal, format!("x'{}'", "ab".repeat(32)));
        assert_eq!(literal.len(), 67);
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(
            DataKey::generate().sqlcipher_key(),
            DataKey::generate().sqlcipher_key()
        );
    }

    #[test]
    fn debug_hides_the_keys() {
        let key = DataKey::generate();
        let hex = key.sqlcipher_key();
        let shown = format!("{key:?}");
        assert_eq!(shown, "DataKey(..)");
        assert!(!shown.contains(&hex[2..66]));
        let recovery = RecoveryKey::generate();
        assert_eq!(format!("{recovery:?}"), "RecoveryKey(..)");
    }

    #[test]
    fn recovery_key_format() {
        let key = RecoveryKey::generate();
        let groups: Vec<&str> = key.as_str().split('-').collect();
        assert_eq!(groups.len(), 7);
        for group in groups {
            assert_eq!(group.len(), 4);
            assert!(group.bytes().all(|b| ALPHABET.contains(&b)));
        }
        assert_eq!(key.canonical().len(), 28);
        assert_ne!(key.as_str(), RecoveryKey::generate().as_str());
    }

    #[test]
    fn recovery_parsing_is_lenient_but_strict_about_content() {
        let key = RecoveryKey::generate();
        let canonical = key.canonical();
        let sloppy = key.as_str().to_lowercase().replace('-', " ");
        assert_eq!(canonical_recovery(&sloppy).unwrap(), canonical);
        assert_eq!(
            canonical_recovery("oOiI-lL00-1111-2222-3333-4444-5555")
                .unwrap()
                .as_str(),
            "0011110011112222333344445555"
        );
        assert!(canonical_recovery("UUUU-0000-0000-0000-0000-0000-0000").is_none());
        assert!(canonical_recovery("0000-0000").is_none());
        assert!(canonical_recovery("é000-0000-0000-0000-0000-0000-0000").is_none());
    }
}
