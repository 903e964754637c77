//! What `plkk` prints: ids on the last line of stdout, warnings and errors on stderr naming the
//! field and the rule, tables for people and JSON for scripts.

use std::process::ExitCode;

use plkk_domain::AuditEntry;
use plkk_domain::Issue;
use plkk_protocol::FieldIssue;
use plkk_store::{
    Account, AuditReport, BackupDone, CaseDetail, CaseListItem, ErrorKind, ExportDone, Health,
    LetterDone, PatientReportDone, QuarantinedEntry, RestoreDone, Saved, SetupDone, Status,
    StoreError,
};
use plkk_sync::{Enrolled, SyncError, SyncStatus, SyncSummary};

pub fn saved(saved: &Saved) {
    print_warnings(&saved.warnings);
    println!("{}", saved.id);
}

pub fn case_list(cases: &[CaseListItem], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(cases)?);
        return Ok(());
    }
    for case in cases {
        println!(
            "{}  {}  {:<30}  {:<16}  {:<20}  due {}  {}{}",
            case.intake.id,
            case.intake.admitted_at.format("%Y-%m-%d %H:%M"),
            case.intake.full_name,
            case.intake.nik.as_deref().unwrap_or("-"),
            case.intake.case_category.as_str(),
            case.report_due_at.format("%Y-%m-%d %H:%M%:z"),
            case.sync_state.as_str(),
            if case.closed { "  closed" } else { "" },
        );
    }
    eprintln!("{} case(s)", cases.len());
    Ok(())
}

pub fn case_detail(case: &CaseDetail, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(case)?);
        return Ok(());
    }
    for (field, value) in &case.fields {
        println!("{field:<22} {}", value.as_str().unwrap_or_default());
    }
    println!(
        "{:<22} {}",
        "report_due_at",
        case.report_due_at.to_rfc3339()
    );
    println!("{:<22} {}", "sync_state", case.sync_state.as_str());
    for entry in &case.quarantine {
        println!(
            "refused by the branch: {} {} (entry {}; `plkk quarantine resend {}` once corrected)",
            entry.kind.as_str(),
            entry.record_id,
            entry.entry_id,
            entry.entry_id
        );
        print_reasons(&entry.issues, "  ");
    }
    for warning in &case.warnings {
        println!("warning: {warning}");
    }
    for revision in case.revisions.iter().skip(1) {
        println!(
            "revision {} at {} by {}: {}",
            revision.revision,
            revision.written_at.to_rfc3339(),
            revision.author,
            revision.reason.as_deref().unwrap_or_default()
        );
        for change in &revision.changes {
            println!(
                "  {}: {} -> {}",
                change.field,
                change.from.as_deref().unwrap_or("(empty)"),
                change.to.as_deref().unwrap_or("(empty)")
            );
        }
    }
    for note in &case.notes {
        println!(
            "note {} at {} by {}{}: {}",
            note.note.id,
            note.note.written_at.to_rfc3339(),
            note.note.author,
            if note.corrected_by.is_empty() {
                ""
            } else {
                " (corrected)"
            },
            note.note.fields.text
        );
    }
    Ok(())
}

pub fn enrolled(enrolled: &Enrolled) {
    eprintln!(
        "enrolled at {} for clinic {} ({})",
        enrolled.branch_url, enrolled.clinic_name, enrolled.clinic_code
    );
    println!("{}", enrolled.device_id);
}

