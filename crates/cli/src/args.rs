//! The command line's grammar (clap). Names here are an interface: clinic IT scripts rely on them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "plkk",
    version,
    about = "PLKK Desk from the command line: admit, correct, note, list and inspect cases."
)]
pub struct Cli {
    /// The desk's data directory (default: the platform's app-data folder, as the desktop app).
    #[arg(long, env = "PLKK_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// Counts of intakes, open cases, notes and outbox entries by state, and the sync's health.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
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
pub enum NoteCommand {
    /// Add a treatment note to a case from a Note as JSON (stdin or --file).
    Add {
        intake_id: String,
        #[arg(long)]
        file: Option<PathBuf>,
    },
}
