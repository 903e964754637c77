//! Who may do what (Permenkes 24/2022: rights per person to input, correct and view). The matrix
//! lives here so that every host (the window, `plkk`, the tests) is refused by the same table: the
//! store checks it before any write or read, the UI only hides what it would refuse anyway.

use serde::{Deserialize, Serialize};

/// A staff account's role at the clinic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Role {
    /// A receptionist: admits patients and corrects intakes.
    Receptionist,
    /// A nurse: writes treatment notes, and admits.
    Nurse,
    /// An administrator: manages accounts, settings and the audit log.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 3] = [Role::Receptionist, Role::Nurse, Role::Admin];

    /// The role's name as stored and shown: `receptionist`, `nurse`, `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Receptionist => "receptionist",
            Role::Nurse => "nurse",
            Role::Admin => "admin",
        }
    }

    /// The role named `text` (exactly).
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// Whether this role may perform `action`.
    pub fn permits(self, action: Action) -> bool {
        use Action::*;
        match action {
            View | SyncNow | Print => true,
            Admit | CorrectIntake | RegisterBpu => matches!(self, Role::Receptionist | Role::Admin),
            AddNote => matches!(self, Role::Nurse | Role::Admin),
            // Which kinds a nurse may attach: `DocumentKind::may_attach`.
            AttachDocument => true,
            ManageAccounts | Enroll | Export | ReadAudit | ChangeSettings | Backup => {
                self == Role::Admin
            }
        }
    }
}

/// Everything a signed-in person can ask of the desk, grouped by the right it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// List, search and open cases; see sync status and the quarantine.
    View,
    /// Ask for a sync now or put a rejected record back in the queue.
    SyncNow,
    /// Print a case.
    Print,
    /// Admit a new case (input).
    Admit,
    /// Correct fields of an intake (correct).
    CorrectIntake,
    /// Add or correct a treatment note.
    AddNote,
    /// Create, remove accounts, set their PIN or role.
    ManageAccounts,
    /// Enrol the desk at the branch.
    Enroll,
    /// Export cases and notes as CSV.
    Export,
    /// List and verify the audit log.
    ReadAudit,
    /// Change the desk's settings (idle lock time) and import reference data (a BPU tariff).
    ChangeSettings,
    /// Register a BPU participant (Daftar BPU, input).
    RegisterBpu,
    /// Back the desk up, or restore it from a backup.
    Backup,
    /// Attach a document to a case or remove one (which kinds: `DocumentKind::may_attach`).
    AttachDocument,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 14] = [
        Action::View,
        Action::SyncNow,
        Action::Print,
        Action::Admit,
        Action::CorrectIntake,
        Action::AddNote,
        Action::ManageAccounts,
        Action::Enroll,
        Action::Export,
        Action::ReadAudit,
        Action::ChangeSettings,
        Action::RegisterBpu,
        Action::Backup,
        Action::AttachDocument,
    ];

    /// What the action is, for a refusal a receptionist can read ("... may not add treatment notes").
    pub fn describe(self) -> &'static str {
        match self {
            Action::View => "view cases",
            Action::SyncNow => "send records to the branch",
            Action::Print => "print cases",
            Action::Admit => "admit cases",
            Action::CorrectIntake => "correct intake fields",
            Action::AddNote => "add treatment notes",
            Action::ManageAccounts => "manage staff accounts",
            Action::Enroll => "enrol the desk at the branch",
            Action::Export => "export cases",
            Action::ReadAudit => "read the audit log",
            Action::ChangeSettings => "change the desk's settings",
            Action::RegisterBpu => "register BPU participants",
            Action::Backup => "back up or restore the desk",
            Action::AttachDocument => "attach or remove documents of this kind",
        }
    }

    /// The action's name in the audit log and in refusals (`admit`, `export`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::SyncNow => "sync_now",
            Action::Print => "print",
            Action::Admit => "admit",
            Action::CorrectIntake => "correct_intake",
            Action::AddNote => "add_note",
            Action::ManageAccounts => "manage_accounts",
            Action::Enroll => "enroll",
            Action::Export => "export",
            Action::ReadAudit => "read_audit",
            Action::ChangeSettings => "change_settings",
            Action::RegisterBpu => "register_bpu",
            Action::Backup => "backup",
            Action::AttachDocument => "attach_document",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matrix of the issue, row by row: receptionist admits, corrects, views; nurse views and
    /// adds notes; admin does all of that plus accounts, enrolment, export.
    #[test]
    fn the_role_matrix() {
        let allowed = |role: Role| -> Vec<Action> {
            Action::ALL
                .into_iter()
                .filter(|action| role.permits(*action))
                .collect()
        };
        use Action::*;
        assert_eq!(
            allowed(Role::Receptionist),
            [
                View,
                SyncNow,
                Print,
                Admit,
                CorrectIntake,
                RegisterBpu,
                AttachDocument
            ]
        );
        assert_eq!(
            allowed(Role::Nurse),
            [View, SyncNow, Print, AddNote, AttachDocument]
        );
        assert_eq!(allowed(Role::Admin), Action::ALL);
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("doctor"), None);
    }
}
