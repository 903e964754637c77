//! `plkk document` (issue 13): attach a file to a case, list a case's documents, write one to a
//! file, remove one with a reason. Each subcommand is one store call.

use chrono::{DateTime, FixedOffset};
use plkk_store::{Actor, DocumentView, Store};

use crate::args::DocumentCommand;

pub fn signed_in(
    command: DocumentCommand,
    store: &mut Store,
    actor: &Actor,
    now: DateTime<FixedOffset>,
) -> anyhow::Result<()> {
    match command {
        DocumentCommand::Add {
            case_id,
            kind,
            file,
        } => {
            let content = plkk_store::read_document_file(&file)?;
            let name = file.file_name().map(|name| name.to_string_lossy());
            let view = plkk_store::attach_document(
                store,
                actor,
                &case_id,
                &kind,
                name.as_deref(),
                &content,
                now,
            )?;
            eprintln!(
                "attached {} ({}, {} bytes stored of {} bytes)",
                view.kind.as_str(),
                view.media_type.as_str(),
                view.bytes,
                view.original_bytes
            );
            println!("{}", view.id);
        }
        DocumentCommand::List { case_id, json } => {
            let documents = plkk_store::list_documents(store, actor, &case_id)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&documents)?);
            } else {
                for document in &documents {
                    println!("{}", line(document));
                }
                eprintln!("{} document(s)", documents.len());
            }
        }
        DocumentCommand::Get {
            document_id,
            output,
        } => {
            let opened = plkk_store::open_document(store, actor, &document_id, now)?;
            std::fs::write(&output, &opened.content).map_err(|source| {
                plkk_store::StoreError::File {
                    path: output.display().to_string(),
                    source,
                }
            })?;
            eprintln!(
                "{} bytes ({}) written to {}",
                opened.content.len(),
                opened.document.media_type.as_str(),
                output.display()
            );
        }
        DocumentCommand::Remove {
            document_id,
            reason,
        } => {
            let view = plkk_store::remove_document(store, actor, &document_id, &reason, now)?;
            eprintln!("{} removed; it stays in the case's history", view.id);
        }
    }
    Ok(())
}

/// One line: id, kind, stored and original bytes, sync state (with the share uploaded), removed.
fn line(view: &DocumentView) -> String {
    let state = match view.sync_state {
        plkk_store::DocumentSyncState::Uploading => format!(
            "uploading {} %",
            view.uploaded_bytes * 100 / view.bytes.max(1)
        ),
        plkk_store::DocumentSyncState::Pending => "pending".to_owned(),
        plkk_store::DocumentSyncState::Confirmed => "confirmed".to_owned(),
    };
    format!(
        "{}  {:<24}  {:>9} B  (original {:>9} B)  {:<14}{}",
        view.id,
        view.kind.as_str(),
        view.bytes,
        view.original_bytes,
        state,
        view.removed
            .as_ref()
            .map(|removed| format!("  removed: {}", removed.reason))
            .unwrap_or_default(),
    )
}
