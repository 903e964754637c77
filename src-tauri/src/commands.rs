//! The commands the UI invokes (see `ui/src/lib/api.ts`). Each one is an adapter: it takes the
//! arguments, calls one library function with the desk's clock and the signed-in person, and
//! returns its answer. `async` runs them off the UI thread, since SQLite calls and key derivation
//! block. A successful local write wakes the sync engine.

use plkk_domain::{Action, AuditAction, AuditEntry, JsonObject, NikFacts, Role};
use plkk_store::{
    Account, AuditReport, BackupDone, BackupState, CaseDetail, CaseListItem, ExportDone, Language,
    ListQuery, NewAccount, PatientReportDone, QuarantinedEntry, Saved,
};
use plkk_sync::{EnrollOptions, Enrolled, SyncStatus, SyncSummary};
use serde::Serialize;
use tauri::State;

use crate::desk::{export_dir, now, CommandError, Desk};

/// What the window needs to know at start (and after each sign-in or lock).
#[derive(Debug, Serialize)]
pub struct AppInfo {
    data_dir: String,
    language: Language,
    store_error: Option<String>,
    utc_offset: String,
    /// "setup", "sign_in" or "open".
    phase: &'static str,
    user: Option<Account>,
    locked: bool,
    idle_lock_minutes: u32,
    /// Records of an older unencrypted database that setup will encrypt.
    unencrypted_records: Option<u64>,
    /// The disk is full or nearly (the desk is using its reserve of space): free space soon.
    disk_full: bool,
}

#[tauri::command(async)]
pub fn app_info(desk: State<'_, Desk>) -> AppInfo {
    let data_dir = &desk.data_dir;
    let needs_setup = plkk_store::desk_phase(data_dir) == plkk_store::DeskPhase::NeedsSetup;
    let state = desk.state();
    let open = state.open.as_ref();
    let user = open
        .zip(state.session.as_ref())
        .and_then(|(open, actor)| plkk_store::account(&open.store, &actor.username).ok())
        .flatten();
    AppInfo {
        data_dir: data_dir.display().to_string(),
        language: plkk_store::language(data_dir),
        store_error: needs_setup
            .then(|| plkk_store::setup_obstacle(data_dir))
            .flatten(),
        utc_offset: now().format("%:z").to_string(),
        phase: match (needs_setup, open.is_some()) {
            (true, _) => "setup",
            (false, false) => "sign_in",
            (false, true) => "open",
        },
        user,
        locked: state.locked,
        idle_lock_minutes: open
            .and_then(|open| plkk_store::idle_lock_minutes(&open.store).ok())
            .unwrap_or(plkk_store::DEFAULT_IDLE_LOCK_MINUTES),
        unencrypted_records: needs_setup
            .then(|| plkk_store::unencrypted_records(data_dir))
            .flatten(),
        disk_full: open.is_some_and(|open| open.store.disk_full()),
    }
}

#[tauri::command(async)]
pub fn set_language(desk: State<'_, Desk>, language: Language) -> Result<(), CommandError> {
    Ok(plkk_store::set_language(&desk.data_dir, language)?)
}

#[derive(Debug, Serialize)]
pub struct SetupAnswer {
    recovery_key: String,
    user: Account,
    migrated_records: u64,
}

/// First run: the first administrator, the keys, and the recovery key to show once.
#[tauri::command(async)]
pub fn setup(
    desk: State<'_, Desk>,
    admin_user: String,
    admin_name: String,
    password: String,
    pin: Option<String>,
) -> Result<SetupAnswer, CommandError> {
    let admin = NewAccount {
        username: admin_user.trim(),
        display_name: &admin_name,
        role: Role::Admin,
        password: &password,
        pin: pin.as_deref().filter(|pin| !pin.is_empty()),
    };
    let params = plkk_vault::KdfParams::from_environment();
    let done = plkk_store::setup(&desk.data_dir, &admin, params, now())?;
    let mut state = desk.state();
    state.session = Some(done.admin.actor());
    state.locked = false;
    desk.opened(&mut state, done.store, done.access);
    Ok(SetupAnswer {
        recovery_key: done.recovery_key,
        user: done.admin,
        migrated_records: done.migrated_records,
    })
}

/// Signs in with a password: opens the database on the first sign-in of this run; afterwards
/// switches user or unlocks the screen.
#[tauri::command(async)]
pub fn sign_in(
    desk: State<'_, Desk>,
    username: String,
    password: String,
) -> Result<Account, CommandError> {
    let username = username.trim().to_owned();
    let mut state = desk.state();
    let actor = match state.open.as_ref() {
        Some(open) => {
            plkk_store::sign_in_open(&open.store, &desk.data_dir, &username, &password, now())?
        }
        None => {
            let signed = plkk_store::sign_in(&desk.data_dir, &username, &password, "app", now())?;
            desk.opened(&mut state, signed.store, signed.access);
            signed.actor
        }
    };
    state.session = Some(actor);
    state.locked = false;
    account_of_session(&state)
}

