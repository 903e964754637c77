//! The desktop app's session: whether the desk is set up, the database once someone signed in
//! (it stays open for the rest of the run, so the sync engine goes on while the screen is locked),
//! who is signed in, and whether the screen is locked. It owns the lock rules, so they are tested
//! without a window:
//!
//! - nothing that touches records runs while nobody is signed in ([`StoreError::SignedOut`]) or
//!   the screen is locked ([`StoreError::Locked`]);
//! - the first password sign-in of a run opens the database; later ones (switching user,
//!   unlocking) check the password against the keyring with the database already open;
//! - a PIN only unlocks a desk whose database is open;
//! - locking keeps the person and the database; signing out forgets the person, not the database;
//! - locking and signing out are audited (a second lock in a row writes nothing);
//! - the recovery key sets an administrator's new password and signs them in.
//!
//! The window's backups and patient reports go into a folder the administrator picks, under a
//! name the desk gives them ([`DeskSession::backup_into`], [`DeskSession::patient_report_into`]).
//!
//! The idle time after which the window locks is a setting ([`crate::idle_lock_minutes`]); the
//! window's timer calls [`DeskSession::lock`].

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use plkk_domain::AuditAction;
use plkk_vault::KdfParams;
use serde::Serialize;

use crate::access::Actor;
use crate::accounts::{Account, NewAccount};
use crate::backup::BackupDone;
use crate::letters::{LetterDone, LetterKind};
use crate::patient_report::PatientReportDone;
use crate::settings::Language;
use crate::{DeskAccess, Store, StoreError};

/// The window's session over one data directory (see the module's rules).
#[derive(Debug)]
pub struct DeskSession {
    data_dir: PathBuf,
    kdf: KdfParams,
    open: Option<(Store, DeskAccess)>,
    actor: Option<Actor>,
    locked: bool,
}

/// What setup hands the window: the recovery key to show once, the first administrator (signed
/// in), and how many records of an older unencrypted database were encrypted.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SetUp {
    pub recovery_key: String,
    pub user: Account,
    pub migrated_records: u64,
}

/// Where the window stands, for its first screen and after each sign-in or lock.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SessionInfo {
    pub data_dir: String,
    pub language: Language,
    /// Why setup cannot run here (a database file that cannot be read), if it cannot.
    pub store_error: Option<String>,
    /// The desk clock's UTC offset, `+07:00`.
    pub utc_offset: String,
    /// "setup", "sign_in" or "open".
    #[cfg_attr(feature = "ts", ts(type = "\"setup\" | \"sign_in\" | \"open\""))]
    pub phase: &'static str,
    pub user: Option<Account>,
    pub locked: bool,
    pub idle_lock_minutes: u32,
    /// Records of an older unencrypted database that setup will encrypt.
    pub unencrypted_records: Option<u64>,
    /// The disk is full or nearly (the desk is using its reserve of space): free space soon.
    pub disk_full: bool,
}

