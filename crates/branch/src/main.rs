//! `plkk-branch`: the branch server and its administration. Parses the command line and calls the
//! library; exit code 2 for bad input (naming the problem), 5 when `audit verify` or `audit
//! officers` finds a broken chain, 1 for other failures. The commands over what the console shows
//! are in `console_commands`.

mod bpu_commands;
mod console_commands;
mod document_commands;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use clap::{Parser, Subcommand};
use plkk_branch::{admin, BranchError, Config, Database};
use plkk_protocol::CaseStatus;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "plkk-branch",
    version,
    about = "PLKK Desk branch server and its administration"
)]
struct Cli {
    /// The branch's data directory (database and logs).
    #[arg(long, global = true, env = "PLKK_BRANCH_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The branch database as a PostgreSQL URL (postgres://user:password@host:port/name, with
    /// ?sslmode=… and &pool_size=N); without it, SQLite in the data directory.
    #[arg(long, global = true, env = "PLKK_BRANCH_DATABASE")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8700; PLKK_BRANCH_LISTEN).
        #[arg(long)]
        listen: Option<String>,
        /// A TOML config file: listen, data_dir, tls_cert, tls_key, max_body_bytes, max_connections,
        /// header_timeout_seconds, body_timeout_seconds, idle_timeout_seconds.
        #[arg(long)]
        config: Option<PathBuf>,
        /// PEM certificate chain (with --tls-key; required unless listening on loopback).
        #[arg(long)]
        tls_cert: Option<PathBuf>,
        /// PEM private key.
        #[arg(long)]
        tls_key: Option<PathBuf>,
    },
    /// Clinics.
    #[command(subcommand)]
    Clinic(ClinicCommand),
    /// Issue a one-time enrolment code for a clinic (valid 24 hours; last line of output).
    EnrollCode {
        #[arg(long)]
        clinic: String,
    },
    /// Enrolled devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Cases and their branch status.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Desks' audit logs as the branch holds them (one hash chain per device), and the
    /// officers' audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The branch's health: database size, free disk, devices silent for more than a day, audit
    /// chain breaks, the last backup.
    #[command(
        after_help = "Exit status: 0 healthy; 10 when something needs attention (each problem \
                      named on stderr and in `problems`: device_silent, audit_chain_broken, \
                      disk_almost_full); 1 for other failures."
    )]
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a consistent copy of the branch database to FILE while the server runs (SQLite's
    /// online backup); `status` shows the last one.
    Backup {
        /// The file to write (it must not exist yet).
        #[arg(long)]
        output: PathBuf,
    },
    /// Branch officers' accounts for the console.
    #[command(subcommand)]
    Officer(console_commands::OfficerCommand),
    /// Per clinic and accident month: cases, reported within 2×24 h, decided within 30 days
    /// (CSV on stdout, or --json). `report registrations`: BPU registrations per clinic.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Report {
        #[command(subcommand)]
        what: Option<ReportCommand>,
        /// First accident month, YYYY-MM.
        #[arg(long, required = true)]
        from: Option<String>,
        /// Last accident month, YYYY-MM.
        #[arg(long, required = true)]
        to: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// BPU registrations the clinics' desks sent: the queue and the officers' decisions.
    #[command(subcommand)]
    Bpu(bpu_commands::BpuCommand),
    /// Reference data for the desks (BPU tariffs).
    #[command(subcommand)]
    Reference(bpu_commands::ReferenceCommand),
    /// Copy a SQLite branch (its data directory) into an empty PostgreSQL database, verifying
    /// every table's row count and checksum; refuses a target that holds any row.
    MigrateStore {
        /// The SQLite branch: sqlite:DIR (its data directory).
        #[arg(long)]
        from: String,
        /// The PostgreSQL database: postgres://user:password@host:port/name.
        #[arg(long)]
        to: String,
        /// The PostgreSQL servers' (shared) data directory: case documents' content files are
        /// copied to its documents/ and checked. Without it they stay in the SQLite branch's
        /// data directory, which the servers then use.
        #[arg(long)]
        documents_to: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Case documents the desks sent (KTP, KPJ card, police report, 3 KK1, 3b KK3, receipts).
    #[command(subcommand)]
    Document(document_commands::DocumentCommand),
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Per clinic, the BPU registrations received from --from to --to (the branch's local
    /// dates): awaiting a decision (submitted), registered, rejected.
    Registrations(bpu_commands::RegistrationsArgs),
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the audit chain of every device (or one): entries held, acked seq, the first break.
    #[command(
        after_help = "Exit status: 0 when every chain is sound; 5 when any chain has a break \
                      (altered, missing, broken_link or changed_after_sent; the first bad seq is \
                      named); 2 for bad input such as an unknown device; 1 for other failures."
    )]
    Verify {
        /// Only this device (its UUID, as `device list` shows).
        #[arg(long)]
        device: Option<String>,
        /// Print the report as JSON ({"sound", "devices": [...]}).
        #[arg(long)]
        json: bool,
    },
    /// The officers' audit log, oldest first, and whether its hash chain is sound (exit 5 when
    /// an entry was altered, removed or reordered).
    Officers {
        /// Only the newest N entries (the whole chain is still checked).
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// Print the audit entries held for a device, oldest first.
    List {
        /// The device's UUID.
        #[arg(long)]
        device: String,
        /// Print the entries as a JSON array.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ClinicCommand {
    /// Add a clinic.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
    /// List clinics with their desks (marked when none synced for more than a day).
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum DeviceCommand {
    /// List devices.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a device: its token is refused from now on.
    Revoke { device_id: String },
}

#[derive(Debug, Subcommand)]
enum CaseCommand {
    /// List a clinic's cases.
    List {
        #[arg(long)]
        clinic: String,
        #[arg(long)]
        json: bool,
    },
    /// One case in full: intake, corrections, notes, conflicts, origin, statuses set.
    Show {
        case_id: String,
        #[arg(long)]
        json: bool,
    },
    /// The inbox, newest first, 50 to a page, as the console shows it.
    Inbox(console_commands::InboxArgs),
    /// Check a desk's letter by the code printed after "Kode verifikasi:": exit 0 printing the
    /// case id and the patient's name; exit 2 naming why not (an unknown code, a case that has
    /// not reached the branch, or records of it still on the way).
    VerifyLetter {
        code: String,
        #[arg(long)]
        json: bool,
    },
    /// Set the branch's status of a case (not_eligible needs --reason).
    Status {
        case_id: String,
        /// received, eligible, not_eligible, guarantee_issued, concluded_work_accident,
        /// concluded_not_work_accident
        status: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        reference: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve { .. }) {
        // An administration command's output piped into a reader that stops early (`… | head`)
        // ends it quietly, as with any Unix tool, instead of a panic on the closed pipe. The
        // server keeps Rust's default (SIGPIPE ignored): a socket closed by a client is an error
        // to handle, never a reason to stop.
        sigpipe::reset();
    }
    init_logging();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("plkk-branch: {}", chain(&error));
            if error.is_bad_input() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn no_data_dir() -> BranchError {
    BranchError::Invalid(
        "give --data-dir DIR (or PLKK_BRANCH_DATA_DIR), or --database postgres://… \
         (or PLKK_BRANCH_DATABASE)"
            .to_owned(),
    )
}

fn run(cli: Cli) -> Result<ExitCode, BranchError> {
    let data_dir = || match &cli.database {
        Some(url) => Database::choose(std::path::Path::new(""), Some(url)),
        None => cli
            .data_dir
            .clone()
            .map(Database::from)
            .ok_or_else(no_data_dir),
    };
    let done = match cli.command {
        Command::Serve {
            ref listen,
            ref config,
            ref tls_cert,
            ref tls_key,
        } => {
            let file = config.as_deref().map(Config::read_file).transpose()?;
            let dir = match (
                cli.data_dir.clone(),
                file.as_ref().and_then(|f| f.data_dir.clone()),
            ) {
                (Some(dir), _) | (None, Some(dir)) => dir,
                // On PostgreSQL too: case documents' contents are files there (one directory
                // shared by every server of the database).
                (None, None) => {
                    return Err(BranchError::Invalid(
                        "serve: give --data-dir DIR (or data_dir in the config file): case \
                         documents' contents are kept there, on PostgreSQL too (one directory \
                         shared by every server)"
                            .to_owned(),
                    ))
                }
            };
            let mut settings = Config::for_data_dir(&dir);
            if let Some(file) = &file {
                settings.apply_file(file)?;
            }
            settings.apply_env(|name| std::env::var(name).ok())?;
            if let Some(database) = &cli.database {
                settings.database = Some(database.clone());
            }
            if let Some(listen) = listen {
                settings.listen = listen.parse().map_err(|_| {
                    BranchError::Config(format!("--listen must be IP:PORT, got {listen:?}"))
                })?;
            }
            settings.set_tls(tls_cert.clone(), tls_key.clone());
            settings.check()?;
            serve(settings)
        }
        Command::MigrateStore {
            ref from,
            ref to,
            ref documents_to,
            json,
        } => {
            let dir = from.strip_prefix("sqlite:").ok_or_else(|| {
                BranchError::Invalid(format!(
                    "--from: write sqlite:DIR (the SQLite branch's data directory), got {from:?}"
                ))
            })?;
            let migrated =
                admin::migrate_store(std::path::Path::new(dir), to, documents_to.as_deref())?;
            let copied = migrated.tables;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&copied).expect("tables as JSON")
                );
            } else {
                for table in &copied {
                    println!(
                        "{:<20} {:>10} rows  checksum {}",
                        table.table, table.rows, table.checksum
                    );
                }
                eprintln!("copied and verified: {} tables", copied.len());
            }
            match documents_to {
                Some(target) => eprintln!(
                    "documents' contents: {} files copied to {} and checked",
                    migrated.content_files,
                    target.join(plkk_branch::documents::DOCUMENTS_DIR).display()
                ),
                None => eprintln!(
                    "documents' contents stay in {}: serve with --data-dir {dir} (shared by every \
                     server), or copy that folder to the servers' data directory",
                    std::path::Path::new(dir)
                        .join(plkk_branch::documents::DOCUMENTS_DIR)
                        .display()
                ),
            }
            Ok(())
        }
        Command::Audit(ref command) => return audit(&data_dir()?, command),
        Command::Status { json } => return status(&data_dir()?, json),
        Command::Backup { ref output } => {
            let made = admin::backup(&data_dir()?, output, Utc::now())?;
            eprintln!("backup written: {} bytes", made.bytes);
            println!("{}", made.file);
            Ok(())
        }
        Command::Officer(ref command) => console_commands::officer(&data_dir()?, command),
        Command::Report {
            what: Some(ReportCommand::Registrations(ref args)),
            ..
        } => bpu_commands::registrations(&data_dir()?, args),
        Command::Report {
            what: None,
            ref from,
            ref to,
            json,
        } => console_commands::report(
            &data_dir()?,
            from.as_deref().unwrap_or_default(),
            to.as_deref().unwrap_or_default(),
            json,
        ),
        Command::Bpu(ref command) => bpu_commands::bpu(&data_dir()?, command),
        Command::Reference(ref command) => bpu_commands::reference(&data_dir()?, command),
        Command::Document(ref command) => {
            document_commands::document(&data_dir()?, cli.data_dir.as_deref(), command)
        }
        Command::Clinic(ClinicCommand::List { json }) => {
            console_commands::list_clinics(&data_dir()?, json)
        }
        Command::Case(CaseCommand::Show { ref case_id, json }) => {
            let id = parse_uuid("CASE_ID", case_id)?;
            console_commands::show_case(&data_dir()?, id, json)
        }
        Command::Case(CaseCommand::VerifyLetter { ref code, json }) => {
            let verified = admin::verify_letter(&data_dir()?, code)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&verified)?);
            } else {
                println!("{}  {}", verified.case_id, verified.full_name);
                eprintln!(
                    "genuine: clinic {}, the letter covers {} of the {} records the branch holds for the case",
                    verified.clinic_code, verified.records_covered, verified.records_held
                );
            }
            Ok(())
        }
        Command::Case(CaseCommand::Inbox(ref args)) => console_commands::inbox(&data_dir()?, args),
        Command::Clinic(ClinicCommand::Add { code, name }) => {
            admin::add_clinic(&data_dir()?, &code, &name)?;
            println!("clinic {code} added");
            Ok(())
        }
        Command::EnrollCode { clinic } => {
            let code = admin::issue_enrollment_code(&data_dir()?, &clinic, Utc::now())?;
            println!("enrolment code for clinic {clinic}, valid 24 hours, usable once:");
            println!("{code}");
            Ok(())
        }
        Command::Device(DeviceCommand::List { json }) => {
            let devices = admin::list_devices(&data_dir()?)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&devices)?);
            } else {
                for device in devices {
                    let state = device
                        .revoked_at
                        .as_deref()
                        .map_or("active".to_owned(), |at| format!("revoked {at}"));
                    let synced = device
                        .last_sync
                        .as_ref()
                        .map_or("never".to_owned(), |sync| {
                            format!(
                                "{} (waiting {}, clock offset {} s, {})",
                                sync.at,
                                sync.waiting.map_or("?".to_owned(), |n| n.to_string()),
                                sync.clock_offset_seconds
                                    .map_or("?".to_owned(), |n| n.to_string()),
                                sync.app_version.as_deref().unwrap_or("?")
                            )
                        });
                    println!(
                        "{}  {}  {}  enrolled {}  {state}  last sync {synced}",
                        device.device_id, device.clinic_code, device.name, device.enrolled_at
                    );
                }
            }
            Ok(())
        }
        Command::Device(DeviceCommand::Revoke { device_id }) => {
            let id = parse_uuid("DEVICE_ID", &device_id)?;
            admin::revoke_device(&data_dir()?, id, Utc::now())?;
            println!("device {id} revoked");
            Ok(())
        }
        Command::Case(CaseCommand::List { clinic, json }) => {
            let cases = admin::list_cases(&data_dir()?, &clinic)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&cases)?);
            } else {
                for case in cases {
                    let text = |key: &str| {
                        case.get(key)
                            .and_then(|v| v.as_str())
                            .unwrap_or("-")
                            .to_owned()
                    };
                    println!(
                        "{}  {}  {}  {}",
                        text("id"),
                        text("full_name"),
                        text("accident_at"),
                        text("status")
                    );
                }
            }
            Ok(())
        }
        Command::Case(CaseCommand::Status {
            case_id,
            status,
            reason,
            reference,
        }) => {
            let id = parse_uuid("CASE_ID", &case_id)?;
            let parsed = CaseStatus::parse(status.trim()).ok_or_else(|| {
                let allowed: Vec<&str> = CaseStatus::ALL.iter().map(|s| s.as_str()).collect();
                BranchError::Invalid(format!(
                    "STATUS must be one of {}, got {status:?}",
                    allowed.join(", ")
                ))
            })?;
            admin::set_case_status(
                &data_dir()?,
                id,
                parsed,
                reason.as_deref(),
                reference.as_deref(),
                Utc::now(),
            )?;
            println!("case {id}: {}", parsed.as_str());
            Ok(())
        }
    };
    done.map(|()| ExitCode::SUCCESS)
}

