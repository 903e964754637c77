//! `plkk bpu` (Daftar BPU) and its quote: each subcommand one store call, printed for people or
//! as JSON. `quote` runs before sign-in: the tariff is reference data, not personal data.

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate};
use plkk_domain::{Occupation, Quote, PERIODS};
use plkk_store::{Actor, BpuView, Store};

use crate::args::BpuCommand;
use crate::input;
use crate::report;
use crate::report::CliError::BadInput;

/// `plkk bpu quote`'s arguments as given.
#[derive(Debug)]
pub struct QuoteArgs<'a> {
    pub income: &'a str,
    pub jht: bool,
    pub months: u32,
    pub occupation: Option<&'a str>,
    pub starts_on: NaiveDate,
}

/// Prints the bare contribution object; a bad argument exits 2 naming it.
pub fn quote(data_dir: &Path, args: QuoteArgs) -> anyhow::Result<()> {
    let income: u64 = args
        .income
        .trim()
        .parse()
        .ok()
        .filter(|income| *income > 0)
        .ok_or_else(|| {
            BadInput(format!(
                "income: a whole number of Rupiah above 0, got {:?}",
                args.income
            ))
        })?;
    if !PERIODS.contains(&args.months) {
        return Err(BadInput(format!("months: 1, 3, 6 or 12, got {}", args.months)).into());
    }
    let occupation = args
        .occupation
        .map(|text| {
            Occupation::parse(text.trim()).ok_or_else(|| {
                let allowed: Vec<&str> = Occupation::ALL.iter().map(|o| o.as_str()).collect();
                BadInput(format!(
                    "occupation: one of {}, got {text:?}",
                    allowed.join(", ")
                ))
            })
        })
        .transpose()?;
    let contribution = plkk_store::quote(
        Some(data_dir),
        Quote {
            income,
            jht: args.jht,
            months: args.months,
            occupation,
            starts_on: args.starts_on,
        },
    );
    println!("{}", serde_json::to_string_pretty(&contribution)?);
    Ok(())
}

pub fn signed_in(
    command: BpuCommand,
    store: &mut Store,
    actor: &Actor,
    now: DateTime<FixedOffset>,
) -> anyhow::Result<()> {
    match command {
        BpuCommand::Register { file } => {
            let fields = input::read_object(file.as_deref())?;
            let saved = plkk_store::register_bpu(store, actor, &fields, now)?;
            report::saved(&saved);
        }
        BpuCommand::List { search, json } => {
            let found = plkk_store::list_bpu(store, actor, search.as_deref().unwrap_or(""))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&found)?);
            } else {
                for view in &found {
                    println!("{}", line(view));
                }
                eprintln!("{} registration(s)", found.len());
            }
            if found.len() as i64 == plkk_store::BPU_LIST_LIMIT {
                eprintln!(
                    "note: the newest {} registrations shown; more may match (--search)",
                    plkk_store::BPU_LIST_LIMIT
                );
            }
        }
        BpuCommand::Show { id, json } => {
            let view = plkk_store::show_bpu(store, actor, &id, now)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                println!("{}", line(&view));
                println!(
                    "contribution Rp{} a month, Rp{} for {} month(s), tariff {}",
                    view.contribution.monthly_total,
                    view.contribution.period_total,
                    view.registration.period_months,
                    view.contribution.tariff_version
                );
                if let Some(reason) = &view.decision_reason {
                    println!("rejected: {reason}");
                }
                for warning in &view.warnings {
                    println!("warning: {warning}");
                }
            }
        }
        BpuCommand::Quote { .. } => unreachable!("quote runs before sign-in"),
    }
    Ok(())
}

/// One line of the list: id, saved, name, NIK, occupation, monthly total, status, KPJ, sync.
fn line(view: &BpuView) -> String {
    format!(
        "{}  {}  {:<30}  {}  {:<16}  Rp{:<8}  {:<10}  {:<11}  {}",
        view.registration.id,
        view.written_at.format("%Y-%m-%d %H:%M"),
        view.registration.full_name,
        view.registration.nik,
        view.registration.occupation.as_str(),
        view.contribution.monthly_total,
        view.status.as_str(),
        view.kpj.as_deref().unwrap_or("-"),
        view.sync_state.as_str(),
    )
}
