//! The verification code printed on a case's letters (`Kode verifikasi:`), which the branch
//! recomputes from the records it received to confirm that a letter is genuine.
//!
//! A code is 16 characters of Crockford's base32 (`0-9`, `A-Z` without `I L O U`), printed in
//! four groups of four (`7K2Q-9XMD-B4TR-E1HC`): 80 bits made of
//!
//! - 20 bits naming the case: SHA-256 of `plkk-letter-case\n` and the case id, so the branch
//!   finds the case without the letter printing its id in the code;
//! - 50 bits naming the records the letter covers: SHA-256 over the case id and each record's
//!   id and content digest, in record id order ([`LetterRecord`]);
//! - 10 bits of check over the 70 before, so a mistyped or altered code is told apart from a
//!   code of a case the branch has not received (1 change in 1,024 passes the check).
//!
//! A record's content digest is SHA-256 of its content as canonical JSON (object keys sorted):
//! an intake's admitted values and a note as both the desk and the branch store them (the
//! domain's `Intake` and `Note`), a correction's author and reason ([`correction_content`]):
//! what the desk holds and the branch holds alike once the record was delivered.

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Crockford's base32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CHARS: usize = 16;
const CASE_BITS: u32 = 20;
const RECORDS_BITS: u32 = 50;
const CHECK_BITS: u32 = 10;

/// One record a letter covers: its id and the SHA-256 of its content ([`content_digest`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LetterRecord {
    /// The record's id (intake, correction or note).
    pub id: Uuid,
    /// [`content_digest`] of its content.
    pub digest: [u8; 32],
}

/// A letter's verification code (80 bits; see the module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LetterCode(u128);

/// SHA-256 of `content` as canonical JSON (object keys sorted at every level).
pub fn content_digest(content: &Value) -> [u8; 32] {
    let text = canonical(content).to_string();
    Sha256::digest(text.as_bytes()).into()
}

/// A correction's content for its digest: who made it and why (trimmed). Its changed values are
/// left out: the branch applies a correction over its own current values, so what it stores as
/// changed may differ from what the desk changed.
pub fn correction_content(author: &str, reason: &str) -> Value {
    json!({ "author": author, "reason": reason.trim() })
}

/// The code of a letter about `case_id` covering `records` (any order; each once).
pub fn letter_code(case_id: Uuid, records: &[LetterRecord]) -> LetterCode {
    let mut sorted = records.to_vec();
    sorted.sort_by_key(|record| record.id);
    sorted.dedup_by_key(|record| record.id);
    let mut hasher = Sha256::new();
    hasher.update(b"plkk-letter\n");
    hasher.update(case_id.to_string().as_bytes());
    for record in &sorted {
        hasher.update(b"\n");
        hasher.update(record.id.to_string().as_bytes());
        hasher.update(b" ");
        hasher.update(hex(&record.digest).as_bytes());
    }
    let records_bits = leading_bits(&hasher.finalize(), RECORDS_BITS);
    let body = (u128::from(case_hint(case_id)) << RECORDS_BITS) | records_bits;
    LetterCode((body << CHECK_BITS) | check(body))
}

/// The 20 bits of a code that name the case.
fn case_hint(case_id: Uuid) -> u32 {
    let digest = Sha256::digest(format!("plkk-letter-case\n{case_id}").as_bytes());
    u32::try_from(leading_bits(&digest, CASE_BITS)).unwrap_or(0)
}

/// The check bits of a code's first 70 bits.
fn check(body: u128) -> u128 {
    let digest = Sha256::digest(body.to_be_bytes());
    leading_bits(&digest, CHECK_BITS)
}

/// The first `bits` bits (at most 64) of `bytes`, as a number.
fn leading_bits(bytes: &[u8], bits: u32) -> u128 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes[..8]);
    u128::from(u64::from_be_bytes(first) >> (64 - bits))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut keys: Vec<&String> = object.keys().collect();
            keys.sort();
            let mut sorted = Map::new();
            for key in keys {
                sorted.insert(key.clone(), canonical(&object[key]));
            }
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

impl LetterCode {
    /// Reads a typed code: case, spaces and dashes ignored, `O` read as `0` and `I`/`L` as `1`
    /// (Crockford's reading). `None` when it is not 16 characters of the alphabet or its check
    /// fails: not a code any desk printed (mistyped or altered).
    pub fn parse(typed: &str) -> Option<LetterCode> {
        let mut value: u128 = 0;
        let mut count = 0;
        for character in typed.chars() {
            if character.is_whitespace() || character == '-' {
                continue;
            }
            let character = match character.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            let digit = ALPHABET
                .iter()
                .position(|letter| char::from(*letter) == character)?;
            count += 1;
            if count > CHARS {
                return None;
            }
            value = (value << 5) | digit as u128;
        }
        if count != CHARS {
            return None;
        }
        let body = value >> CHECK_BITS;
        (check(body) == value & ((1 << CHECK_BITS) - 1)).then_some(LetterCode(value))
    }

