//! The command line's grammar (clap). Names here are an interface: clinic IT scripts rely on them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "plkk",
    version,
    about = "PLKK Desk from the command line: admit, correct, note, list and inspect cases.",
    after_help = "Every command except `setup` signs in: the username from --user or PLKK_USER, the \
password from PLKK_PASSWORD or a prompt on the terminal.\n\nExit codes: 0 done; 1 the desk's data \
could not be used; 2 input refused, nothing written; 3-6 see `plkk sync --help`; 5 also: the audit \
log's chain is broken (`plkk audit verify`); 7 sign-in refused (wrong username or password, too \
many failed attempts: wait, or a wrong recovery key); 8 your role may not do this; 10 `plkk status` \
found problems (each named on stderr)."
)]
pub struct Cli {
    /// The desk's data directory (default: the platform's app-data folder, as the desktop app).
    #[arg(long, env = "PLKK_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Who is signing in (the account's username).
    #[arg(long, env = "PLKK_USER", global = true)]
    pub user: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// First run: create the clinic's first administrator, the encryption keys and the recovery
    /// key (printed once: write it on paper). The password comes from PLKK_PASSWORD or a prompt.
    /// An unencrypted database of an earlier version is encrypted, keeping every record.
    Setup {
        #[arg(long)]
        admin_user: String,
        /// The administrator's full name.
        #[arg(long)]
        admin_name: String,
        /// Also set a 6-digit quick-unlock PIN (from PLKK_PIN or a prompt).
        #[arg(long)]
        pin: bool,
    },
    /// An administrator who forgot their password sets a new one (from PLKK_NEW_PASSWORD or a
    /// prompt) with the recovery key printed at setup (from PLKK_RECOVERY_KEY or a prompt; spaces
    /// and dashes are ignored). The administrator is --user. Other accounts are reset by an
    /// administrator (`plkk account password USER`). A wrong key exits 7; audited.
    Recover,
    /// Staff accounts (administrators).
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// The audit log (administrators).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write the cases admitted from --from to --to (and their notes) as two CSV files
    /// (administrators).
    Export {
        /// First admission date, YYYY-MM-DD.
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last admission date, YYYY-MM-DD (inclusive).
        #[arg(long)]
        to: chrono::NaiveDate,
        /// Folder for cases-FROM-TO.csv and notes-FROM-TO.csv (default: the current folder).
        #[arg(long, default_value = ".")]
        output: PathBuf,
    },
    /// Intakes: admitted cases.
    Intake {
        #[command(subcommand)]
        command: IntakeCommand,
    },
    /// Treatment notes.
    Note {
        #[command(subcommand)]
        command: NoteCommand,
    },
    /// Enrol this desk at the branch server with a one-time code from the branch administrator.
    Enroll {
        /// The branch's address: https://..., or http:// on this machine (loopback) only.
        #[arg(long)]
        branch: String,
        /// The enrolment code (valid 24 hours, single use).
        #[arg(long)]
        code: String,
        /// A name for this desk shown at the branch (default: the computer's user and "desk").
        #[arg(long)]
        name: Option<String>,
        /// The branch's own CA certificate (PEM), trusted besides the system's roots.
        #[arg(long)]
        ca: Option<PathBuf>,
    },
    /// Run one sync cycle: push every record, pull the clinic's changes. Exit 0 only when the
    /// branch has confirmed everything; 3 branch unreachable, 4 not enrolled, 5 rejected records or
    /// conflicts, 6 device revoked, 1 other failures.
    Sync {
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Records the branch refused, waiting with its reasons; send one again once corrected.
    Quarantine {
        #[command(subcommand)]
        command: QuarantineCommand,
    },
    /// Daftar BPU: register informal workers as BPU participants, follow the branch's decision,
    /// and quote the monthly contribution (`quote` needs no sign-in).
    Bpu {
        #[command(subcommand)]
        command: BpuCommand,
    },
    /// Case documents: the papers of a claim (KTP, KPJ card, police report, 3 KK1, 3b KK3,
    /// receipts), attached to a case and delivered to the branch after its records.
    Document {
        #[command(subcommand)]
        command: DocumentCommand,
    },
    /// Reference data the desk computes with (the BPU contribution tariff).
    Reference {
        #[command(subcommand)]
        command: ReferenceCommand,
    },
    /// The desk's health: version, data and log folders, database size and free disk, records
    /// by sync state, the oldest unconfirmed record, last sync and error, clock offset from the
    /// branch, last backup, the audit chain. Exit 0 healthy; 10 when something needs attention
    /// (each problem named on stderr and in `problems`).
    #[command(
        after_help = "Problems (exit 10): audit_chain_broken, unconfirmed_over_24h (a record waited \
more than 24 hours for the branch's receipt), no_recent_backup (records and no backup in 7 days), \
disk_almost_full (under 5 % free), clock_off (more than 5 minutes from the branch's clock)."
    )]
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write a backup of the desk to FILE (administrators): the encrypted database, copied while
    /// the app may be writing, keyring.json and a manifest with counts and checksums, in one tar
    /// file. Keep it on a USB stick, away from this computer.
    Backup {
        /// The backup file to write (it must not exist yet), e.g. E:\plkk-backup-2026-11-25.tar.
        #[arg(long)]
        output: PathBuf,
    },
    /// Restore the desk in --data-dir from a backup FILE. Into an empty or missing directory:
    /// the username and password of one of the backup's accounts open it. Over a set-up desk:
    /// one of its administrators signs in, and a desk holding records the backup lacks is never
    /// overwritten (exit 2, naming them). A damaged backup is refused (exit 2). The desk's
    /// earlier files are kept in replaced-DATE/ inside the data directory.
    Restore {
        /// The backup file (from `plkk backup` or the Admin screen).
        file: PathBuf,
    },
    /// Write everything this desk holds about one person (cases, corrections, notes, who viewed
    /// or exported them) as a PDF, to answer an access request under UU 27/2022 (administrators).
    /// Exit 2 for a NIK no case has.
    PatientReport {
        /// The person's NIK (16 digits; spaces and dashes are ignored).
        #[arg(long)]
        nik: String,
        /// The PDF file to write (it must not exist yet).
        #[arg(long)]
        output: PathBuf,
    },
    /// Print a case's letter as a PDF in the desk's language (receptionists, nurses,
    /// administrators; audited): `notification` is the Pemberitahuan dugaan kecelakaan kerja
    /// (Permenaker 1/2025), `summary` the case summary (intake, corrections, notes, outcome).
    /// Prints the file, then the letter's verification code on the last line. Exit 2 for an
    /// unknown case or kind, an existing file or a missing folder.
    Letter {
        /// The case's id.
        case_id: String,
        /// notification or summary.
        #[arg(long)]
        kind: String,
        /// The PDF file to write (it must not exist yet).
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum IntakeCommand {
    /// Admit a case from an Intake as JSON (stdin or --file). Prints the new id on the last line.
    Add {
        /// Read the JSON from this file instead of stdin.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// List open cases, newest first, or every case matching --search.
    List {
        /// Name word prefixes, NIK or KPJ prefix, or employer words.
        #[arg(long)]
        search: Option<String>,
        /// Include closed cases.
        #[arg(long)]
        all: bool,
        /// Print a JSON array of intakes with their fields.
        #[arg(long)]
        json: bool,
        /// At most this many cases, newest first (a longer list is cut, and stderr says so).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
        limit: u64,
    },
    /// Show one case with its revisions and notes.
    Show {
        id: String,
        /// Print JSON (the intake's fields and a `notes` array).
        #[arg(long)]
        json: bool,
    },
    /// Correct fields of an intake: JSON of the fields to change (stdin or --file).
    Correct {
        id: String,
        /// Why the fields change (kept with the revision).
        #[arg(long)]
        reason: String,
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// Every record the branch refused, oldest first: its outbox entry, record, kind, case, and
    /// each reason with its field, rule code and parameters.
    List {
        /// Print a JSON array (entry_id, kind, record_id, intake_id, full_name, issues, rejected_at,
        /// waiting_entries).
        #[arg(long)]
        json: bool,
    },
    /// Put a refused record back in the queue (after correcting its case); the next `plkk sync`
    /// sends it. A refused intake goes with the case's current values.
    Resend {
        /// The outbox entry's id (`entry_id` in `plkk quarantine list`).
        entry_id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum NoteCommand {
    /// Add a treatment note to a case from a Note as JSON (stdin or --file).
    Add {
        intake_id: String,
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account. Its password comes from PLKK_NEW_PASSWORD or a prompt.
    Add {
        #[arg(long)]
        username: String,
        /// The person's full name.
        #[arg(long)]
        name: String,
        /// receptionist, nurse or admin.
        #[arg(long)]
        role: String,
        /// Also set a 6-digit quick-unlock PIN (from PLKK_NEW_PIN or a prompt).
        #[arg(long)]
        pin: bool,
    },
    /// List the accounts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an account: it can no longer sign in; its records keep naming it.
    Remove { username: String },
    /// Change your own password, or (administrators) reset another account's: the new password
    /// comes from PLKK_NEW_PASSWORD or a prompt. The old password no longer opens the desk.
    Password {
        /// Whose password (default: your own).
        username: Option<String>,
    },
    /// Set (from PLKK_NEW_PIN or a prompt) or clear the quick-unlock PIN of an account.
    SetPin {
        username: String,
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Show the newest entries of the audit log.
    List {
        /// How many entries, newest first.
        #[arg(long, default_value_t = 200)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Check the hash chain; exit 5 naming the first bad entry when it is broken.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BpuCommand {
    /// Register a person from a BPU registration as JSON (stdin or --file): prints the new id on
    /// the last line, warnings (a NIK seen before) on stderr naming the field. Receptionists and
    /// administrators.
    Register {
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Registrations, newest first, with their status at the branch and sync state.
    List {
        /// A NIK prefix or words of the name.
        #[arg(long)]
        search: Option<String>,
        /// Print a JSON array of registrations (as `show --json`).
        #[arg(long)]
        json: bool,
    },
    /// One registration: its fields, `contribution`, `status` (submitted, registered, rejected),
    /// `kpj` once registered, `decision_reason` once rejected, and `sync_state`.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Print the monthly contribution as JSON {jkk, jkm, jht, monthly_total, period_total,
    /// tariff_version, ...} in whole Rupiah, under the tariff in force on --starts-on. No sign-in.
    Quote {
        /// Declared monthly income, whole Rupiah.
        #[arg(long)]
        income: String,
        /// Include JHT (old-age savings, optional); `jht` is 0 without it.
        #[arg(long)]
        jht: bool,
        /// The period paid for: 1, 3, 6 or 12 months.
        #[arg(long, default_value_t = 1)]
        months: u32,
        /// The occupation (for a discount in force for it), e.g. street_vendor, online_driver.
        #[arg(long)]
        occupation: Option<String>,
        /// First day of cover, YYYY-MM-DD (default: today).
        #[arg(long)]
        starts_on: Option<chrono::NaiveDate>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DocumentCommand {
    /// Attach a JPEG, PNG or PDF to a case: the type is read from the content (a name that says
    /// otherwise is refused), photos are turned upright and downscaled to 1,600 px, at most
    /// 10,000,000 bytes stored. Prints the document id on the last line; exit 2 naming the
    /// reason when refused. Nurses attach only doctor_certificate_3bkk3 and other.
    Add {
        /// The case (intake id).
        case_id: String,
        /// ktp, kpj_card, police_report, employer_report_3kk1, doctor_certificate_3bkk3,
        /// receipt or other.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// A case's documents, oldest first, removed ones included: id, kind, sizes, sync state
    /// (pending, uploading, confirmed).
    List {
        case_id: String,
        /// Print a JSON array of {id, kind, sha256, bytes, original_bytes, sync_state, ...}.
        #[arg(long)]
        json: bool,
    },
    /// Write a document's stored bytes to a file (audited as opened).
    Get {
        document_id: String,
        #[arg(long)]
        output: PathBuf,
    },
    /// Take a document off its case with a reason; it stays in the history.
    Remove {
        document_id: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReferenceCommand {
    /// Side-load a reference file (a BPU tariff, TOML) as the branch's pull would deliver it
    /// (administrators). Prints the tariff's version.
    Import { file: PathBuf },
}