fn audit(data_dir: &Database, command: &AuditCommand) -> Result<ExitCode, BranchError> {
    match command {
        AuditCommand::Verify { device, json } => {
            let device = device
                .as_deref()
                .map(|id| parse_uuid("--device", id))
                .transpose()?;
            let reports = admin::verify_audit(data_dir, device)?;
            let broken = reports.iter().filter(|report| !report.is_sound()).count();
            if *json {
                let answer = serde_json::json!({ "sound": broken == 0, "devices": reports });
                println!("{}", serde_json::to_string_pretty(&answer)?);
            } else {
                for report in &reports {
                    let state = match &report.first_break {
                        None => "sound".to_owned(),
                        Some(found) => format!(
                            "BROKEN at seq {} ({}): {}",
                            found.seq, found.kind, found.message
                        ),
                    };
                    println!(
                        "{}  {}  {}  entries {}  acked {}  {state}",
                        report.device_id,
                        report.clinic_code,
                        report.device_name,
                        report.entries,
                        report.acked_seq
                    );
                }
            }
            if broken == 0 {
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("plkk-branch: the audit chain of {broken} device(s) is broken");
                Ok(ExitCode::from(admin::EXIT_AUDIT_BROKEN))
            }
        }
        AuditCommand::Officers { limit, json } => {
            console_commands::audit_officers(data_dir, *limit, *json)
        }
        AuditCommand::List { device, json } => {
            let device = parse_uuid("--device", device)?;
            let entries = admin::list_audit(data_dir, device)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&entries)?);
            } else {
                for entry in entries {
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
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Exit status of `status` when something needs attention.
const EXIT_ATTENTION: u8 = 10;

fn status(data_dir: &Database, json: bool) -> Result<ExitCode, BranchError> {
    let health = admin::status(data_dir, Utc::now())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&health)?);
    } else {
        let mib = |bytes: u64| format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0));
        println!("version        {}", health.version);
        println!("data folder    {}", health.data_dir);
        println!("database       {}", mib(health.database_bytes));
        if let (Some(free), Some(total)) = (health.disk_free_bytes, health.disk_total_bytes) {
            println!("disk free      {} of {}", mib(free), mib(total));
        }
        println!("clinics        {}", health.clinics);
        println!(
            "devices        {} active, {} silent for over a day",
            health.active_devices,
            health.silent_devices.len()
        );
        println!("audit breaks   {} device(s)", health.audit_breaks.len());
        match &health.last_backup {
            Some(made) => println!(
                "last backup    {} ({}, {})",
                made.made_at,
                made.file,
                mib(made.bytes)
            ),
            None => println!("last backup    unknown (none made with `plkk-branch backup`)"),
        }
    }
    if health.problems.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &health.problems {
        eprintln!("problem: {} [{}]", problem.message, problem.code);
    }
    Ok(ExitCode::from(EXIT_ATTENTION))
}

fn serve(config: Config) -> Result<(), BranchError> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| {
                BranchError::Config(format!("cannot listen on {}: {source}", config.listen))
            })?;
        plkk_branch::serve(listener, config, shutdown_signal()).await
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}

pub(crate) fn parse_uuid(what: &str, text: &str) -> Result<Uuid, BranchError> {
    Uuid::parse_str(text.trim())
        .map_err(|_| BranchError::Invalid(format!("{what} must be a UUID, got {text:?}")))
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PLKK_BRANCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

fn chain(error: &BranchError) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
