//! `plkk-branch migrate-store --from sqlite:DIR --to postgres://…`: copies a SQLite branch
//! database into an empty PostgreSQL one, every table of its schema, in one PostgreSQL
//! transaction, then verifies each table's row count and checksum on both sides before
//! committing. A target that holds any row is refused before anything is written; a failed
//! verification rolls everything back.
//!
//! The checksum of a table is independent of row order (the two databases sort text
//! differently): the wrapping sum of the first 8 bytes of each row's SHA-256 over its values
//! in column order, with the row count. Rows are read and written in pages of [`PAGE_ROWS`], so
//! memory stays bounded whatever the size of the branch. Derived tables (the inbox) are copied
//! as they are, with the triggers that would write them turned off for the copy; SQLite's name
//! index (`inbox_names`, FTS5) is written anew in PostgreSQL's form from the copied inbox's
//! names (`inbox::index_name`), not copied. Identity counters
//! (clinic ids, the changes feed, receipt numbers) continue after the copied rows.
//!
//! Case documents' contents are files in the data directory (`documents/`), not rows: the
//! PostgreSQL servers read them from their own data directory, which they share. With
//! `documents_to` (`--documents-to DIR`) every content the copied `document_contents` names is
//! copied to `DIR/documents/` and its SHA-256 checked there before the copy commits; without it
//! they stay in the SQLite branch's directory, which the servers then use as their data
//! directory (or it is copied there by hand). Partial uploads are not copied: a desk sends
//! those again from byte 0.

use sha2::{Digest, Sha256};

use crate::db::{self, Database};
use crate::sql::{Db, Value};
use crate::BranchError;

/// Rows read and inserted at a time.
const PAGE_ROWS: usize = 500;

/// The tables copied, parents before children (foreign keys hold at every insert).
const TABLES: &[&str] = &[
    "clinics",
    "enrollment_codes",
    "devices",
    "entries",
    "intakes",
    "corrections",
    "notes",
    "conflicts",
    "device_syncs",
    "cases",
    "changes",
    "audit_entries",
    "audit_breaks",
    "audit_acked",
    "backups",
    "officers",
    "officer_sessions",
    "officer_audit",
    "inbox",
    "bpu_registrations",
    "bpu_decisions",
    "reference_files",
    "documents",
    "document_removals",
    "document_contents",
];

/// What `migrate_store` copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    pub tables: Vec<CopiedTable>,
    /// Documents' content files copied to `documents_to` (0 without it).
    pub content_files: u64,
}

/// What was copied: per table, rows and the checksum both sides agree on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CopiedTable {
    pub table: &'static str,
    pub rows: u64,
    /// Hex of the order-independent checksum (see the module's documentation).
    pub checksum: String,
}

/// Copies the SQLite branch database in `from` (a data directory) into the empty PostgreSQL
/// database `to`, verified; and documents' contents into `documents_to`'s `documents/` when
/// given (see the module).
pub fn migrate_store(
    from: &std::path::Path,
    to: &str,
    documents_to: Option<&std::path::Path>,
) -> Result<Migrated, BranchError> {
    if !from.join(db::DATABASE_FILE_NAME).exists() {
        return Err(BranchError::Invalid(format!(
            "--from: {} holds no {}",
            from.display(),
            db::DATABASE_FILE_NAME
        )));
    }
    let source = db::open(Database::Sqlite {
        data_dir: from.to_owned(),
    })?;
    let target_database = Database::choose(from, Some(to))?;
    if !target_database.is_postgres() {
        return Err(BranchError::Invalid(
            "--to: must be a PostgreSQL URL (postgres://…)".to_owned(),
        ));
    }
    let mut target = db::open(&target_database)?;
    for table in TABLES {
        let rows = count(&target, table)?;
        if rows > 0 {
            return Err(BranchError::Invalid(format!(
                "--to: the target database is not empty ({table} has {rows} rows); \
                 migrate-store only copies into a new, empty database"
            )));
        }
    }
    let tx = target.transaction()?;
    tx.execute_batch(
        "ALTER TABLE cases DISABLE TRIGGER USER; ALTER TABLE conflicts DISABLE TRIGGER USER;",
    )?;
    let mut copied = Vec::new();
    for table in TABLES {
        let columns = columns_of(&source, table)?;
        let (rows, checksum) = copy_table(&source, &tx, table, &columns)?;
        let (target_rows, target_checksum) = checksum_of(&tx, table, &columns)?;
        if (rows, checksum) != (target_rows, target_checksum) {
            return Err(BranchError::Stored(format!(
                "{table}: {rows} rows copied (checksum {checksum:016x}) but the target holds \
                 {target_rows} (checksum {target_checksum:016x}); nothing was committed"
            )));
        }
        copied.push(CopiedTable {
            table,
            rows,
            checksum: format!("{checksum:016x}"),
        });
    }
    index_names(&tx)?;
    let content_files = match documents_to {
        Some(dir) => copy_contents(&source, from, dir)?,
        None => 0,
    };
    tx.execute_batch(
        "ALTER TABLE cases ENABLE TRIGGER USER; ALTER TABLE conflicts ENABLE TRIGGER USER;
         SELECT setval(pg_get_serial_sequence('clinics', 'id'), coalesce(max(id), 0) + 1, false) FROM clinics;
         SELECT setval(pg_get_serial_sequence('changes', 'seq'), coalesce(max(seq), 0) + 1, false) FROM changes;
         SELECT setval(pg_get_serial_sequence('backups', 'id'), coalesce(max(id), 0) + 1, false) FROM backups;
         SELECT setval(pg_get_serial_sequence('audit_breaks', 'id'), coalesce(max(id), 0) + 1, false) FROM audit_breaks;
         SELECT setval('receipt_numbers', coalesce(max(seq), 0) + 1, false) FROM entries;",
    )?;
    tx.commit()?;
    Ok(Migrated {
        tables: copied,
        content_files,
    })
}

