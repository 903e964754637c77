//! Daftar BPU's commands (issue 11), each one call into `plkk-store`: register, check a form as
//! typed (the save's rules and the duplicate-NIK warnings), the contribution as typed, the list,
//! one registration, this month's count for the home screen, and what a later intake learns of a
//! registered NIK.

use chrono::{Datelike, NaiveDate};
use plkk_domain::{Contribution, JsonObject, Occupation, Quote};
use plkk_store::{BpuCheck, BpuView, KnownParticipant, Saved};
use tauri::State;

use crate::desk::{now, CommandError, Desk};

#[tauri::command(async)]
pub fn bpu_register(desk: State<'_, Desk>, fields: JsonObject) -> Result<Saved, CommandError> {
    let saved =
        desk.with_session(|store, actor| plkk_store::register_bpu(store, actor, &fields, now()))?;
    desk.wake_sync();
    Ok(saved)
}

#[tauri::command(async)]
pub fn bpu_check(desk: State<'_, Desk>, fields: JsonObject) -> Result<BpuCheck, CommandError> {
    desk.with_session(|store, actor| plkk_store::bpu_check(store, actor, &fields, now()))
}

/// The contribution of what is typed so far (income, JHT, months, occupation, start date).
#[tauri::command(async)]
pub fn bpu_quote(
    desk: State<'_, Desk>,
    income: u64,
    jht: bool,
    months: u32,
    occupation: Option<String>,
    starts_on: Option<NaiveDate>,
) -> Result<Contribution, CommandError> {
    let quote = Quote {
        income,
        jht,
        months,
        occupation: occupation.as_deref().and_then(Occupation::parse),
        starts_on: starts_on.unwrap_or_else(|| now().date_naive()),
    };
    desk.with_session(|store, _| {
        Ok::<_, plkk_store::StoreError>(plkk_store::quote(store.data_dir(), quote))
    })
}

#[tauri::command(async)]
pub fn bpu_list(desk: State<'_, Desk>, search: String) -> Result<Vec<BpuView>, CommandError> {
    desk.with_session(|store, actor| plkk_store::list_bpu(store, actor, &search))
}

#[tauri::command(async)]
pub fn bpu_show(desk: State<'_, Desk>, id: String) -> Result<BpuView, CommandError> {
    desk.with_session(|store, actor| plkk_store::show_bpu(store, actor, &id, now()))
}

/// How many people this desk registered this month (the desk's local month).
#[tauri::command(async)]
pub fn bpu_month_count(desk: State<'_, Desk>) -> Result<u64, CommandError> {
    let today = now().date_naive();
    let first = today.with_day(1).unwrap_or(today);
    desk.with_session(|store, actor| plkk_store::bpu_count_in_month(store, actor, first))
}

#[tauri::command(async)]
pub fn bpu_known(
    desk: State<'_, Desk>,
    nik: String,
) -> Result<Option<KnownParticipant>, CommandError> {
    desk.with_session(|store, actor| plkk_store::known_participant(store, actor, &nik))
}
