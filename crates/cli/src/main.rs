//! `plkk`, the desk's command line for clinic IT, support staff, scripts and tests. It works on the
//! same data directory as the desktop app. Every subcommand signs in (or sets the desk up), parses
//! its arguments, calls one library function and prints the answer. Roles are checked by the
//! library, not here.
//!
//! Exit codes: 0 done; 2 the input was refused (malformed JSON, a field breaking a rule, an unknown
//! id, bad arguments, a bad enrolment code or branch address), nothing written; 1 the desk's data
//! could not be used (database unavailable) or another failure; 7 sign-in refused (also a wrong
//! recovery key for `plkk recover`); 8 the role may not do this. `plkk sync` adds 3 (branch
//! unreachable), 4 (not enrolled), 5 (rejected records or conflicts), 6 (device revoked); `plkk
//! audit verify` exits 5 when the chain is broken; `plkk status` exits 10 when it found problems
//! (each named on stderr).

mod args;
mod auth;
mod bpu;
mod document;
mod input;
mod report;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use plkk_domain::Role;
use plkk_store::{NewAccount, SignedIn, StoreError};

use args::{
    AccountCommand, AuditCommand, Cli, Command, IntakeCommand, NoteCommand, QuarantineCommand,
};

fn main() -> ExitCode {
    // Output piped into a reader that stops early (`plkk case list | head`) ends the program
    // quietly, as with any Unix tool, instead of a panic on the closed pipe. Network writes are
    // not affected: Rust's sockets send with MSG_NOSIGNAL.
    sigpipe::reset();
    let cli = Cli::parse();
    // The sync engine's and the store's warnings, on standard error; `PLKK_LOG` sets the level.
    let filter = std::env::var("PLKK_LOG").unwrap_or_else(|_| "warn".to_owned());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_default())
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => report::failure(&failure),
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let data_dir = cli.data_dir.unwrap_or_else(plkk_store::default_data_dir);
    let now = chrono::Local::now().fixed_offset();
    if let Command::Setup {
        admin_user,
        admin_name,
        pin,
    } = &cli.command
    {
        let password = auth::new_secret("PLKK_PASSWORD", "password")?;
        let pin = pin
            .then(|| auth::new_secret("PLKK_PIN", "PIN"))
            .transpose()?;
        let admin = NewAccount {
            username: admin_user,
            display_name: admin_name,
            role: Role::Admin,
            password: &password,
            pin: pin.as_deref(),
        };
        let params = kdf();
        let done = plkk_store::setup(&data_dir, &admin, params, now)?;
        report::setup(&done);
        return Ok(());
    }
    if let Command::Bpu {
        command:
            args::BpuCommand::Quote {
                income,
                jht,
                months,
                occupation,
                starts_on,
            },
    } = &cli.command
    {
        let starts_on = starts_on.unwrap_or(now.date_naive());
        let request = bpu::QuoteArgs {
            income,
            jht: *jht,
            months: *months,
            occupation: occupation.as_deref(),
            starts_on,
        };
        return bpu::quote(&data_dir, request);
    }
    if let Command::Restore { file } = &cli.command {
        // Before any sign-in: the directory may hold no desk yet (see `plkk_store::restore`).
        let username = auth::username(cli.user)?;
        let password = auth::secret("PLKK_PASSWORD", &format!("Password for {username}: "))?;
        let done = plkk_store::restore(&data_dir, file, &username, &password, now)?;
        report::restored(&done, &data_dir);
        return Ok(());
    }
    if let Command::Recover = &cli.command {
        let username = auth::username(cli.user)?;
        let key = auth::secret("PLKK_RECOVERY_KEY", "Recovery key: ")?;
        let password = auth::new_secret("PLKK_NEW_PASSWORD", "password")?;
        let params = kdf();
        plkk_store::recover(&data_dir, &username, &key, &password, params, now)?;
        eprintln!("{username} can sign in with the new password");
        return Ok(());
    }
    let (
        SignedIn {
            access,
            mut store,
            actor,
        },
        password,
    ) = sign_in(&data_dir, cli.user)?;
    if store.disk_full() {
        eprintln!(
            "warning: the disk is almost full (under 4 MiB free; the desk is using its reserve): \
             free some space soon (old downloads, the recycle bin), or saving will fail"
        );
    }
    let done = signed_in(
        cli.command,
        &data_dir,
        &access,
        &mut store,
        (&actor, &password),
        now,
    );
    if let Err(failure) = &done {
        // Every role refusal is recorded, as the window records its own.
        if let Some(refusal @ StoreError::Forbidden { .. }) = store_error(failure) {
            if let Err(error) = plkk_store::record_refusal(&store, &actor, refusal, now) {
                eprintln!("warning: the refusal could not be written to the audit log: {error}");
            }
        }
    }
    done
}

