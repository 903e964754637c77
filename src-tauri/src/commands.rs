//! The commands the UI invokes (see `ui/src/lib/api.ts`). Each one is an adapter: it takes the
//! arguments, calls one library function with the desk's clock and the signed-in person, and
//! returns its answer. `async` runs them off the UI thread, since SQLite calls and key derivation
//! block. A successful local write wakes the sync engine.

use plkk_domain::{Action, AuditEntry, JsonObject, NikFacts, Role};
use plkk_store::{
    Account, AuditReport, BackupDone, BackupState, CaseDetail, CaseListItem, ExportDone, Language,
    ListQuery, NewAccount, PatientReportDone, QuarantinedEntry, Saved, SessionInfo, SetUp,
    StoreError,
};
use plkk_sync::{EnrollOptions, Enrolled, SyncStatus, SyncSummary};
use tauri::State;

use crate::desk::{now, CommandError, Desk};

/// What the window needs to know at start (and after each sign-in or lock).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn app_info(desk: State<'_, Desk>) -> SessionInfo {
    desk.session().info(now())
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn set_language(desk: State<'_, Desk>, language: Language) -> Result<(), CommandError> {
    Ok(plkk_store::set_language(&desk.settings.data_dir, language)?)
}

/// First run: the first administrator, the keys, and the recovery key to show once.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn setup(
    desk: State<'_, Desk>,
    admin_user: String,
    admin_name: String,
    password: String,
    pin: Option<String>,
) -> Result<SetUp, CommandError> {
    let admin = NewAccount {
        username: admin_user.trim(),
        display_name: &admin_name,
        role: Role::Admin,
        password: &password,
        pin: pin.as_deref().filter(|pin| !pin.is_empty()),
    };
    desk.step(|session| session.setup(&admin, now()))
}

/// Signs in with a password: opens the database on the first sign-in of this run; afterwards
/// switches user or unlocks the screen.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn sign_in(
    desk: State<'_, Desk>,
    username: String,
    password: String,
) -> Result<Account, CommandError> {
    desk.step(|session| session.sign_in(&username, &password, now()))
}

/// Unlocks with the quick-unlock PIN (only while the database is open).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn unlock_pin(
    desk: State<'_, Desk>,
    username: String,
    pin: String,
) -> Result<Account, CommandError> {
    desk.step(|session| session.unlock_with_pin(&username, &pin, now()))
}

/// "Lupa kata sandi?": an administrator's new password with the recovery key; signs them in.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn recover(
    desk: State<'_, Desk>,
    username: String,
    recovery_key: String,
    new_password: String,
) -> Result<Account, CommandError> {
    desk.step(|session| session.recover(&username, &recovery_key, &new_password, now()))
}

/// Locks the screen (idle timer or "Kunci"); the session and the sync go on underneath.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn lock(desk: State<'_, Desk>) -> Result<(), CommandError> {
    desk.step(|session| session.lock(now()))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn sign_out(desk: State<'_, Desk>) -> Result<(), CommandError> {
    desk.step(|session| session.sign_out(now()))
}