/// Copies every content `document_contents` names from `from`'s data directory to `to`'s, each
/// checked against its SHA-256 at the target; how many.
fn copy_contents(
    source: &Db,
    from: &std::path::Path,
    to: &std::path::Path,
) -> Result<u64, BranchError> {
    use crate::documents::{content_path, sha256_of_file};
    let mut done = 0u64;
    loop {
        let page = source.rows(
            "SELECT sha256 FROM document_contents ORDER BY sha256 LIMIT ?1 OFFSET ?2",
            crate::sql::params![PAGE_ROWS, done],
        )?;
        if page.is_empty() {
            return Ok(done);
        }
        for row in &page {
            let sha256: String = row.get(0)?;
            let (origin, target) = (content_path(from, &sha256), content_path(to, &sha256));
            if origin != target {
                std::fs::create_dir_all(target.parent().expect("a folder"))?;
                std::fs::copy(&origin, &target).map_err(|error| {
                    BranchError::Stored(format!(
                        "document content {}: {error}; nothing was committed",
                        origin.display()
                    ))
                })?;
            }
            let actual = sha256_of_file(&target).map_err(|error| {
                BranchError::Stored(format!("document content {}: {error}", target.display()))
            })?;
            if actual != sha256 {
                return Err(BranchError::Stored(format!(
                    "document content {}: its SHA-256 is {actual}; nothing was committed",
                    target.display()
                )));
            }
        }
        done += page.len() as u64;
    }
}

/// The name index of every copied case, from the inbox's names.
fn index_names(tx: &Db) -> Result<(), BranchError> {
    let mut done = 0usize;
    loop {
        let page = tx.rows(
            "SELECT intake_id, full_name FROM inbox ORDER BY seq LIMIT ?1 OFFSET ?2",
            crate::sql::params![PAGE_ROWS, done],
        )?;
        if page.is_empty() {
            return Ok(());
        }
        for row in &page {
            let (intake_id, full_name): (String, String) = (row.get(0)?, row.get(1)?);
            crate::inbox::index_name(tx, &intake_id, &full_name)?;
        }
        done += page.len();
    }
}

fn count(db: &Db, table: &str) -> Result<u64, BranchError> {
    Ok(
        db.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })?,
    )
}

/// The table's columns in SQLite (the PostgreSQL schema has the same names); `audit_breaks`
/// adds its insert order, SQLite's rowid, as PostgreSQL's `id`.
fn columns_of(source: &Db, table: &str) -> Result<Vec<String>, BranchError> {
    let mut columns: Vec<String> = source
        .prepare(&format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        ))?
        .query_map([], |row| row.get(0))?
        .collect::<crate::sql::Result<_>>()?;
    if table == "audit_breaks" {
        columns.insert(0, "id".to_owned());
    }
    Ok(columns)
}

