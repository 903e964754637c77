//! `plkk-branch document list|get` (issue 13): a case's documents and one document's content
//! from the command line, each one call into `plkk_branch::admin`.

use std::path::{Path, PathBuf};

use chrono::Utc;
use clap::Subcommand;
use plkk_branch::{admin, BranchError};

use crate::parse_uuid;

#[derive(Debug, Subcommand)]
pub enum DocumentCommand {
    /// A case's documents in the order they arrived, removed ones included: id, kind, SHA-256,
    /// bytes, whether the content is here.
    List {
        /// The case (intake id).
        #[arg(long = "case")]
        case_id: String,
        /// Print a JSON array of {id, kind, sha256, bytes, media_type, original_bytes, confirmed,
        /// removed, ...}.
        #[arg(long)]
        json: bool,
    },
    /// Write a document's content to a file (recorded in the officers' audit log). Exit 2 when
    /// the document is unknown or its content has not arrived whole.
    Get {
        document_id: String,
        #[arg(long)]
        output: PathBuf,
    },
}

pub fn document(data_dir: &Path, command: &DocumentCommand) -> Result<(), BranchError> {
    match command {
        DocumentCommand::List { case_id, json } => {
            let id = parse_uuid("--case", case_id)?;
            let documents = admin::list_documents(data_dir, id)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&documents)?);
            } else {
                for document in &documents {
                    println!(
                        "{}  {:<24}  {:>9} B  {}  {}{}",
                        document.id,
                        document.kind,
                        document.bytes,
                        document.sha256,
                        if document.confirmed {
                            "here"
                        } else {
                            "arriving"
                        },
                        document
                            .removed
                            .as_ref()
                            .map(|reason| format!("  removed: {reason}"))
                            .unwrap_or_default()
                    );
                }
                eprintln!("{} document(s)", documents.len());
            }
        }
        DocumentCommand::Get {
            document_id,
            output,
        } => {
            let id = parse_uuid("DOCUMENT_ID", document_id)?;
            let (document, content) = admin::download_document(data_dir, id, Utc::now())?;
            std::fs::write(output, &content)?;
            eprintln!(
                "{} bytes ({}, {}) written to {}",
                content.len(),
                document.kind,
                document.media_type,
                output.display()
            );
        }
    }
    Ok(())
}
