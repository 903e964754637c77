//! `plkk-branch bpu list|approve|reject`, `report registrations` and `reference publish`: the
//! officers' decisions on BPU registrations from the command line, each one call into
//! `plkk_branch::admin`, printed for people or as JSON.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};
use plkk_branch::Database;
use plkk_branch::{admin, bpu::Decision, BranchError};
use plkk_protocol::BpuStatus;

#[derive(Debug, Subcommand)]
pub enum BpuCommand {
    /// BPU registrations pushed by the desks, oldest first.
    List {
        /// Only this clinic (its code).
        #[arg(long)]
        clinic: Option<String>,
        /// Only those submitted (awaiting a decision), registered or rejected.
        #[arg(long)]
        status: Option<String>,
        /// Print a JSON array ({id, clinic, nik, full_name, occupation, status, kpj,
        /// decision_reason, registration, contribution, ...}).
        #[arg(long)]
        json: bool,
    },
    /// Register the person: the KPJ BPJS Ketenagakerjaan assigned reaches the clinic's desks.
    Approve {
        id: String,
        #[arg(long)]
        kpj: String,
    },
    /// Refuse the registration; the reason reaches the clinic's desks.
    Reject {
        id: String,
        #[arg(long)]
        reason: String,
    },
}

/// `plkk-branch report registrations`.
#[derive(Debug, Args)]
pub struct RegistrationsArgs {
    /// First day the branch received them, YYYY-MM-DD (its local date).
    #[arg(long)]
    pub from: NaiveDate,
    /// Last day, YYYY-MM-DD (included).
    #[arg(long)]
    pub to: NaiveDate,
    /// Print a JSON array of {clinic, submitted, registered, rejected}.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReferenceCommand {
    /// Publish a BPU tariff file (TOML, see crates/domain/data/) to every clinic's desks; they
    /// get it with their next pull.
    Publish { file: PathBuf },
}

pub fn bpu(database: &Database, command: &BpuCommand) -> Result<(), BranchError> {
    match command {
        BpuCommand::List {
            clinic,
            status,
            json,
        } => {
            let status = status
                .as_deref()
                .map(|text| {
                    BpuStatus::parse(text.trim()).ok_or_else(|| {
                        BranchError::refused(
                            "status",
                            "choice",
                            format!("status: submitted, registered or rejected, got {text:?}"),
                        )
                    })
                })
                .transpose()?;
            let found = admin::bpu_list(database, clinic.as_deref(), status)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&found)?);
            } else {
                for registration in &found {
                    println!(
                        "{}  {:<10}  {:<30}  {}  {:<16}  {:<10}  {}",
                        registration.id,
                        registration.clinic,
                        registration.full_name,
                        registration.nik,
                        registration.occupation,
                        registration.status.as_str(),
                        registration
                            .kpj
                            .as_deref()
                            .or(registration.decision_reason.as_deref())
                            .unwrap_or("-"),
                    );
                }
                eprintln!("{} registration(s)", found.len());
            }
        }
        BpuCommand::Approve { id, kpj } => {
            let id = crate::parse_uuid("ID", id)?;
            let decided = admin::bpu_decide(database, id, Decision::Approve { kpj }, Utc::now())?;
            println!(
                "registration {id}: registered, KPJ {}",
                decided.kpj.unwrap_or_default()
            );
        }
        BpuCommand::Reject { id, reason } => {
            let id = crate::parse_uuid("ID", id)?;
            admin::bpu_decide(database, id, Decision::Reject { reason }, Utc::now())?;
            println!("registration {id}: rejected");
        }
    }
    Ok(())
}

pub fn registrations(database: &Database, args: &RegistrationsArgs) -> Result<(), BranchError> {
    let rows = admin::bpu_report(database, args.from, args.to)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        println!("clinic,submitted,registered,rejected");
        for row in rows {
            println!(
                "{},{},{},{}",
                row.clinic, row.submitted, row.registered, row.rejected
            );
        }
    }
    Ok(())
}

pub fn reference(database: &Database, command: &ReferenceCommand) -> Result<(), BranchError> {
    match command {
        ReferenceCommand::Publish { file } => {
            let text = std::fs::read_to_string(file).map_err(|error| {
                BranchError::Invalid(format!("cannot read {}: {error}", file.display()))
            })?;
            let tariff = admin::publish_tariff(database, &text, Utc::now())?;
            println!("BPU tariff {} published to every clinic", tariff.version);
        }
    }
    Ok(())
}
