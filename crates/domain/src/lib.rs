//! The record contract of PLKK Desk: the intake (a work-accident case as admitted at the desk),
//! the treatment note and the BPU registration with its contribution tariff, their closed value
//! lists, and every rule DOMAIN.md and issue 11 state on them. Validation turns an untyped JSON
//! object (from a form, the CLI or sync) into a typed record plus warnings, or into every error
//! at once.
//!
//! Invariants: no IO, no clock (`now`/`today` are parameters), no randomness (new ids are
//! parameters). Issue `rule` codes are stable; the UI translates them.

#![deny(missing_docs)]

mod access;
mod audit;
mod bpu;
mod correction;
mod documents;
mod enums;
mod formats;
mod input;
mod intake;
mod issue;
mod letter_code;
pub mod limits;
mod nik;
pub mod normalise;
mod note;
mod reference;
mod spreadsheet;
mod tariff;

pub use access::{Action, Role};
pub use audit::{
    check_link, verify_chain, AuditAction, AuditEntry, BreakKind, ChainBreak, GENESIS_HASH,
};
pub use bpu::{
    check_contribution, validate_bpu, BpuRegistration, OnBehalfOf, BPU_AGE, BPU_FIELDS, PERIODS,
};
pub use correction::{
    apply_correction, check_correction, conflicting_fields, correct_intake, ConflictingField,
    Corrected, FieldChange,
};
pub use documents::{
    is_sha256_hex, prepare_document, removal_reason, sha256_hex, sniff, DocumentKind, MediaType,
    Prepared, JPEG_QUALITY, MAX_DECODED_SIDE_PX, MAX_INPUT_BYTES, MAX_SIDE_PX, MAX_STORED_BYTES,
    REMOVAL_REASON_MAX_CHARS,
};
pub use enums::{
    CaseCategory, Consent, Disposition, HeirRelation, Occupation, Outcome, PlaceType, Programme,
    Segment, Sex,
};
pub use input::JsonObject;
pub use intake::{validate_intake, Intake, INTAKE_FIELDS};
pub use issue::{Checked, Issue, Rejected, Severity};
pub use letter_code::{content_digest, correction_content, letter_code, LetterCode, LetterRecord};
pub use nik::{decode_nik, NikFacts};
pub use note::{validate_note, Note, NoteDraft, NoteFields, STAGE_TWO_DEADLINE};
pub use reference::{region_of_nik, search_icd10, Icd10Entry, Region};
pub use spreadsheet::neutralise;
pub use tariff::{rupiah, tariff_for, Band, Contribution, Discount, Quote, Tariff, TariffError};
