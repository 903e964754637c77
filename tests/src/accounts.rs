//! A set-up desk for the tests: the first administrator plus a receptionist and a nurse, created
//! through the same library calls as `plkk setup` and `plkk account add`, with argon2 parameters
//! cheap enough for hundreds of sign-ins (`KdfParams::FAST`; the cost is stored with each wrap).

use std::path::Path;

use plkk_domain::Role;
use plkk_store::{Actor, DeskAccess, NewAccount, SignedIn};
use plkk_vault::{KdfParams, Keyring};

/// One staff account of the test desks.
#[derive(Debug, Clone, Copy)]
pub struct Staff {
    pub username: &'static str,
    pub display_name: &'static str,
    pub password: &'static str,
    pub role: Role,
}

pub const ADMIN: Staff = Staff {
    username: "admin",
    display_name: "Dewi Administrator",
    password: "admin-pass-1",
    role: Role::Admin,
};
pub const RECEPTIONIST: Staff = Staff {
    username: "rina",
    display_name: "Rina Resepsionis",
    password: "rina-pass-1",
    role: Role::Receptionist,
};
pub const NURSE: Staff = Staff {
    username: "ani",
    display_name: "Ani Perawat",
    password: "ani-pass-12",
    role: Role::Nurse,
};
/// The nurse's quick-unlock PIN.
pub const NURSE_PIN: &str = "246810";

impl Staff {
    pub fn of(role: Role) -> Staff {
        match role {
            Role::Admin => ADMIN,
            Role::Receptionist => RECEPTIONIST,
            Role::Nurse => NURSE,
        }
    }

    /// The actor this account signs in as (for in-memory stores, which have no accounts).
    pub fn actor(&self) -> Actor {
        Actor {
            username: self.username.to_owned(),
            display_name: self.display_name.to_owned(),
            role: self.role,
        }
    }

    /// Signs in on `data_dir` with the password.
    pub fn sign_in(&self, data_dir: &Path) -> SignedIn {
        plkk_store::sign_in(data_dir, self.username, self.password, "test", now())
            .unwrap_or_else(|error| panic!("{} signs in: {error}", self.username))
    }
}

/// What setting a test desk up gives.
#[derive(Debug)]
pub struct SetUpDesk {
    pub access: DeskAccess,
    pub recovery_key: String,
}

/// Sets `data_dir` up with ADMIN, RECEPTIONIST and NURSE (with NURSE_PIN).
pub fn set_up_desk(data_dir: &Path) -> SetUpDesk {
    let admin = NewAccount {
        username: ADMIN.username,
        display_name: ADMIN.display_name,
        role: Role::Admin,
        password: ADMIN.password,
        pin: None,
    };
    let mut done = plkk_store::setup(data_dir, &admin, KdfParams::FAST, now()).expect("setup");
    let actor = done.admin.actor();
    let mut keyring = Keyring::load(data_dir).expect("the keyring");
    for (staff, pin) in [(RECEPTIONIST, None), (NURSE, Some(NURSE_PIN))] {
        let new = NewAccount {
            username: staff.username,
            display_name: staff.display_name,
            role: staff.role,
            password: staff.password,
            pin,
        };
        plkk_store::add_account(
            &mut done.store,
            &mut keyring,
            &actor,
            &new,
            KdfParams::FAST,
            now(),
        )
        .expect("an account");
    }
    SetUpDesk {
        access: done.access,
        recovery_key: done.recovery_key,
    }
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}
