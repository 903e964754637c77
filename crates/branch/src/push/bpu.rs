//! Applying a pushed BPU registration (issue 11): its author and ids (a registration is its own
//! case: `record_id` = `intake_id` = the registration's `id`), the record valid by
//! `plkk_domain::validate_bpu` against the desk's clock, and the contribution recomputed with the
//! tariff version the desk names (the shipped one or one the branch published): a different
//! figure is refused as `contribution_mismatch` naming both values, an unknown version as
//! `tariff_unknown`. Stored in `bpu_registrations` with the branch's local date for the report.

use crate::sql::{params, Db, OptionalExtension};
use chrono::Local;
use plkk_domain::limits;
use plkk_domain::{Issue, Tariff};
use plkk_protocol::{BpuPayload, PushEntry, Receipt, BPU_TARIFF};

use super::{
    applied, author_issues, error_issue, mismatch, rejected, store_entry, Clocks, Device,
    PushError, ReceiptNumbers,
};
use crate::db::time_text;
use crate::BranchError;

/// Applies one pushed registration; a refusal is a `rejected` receipt naming the field.
pub(super) fn apply_registration(
    tx: &Db,
    device: Device,
    entry: &PushEntry,
    payload: &BpuPayload,
    clocks: Clocks,
    numbers: &ReceiptNumbers,
) -> Result<Receipt, PushError> {
    let now = clocks.branch;
    if entry.record_id != entry.intake_id {
        return Ok(rejected(
            entry,
            now,
            mismatch(
                "record_id",
                "a registration's record_id must be its intake_id",
            ),
        ));
    }
    if let Some(given) = &payload.registration.id {
        if *given != entry.record_id.to_string() {
            return Ok(rejected(
                entry,
                now,
                mismatch("id", "the registration's id must be the entry's record_id"),
            ));
        }
    }
    let envelope = author_issues(&payload.author);
    if !envelope.is_empty() {
        return Ok(rejected(entry, now, envelope));
    }
    let today = clocks.for_record(payload.written_at).date_naive();
    let fields = payload.registration.to_object();
    let checked = match plkk_domain::validate_bpu(&fields, entry.record_id, today) {
        Ok(checked) => checked,
        Err(rejection) => {
            let mut issues = rejection.errors;
            issues.extend(rejection.warnings);
            return Ok(rejected(entry, now, issues));
        }
    };
    let claimed = payload.contribution.to_domain();
    let Some(tariff) = tariff_by_version(tx, &claimed.tariff_version)? else {
        return Ok(rejected(
            entry,
            now,
            unknown_tariff(&claimed.tariff_version),
        ));
    };
    let contribution = match plkk_domain::check_contribution(&checked.record, &tariff, &claimed) {
        Ok(contribution) => contribution,
        Err(rejection) => return Ok(rejected(entry, now, rejection.errors)),
    };
    let receipt = applied(entry, now, &checked.warnings, tx, numbers)?;
    let seq = store_entry(tx, device, entry, &receipt, clocks)?;
    let registration = &checked.record;
    tx.prepare_cached(
        "INSERT INTO bpu_registrations (id, clinic_id, entry_seq, nik, full_name, occupation, record,
             contribution, warnings, author, written_at, received_at, received_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        registration.id.to_string(),
        device.clinic_id,
        seq,
        registration.nik,
        registration.full_name,
        registration.occupation.as_str(),
        serde_json::to_string(registration)?,
        serde_json::to_string(&contribution)?,
        serde_json::to_string(&checked.warnings)?,
        payload.author.trim(),
        payload.written_at.to_rfc3339(),
        time_text(now),
        now.with_timezone(&Local).date_naive().to_string(),
    ])?;
    Ok(receipt)
}

fn unknown_tariff(version: &str) -> Vec<Issue> {
    let mut issue = error_issue(
        "contribution.tariff_version",
        "tariff_unknown",
        format!(
            "contribution.tariff_version: the branch has no BPU tariff {}",
            limits::echo(version)
        ),
    );
    issue
        .params
        .insert("version".to_owned(), limits::echo(version));
    vec![issue]
}

/// The tariff of `version`: the one this build ships, or one the branch published.
fn tariff_by_version(conn: &Db, version: &str) -> Result<Option<Tariff>, BranchError> {
    let bundled = Tariff::bundled();
    if bundled.version == version {
        return Ok(Some(bundled));
    }
    let text: Option<String> = conn
        .prepare_cached("SELECT text FROM reference_files WHERE name = ?1 AND version = ?2")?
        .query_row(params![BPU_TARIFF, version], |row| row.get(0))
        .optional()?;
    Ok(text.and_then(|text| Tariff::parse(&text).ok()))
}
