//! The `plkk-branch` commands over what the console shows: officer accounts (`officer add|list|
//! remove`), the officers' audit log (`audit officers`), a case in full (`case show`), the inbox
//! (`case inbox`), clinics with their desks (`clinic list`) and the monthly report (`report`).
//! Each prints what one `plkk_branch::admin` call returns, the same call the console makes.

use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Subcommand};
use plkk_branch::admin::{self, InboxFilter, InboxQuery, MonthRange, NewOfficer, OfficerRole};
use plkk_branch::BranchError;
use plkk_branch::Database;
use plkk_protocol::CaseStatus;
use uuid::Uuid;

/// Where `officer add` reads the new officer's password (else it asks on the terminal, twice).
pub const PASSWORD_VARIABLE: &str = "PLKK_BRANCH_PASSWORD";

#[derive(Debug, Subcommand)]
pub enum OfficerCommand {
    /// Add an officer account (password from PLKK_BRANCH_PASSWORD or typed twice on the terminal).
    Add {
        /// 2-32 of a-z, 0-9, '.', '_', '-'.
        #[arg(long)]
        username: String,
        /// The officer's full name.
        #[arg(long)]
        name: String,
        /// viewer (reads, downloads reports), verifier (also sets case statuses) or admin (also
        /// clinics, enrolment codes, devices and officer accounts).
        #[arg(long)]
        role: String,
    },
    /// List officer accounts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an officer account; its open console sessions end at once.
    Remove { username: String },
}

/// `case inbox`: the console's inbox from the command line.
#[derive(Debug, Args)]
pub struct InboxArgs {
    /// A name, or the start of a NIK or KPJ.
    #[arg(long)]
    q: Option<String>,
    /// A clinic's code.
    #[arg(long)]
    clinic: Option<String>,
    /// received, eligible, not_eligible, guarantee_issued, concluded_work_accident,
    /// concluded_not_work_accident
    #[arg(long)]
    status: Option<String>,
    /// PU, BPU, JAKON or PMI.
    #[arg(long)]
    segment: Option<String>,
    /// Received more than 2×24 h after the accident.
    #[arg(long)]
    late: bool,
    /// Not decided 30 days after arriving.
    #[arg(long)]
    overdue: bool,
    /// With a correction in conflict.
    #[arg(long)]
    conflict: bool,
    /// The desk's clock was more than 5 minutes off.
    #[arg(long)]
    clock: bool,
    /// 1 for the newest 50 cases.
    #[arg(long, default_value_t = 1)]
    page: u32,
    #[arg(long)]
    json: bool,
}

pub fn officer(database: &Database, command: &OfficerCommand) -> Result<(), BranchError> {
    match command {
        OfficerCommand::Add {
            username,
            name,
            role,
        } => {
            let role = OfficerRole::parse(role).ok_or_else(|| {
                BranchError::refused(
                    "role",
                    "choice",
                    format!("--role must be viewer, verifier or admin, got {role:?}"),
                )
            })?;
            let password = new_password()?;
            let officer = admin::add_officer(
                database,
                NewOfficer {
                    username,
                    display_name: name,
                    role,
                    password: &password,
                },
            )?;
            println!(
                "officer {} added ({})",
                officer.username,
                officer.role.as_str()
            );
        }
        OfficerCommand::List { json } => {
            let officers = admin::list_officers(database, Utc::now())?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&officers)?);
            } else {
                for officer in officers {
                    println!(
                        "{}  {}  {}  sessions {}  failures {}",
                        officer.username,
                        officer.role.as_str(),
                        officer.display_name,
                        officer.open_sessions,
                        officer.failures
                    );
                }
            }
        }
        OfficerCommand::Remove { username } => {
            admin::remove_officer(database, username)?;
            println!("officer {} removed; their sessions ended", username.trim());
        }
    }
    Ok(())
}

fn new_password() -> Result<String, BranchError> {
    if let Ok(value) = std::env::var(PASSWORD_VARIABLE) {
        if !value.is_empty() {
            return Ok(value);
        }
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt).map_err(|_| {
            BranchError::Invalid(format!(
                "no terminal to ask the password on: set {PASSWORD_VARIABLE}"
            ))
        })
    };
    let first = ask("Password: ")?;
    if first != ask("Password again: ")? {
        return Err(BranchError::Invalid("the two passwords differ".to_owned()));
    }
    Ok(first)
}

