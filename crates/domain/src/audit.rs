//! The audit log's hash chain. Each entry holds the hash of the one before it, and its own hash
//! covers its sequence number, time, actor, action, subject, details and that previous hash. A
//! changed entry no longer matches its hash; a deleted or reordered entry breaks the link or the
//! sequence. The desk (`plkk audit verify`) and the branch (per device) check chains with the same
//! functions.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of a chain's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry of the audit log, as stored on the desk and sent to the branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEntry {
    /// 1, 2, 3 ... on one desk, without gaps.
    pub seq: i64,
    /// The desk's clock when it happened.
    pub at: DateTime<FixedOffset>,
    /// The username of who did it (or tried to, for a failed sign-in).
    pub actor: String,
    /// What happened: `sign_in`, `sign_in_failed`, `lock`, `open_case`, `admit`, ... (see
    /// [`AuditAction`]).
    pub action: String,
    /// What it happened to: a case id, an account's username, an export's date range.
    pub subject: Option<String>,
    /// More about it, as JSON text (hashed as written).
    pub detail: String,
    /// The hash of the entry before (or [`GENESIS_HASH`]).
    pub prev_hash: String,
    /// SHA-256 (hex) of this entry's content and `prev_hash`.
    pub hash: String,
}

/// Things the audit log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    /// The desk was set up (first administrator and recovery key).
    Setup,
    /// Someone signed in.
    SignIn,
    /// A sign-in failed (the name typed is kept, cut to its length).
    SignInFailed,
    /// Someone signed out.
    SignOut,
    /// The screen was locked.
    Lock,
    /// The screen was unlocked with a PIN or password.
    Unlock,
    /// A case was opened (its details shown).
    OpenCase,
    /// An intake was admitted.
    Admit,
    /// An intake was corrected.
    CorrectIntake,
    /// A treatment note was added.
    AddNote,
    /// Records were exported to CSV.
    Export,
    /// A case was printed.
    Print,
    /// An account was added.
    AccountAdded,
    /// An account was removed (deactivated).
    AccountRemoved,
    /// An account's PIN or role changed.
    AccountChanged,
    /// The desk was enrolled with a branch.
    Enroll,
    /// A setting changed.
    SettingsChanged,
    /// An older plain database was encrypted.
    DatabaseEncrypted,
    /// An act was refused for the person's role.
    Refused,
    /// A record the branch refused, put back in the queue.
    Resend,
    /// A BPU participant registered (Daftar BPU).
    RegisterBpu,
    /// A BPU registration opened.
    OpenRegistration,
    /// Reference data (a BPU tariff) imported from a file.
    ReferenceImported,
    /// A backup of the desk was written (detail: the file and its record counts).
    Backup,
    /// The desk was restored from a backup (detail: when the backup was made).
    Restore,
    /// Everything the desk holds about one person was written out for them (UU 27/2022).
    PatientReport,
    /// A document was attached to a case (detail: kind, SHA-256, bytes).
    AttachDocument,
    /// A document was opened or saved to a file.
    OpenDocument,
    /// A document was removed from a case (detail: the reason); it stays in the history.
    RemoveDocument,
}

