//! The desk's keys. The desk database is encrypted (SQLCipher) with one random 256-bit data key.
//! That key is never stored in the clear: `keyring.json` in the data directory holds it wrapped
//! (XChaCha20-Poly1305) once per account under a key derived from the account's password with
//! argon2id, and once under the clinic's recovery key. Unwrapping is how a password is checked, so
//! sign-in works offline; removing an account's wrap removes its way in. The keyring also counts
//! failed sign-ins per username (five in a row → a growing delay) and keeps them until the audit log
//! (inside the encrypted database) can record them.
//!
//! PINs are hashed (argon2id, PHC string) for the accounts table; a PIN never unwraps the key, so it
//! only unlocks a desk whose database is already open.

mod error;
mod kdf;
mod key;
mod keyring;
mod lockout;
mod wrap;

pub use error::{SignInError, VaultError};
pub use kdf::{hash_secret, hash_secret_with, verify_secret, KdfParams};
pub use key::{DataKey, RecoveryKey};
pub use keyring::{Keyring, KEYRING_FILE_NAME};
pub use lockout::{lockout_delay, PendingFailure, FREE_ATTEMPTS};

#[cfg(test)]
mod tests;