    /// Whether this code names `case_id` (its first 20 bits; another case shares them with a
    /// chance of 1 in about a million, so the records decide).
    pub fn names_case(&self, case_id: Uuid) -> bool {
        self.0 >> (RECORDS_BITS + CHECK_BITS) == u128::from(case_hint(case_id))
    }
}

impl std::fmt::Display for LetterCode {
    /// `XXXX-XXXX-XXXX-XXXX`.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for index in 0..CHARS {
            if index > 0 && index % 4 == 0 {
                formatter.write_str("-")?;
            }
            let shift = 5 * (CHARS - 1 - index);
            let digit = ((self.0 >> shift) & 0x1f) as usize;
            write!(formatter, "{}", char::from(ALPHABET[digit]))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, content: Value) -> LetterRecord {
        LetterRecord {
            id: Uuid::parse_str(id).unwrap(),
            digest: content_digest(&content),
        }
    }

    fn case() -> Uuid {
        Uuid::parse_str("019a0000-0000-7000-8000-000000000001").unwrap()
    }

    fn records() -> Vec<LetterRecord> {
        vec![
            record(
                "019a0000-0000-7000-8000-000000000001",
                json!({"nik": "3216055708900003", "full_name": "Siti"}),
            ),
            record(
                "019a0000-0000-7000-8000-000000000002",
                json!({"text": "Luka dibersihkan"}),
            ),
        ]
    }

    #[test]
    fn a_code_reads_back_as_itself_and_names_its_case() {
        let code = letter_code(case(), &records());
        let text = code.to_string();
        assert_eq!(text.len(), 19, "{text}");
        assert_eq!(text.matches('-').count(), 3, "{text}");
        assert_eq!(LetterCode::parse(&text), Some(code));
        assert_eq!(
            LetterCode::parse(&text.to_lowercase().replace('-', " ")),
            Some(code)
        );
        assert!(code.names_case(case()));
        assert!(!code.names_case(Uuid::nil()));
    }

    #[test]
    fn the_code_depends_on_the_records_not_their_order() {
        let mut reversed = records();
        reversed.reverse();
        assert_eq!(
            letter_code(case(), &records()),
            letter_code(case(), &reversed)
        );
        let fewer = &records()[..1];
        assert_ne!(letter_code(case(), &records()), letter_code(case(), fewer));
        let mut changed = records();
        changed[1] = record(
            "019a0000-0000-7000-8000-000000000002",
            json!({"text": "Luka dijahit"}),
        );
        assert_ne!(
            letter_code(case(), &records()),
            letter_code(case(), &changed)
        );
    }

    #[test]
    fn content_digests_ignore_key_order() {
        let one: Value = serde_json::from_str(r#"{"a":1,"b":{"c":2,"d":[3]}}"#).unwrap();
        let two: Value = serde_json::from_str(r#"{"b":{"d":[3],"c":2},"a":1}"#).unwrap();
        assert_eq!(content_digest(&one), content_digest(&two));
    }

    #[test]
    fn a_changed_character_fails_the_check() {
        let text = letter_code(case(), &records()).to_string();
        let mut failed = 0;
        let mut tried = 0;
        for position in (0..text.len()).filter(|index| *index % 5 != 4) {
            for replacement in ALPHABET.iter().map(|byte| char::from(*byte)) {
                let mut changed: Vec<char> = text.chars().collect();
                if changed[position] == replacement {
                    continue;
                }
                changed[position] = replacement;
                tried += 1;
                if LetterCode::parse(&changed.into_iter().collect::<String>()).is_none() {
                    failed += 1;
                }
            }
        }
        // 10 check bits: about one change in a thousand passes.
        assert!(failed * 100 >= tried * 99, "{failed} of {tried} refused");
    }

    #[test]
    fn malformed_codes_are_none() {
        for typed in [
            "",
            "ABCD",
            "7K2Q-9XMD-B4TR-E1HCX",
            "7K2Q-9XMD-B4TR-E1H!",
            "ÄK2Q9XMDB4TRE1HC",
        ] {
            assert_eq!(LetterCode::parse(typed), None, "{typed:?}");
        }
    }
}