impl AuditAction {
    /// The action's name in the log (`sign_in`, `admit`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Setup => "setup",
            AuditAction::SignIn => "sign_in",
            AuditAction::SignInFailed => "sign_in_failed",
            AuditAction::SignOut => "sign_out",
            AuditAction::Lock => "lock",
            AuditAction::Unlock => "unlock",
            AuditAction::OpenCase => "open_case",
            AuditAction::Admit => "admit",
            AuditAction::CorrectIntake => "correct_intake",
            AuditAction::AddNote => "add_note",
            AuditAction::Export => "export",
            AuditAction::Print => "print",
            AuditAction::AccountAdded => "account_added",
            AuditAction::AccountRemoved => "account_removed",
            AuditAction::AccountChanged => "account_changed",
            AuditAction::Enroll => "enroll",
            AuditAction::SettingsChanged => "settings_changed",
            AuditAction::DatabaseEncrypted => "database_encrypted",
            AuditAction::Refused => "refused",
            AuditAction::Resend => "resend",
            AuditAction::RegisterBpu => "register_bpu",
            AuditAction::OpenRegistration => "open_registration",
            AuditAction::ReferenceImported => "reference_imported",
            AuditAction::Backup => "backup",
            AuditAction::Restore => "restore",
            AuditAction::PatientReport => "patient_report",
            AuditAction::AttachDocument => "attach_document",
            AuditAction::OpenDocument => "open_document",
            AuditAction::RemoveDocument => "remove_document",
        }
    }
}

impl AuditEntry {
    /// Makes the entry that follows `prev` (or the first one), with its hash.
    pub fn next(
        prev: Option<(i64, &str)>,
        at: DateTime<FixedOffset>,
        actor: &str,
        action: &str,
        subject: Option<&str>,
        detail: &str,
    ) -> AuditEntry {
        let (prev_seq, prev_hash) = prev.unwrap_or((0, GENESIS_HASH));
        let mut entry = AuditEntry {
            seq: prev_seq + 1,
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: subject.map(str::to_owned),
            detail: detail.to_owned(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        entry.hash = entry.computed_hash();
        entry
    }

    /// The hash this entry's content should have. The content is serialised as one JSON array, so
    /// no two different entries share the hashed bytes.
    pub fn computed_hash(&self) -> String {
        // A tuple serialises as a JSON array: the same bytes as building a JSON value first,
        // without copying every text into it (the branch hashes every entry a desk sends).
        let content = (
            self.seq,
            self.at.to_rfc3339(),
            &self.actor,
            &self.action,
            &self.subject,
            &self.detail,
            &self.prev_hash,
        );
        let bytes = serde_json::to_vec(&content).unwrap_or_default();
        format!("{:x}", Sha256::digest(&bytes))
    }
}

/// Why a chain is broken at an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum BreakKind {
    /// The entry's content does not match its hash: it was modified.
    Altered,
    /// Entries are missing before this one (its sequence number skips).
    Missing,
    /// The entry does not follow the one stored before it (its `prev_hash` differs): the log was
    /// reordered, or the entry before was replaced.
    BrokenLink,
}

impl BreakKind {
    /// The kind's name: `altered`, `missing`, `broken_link`.
    pub fn as_str(&self) -> &'static str {
        match self {
            BreakKind::Altered => "altered",
            BreakKind::Missing => "missing",
            BreakKind::BrokenLink => "broken_link",
        }
    }
}

/// The first bad entry of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChainBreak {
    /// The sequence number stored on the bad entry.
    pub seq: i64,
    /// What is wrong with it.
    pub kind: BreakKind,
    /// For people: which entry and what is wrong.
    pub message: String,
}

/// Checks that `entry` is a sound successor of `prev` (`None`: the chain's first entry).
pub fn check_link(prev: Option<&AuditEntry>, entry: &AuditEntry) -> Result<(), ChainBreak> {
    let (expected_seq, expected_prev) = match prev {
        Some(prev) => (prev.seq + 1, prev.hash.as_str()),
        None => (1, GENESIS_HASH),
    };
    let broken = |kind: BreakKind, message: String| ChainBreak {
        seq: entry.seq,
        kind,
        message,
    };
    if entry.computed_hash() != entry.hash {
        return Err(broken(
            BreakKind::Altered,
            format!(
                "audit entry {} ({} by {}) was modified after it was written",
                entry.seq, entry.action, entry.actor
            ),
        ));
    }
    if entry.seq != expected_seq {
        return Err(broken(
            BreakKind::Missing,
            format!(
                "audit entry {} follows entry {}: entries were removed or reordered before it",
                entry.seq,
                expected_seq - 1
            ),
        ));
    }
    if entry.prev_hash != expected_prev {
        return Err(broken(
            BreakKind::BrokenLink,
            format!(
                "audit entry {} does not follow the entry stored before it: the log was reordered or an entry replaced",
                entry.seq
            ),
        ));
    }
    Ok(())
}