/// Unlocks with the quick-unlock PIN (only while the database is open).
#[tauri::command(async)]
pub fn unlock_pin(
    desk: State<'_, Desk>,
    username: String,
    pin: String,
) -> Result<Account, CommandError> {
    let mut state = desk.state();
    let Some(open) = state.open.as_ref() else {
        return Err(CommandError::plain(
            "signed_out",
            "sign in with your password first",
        ));
    };
    let actor =
        plkk_store::unlock_with_pin(&open.store, &desk.data_dir, username.trim(), &pin, now())?;
    state.session = Some(actor);
    state.locked = false;
    account_of_session(&state)
}

fn account_of_session(state: &crate::desk::DeskState) -> Result<Account, CommandError> {
    let (Some(open), Some(actor)) = (state.open.as_ref(), state.session.as_ref()) else {
        return Err(CommandError::plain("signed_out", "nobody is signed in"));
    };
    plkk_store::account(&open.store, &actor.username)?
        .ok_or_else(|| CommandError::plain("signed_out", "the account no longer exists"))
}

/// Locks the screen (idle timer or "Kunci"); the session and the sync go on underneath.
#[tauri::command(async)]
pub fn lock(desk: State<'_, Desk>) -> Result<(), CommandError> {
    let mut state = desk.state();
    if let (Some(open), Some(actor)) = (state.open.as_ref(), state.session.as_ref()) {
        if !state.locked {
            plkk_store::record_event(&open.store, actor, AuditAction::Lock, None, now())?;
        }
    }
    state.locked = true;
    Ok(())
}

#[tauri::command(async)]
pub fn sign_out(desk: State<'_, Desk>) -> Result<(), CommandError> {
    let mut state = desk.state();
    if let (Some(open), Some(actor)) = (state.open.as_ref(), state.session.as_ref()) {
        plkk_store::record_event(&open.store, actor, AuditAction::SignOut, None, now())?;
    }
    state.session = None;
    state.locked = false;
    Ok(())
}

#[tauri::command(async)]
pub fn accounts_list(desk: State<'_, Desk>) -> Result<Vec<Account>, CommandError> {
    desk.with_session(|store, actor| plkk_store::list_accounts(store, actor))
}

#[tauri::command(async)]
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
    desk.with_session(|store, actor| {
        let mut keyring = plkk_vault::Keyring::load(&desk.data_dir)?;
        plkk_store::add_account(store, &mut keyring, actor, &new, now())
    })
}

#[tauri::command(async)]
pub fn account_remove(desk: State<'_, Desk>, username: String) -> Result<(), CommandError> {
    desk.with_session(|store, actor| {
        let mut keyring = plkk_vault::Keyring::load(&desk.data_dir)?;
        plkk_store::remove_account(store, &mut keyring, actor, &username, now())
    })
}

#[tauri::command(async)]
pub fn account_set_pin(
    desk: State<'_, Desk>,
    username: String,
    pin: Option<String>,
) -> Result<(), CommandError> {
    let pin = pin.filter(|pin| !pin.is_empty());
    desk.with_session(|store, actor| {
        plkk_store::set_pin(store, actor, &username, pin.as_deref(), now())
    })
}

#[tauri::command(async)]
pub fn set_idle_lock(desk: State<'_, Desk>, minutes: u32) -> Result<(), CommandError> {
    desk.with_session(|store, actor| {
        plkk_store::set_idle_lock_minutes(store, actor, minutes, now())
    })
}

#[tauri::command(async)]
pub fn export_csv(
    desk: State<'_, Desk>,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<ExportDone, CommandError> {
    let out_dir = export_dir(&desk.data_dir);
    desk.with_session(|store, actor| {
        plkk_store::export_csv(store, actor, from, to, &out_dir, now())
    })
}

/// The folder backups and reports go to unless the administrator picks another: Downloads.
#[tauri::command(async)]
pub fn default_folder(desk: State<'_, Desk>) -> String {
    export_dir(&desk.data_dir).display().to_string()
}

#[tauri::command(async)]
pub fn backup_state(desk: State<'_, Desk>) -> Result<BackupState, CommandError> {
    desk.with_session(|store, _actor| plkk_store::backup_state(store, now()))
}