/// Changes a password: one's own (with `current`), or another account's (administrators).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn account_password(
    desk: State<'_, Desk>,
    username: String,
    current: Option<String>,
    password: String,
) -> Result<(), CommandError> {
    desk.step(|session| session.change_password(&username, current.as_deref(), &password, now()))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn accounts_list(desk: State<'_, Desk>) -> Result<Vec<Account>, CommandError> {
    desk.with_session(|store, actor| plkk_store::list_accounts(store, actor))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn account_add(
    desk: State<'_, Desk>,
    username: String,
    display_name: String,
    role: Role,
    password: String,
    pin: Option<String>,
) -> Result<Account, CommandError> {
    let new = NewAccount {
        username: username.trim(),
        display_name: &display_name,
        role,
        password: &password,
        pin: pin.as_deref().filter(|pin| !pin.is_empty()),
    };
    desk.step(|session| session.add_account(&new, now()))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn account_remove(desk: State<'_, Desk>, username: String) -> Result<(), CommandError> {
    desk.step(|session| session.remove_account(&username, now()))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn account_set_pin(
    desk: State<'_, Desk>,
    username: String,
    pin: Option<String>,
) -> Result<(), CommandError> {
    let pin = pin.filter(|pin| !pin.is_empty());
    desk.step(|session| session.set_pin(&username, pin.as_deref(), now()))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn set_idle_lock(desk: State<'_, Desk>, minutes: u32) -> Result<(), CommandError> {
    desk.with_session(|store, actor| {
        plkk_store::set_idle_lock_minutes(store, actor, minutes, now())
    })
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn export_csv(
    desk: State<'_, Desk>,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<ExportDone, CommandError> {
    let out_dir = desk.settings.export_dir.clone();
    desk.with_session(|store, actor| {
        plkk_store::export_csv(store, actor, from, to, &out_dir, now())
    })
}

/// The folder backups and reports go to unless the administrator picks another (as exports).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn default_folder(desk: State<'_, Desk>) -> String {
    desk.settings.export_dir.display().to_string()
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn backup_state(desk: State<'_, Desk>) -> Result<BackupState, CommandError> {
    desk.with_session(|store, _actor| plkk_store::backup_state(store, now()))
}

/// A backup into `folder` (a USB stick, say), named for the time it was made.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn backup_make(desk: State<'_, Desk>, folder: String) -> Result<BackupDone, CommandError> {
    desk.step(|session| session.backup_into(folder.as_ref(), now()))
}

/// Everything held about the person with `nik`, as a PDF in `folder`.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn patient_report_make(
    desk: State<'_, Desk>,
    nik: String,
    folder: String,
) -> Result<PatientReportDone, CommandError> {
    desk.step(|session| session.patient_report_into(&nik, folder.as_ref(), now()))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn audit_list(desk: State<'_, Desk>, limit: usize) -> Result<Vec<AuditEntry>, CommandError> {
    desk.with_session(|store, actor| plkk_store::audit_list(store, actor, limit))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn audit_verify(desk: State<'_, Desk>) -> Result<AuditReport, CommandError> {
    desk.with_session(|store, actor| plkk_store::audit_verify(store, actor))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn case_printed(desk: State<'_, Desk>, id: String) -> Result<(), CommandError> {
    desk.with_session(|store, actor| plkk_store::record_print(store, actor, &id, now()))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn intake_add(desk: State<'_, Desk>, fields: JsonObject) -> Result<Saved, CommandError> {
    let saved =
        desk.with_session(|store, actor| plkk_store::admit_intake(store, actor, &fields, now()))?;
    desk.wake_sync();
    Ok(saved)
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
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
    desk.with_session(|store, actor| plkk_store::list_cases(store, actor, &query))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn intake_show(desk: State<'_, Desk>, id: String) -> Result<CaseDetail, CommandError> {
    desk.with_session(|store, actor| plkk_store::show_case(store, actor, &id, now()))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn intake_find_by_nik(
    desk: State<'_, Desk>,
    nik: String,
) -> Result<Vec<CaseListItem>, CommandError> {
    desk.with_session(|store, actor| plkk_store::find_by_nik(store, actor, &nik))
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn intake_correct(
    desk: State<'_, Desk>,
    id: String,
    reason: String,
    changes: JsonObject,
) -> Result<Saved, CommandError> {
    let saved = desk.with_session(|store, actor| {
        plkk_store::correct_intake(store, actor, &id, &changes, &reason, now())
    })?;
    desk.wake_sync();
    Ok(saved)
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn note_add(
    desk: State<'_, Desk>,
    intake_id: String,
    fields: JsonObject,
) -> Result<Saved, CommandError> {
    let saved = desk.with_session(|store, actor| {
        plkk_store::add_note(store, actor, &intake_id, &fields, now())
    })?;
    desk.wake_sync();
    Ok(saved)
}

#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn nik_decode(nik: String) -> Option<NikFacts> {
    plkk_domain::decode_nik(&nik, now().date_naive())
}

/// The sync status bar's figures (no patient data: shown whoever is signed in); `online` from the
/// running engine when it has tried.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn sync_status(desk: State<'_, Desk>) -> Result<SyncStatus, CommandError> {
    let mut status = desk.with_open(plkk_sync::sync_status)?;
    if let Some(online) = desk.engine().and_then(|engine| engine.online()) {
        status.online = Some(online);
    }
    Ok(status)
}

/// "Kirim sekarang": one full cycle (push everything, pull everything).
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn sync_now(desk: State<'_, Desk>) -> Result<SyncSummary, CommandError> {
    desk.with_session(|_, actor| plkk_store::require(actor, Action::SyncNow))?;
    match desk.engine() {
        Some(engine) => Ok(engine.sync_now().await?),
        None => Err(CommandError::store(StoreError::SignedOut)),
    }
}

/// Trades a one-time enrolment code for a device token (administrators); then syncs at once.
#[tauri::command]
#[tracing::instrument(skip_all)]
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
    let (access, actor) = desk.session_access()?;
    let enrolled = plkk_sync::enroll(&access, &actor, options)
        .await
        .map_err(|error| desk.refused(error.into()))?;
    desk.wake_sync();
    Ok(enrolled)
}

/// Entries the branch rejected, with its reasons.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn quarantine_list(desk: State<'_, Desk>) -> Result<Vec<QuarantinedEntry>, CommandError> {
    desk.with_session(|store, actor| plkk_store::quarantine(store, actor))
}

/// Puts a rejected entry back in the queue, and wakes the engine to send it.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn quarantine_resend(desk: State<'_, Desk>, entry_id: String) -> Result<(), CommandError> {
    desk.with_session(|store, actor| plkk_store::resend(store, actor, &entry_id, now()))?;
    desk.wake_sync();
    Ok(())
}

/// The UI reports its first frame once at start: logged for support staff, and read by
/// `plkk-bench --window` to time app start.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub fn first_paint() {
    eprintln!("plkk-desk: first paint");
}
