//! What the store answers with: the shapes the desktop app and `plkk --json` show. Each view is the
//! record itself (flattened, contract field names) plus what is derived from it.

use chrono::{DateTime, FixedOffset};
use plkk_domain::{FieldChange, Intake, Issue, JsonObject, Note, Outcome};
use serde::Serialize;
use uuid::Uuid;

use crate::case_status::BranchStatus;
use crate::conflicts::ConflictView;
use crate::outbox::{QuarantinedEntry, SyncState};

/// A record that was just written, with the warnings saved alongside it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Saved {
    pub id: Uuid,
    pub warnings: Vec<Issue>,
}

/// One row of the case list: the current values of the intake and what the desk derives from them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CaseListItem {
    #[serde(flatten)]
    pub intake: Intake,
    /// `accident_at` + 48 hours: when the stage I report is due at the branch.
    pub report_due_at: DateTime<FixedOffset>,
    /// The least advanced sync state of the case's records.
    pub sync_state: SyncState,
    pub closed: bool,
    pub warning_count: usize,
    /// The branch's status for the case, once pulled.
    pub branch_status: Option<BranchStatus>,
}

/// One change of an intake: revision 0 is the admission itself (no changes), then each correction.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Revision {
    pub revision: u32,
    pub written_at: DateTime<FixedOffset>,
    pub author: String,
    pub reason: Option<String>,
    pub changes: Vec<FieldChange>,
}

/// A treatment note as shown on its case.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoteView {
    #[serde(flatten)]
    pub note: Note,
    /// Ids of the later notes that correct this one.
    pub corrected_by: Vec<Uuid>,
    pub warnings: Vec<Issue>,
    pub sync_state: SyncState,
}

/// A whole case: current intake values, their history, and the treatment notes.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CaseDetail {
    #[serde(flatten)]
    pub intake: Intake,
    /// The current values again, every one as text, for screens that show fields generically.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, string>"))]
    pub fields: JsonObject,
    pub warnings: Vec<Issue>,
    pub report_due_at: DateTime<FixedOffset>,
    pub sync_state: SyncState,
    pub closed: bool,
    pub outcome: Option<Outcome>,
    /// When the stage II report (3a KK2) is due: 2 x 24 hours after the note that recorded the
    /// case's outcome (the doctor's certificate); none while the case is open.
    pub stage_two_due_at: Option<DateTime<FixedOffset>>,
    /// Oldest first.
    pub revisions: Vec<Revision>,
    /// Oldest first.
    pub notes: Vec<NoteView>,
    /// The branch's status for the case, once pulled.
    pub branch_status: Option<BranchStatus>,
    /// Corrections of this case the branch kept as conflicts (this desk's or another's).
    pub conflicts: Vec<ConflictView>,
    /// Records of this case the branch refused, waiting in quarantine with its reasons.
    pub quarantine: Vec<QuarantinedEntry>,
}