impl DeskSession {
    /// A session over `data_dir`, nobody signed in; `kdf` is the cost of new key wraps and PIN
    /// hashes (setup, password changes).
    pub fn new(data_dir: PathBuf, kdf: KdfParams) -> DeskSession {
        DeskSession {
            data_dir,
            kdf,
            open: None,
            actor: None,
            locked: false,
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The cost of new key wraps and PIN hashes.
    pub fn kdf(&self) -> KdfParams {
        self.kdf
    }

    /// The open database and its access, whoever is signed in (figures without patient data, the
    /// sync engine); None before the first sign-in of the run.
    pub fn open(&self) -> Option<(&Store, &DeskAccess)> {
        self.open.as_ref().map(|(store, access)| (store, access))
    }

    pub fn is_locked(&self) -> bool {
        self.locked
    }

    /// The signed-in person and the open store, refused while signed out or locked.
    pub fn signed_in(&mut self) -> Result<(&mut Store, &Actor), StoreError> {
        let (Some((store, _)), Some(actor)) = (self.open.as_mut(), self.actor.as_ref()) else {
            return Err(StoreError::SignedOut);
        };
        if self.locked {
            return Err(StoreError::Locked);
        }
        Ok((store, actor))
    }

    /// The desk's access for the signed-in person (refused while signed out or locked).
    pub fn signed_in_access(&mut self) -> Result<(DeskAccess, Actor), StoreError> {
        self.signed_in()?;
        match (&self.open, &self.actor) {
            (Some((_, access)), Some(actor)) => Ok((access.clone(), actor.clone())),
            _ => Err(StoreError::SignedOut),
        }
    }

    /// First run: the first administrator, the keys; the administrator is signed in.
    pub fn setup(
        &mut self,
        admin: &NewAccount<'_>,
        now: DateTime<FixedOffset>,
    ) -> Result<SetUp, StoreError> {
        let done = crate::setup(&self.data_dir, admin, self.kdf, now)?;
        self.open = Some((done.store, done.access));
        self.begin(done.admin.actor());
        Ok(SetUp {
            recovery_key: done.recovery_key,
            user: done.admin,
            migrated_records: done.migrated_records,
        })
    }

    /// Signs in with a password: opens the database on the first sign-in of the run; afterwards
    /// switches user or unlocks the screen.
    pub fn sign_in(
        &mut self,
        username: &str,
        password: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Account, StoreError> {
        let username = username.trim();
        let actor = match &self.open {
            Some((store, _)) => {
                crate::sign_in_open(store, &self.data_dir, username, password, now)?
            }
            None => {
                let signed = crate::sign_in(&self.data_dir, username, password, "app", now)?;
                self.open = Some((signed.store, signed.access));
                signed.actor
            }
        };
        self.begin(actor);
        self.account()
    }

    /// Unlocks with the quick-unlock PIN (only while the database is open).
    pub fn unlock_with_pin(
        &mut self,
        username: &str,
        pin: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Account, StoreError> {
        let Some((store, _)) = &self.open else {
            return Err(StoreError::SignedOut);
        };
        let actor = crate::unlock_with_pin(store, &self.data_dir, username.trim(), pin, now)?;
        self.begin(actor);
        self.account()
    }

    /// "Lupa kata sandi?": sets the administrator `username`'s new password with the recovery key
    /// and signs them in with it.
    pub fn recover(
        &mut self,
        username: &str,
        recovery_key: &str,
        new_password: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Account, StoreError> {
        let username = username.trim();
        crate::recover(
            &self.data_dir,
            username,
            recovery_key,
            new_password,
            self.kdf,
            now,
        )?;
        self.sign_in(username, new_password, now)
    }

    /// Locks the screen (the idle timer or "Kunci"); the person, the database and the sync stay.
    pub fn lock(&mut self, now: DateTime<FixedOffset>) -> Result<(), StoreError> {
        if let (Some((store, _)), Some(actor), false) = (&self.open, &self.actor, self.locked) {
            crate::record_event(store, actor, AuditAction::Lock, None, now)?;
        }
        self.locked = true;
        Ok(())
    }

    /// Signs out: the person is forgotten; the database stays open for the next sign-in.
    pub fn sign_out(&mut self, now: DateTime<FixedOffset>) -> Result<(), StoreError> {
        if let (Some((store, _)), Some(actor)) = (&self.open, &self.actor) {
            crate::record_event(store, actor, AuditAction::SignOut, None, now)?;
        }
        self.actor = None;
        self.locked = false;
        Ok(())
    }

    /// Changes a password for the signed-in person: their own (with `current`), or another
    /// account's as an administrator ([`crate::change_password`]).
    pub fn change_password(
        &mut self,
        username: &str,
        current: Option<&str>,
        new: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let mut keyring = crate::session::load_keyring(&self.data_dir)?;
        let kdf = self.kdf;
        let (store, actor) = self.signed_in()?;
        let change = crate::PasswordChange {
            username,
            current,
            new,
        };
        crate::change_password(store, &mut keyring, actor, &change, kdf, now)
    }

    /// Adds an account (administrators; [`crate::add_account`]).
    pub fn add_account(
        &mut self,
        new: &NewAccount<'_>,
        now: DateTime<FixedOffset>,
    ) -> Result<Account, StoreError> {
        let mut keyring = crate::session::load_keyring(&self.data_dir)?;
        let kdf = self.kdf;
        let (store, actor) = self.signed_in()?;
        crate::add_account(store, &mut keyring, actor, new, kdf, now)
    }

    /// Removes an account (administrators; [`crate::remove_account`]).
    pub fn remove_account(
        &mut self,
        username: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let mut keyring = crate::session::load_keyring(&self.data_dir)?;
        let (store, actor) = self.signed_in()?;
        crate::remove_account(store, &mut keyring, actor, username, now)
    }

    /// Sets or clears a PIN: one's own, or another's as an administrator ([`crate::set_pin`]).
    pub fn set_pin(
        &mut self,
        username: &str,
        pin: Option<&str>,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let kdf = self.kdf;
        let (store, actor) = self.signed_in()?;
        crate::set_pin(store, actor, username, pin, kdf, now)
    }

    /// The signed-in person's account.
    pub fn account(&self) -> Result<Account, StoreError> {
        let (Some((store, _)), Some(actor)) = (&self.open, &self.actor) else {
            return Err(StoreError::SignedOut);
        };
        crate::account(store, &actor.username)?.ok_or(StoreError::SignedOut)
    }

    /// Writes a role refusal the window met to the audit log, for the signed-in person.
    pub fn record_refusal(
        &self,
        refusal: &StoreError,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        match (&self.open, &self.actor) {
            (Some((store, _)), Some(actor)) => crate::record_refusal(store, actor, refusal, now),
            _ => Ok(()),
        }
    }

    /// A backup into `folder` (a USB stick, say), named for the time it was made
    /// ([`crate::backup_file_name`]); administrators only.
    pub fn backup_into(
        &mut self,
        folder: &Path,
        now: DateTime<FixedOffset>,
    ) -> Result<BackupDone, StoreError> {
        let (store, actor) = self.signed_in()?;
        crate::backup(
            store,
            actor,
            &folder.join(crate::backup_file_name(now)),
            now,
        )
    }

    /// Everything held about the person with `nik`, as a PDF in `folder` in the desk's language
    /// ([`crate::patient_report_file_name`]); administrators only.
    pub fn patient_report_into(
        &mut self,
        nik: &str,
        folder: &Path,
        now: DateTime<FixedOffset>,
    ) -> Result<PatientReportDone, StoreError> {
        let language = crate::language(&self.data_dir);
        let (store, actor) = self.signed_in()?;
        let output = folder.join(crate::patient_report_file_name(nik, now));
        crate::patient_report(store, actor, nik, &output, language, now)
    }

    /// The `kind` letter of case `case_id` into `folder`, in the desk's language, named by
    /// [`crate::letter_file_name`].
    pub fn letter_into(
        &mut self,
        case_id: &str,
        kind: LetterKind,
        folder: &Path,
        now: DateTime<FixedOffset>,
    ) -> Result<LetterDone, StoreError> {
        let language = crate::language(&self.data_dir);
        let (store, actor) = self.signed_in()?;
        let output = folder.join(crate::letter_file_name(kind, case_id, now));
        crate::letter(store, actor, case_id, kind, &output, language, now)
    }

    /// Where the window stands.
    pub fn info(&self, now: DateTime<FixedOffset>) -> SessionInfo {
        let data_dir = &self.data_dir;
        let needs_setup = crate::desk_phase(data_dir) == crate::DeskPhase::NeedsSetup;
        let store = self.open.as_ref().map(|(store, _)| store);
        SessionInfo {
            data_dir: data_dir.display().to_string(),
            language: crate::language(data_dir),
            store_error: needs_setup
                .then(|| crate::setup_obstacle(data_dir))
                .flatten(),
            utc_offset: now.format("%:z").to_string(),
            phase: match (needs_setup, store.is_some()) {
                (true, _) => "setup",
                (false, false) => "sign_in",
                (false, true) => "open",
            },
            user: self.account().ok(),
            locked: self.locked,
            idle_lock_minutes: store
                .and_then(|store| crate::idle_lock_minutes(store).ok())
                .unwrap_or(crate::DEFAULT_IDLE_LOCK_MINUTES),
            unencrypted_records: needs_setup
                .then(|| crate::unencrypted_records(data_dir))
                .flatten(),
            disk_full: store.is_some_and(Store::disk_full),
        }
    }

    fn begin(&mut self, actor: Actor) {
        self.actor = Some(actor);
        self.locked = false;
    }
}