/// The cycle's one-line summary; an error (and its exit code) when the branch has not confirmed
/// everything.
pub fn sync_summary(summary: &SyncSummary, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(summary)?);
    } else {
        println!(
            "sent {}, confirmed {}, rejected {}, conflicts {}, pulled {}; still pending {}, in quarantine {}, in conflict {}",
            summary.sent,
            summary.confirmed,
            summary.rejected,
            summary.conflicts,
            summary.pulled,
            summary.pending,
            summary.quarantined,
            summary.in_conflict,
        );
    }
    if summary.quarantined > 0 || summary.in_conflict > 0 {
        return Err(CliError::Unresolved(format!(
            "{} record(s) rejected by the branch and {} in conflict: see `plkk quarantine list` and the cases",
            summary.quarantined, summary.in_conflict
        ))
        .into());
    }
    if summary.pending > 0 {
        return Err(CliError::Pending(format!(
            "{} record(s) still waiting for the branch's receipt",
            summary.pending
        ))
        .into());
    }
    Ok(())
}

/// The desk's health; an error with exit code 10 naming every problem when there are any.
pub fn status(
    status: &Status,
    sync: &SyncStatus,
    health: &Health,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        let mut value = serde_json::to_value(status)?;
        if let (Some(object), serde_json::Value::Object(more)) =
            (value.as_object_mut(), serde_json::to_value(health)?)
        {
            object.insert("sync".to_owned(), serde_json::to_value(sync)?);
            object.extend(more);
        }
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_status(status, sync, health);
    }
    if health.problems.is_empty() {
        return Ok(());
    }
    for problem in &health.problems {
        eprintln!("problem: {} [{}]", problem.message, problem.code);
    }
    Err(CliError::NeedsAttention(format!(
        "the desk needs attention: {} problem(s), listed above",
        health.problems.len()
    ))
    .into())
}

fn print_status(status: &Status, sync: &SyncStatus, health: &Health) {
    let time = |at: Option<chrono::DateTime<chrono::FixedOffset>>| {
        at.map_or_else(|| "never".to_owned(), |at| at.to_rfc3339())
    };
    let mib = |bytes: u64| format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0));
    println!("version      {}", health.app_version);
    println!("data folder  {}", health.data_dir);
    println!("database     {}", status.database.as_deref().unwrap_or("-"));
    println!("logs         {}", status.log_dir.as_deref().unwrap_or("-"));
    println!("size         {}", mib(health.database_bytes));
    if let (Some(free), Some(total)) = (health.disk_free_bytes, health.disk_total_bytes) {
        println!("disk free    {} of {}", mib(free), mib(total));
    }
    println!("intakes      {}", status.intakes);
    println!("open cases   {}", status.open_cases);
    println!("corrections  {}", status.corrections);
    println!("notes        {}", status.notes);
    for (state, count) in &status.outbox {
        println!("outbox {state:<10} {count}");
    }
    println!(
        "documents    {} waiting ({} bytes)",
        status.documents_waiting, status.document_bytes_waiting
    );
    match &sync.enrolled {
        Some(enrolled) => println!(
            "branch       {} (clinic {} {}, device {})",
            enrolled.branch_url, enrolled.clinic_code, enrolled.clinic_name, enrolled.device_id
        ),
        None => println!("branch       not enrolled"),
    }
    println!("unconfirmed  {}", sync.unconfirmed);
    println!("oldest unconfirmed {}", time(sync.oldest_unconfirmed_at));
    println!("last attempt {}", time(sync.last_attempt_at));
    println!("last sync    {}", time(sync.last_success_at));
    if let Some(error) = &sync.last_error {
        println!("last error   {} ({})", error.message, error.code);
    }
    match sync.clock_offset_seconds {
        Some(offset) => println!("clock offset {offset} s (branch minus this computer)"),
        None => println!("clock offset unknown (no answer from the branch yet)"),
    }
    println!("last backup  {}", time(health.last_backup_at));
    match &health.audit_chain.first_break {
        None => println!(
            "audit log    intact ({} entries)",
            health.audit_chain.entries
        ),
        Some(broken) => println!(
            "audit log    BROKEN at entry {} ({})",
            broken.seq,
            broken.kind.as_str()
        ),
    }
    if sync.stalled {
        println!(
            "warning: records are waiting and sync has not been attempted for over 10 minutes"
        );
    }
}

