//! PLKK Desk, the desktop app: a Tauri 2 window over the desk's store and its sync engine. This
//! crate only wires Tauri to the library crates; every command is a few lines calling `plkk-store`
//! or `plkk-sync`.

// Hide the console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod desk;

fn main() {
    let desk = desk::Desk::open(desk::data_dir_from_environment());
    tauri::Builder::default()
        .manage(desk)
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::set_language,
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
        ])
        .run(tauri::generate_context!())
        .expect("the desk window could not start");
}
