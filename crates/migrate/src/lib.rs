//! Applying a database's migrations, the same way for every database of PLKK Desk (the desk's
//! and the branch server's). A migration is plain SQL with a name (`0004_search_normal_form`),
//! embedded in the program; a database records the name of each migration applied to it in the
//! table `applied_migrations`, and opening it applies every migration of the list whose name is
//! not recorded there, in list order, each in its own transaction with its name. So a database
//! never runs a migration twice nor skips one, whatever order migrations were added to the list
//! in (two branches of work may each add one; the second to land comes after the first).
//!
//! Before names were recorded, a database only counted its migrations (`PRAGMA user_version`).
//! Such a database is adopted once: a count of N means the first N names of the list as it was
//! then ([`Schema::counted`], frozen), recorded in one transaction before anything else runs.
//! `user_version` is still written (the number of names applied), for older versions of the
//! programs only.
//!
//! `plan` decides what to run from the recorded names, without a database (a PostgreSQL branch
//! store can use it as it is); `sqlite` runs it on a `rusqlite` connection; `checks` changes a
//! table's CHECK constraint in place, for a step in Rust that follows a migration's SQL.

mod checks;
mod plan;
mod sqlite;

pub use checks::{builds_temporary_index, rewrite_checks, tables_with_temporary_indexes};
pub use plan::{adopted, missing};
pub use sqlite::{applied_names, apply, enter_wal, APPLIED_TABLE};

/// One migration: its name (the file name without `.sql`, e.g. `0001_init`) and its SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Unique within its schema; recorded in `applied_migrations` once applied.
    pub name: &'static str,
    /// One or more statements, run in one transaction.
    pub sql: &'static str,
}

/// A database's migrations.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    /// Every migration, in the order they are applied to a new database. Append only: a released
    /// migration is never edited, renamed or removed.
    pub migrations: &'static [Migration],
    /// The names in the order databases counted them in `PRAGMA user_version` before names were
    /// recorded: the list as it was then. Never changes.
    pub counted: &'static [&'static str],
}

impl Schema {
    /// Why the lists cannot be right, if they cannot: a name twice in `migrations`, or a counted
    /// name missing from it. Each database's own test calls it.
    pub fn check(&self) -> Result<(), String> {
        for (index, migration) in self.migrations.iter().enumerate() {
            if self.migrations[..index]
                .iter()
                .any(|earlier| earlier.name == migration.name)
            {
                return Err(format!("migration {} is listed twice", migration.name));
            }
        }
        match self.counted.iter().find(|name| {
            !self
                .migrations
                .iter()
                .any(|migration| migration.name == **name)
        }) {
            Some(name) => Err(format!("counted migration {name} is not in the list")),
            None => Ok(()),
        }
    }
}

/// A migration (or recording it) failed; its transaction was rolled back.
#[derive(Debug, thiserror::Error)]
#[error("database migration {name} failed: {source}")]
pub struct MigrationFailed {
    /// The migration's name (`applied_migrations` while the table of names is made).
    pub name: &'static str,
    #[source]
    pub source: rusqlite::Error,
}