pub fn backed_up(done: &BackupDone) {
    let records = &done.manifest.records;
    eprintln!(
        "backup written: {} intakes, {} corrections, {} notes, {} audit entries; {} bytes",
        records.intakes,
        records.corrections,
        records.notes,
        done.manifest.audit.entries,
        done.bytes
    );
    println!("{}", done.path.display());
}

pub fn restored(done: &RestoreDone, data_dir: &std::path::Path) {
    let records = &done.manifest.records;
    eprintln!(
        "restored into {}: {} intakes, {} corrections, {} notes (backup made {} by {})",
        data_dir.display(),
        records.intakes,
        records.corrections,
        records.notes,
        done.manifest.created_at.to_rfc3339(),
        done.manifest.created_by
    );
    if let Some(aside) = &done.kept_aside {
        eprintln!("the desk's earlier files are kept in {}", aside.display());
    }
    if done.replaces_device {
        eprintln!(
            "the next sync asks the branch for a new device identity: records sent after the backup come back from the branch"
        );
    }
}

pub fn patient_report(done: &PatientReportDone) {
    eprintln!("{} case(s), {} bytes", done.cases, done.bytes);
    println!("{}", done.path.display());
}

/// The letter's file, then its verification code on the last line.
pub fn letter(done: &LetterDone) {
    eprintln!("{} bytes", done.bytes);
    println!("{}", done.path.display());
    println!("{}", done.code);
}

pub fn setup(done: &SetupDone) {
    if done.migrated_records > 0 {
        eprintln!(
            "the desk's existing database ({} records) is now encrypted",
            done.migrated_records
        );
    }
    eprintln!(
        "the desk is set up; {} ({}) is its administrator",
        done.admin.display_name, done.admin.username
    );
    eprintln!("RECOVERY KEY (shown only now): write it on paper and keep it locked away.");
    eprintln!("Without it and without any account's password the desk's data cannot be opened.");
    println!("{}", done.recovery_key);
}

pub fn accounts(accounts: &[Account], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(accounts)?);
        return Ok(());
    }
    for account in accounts {
        println!(
            "{:<20} {:<30} {:<13} {}{}",
            account.username,
            account.display_name,
            account.role.as_str(),
            if account.has_pin { "pin" } else { "-" },
            if account.active { "" } else { "  removed" },
        );
    }
    Ok(())
}

pub fn audit_entries(entries: &[AuditEntry], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(entries)?);
        return Ok(());
    }
    for entry in entries {
        println!(
            "{:>6}  {}  {:<16} {:<18} {}  {}",
            entry.seq,
            entry.at.format("%Y-%m-%d %H:%M:%S%:z"),
            entry.actor,
            entry.action,
            entry.subject.as_deref().unwrap_or("-"),
            entry.detail,
        );
    }
    Ok(())
}

/// The verdict; an error with exit code 5 naming the first bad entry when the chain is broken.
pub fn audit_verdict(verdict: &AuditReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(verdict)?);
    }
    match &verdict.first_break {
        None => {
            if !json {
                println!("audit log intact: {} entries", verdict.entries);
            }
            Ok(())
        }
        Some(broken) => Err(CliError::Unresolved(format!(
            "the audit log is broken at entry {} ({}): {}",
            broken.seq,
            broken.kind.as_str(),
            broken.message
        ))
        .into()),
    }
}

pub fn exported(done: &ExportDone) {
    eprintln!("{} case(s), {} note(s)", done.cases, done.notes);
    println!("{}", done.cases_path.display());
    println!("{}", done.notes_path.display());
}

