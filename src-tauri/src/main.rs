//! PLKK Desk, the desktop app: a Tauri 2 window over the desk's store and its sync engine. This
//! crate only wires Tauri to the library crates; every command is a few lines calling `plkk-store`
//! or `plkk-sync`.

// Hide the console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod bpu;
mod commands;
mod desk;
mod documents;
mod form_aids;
mod letters;
mod logging;

fn main() {
    use_webkit_without_compositing();
    let settings = desk::Settings::from_environment();
    logging::install(&settings.data_dir, settings.log_filter.as_deref());
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        data_dir = %settings.data_dir.display(),
        "plkk-desk starting"
    );
    // Held while the app runs: `plkk restore` refuses to replace a desk a window has open.
    let _in_use = plkk_store::hold_desk(&settings.data_dir)
        .inspect_err(|error| tracing::warn!(%error, "the desk is not held against a restore"))
        .ok();
    let desk = desk::Desk::new(settings);
    tauri::Builder::default()
        .manage(desk)
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::set_language,
            commands::setup,
            commands::sign_in,
            commands::unlock_pin,
            commands::recover,
            commands::account_password,
            commands::lock,
            commands::sign_out,
            commands::accounts_list,
            commands::account_add,
            commands::account_remove,
            commands::account_set_pin,
            commands::set_idle_lock,
            commands::export_csv,
            commands::default_folder,
            commands::backup_state,
            commands::backup_make,
            commands::patient_report_make,
            commands::audit_list,
            commands::audit_verify,
            commands::case_printed,
            commands::intake_add,
            commands::intake_list,
            commands::intake_show,
            commands::intake_find_by_nik,
            commands::intake_correct,
            commands::note_add,
            commands::nik_decode,
            commands::sync_status,
            commands::sync_now,
            commands::enroll,
            commands::quarantine_list,
            commands::quarantine_resend,
            commands::first_paint,
            form_aids::intake_check,
            form_aids::note_check,
            form_aids::icd10_search,
            form_aids::employer_offers,
            form_aids::returning_patient,
            form_aids::drafts_list,
            form_aids::draft_save,
            form_aids::draft_clear,
            form_aids::staff_names,
            bpu::bpu_register,
            bpu::bpu_check,
            bpu::bpu_quote,
            bpu::bpu_list,
            bpu::bpu_show,
            bpu::bpu_month_count,
            bpu::bpu_known,
            letters::letter_make,
            documents::document_attach,
            documents::document_attach_bytes,
            documents::document_list,
            documents::document_bytes,
            documents::document_data_url,
            documents::document_remove,
        ])
        .run(tauri::generate_context!())
        .expect("the desk window could not start");
}

/// WebKitGTK's accelerated compositing runs on software GL where there is no GPU (Xvfb, many
/// low-end clinic PCs on Linux) and costs about 90 MB for a forms UI that gains nothing from it.
/// Set before any thread starts; a value the user set is kept. Windows (WebView2) is unaffected.
fn use_webkit_without_compositing() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}