/// `audit officers`: the log, then whether its chain is sound (exit 5 when not).
pub fn audit_officers(
    database: &Database,
    limit: Option<u32>,
    json: bool,
) -> Result<ExitCode, BranchError> {
    let log = admin::officer_audit(database, limit)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&log)?);
    } else {
        for entry in &log.entries {
            println!(
                "{}  {}  {}  {}  {}  {}",
                entry.seq,
                entry.at,
                entry.actor,
                entry.action,
                entry.subject.as_deref().unwrap_or("-"),
                entry.detail
            );
        }
    }
    match &log.first_break {
        None => Ok(ExitCode::SUCCESS),
        Some(found) => {
            eprintln!(
                "plkk-branch: the officers' audit log is broken at seq {} ({}): {}",
                found.seq,
                found.kind.as_str(),
                found.message
            );
            Ok(ExitCode::from(admin::EXIT_AUDIT_BROKEN))
        }
    }
}

/// `case show ID`: the case as `case list` prints it, with where it came from and its statuses.
pub fn show_case(database: &Database, case_id: Uuid, json: bool) -> Result<(), BranchError> {
    let (case, history) = admin::show_case(database, case_id)?;
    if json {
        let mut object = plkk_branch::admin::case_json(&case);
        if let Some(map) = object.as_object_mut() {
            map.insert(
                "clinic_code".to_owned(),
                serde_json::json!(case.clinic_code),
            );
            map.insert("origin".to_owned(), serde_json::to_value(&case.origin)?);
            map.insert("status_history".to_owned(), serde_json::to_value(&history)?);
        }
        println!("{}", serde_json::to_string_pretty(&object)?);
        return Ok(());
    }
    println!("{}  {}", case.id, case.intake.full_name);
    println!("clinic   {} ({})", case.clinic_name, case.clinic_code);
    println!("status   {}", case.status);
    println!(
        "from     {} ({}), received {}",
        case.origin.device_name, case.origin.device_id, case.origin.received_at
    );
    println!(
        "records  {} notes, {} corrections, {} conflicts",
        case.notes.len(),
        case.corrections.len(),
        case.conflicts.len()
    );
    for change in history {
        println!(
            "         {}  {}  {}  {}  {}",
            change.at,
            change.actor,
            change.status,
            change.reason.as_deref().unwrap_or("-"),
            change.reference.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

pub fn inbox(database: &Database, args: &InboxArgs) -> Result<(), BranchError> {
    let status = args
        .status
        .as_deref()
        .map(|text| {
            CaseStatus::parse(text.trim()).ok_or_else(|| {
                BranchError::refused("status", "choice", format!("--status: unknown {text:?}"))
            })
        })
        .transpose()?;
    let segment = args
        .segment
        .as_deref()
        .map(|text| {
            plkk_domain::Segment::parse(text.trim()).ok_or_else(|| {
                BranchError::refused("segment", "choice", format!("--segment: unknown {text:?}"))
            })
        })
        .transpose()?;
    let flags = [
        (InboxFilter::Late, args.late),
        (InboxFilter::Overdue, args.overdue),
        (InboxFilter::Conflict, args.conflict),
        (InboxFilter::Clock, args.clock),
    ];
    let query = InboxQuery {
        q: args.q.clone(),
        clinic: args.clinic.clone(),
        status,
        segment,
        filters: flags
            .into_iter()
            .filter(|(_, on)| *on)
            .map(|(filter, _)| filter)
            .collect(),
        page: args.page,
    };
    let page = admin::inbox(database, &query, Utc::now())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&page)?);
        return Ok(());
    }
    for row in &page.rows {
        let left = row
            .days_left
            .map_or("decided".to_owned(), |days| format!("{days} days left"));
        println!(
            "{}  {}  {}  {}  received {}{}  {}  {left}",
            row.id,
            row.full_name,
            row.clinic_code,
            row.accident_at,
            row.received_at,
            if row.within_deadline { "" } else { " (late)" },
            row.status
        );
    }
    if page.has_more {
        println!("(more: --page {})", page.page + 1);
    }
    Ok(())
}

pub fn list_clinics(database: &Database, json: bool) -> Result<(), BranchError> {
    let clinics = admin::list_clinics(database, Utc::now())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&clinics)?);
        return Ok(());
    }
    for clinic in clinics {
        let mark = if clinic.silent {
            "  NO SYNC > 1 DAY"
        } else {
            ""
        };
        println!(
            "{}  {}  {} desks{mark}",
            clinic.code,
            clinic.name,
            clinic.devices.len()
        );
    }
    Ok(())
}

pub fn report(database: &Database, from: &str, to: &str, json: bool) -> Result<(), BranchError> {
    let rows = admin::report(database, &MonthRange::new(from, to)?)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", plkk_branch::report_csv(&rows)?);
    }
    Ok(())
}