/// Prints why the command failed and chooses the exit code from what the failure means.
pub fn failure(failure: &anyhow::Error) -> ExitCode {
    if let Some(StoreError::Invalid(rejected)) = crate::store_error(failure) {
        for error in &rejected.errors {
            eprintln!("error: {error}");
        }
        print_warnings(&rejected.warnings);
        eprintln!("nothing was saved");
        return ExitCode::from(2);
    }
    eprintln!("error: {failure:#}");
    let (code, after) = match kind_of(failure) {
        ErrorKind::Input => (2, Some("nothing was saved")),
        ErrorKind::Forbidden => (8, Some("nothing was done")),
        ErrorKind::SignIn => (7, None),
        ErrorKind::Unusable | ErrorKind::Failed => (1, None),
        ErrorKind::BranchUnreachable => (3, None),
        ErrorKind::NotEnrolled => (4, None),
        ErrorKind::Unresolved => (5, None),
        ErrorKind::DeviceRevoked => (6, None),
        ErrorKind::NeedsAttention => (10, None),
    };
    if let Some(after) = after {
        eprintln!("{after}");
    }
    ExitCode::from(code)
}

/// What a failure means: the store's, the sync's or the command line's own classification.
fn kind_of(failure: &anyhow::Error) -> ErrorKind {
    if let Some(error) = failure.downcast_ref::<StoreError>() {
        error.kind()
    } else if let Some(error) = failure.downcast_ref::<SyncError>() {
        error.kind()
    } else if let Some(error) = failure.downcast_ref::<CliError>() {
        error.kind()
    } else {
        ErrorKind::Failed
    }
}

/// The command line's own failures, besides the store's and the sync's.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Input that could not be read as what the command needs (a file, JSON, an argument).
    #[error("{0}")]
    BadInput(String),
    /// Signing in could not even be tried (no username, no password and no terminal to ask on).
    #[error("{0}")]
    CannotAsk(String),
    /// Records the branch refused or in conflict, or a broken audit chain (exit 5).
    #[error("{0}")]
    Unresolved(String),
    /// Records still waiting for the branch's receipt after a sync.
    #[error("{0}")]
    Pending(String),
    /// `plkk status` found problems (exit 10); each was printed on stderr.
    #[error("{0}")]
    NeedsAttention(String),
}

impl CliError {
    fn kind(&self) -> ErrorKind {
        match self {
            CliError::BadInput(_) => ErrorKind::Input,
            CliError::CannotAsk(_) => ErrorKind::SignIn,
            CliError::Unresolved(_) => ErrorKind::Unresolved,
            CliError::Pending(_) => ErrorKind::Failed,
            CliError::NeedsAttention(_) => ErrorKind::NeedsAttention,
        }
    }
}

/// The quarantine: one block per refused record, each reason with its field, rule and
/// parameters; JSON for scripts.
pub fn quarantine(entries: &[QuarantinedEntry], json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(entries)?);
        return Ok(());
    }
    for entry in entries {
        println!(
            "{}  {:<17}  record {}  case {} ({})  refused {}",
            entry.entry_id,
            entry.kind.as_str(),
            entry.record_id,
            entry.intake_id,
            entry.full_name.as_deref().unwrap_or("-"),
            entry
                .rejected_at
                .map_or_else(|| "-".to_owned(), |at| at.to_rfc3339()),
        );
        print_reasons(&entry.issues, "  ");
        if entry.waiting_entries > 0 {
            println!(
                "  {} later record(s) of the case wait for it",
                entry.waiting_entries
            );
        }
    }
    eprintln!("{} record(s) in quarantine", entries.len());
    Ok(())
}

fn print_reasons(issues: &[FieldIssue], indent: &str) {
    for issue in issues {
        let params: Vec<String> = issue
            .params
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        println!(
            "{indent}{}: {} [{}{}]",
            issue.field,
            issue
                .message
                .strip_prefix(&format!("{}: ", issue.field))
                .unwrap_or(&issue.message),
            issue.rule,
            if params.is_empty() {
                String::new()
            } else {
                format!(" {}", params.join(" "))
            }
        );
    }
}

fn print_warnings(warnings: &[Issue]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}
