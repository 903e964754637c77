//! Who is using `plkk`: the username from `--user` / `PLKK_USER`, secrets from an environment
//! variable (scripts) or a prompt on the terminal (people). Nothing is read from stdin, which
//! carries records.

use std::io::{BufRead, Write};

use crate::report::CliError::{self, CannotAsk};

/// The username given, or one typed at a prompt.
pub fn username(given: Option<String>) -> Result<String, CliError> {
    if let Some(name) = given.filter(|name| !name.trim().is_empty()) {
        return Ok(name.trim().to_owned());
    }
    let typed = prompt_line("Username: ")
        .map_err(|_| CannotAsk("who is signing in? pass --user or set PLKK_USER".to_owned()))?;
    Ok(typed.trim().to_owned())
}

/// A secret from `variable`, else typed (hidden) at a prompt.
pub fn secret(variable: &str, prompt: &str) -> Result<String, CliError> {
    if let Ok(value) = std::env::var(variable) {
        if !value.is_empty() {
            return Ok(value);
        }
    }
    rpassword::prompt_password(prompt)
        .map_err(|_| CannotAsk(format!("no terminal to ask on: set {variable}")))
}

/// A new secret (password or PIN) typed twice, or taken from `variable` as is.
pub fn new_secret(variable: &str, what: &str) -> Result<String, CliError> {
    if let Ok(value) = std::env::var(variable) {
        if !value.is_empty() {
            return Ok(value);
        }
    }
    let first = secret(variable, &format!("New {what}: "))?;
    let again = secret(variable, &format!("New {what} again: "))?;
    if first != again {
        return Err(CannotAsk(format!("the two {what}s differ")));
    }
    Ok(first)
}

fn prompt_line(prompt: &str) -> std::io::Result<String> {
    #[cfg(unix)]
    let terminal = "/dev/tty";
    #[cfg(windows)]
    let terminal = "CONIN$";
    let input = std::fs::File::open(terminal)?;
    let mut stderr = std::io::stderr();
    stderr.write_all(prompt.as_bytes())?;
    stderr.flush()?;
    let mut line = String::new();
    std::io::BufReader::new(input).read_line(&mut line)?;
    Ok(line)
}
