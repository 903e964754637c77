//! `plkk`, the desk's command line for clinic IT, support staff, scripts and tests. It works on the
//! same data directory as the desktop app. Every subcommand parses its arguments, calls one
//! function of `plkk-store` and prints the answer.
//!
//! Exit codes: 0 done; 2 the input was refused (malformed JSON, a field breaking a rule, an unknown
//! id, bad arguments, a bad enrolment code or branch address), nothing written; 1 the desk's data
//! could not be used (database unavailable) or another failure. `plkk sync` adds 3 (branch
//! unreachable), 4 (not enrolled), 5 (rejected records or conflicts), 6 (device revoked).

mod args;
mod input;
mod report;

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use plkk_store::{Store, StoreError};

use args::{Cli, Command, IntakeCommand, NoteCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report::failure(&failure),
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let data_dir = cli.data_dir.unwrap_or_else(plkk_store::default_data_dir);
    let open = || -> anyhow::Result<Store> {
        Store::open_in_dir(&data_dir)
            .with_context(|| format!("the desk's data in {} cannot be used", data_dir.display()))
    };
    let author = plkk_store::os_user_name();
    let now = chrono::Local::now().fixed_offset();
    match cli.command {
        Command::Intake { command } => match command {
            IntakeCommand::Add { file } => {
                let fields = input::read_object(file.as_deref())?;
                let saved = plkk_store::admit_intake(&mut open()?, &fields, &author, now)?;
                report::saved(&saved);
            }
            IntakeCommand::List { search, all, json } => {
                let query = plkk_store::ListQuery {
                    open_only: !all && search.is_none(),
                    search: search.unwrap_or_default(),
                    limit: 1000,
                };
                let cases = plkk_store::list_cases(&open()?, &query)?;
                report::case_list(&cases, json)?;
            }
            IntakeCommand::Show { id, json } => {
                let case = plkk_store::show_case(&open()?, &id)?;
                report::case_detail(&case, json)?;
            }
            IntakeCommand::Correct { id, reason, file } => {
                let changes = input::read_object(file.as_deref())?;
                let saved =
                    plkk_store::correct_intake(&mut open()?, &id, &changes, &reason, &author, now)?;
                report::saved(&saved);
            }
        },
        Command::Note { command } => match command {
            NoteCommand::Add { intake_id, file } => {
                let fields = input::read_object(file.as_deref())?;
                let saved = plkk_store::add_note(&mut open()?, &intake_id, &fields, &author, now)?;
                report::saved(&saved);
            }
        },
        Command::Enroll {
            branch,
            code,
            name,
            ca,
        } => {
            let ca_cert_pem = ca
                .map(|path| {
                    std::fs::read_to_string(&path).map_err(|error| {
                        input::BadInput(format!("cannot read {}: {error}", path.display()))
                    })
                })
                .transpose()?;
            let options = plkk_sync::EnrollOptions {
                branch_url: branch,
                code,
                device_name: name.unwrap_or_else(|| format!("{author} desk")),
                ca_cert_pem,
            };
            let enrolled = runtime()?.block_on(plkk_sync::enroll(&data_dir, options))?;
            report::enrolled(&enrolled);
        }
        Command::Sync { json } => {
            let summary = runtime()?.block_on(plkk_sync::sync_once(&data_dir))?;
            report::sync_summary(&summary, json)?;
        }
        Command::Status { json } => {
            let store = open()?;
            let status = plkk_store::status(&store)?;
            let sync = plkk_sync::sync_status(&store)?;
            report::status(&status, &sync, json)?;
        }
    }
    Ok(())
}

/// Whether a failure is the user's input (exit 2) rather than the desk's state (exit 1).
fn is_refused_input(failure: &anyhow::Error) -> bool {
    failure.downcast_ref::<input::BadInput>().is_some()
        || failure
            .downcast_ref::<plkk_sync::SyncError>()
            .is_some_and(|error| {
                matches!(
                    error.code(),
                    "invalid_url"
                        | "insecure_url"
                        | "enrollment_code_unknown"
                        | "enrollment_code_expired"
                        | "enrollment_code_used"
                )
            })
        || matches!(
            failure.downcast_ref::<StoreError>(),
            Some(StoreError::Invalid(_) | StoreError::NotFound { .. })
        )
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
