//! The commands the UI invokes (see `ui/src/lib/api.ts`). Each one is an adapter: it takes the
//! arguments, calls one library function with the desk's clock and author, and returns its answer.
//! `async` runs them off the UI thread, since SQLite calls block. A successful local write wakes
//! the sync engine.

use plkk_domain::{JsonObject, NikFacts};
use plkk_store::{CaseDetail, CaseListItem, Language, ListQuery, QuarantinedEntry, Saved};
use plkk_sync::{EnrollOptions, Enrolled, SyncStatus, SyncSummary};
use serde::Serialize;
use tauri::State;

use crate::desk::{now, CommandError, Desk};

/// What the window needs to know at start.
#[derive(Debug, Serialize)]
pub struct AppInfo {
    data_dir: String,
    language: Language,
    store_error: Option<String>,
    author: String,
    utc_offset: String,
}

#[tauri::command(async)]
pub fn app_info(desk: State<'_, Desk>) -> AppInfo {
    AppInfo {
        data_dir: desk.data_dir.display().to_string(),
        language: desk
            .with_store(|store| plkk_store::language(store))
            .unwrap_or_default(),
        store_error: desk.store_error(),
        author: plkk_store::os_user_name(),
        utc_offset: now().format("%:z").to_string(),
    }
}

#[tauri::command(async)]
pub fn set_language(desk: State<'_, Desk>, language: Language) -> Result<(), CommandError> {
    desk.with_store(|store| plkk_store::set_language(store, language))
}

#[tauri::command(async)]
pub fn intake_add(desk: State<'_, Desk>, fields: JsonObject) -> Result<Saved, CommandError> {
    let author = plkk_store::os_user_name();
    let saved =
        desk.with_store(|store| plkk_store::admit_intake(store, &fields, &author, now()))?;
    desk.wake_sync();
    Ok(saved)
}

#[tauri::command(async)]
pub fn intake_list(
    desk: State<'_, Desk>,
    search: String,
    open_only: bool,
) -> Result<Vec<CaseListItem>, CommandError> {
    let query = ListQuery {
        search,
        open_only,
        limit: 200,
    };
    desk.with_store(|store| plkk_store::list_cases(store, &query))
}

#[tauri::command(async)]
pub fn intake_show(desk: State<'_, Desk>, id: String) -> Result<CaseDetail, CommandError> {
    desk.with_store(|store| plkk_store::show_case(store, &id))
}

#[tauri::command(async)]
pub fn intake_find_by_nik(
    desk: State<'_, Desk>,
    nik: String,
) -> Result<Vec<CaseListItem>, CommandError> {
    desk.with_store(|store| plkk_store::find_by_nik(store, &nik))
}

#[tauri::command(async)]
pub fn intake_correct(
    desk: State<'_, Desk>,
    id: String,
    reason: String,
    changes: JsonObject,
) -> Result<Saved, CommandError> {
    let author = plkk_store::os_user_name();
    let saved = desk.with_store(|store| {
        plkk_store::correct_intake(store, &id, &changes, &reason, &author, now())
    })?;
    desk.wake_sync();
    Ok(saved)
}

#[tauri::command(async)]
pub fn note_add(
    desk: State<'_, Desk>,
    intake_id: String,
    fields: JsonObject,
) -> Result<Saved, CommandError> {
    let author = plkk_store::os_user_name();
    let saved =
        desk.with_store(|store| plkk_store::add_note(store, &intake_id, &fields, &author, now()))?;
    desk.wake_sync();
    Ok(saved)
}

#[tauri::command(async)]
pub fn nik_decode(nik: String) -> Option<NikFacts> {
    plkk_domain::decode_nik(&nik, now().date_naive())
}

/// The sync status bar's figures; `online` from the running engine when it has tried.
#[tauri::command(async)]
pub fn sync_status(desk: State<'_, Desk>) -> Result<SyncStatus, CommandError> {
    let mut status = desk.with_store(|store| plkk_sync::sync_status(store))?;
    if let Some(online) = desk.engine().and_then(|engine| engine.online()) {
        status.online = Some(online);
    }
    Ok(status)
}

/// "Kirim sekarang": one full cycle (push everything, pull everything).
#[tauri::command]
pub async fn sync_now(desk: State<'_, Desk>) -> Result<SyncSummary, CommandError> {
    match desk.engine() {
        Some(engine) => Ok(engine.sync_now().await?),
        None => Ok(plkk_sync::sync_once(&desk.data_dir).await?),
    }
}

/// Trades a one-time enrolment code for a device token; then syncs at once.
#[tauri::command]
pub async fn enroll(
    desk: State<'_, Desk>,
    branch_url: String,
    code: String,
    device_name: String,
    ca_cert_pem: Option<String>,
) -> Result<Enrolled, CommandError> {
    let options = EnrollOptions {
        branch_url,
        code,
        device_name,
        ca_cert_pem: ca_cert_pem.filter(|pem| !pem.trim().is_empty()),
    };
    let enrolled = plkk_sync::enroll(&desk.data_dir, options).await?;
    desk.wake_sync();
    Ok(enrolled)
}

/// Entries the branch rejected, with its reasons.
#[tauri::command(async)]
pub fn quarantine_list(desk: State<'_, Desk>) -> Result<Vec<QuarantinedEntry>, CommandError> {
    desk.with_store(|store| plkk_store::quarantine(store))
}

/// Puts a rejected entry back in the queue, and wakes the engine to send it.
#[tauri::command(async)]
pub fn quarantine_resend(desk: State<'_, Desk>, entry_id: String) -> Result<(), CommandError> {
    desk.with_store(|store| plkk_store::resend(store, &entry_id))?;
    desk.wake_sync();
    Ok(())
}

/// The UI reports its first frame once at start: logged for support staff, and read by
/// `plkk-bench --window` to time app start.
#[tauri::command]
pub fn first_paint() {
    eprintln!("plkk-desk: first paint");
}