/// Checks a whole chain in stored order and names its first bad entry.
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
) -> Result<usize, ChainBreak> {
    let mut prev: Option<&AuditEntry> = None;
    let mut count = 0;
    for entry in entries {
        check_link(prev, entry)?;
        prev = Some(entry);
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hash of a known entry, pinned: desks and branches of every version compute the same.
    #[test]
    fn an_entrys_hash_is_sha256_of_its_content_as_a_json_array() {
        let entry = AuditEntry {
            seq: 7,
            at: DateTime::parse_from_rfc3339("2026-11-30T08:15:00+07:00").unwrap(),
            actor: "siti".into(),
            action: "admit".into(),
            subject: Some("Ma'rufah \"Ani\"".into()),
            detail: "{\"a\":1}".into(),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        };
        let content = r#"[7,"2026-11-30T08:15:00+07:00","siti","admit","Ma'rufah \"Ani\"","{\"a\":1}","0000000000000000000000000000000000000000000000000000000000000000"]"#;
        let expected: String = Sha256::digest(content.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert_eq!(entry.computed_hash(), expected);
        assert_eq!(
            AuditEntry {
                subject: None,
                ..entry.clone()
            }
            .computed_hash(),
            format!(
                "{:x}",
                Sha256::digest(content.replace(r#""Ma'rufah \"Ani\"""#, "null").as_bytes())
            )
        );
    }

    fn chain(length: usize) -> Vec<AuditEntry> {
        let at = DateTime::parse_from_rfc3339("2026-11-25T08:00:00+07:00").unwrap();
        let mut entries: Vec<AuditEntry> = Vec::new();
        for index in 0..length {
            let prev = entries.last().map(|entry| (entry.seq, entry.hash.as_str()));
            let entry = AuditEntry::next(
                prev,
                at,
                "rina",
                "open_case",
                Some("case"),
                &format!("{{\"n\":{index}}}"),
            );
            entries.push(entry);
        }
        entries
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify_chain(&chain(5)), Ok(5));
        assert_eq!(verify_chain(&[]), Ok(0));
    }

    #[test]
    fn a_modified_entry_is_named() {
        let mut entries = chain(5);
        entries[2].actor = "someone".into();
        let broken = verify_chain(&entries).unwrap_err();
        assert_eq!((broken.seq, broken.kind), (3, BreakKind::Altered));
    }

    #[test]
    fn a_modified_entry_with_a_recomputed_hash_breaks_the_next_link() {
        let mut entries = chain(5);
        entries[2].detail = "{}".into();
        entries[2].hash = entries[2].computed_hash();
        let broken = verify_chain(&entries).unwrap_err();
        assert_eq!((broken.seq, broken.kind), (4, BreakKind::BrokenLink));
    }

    #[test]
    fn a_deleted_entry_is_found() {
        let mut entries = chain(5);
        entries.remove(1);
        let broken = verify_chain(&entries).unwrap_err();
        assert_eq!((broken.seq, broken.kind), (3, BreakKind::Missing));
    }

    #[test]
    fn reordered_entries_are_found() {
        let mut entries = chain(5);
        entries.swap(1, 2);
        let broken = verify_chain(&entries).unwrap_err();
        assert_eq!(broken.seq, 3);
        // Renumbering the swapped entries does not hide it: the sequence number is hashed.
        entries[0..5]
            .iter_mut()
            .enumerate()
            .for_each(|(index, entry)| entry.seq = index as i64 + 1);
        assert_eq!(verify_chain(&entries).unwrap_err().kind, BreakKind::Altered);
    }
}
