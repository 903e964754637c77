//! Reading a record as a JSON object from a file or standard input.

use std::io::Read;
use std::path::Path;

use plkk_domain::JsonObject;

use crate::report::CliError::BadInput;

pub fn read_object(file: Option<&Path>) -> anyhow::Result<JsonObject> {
    let (text, source) = match file {
        Some(path) => (
            std::fs::read_to_string(path)
                .map_err(|error| BadInput(format!("cannot read {}: {error}", path.display())))?,
            path.display().to_string(),
        ),
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|error| BadInput(format!("cannot read standard input: {error}")))?;
            (text, "standard input".to_owned())
        }
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|error| BadInput(format!("{source} is not valid JSON: {error}")))?;
    match value {
        serde_json::Value::Object(object) => Ok(object),
        other => Err(BadInput(format!(
            "{source} must hold a JSON object of fields, not {}",
            json_kind(&other)
        ))
        .into()),
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The text of the file at `path` (a certificate, say); a file that cannot be read is refused as
/// input (exit 2), naming it.
pub fn read_text(path: &Path) -> Result<String, crate::report::CliError> {
    std::fs::read_to_string(path)
        .map_err(|error| BadInput(format!("cannot read {}: {error}", path.display())))
}