/// One subcommand for the signed-in `actor`.
fn signed_in(
    command: Command,
    data_dir: &Path,
    access: &plkk_store::DeskAccess,
    store: &mut plkk_store::Store,
    (actor, password): (&plkk_store::Actor, &str),
    now: chrono::DateTime<chrono::FixedOffset>,
) -> anyhow::Result<()> {
    match command {
        Command::Setup { .. } | Command::Restore { .. } | Command::Recover => {
            unreachable!("handled above")
        }
        Command::Intake { command } => match command {
            IntakeCommand::Add { file } => {
                let fields = input::read_object(file.as_deref())?;
                let saved = plkk_store::admit_intake(store, actor, &fields, now)?;
                report::saved(&saved);
            }
            IntakeCommand::List {
                search,
                all,
                json,
                limit,
            } => {
                let query = plkk_store::ListQuery {
                    open_only: !all && search.is_none(),
                    search: search.unwrap_or_default(),
                    limit: usize::try_from(limit).unwrap_or(usize::MAX),
                };
                let cases = plkk_store::list_cases(store, actor, &query)?;
                report::case_list(&cases, json)?;
                if cases.len() as u64 == limit {
                    eprintln!("note: the newest {limit} cases shown; more may match (--limit N)");
                }
            }
            IntakeCommand::Show { id, json } => {
                let case = plkk_store::show_case(store, actor, &id, now)?;
                report::case_detail(&case, json)?;
            }
            IntakeCommand::Correct { id, reason, file } => {
                let changes = input::read_object(file.as_deref())?;
                let saved = plkk_store::correct_intake(store, actor, &id, &changes, &reason, now)?;
                report::saved(&saved);
            }
        },
        Command::Note { command } => match command {
            NoteCommand::Add { intake_id, file } => {
                let fields = input::read_object(file.as_deref())?;
                let saved = plkk_store::add_note(store, actor, &intake_id, &fields, now)?;
                report::saved(&saved);
            }
        },
        Command::Account { command } => account(data_dir, store, (actor, password), command, now)?,
        Command::Audit { command } => match command {
            AuditCommand::List { limit, json } => {
                let entries = plkk_store::audit_list(store, actor, limit)?;
                report::audit_entries(&entries, json)?;
            }
            AuditCommand::Verify { json } => {
                let verdict = plkk_store::audit_verify(store, actor)?;
                report::audit_verdict(&verdict, json)?;
            }
        },
        Command::Export { from, to, output } => {
            let done = plkk_store::export_csv(store, actor, from, to, &output, now)?;
            report::exported(&done);
        }
        Command::Enroll {
            branch,
            code,
            name,
            ca,
        } => {
            let options = plkk_sync::EnrollOptions {
                branch_url: branch,
                code,
                device_name: name.unwrap_or_else(|| format!("{} desk", actor.username)),
                ca_cert_pem: ca.as_deref().map(input::read_text).transpose()?,
            };
            let enrolled = runtime()?.block_on(plkk_sync::enroll(access, actor, options))?;
            report::enrolled(&enrolled);
        }
        Command::Sync { json } => {
            let summary = runtime()?.block_on(plkk_sync::sync_once(access))?;
            report::sync_summary(&summary, json)?;
        }
        Command::Quarantine { command } => match command {
            QuarantineCommand::List { json } => {
                let entries = plkk_store::quarantine(store, actor)?;
                report::quarantine(&entries, json)?;
            }
            QuarantineCommand::Resend { entry_id } => {
                plkk_store::resend(store, actor, &entry_id, now)?;
                eprintln!("{entry_id} is queued again: `plkk sync` sends it");
            }
        },
        Command::Bpu { command } => bpu::signed_in(command, store, actor, now)?,
        Command::Document { command } => document::signed_in(command, store, actor, now)?,
        Command::Reference { command } => match command {
            args::ReferenceCommand::Import { file } => {
                let text = input::read_text(&file)?;
                let tariff = plkk_store::import_reference(store, actor, &text, now)?;
                eprintln!(
                    "BPU tariff {} (from {}) imported: {}",
                    tariff.version, tariff.valid_from, tariff.source
                );
                println!("{}", tariff.version);
            }
        },
        Command::Status { json } => {
            let status = plkk_store::status(store)?;
            let sync = plkk_sync::sync_status(store)?;
            let health = plkk_store::health(store, data_dir, now)?;
            report::status(&status, &sync, &health, json)?;
        }
        Command::Backup { output } => {
            let done = plkk_store::backup(store, actor, &output, now)?;
            report::backed_up(&done);
        }
        Command::PatientReport { nik, output } => {
            let language = plkk_store::language(data_dir);
            let done = plkk_store::patient_report(store, actor, &nik, &output, language, now)?;
            report::patient_report(&done);
        }
        Command::Letter {
            case_id,
            kind,
            output,
        } => {
            let kind = plkk_store::LetterKind::parse(&kind).ok_or_else(|| {
                report::CliError::BadInput(format!(
                    "kind: one of notification, summary; got {kind:?}"
                ))
            })?;
            let language = plkk_store::language(data_dir);
            let done = plkk_store::letter(store, actor, &case_id, kind, &output, language, now)?;
            report::letter(&done);
        }
    }
    Ok(())
}

