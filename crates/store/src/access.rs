//! Access checks: who is acting (`Actor`, the signed-in person) and `require`, which refuses an
//! act by the role matrix of `plkk_domain::Role` before anything is read or written. Every store
//! call that reads or writes records takes an `Actor` and calls `require` first.

use plkk_domain::{Action, Role};
use serde::Serialize;

use crate::StoreError;

/// Who is acting: the signed-in person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

/// Refuses `action` unless `actor`'s role permits it.
pub fn require(actor: &Actor, action: Action) -> Result<(), StoreError> {
    if actor.role.permits(action) {
        Ok(())
    } else {
        Err(StoreError::Forbidden {
            role: actor.role,
            action,
        })
    }
}
