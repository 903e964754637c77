//! What `plkk` prints: ids on the last line of stdout, warnings and errors on stderr naming the
//! field and the rule, tables for people and JSON for scripts.

use std::process::ExitCode;

use plkk_domain::Issue;
use plkk_store::{CaseDetail, CaseListItem, Saved, Status, StoreError};

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

pub fn status(status: &Status, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(status)?);
        return Ok(());
    }
    println!("database     {}", status.database.as_deref().unwrap_or("-"));
    println!("intakes      {}", status.intakes);
    println!("open cases   {}", status.open_cases);
    println!("corrections  {}", status.corrections);
    println!("notes        {}", status.notes);
    for (state, count) in &status.outbox {
        println!("outbox {state:<10} {count}");
    }
    Ok(())
}

/// Prints why the command failed and chooses the exit code.
pub fn failure(failure: &anyhow::Error) -> ExitCode {
    if let Some(StoreError::Invalid(rejected)) = failure.downcast_ref::<StoreError>() {
        for error in &rejected.errors {
            eprintln!("error: {error}");
        }
        print_warnings(&rejected.warnings);
        eprintln!("nothing was saved");
        return ExitCode::from(2);
    }
    eprintln!("error: {failure:#}");
    if crate::is_refused_input(failure) {
        eprintln!("nothing was saved");
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}

fn print_warnings(warnings: &[Issue]) {
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
}