fn select_list(table: &str, columns: &[String]) -> String {
    columns
        .iter()
        .map(|column| {
            if table == "audit_breaks" && column == "id" {
                "rowid AS id".to_owned()
            } else {
                column.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A row's contribution to its table's checksum.
fn row_hash(values: &[Value]) -> u64 {
    let mut hasher = Sha256::new();
    for value in values {
        match value {
            Value::Null => hasher.update([0u8]),
            Value::Integer(number) => {
                hasher.update([1u8]);
                hasher.update(number.to_be_bytes());
            }
            Value::Real(number) => {
                hasher.update([2u8]);
                hasher.update(number.to_be_bytes());
            }
            Value::Text(text) => {
                hasher.update([3u8]);
                hasher.update((text.len() as u64).to_be_bytes());
                hasher.update(text.as_bytes());
            }
            Value::Blob(bytes) => {
                hasher.update([4u8]);
                hasher.update((bytes.len() as u64).to_be_bytes());
                hasher.update(bytes);
            }
        }
    }
    let digest = hasher.finalize();
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

fn values_of(row: &crate::sql::Row, width: usize) -> Result<Vec<Value>, BranchError> {
    (0..width)
        .map(|column| row.get::<Value>(column).map_err(BranchError::from))
        .collect()
}

/// Copies `table` page by page (SQLite's rowid order, or the key of a table without rowid):
/// rows and checksum of what was read.
fn copy_table(
    source: &Db,
    target: &Db,
    table: &str,
    columns: &[String],
) -> Result<(u64, u64), BranchError> {
    let select = select_list(table, columns);
    let without_rowid = table == "audit_entries";
    let page_sql = if without_rowid {
        format!("SELECT {select} FROM {table} ORDER BY device_id, seq LIMIT ?1 OFFSET ?2")
    } else {
        format!("SELECT rowid, {select} FROM {table} WHERE rowid > ?2 ORDER BY rowid LIMIT ?1")
    };
    let (mut rows, mut checksum, mut after) = (0u64, 0u64, 0i64);
    loop {
        let page = source.rows(&page_sql, crate::sql::params![PAGE_ROWS, after])?;
        if page.is_empty() {
            return Ok((rows, checksum));
        }
        let mut values = Vec::with_capacity(page.len() * columns.len());
        for row in &page {
            let row_values = if without_rowid {
                values_of(row, columns.len())?
            } else {
                after = row.get(0)?;
                values_of(row, columns.len() + 1)?.split_off(1)
            };
            checksum = checksum.wrapping_add(row_hash(&row_values));
            values.extend(row_values);
        }
        if without_rowid {
            after += page.len() as i64;
        }
        rows += page.len() as u64;
        let placeholders = (0..page.len())
            .map(|row| {
                let cells = (0..columns.len())
                    .map(|column| format!("?{}", row * columns.len() + column + 1))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("({cells})")
            })
            .collect::<Vec<_>>()
            .join(", ");
        target.execute(
            &format!(
                "INSERT INTO {table} ({}) VALUES {placeholders}",
                columns.join(", ")
            ),
            values,
        )?;
    }
}

/// Rows and checksum of `table` as the target holds it, read in pages too.
fn checksum_of(target: &Db, table: &str, columns: &[String]) -> Result<(u64, u64), BranchError> {
    let key = match table {
        "audit_entries" => "device_id, seq",
        "enrollment_codes" => "code_hash",
        "devices" | "intakes" | "corrections" | "notes" => "id",
        "conflicts" => "correction_id",
        "device_syncs" | "audit_acked" => "device_id",
        "cases" => "intake_id",
        "officers" => "username",
        "officer_sessions" => "token_hash",
        "bpu_registrations" => "id",
        "bpu_decisions" => "registration_id",
        "reference_files" => "name, version",
        "documents" | "document_removals" => "id",
        "document_contents" => "sha256",
        "entries" | "changes" | "officer_audit" | "inbox" => "seq",
        _ => "id",
    };
    let sql = format!(
        "SELECT {} FROM {table} ORDER BY {key} LIMIT ?1 OFFSET ?2",
        columns.join(", ")
    );
    let (mut rows, mut checksum) = (0u64, 0u64);
    loop {
        let page = target.rows(&sql, crate::sql::params![PAGE_ROWS, rows])?;
        if page.is_empty() {
            return Ok((rows, checksum));
        }
        for row in &page {
            checksum = checksum.wrapping_add(row_hash(&values_of(row, columns.len())?));
        }
        rows += page.len() as u64;
    }
}