/// The cost of new key wraps: `PLKK_KDF=fast` for tests and demos only.
fn kdf() -> plkk_vault::KdfParams {
    plkk_vault::KdfParams::from_setting(std::env::var("PLKK_KDF").ok().as_deref())
}

/// Signs in, keeping the password for a change of one's own password.
fn sign_in(data_dir: &Path, user: Option<String>) -> anyhow::Result<(SignedIn, String)> {
    let username = auth::username(user)?;
    let password = auth::secret("PLKK_PASSWORD", &format!("Password for {username}: "))?;
    let now = chrono::Local::now().fixed_offset();
    let signed = plkk_store::sign_in(data_dir, &username, &password, "cli", now)?;
    Ok((signed, password))
}

fn account(
    data_dir: &Path,
    store: &mut plkk_store::Store,
    (actor, password): (&plkk_store::Actor, &str),
    command: AccountCommand,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> anyhow::Result<()> {
    match command {
        AccountCommand::Add {
            username,
            name,
            role,
            pin,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                report::CliError::BadInput(format!(
                    "role: one of receptionist, nurse, admin; got {role:?}"
                ))
            })?;
            plkk_store::require(actor, plkk_domain::Action::ManageAccounts)?;
            let password = auth::new_secret("PLKK_NEW_PASSWORD", "password")?;
            let pin = pin
                .then(|| auth::new_secret("PLKK_NEW_PIN", "PIN"))
                .transpose()?;
            let new = NewAccount {
                username: &username,
                display_name: &name,
                role,
                password: &password,
                pin: pin.as_deref(),
            };
            let mut keyring = plkk_vault::Keyring::load(data_dir)?;
            let added = plkk_store::add_account(store, &mut keyring, actor, &new, kdf(), now)?;
            println!("{}", added.username);
        }
        AccountCommand::List { json } => {
            let accounts = plkk_store::list_accounts(store, actor)?;
            report::accounts(&accounts, json)?;
        }
        AccountCommand::Remove { username } => {
            let mut keyring = plkk_vault::Keyring::load(data_dir)?;
            plkk_store::remove_account(store, &mut keyring, actor, &username, now)?;
            eprintln!("{username} can no longer sign in");
        }
        AccountCommand::Password { username } => {
            let username = username.unwrap_or_else(|| actor.username.clone());
            if username != actor.username {
                plkk_store::require(actor, plkk_domain::Action::ManageAccounts)?;
            }
            let new = auth::new_secret("PLKK_NEW_PASSWORD", "password")?;
            let change = plkk_store::PasswordChange {
                username: &username,
                current: Some(password),
                new: &new,
            };
            let mut keyring = plkk_vault::Keyring::load(data_dir)?;
            let params = kdf();
            plkk_store::change_password(store, &mut keyring, actor, &change, params, now)?;
            eprintln!("{username} signs in with the new password from now on");
        }
        AccountCommand::SetPin { username, clear } => {
            let pin = if clear {
                None
            } else {
                Some(auth::new_secret("PLKK_NEW_PIN", "PIN")?)
            };
            plkk_store::set_pin(store, actor, &username, pin.as_deref(), kdf(), now)?;
        }
    }
    Ok(())
}

/// The store's error behind a failure, also when the sync carried it.
fn store_error(failure: &anyhow::Error) -> Option<&StoreError> {
    failure.downcast_ref::<StoreError>().or_else(|| {
        failure
            .downcast_ref::<plkk_sync::SyncError>()
            .and_then(plkk_sync::SyncError::store_error)
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