/// A backup into `folder` (a USB stick, say), named for the time it was made.
#[tauri::command(async)]
pub fn backup_make(desk: State<'_, Desk>, folder: String) -> Result<BackupDone, CommandError> {
    let at = now();
    let path = std::path::Path::new(&folder).join(plkk_store::backup_file_name(at));
    desk.with_session(|store, actor| plkk_store::backup(store, actor, &path, at))
}

/// Everything held about the person with `nik`, as a PDF in `folder`.
#[tauri::command(async)]
pub fn patient_report_make(
    desk: State<'_, Desk>,
    nik: String,
    folder: String,
) -> Result<PatientReportDone, CommandError> {
    let at = now();
    let path = std::path::Path::new(&folder).join(plkk_store::patient_report_file_name(&nik, at));
    let language = plkk_store::language(&desk.data_dir);
    desk.with_session(|store, actor| {
        plkk_store::patient_report(store, actor, &nik, &path, language, at)
    })
}

#[tauri::command(async)]
pub fn audit_list(desk: State<'_, Desk>, limit: usize) -> Result<Vec<AuditEntry>, CommandError> {
    desk.with_session(|store, actor| plkk_store::audit_list(store, actor, limit))
}

#[tauri::command(async)]
pub fn audit_verify(desk: State<'_, Desk>) -> Result<AuditReport, CommandError> {
    desk.with_session(|store, actor| plkk_store::audit_verify(store, actor))
}

#[tauri::command(async)]
pub fn case_printed(desk: State<'_, Desk>, id: String) -> Result<(), CommandError> {
    desk.with_session(|store, actor| plkk_store::record_print(store, actor, &id, now()))
}

#[tauri::command(async)]
pub fn intake_add(desk: State<'_, Desk>, fields: JsonObject) -> Result<Saved, CommandError> {
    let saved =
        desk.with_session(|store, actor| plkk_store::admit_intake(store, actor, &fields, now()))?;
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
    desk.with_session(|store, actor| plkk_store::list_cases(store, actor, &query))
}

#[tauri::command(async)]
pub fn intake_show(desk: State<'_, Desk>, id: String) -> Result<CaseDetail, CommandError> {
    desk.with_session(|store, actor| plkk_store::show_case(store, actor, &id, now()))
}

#[tauri::command(async)]
pub fn intake_find_by_nik(
    desk: State<'_, Desk>,
    nik: String,
) -> Result<Vec<CaseListItem>, CommandError> {
    desk.with_session(|store, actor| plkk_store::find_by_nik(store, actor, &nik))
}

#[tauri::command(async)]
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
pub fn nik_decode(nik: String) -> Option<NikFacts> {
    plkk_domain::decode_nik(&nik, now().date_naive())
}

/// The sync status bar's figures (no patient data: shown whoever is signed in); `online` from the
/// running engine when it has tried.
#[tauri::command(async)]
pub fn sync_status(desk: State<'_, Desk>) -> Result<SyncStatus, CommandError> {
    let mut status = desk.with_open(|open| plkk_sync::sync_status(&open.store))?;
    if let Some(online) = desk.engine().and_then(|engine| engine.online()) {
        status.online = Some(online);
    }
    Ok(status)
}

/// "Kirim sekarang": one full cycle (push everything, pull everything).
#[tauri::command]
pub async fn sync_now(desk: State<'_, Desk>) -> Result<SyncSummary, CommandError> {
    desk.with_session(|_, actor| plkk_store::require(actor, Action::SyncNow))?;
    match desk.engine() {
        Some(engine) => Ok(engine.sync_now().await?),
        None => Err(CommandError::plain("signed_out", "nobody is signed in")),
    }
}

/// Trades a one-time enrolment code for a device token (administrators); then syncs at once.
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
    let (access, actor) = desk.session_access()?;
    let enrolled = plkk_sync::enroll(&access, &actor, options)
        .await
        .map_err(|error| desk.refused(error.into()))?;
    desk.wake_sync();
    Ok(enrolled)
}

/// Entries the branch rejected, with its reasons.
#[tauri::command(async)]
pub fn quarantine_list(desk: State<'_, Desk>) -> Result<Vec<QuarantinedEntry>, CommandError> {
    desk.with_session(|store, actor| plkk_store::quarantine(store, actor))
}

/// Puts a rejected entry back in the queue, and wakes the engine to send it.
#[tauri::command(async)]
pub fn quarantine_resend(desk: State<'_, Desk>, entry_id: String) -> Result<(), CommandError> {
    desk.with_session(|store, actor| plkk_store::resend(store, actor, &entry_id, now()))?;
    desk.wake_sync();
    Ok(())
}

/// The UI reports its first frame once at start: logged for support staff, and read by
/// `plkk-bench --window` to time app start.
#[tauri::command]
pub fn first_paint() {
    eprintln!("plkk-desk: first paint");
}
