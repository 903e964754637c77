//! Case documents (issue 13): the papers a JKK claim needs — the e-KTP, the KPJ card, the police
//! report, the employer's stage-I form (3 KK1), the doctor's certificate (3b KK3), receipts — as
//! they are accepted on the desk. This module owns the kinds and who may attach each, the limits,
//! what a file is (read from its first bytes, never from its name), and the preparation of what
//! is stored: a photo decoded, turned upright as its EXIF orientation says, downscaled to at most
//! [`MAX_SIDE_PX`] on its longest side and re-encoded; a PDF kept byte for byte. A stored document
//! is named by the SHA-256 of its stored bytes and may be at most [`MAX_STORED_BYTES`].
//!
//! All of it works on bytes in memory: reading the file is the caller's.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Issue, Role, Severity};

/// The most a stored document may weigh, in bytes (issue 13). An image larger than this before
/// downscaling is accepted when the result fits.
pub const MAX_STORED_BYTES: u64 = 10_000_000;
/// The most a file handed to the desk may weigh before preparation, in bytes: a phone's photo is
/// 3-8 MB; a larger file is refused before it is decoded (bounded memory).
pub const MAX_INPUT_BYTES: u64 = 40_000_000;
/// The longest side of a stored photo, in pixels.
pub const MAX_SIDE_PX: u32 = 1_600;
/// The JPEG quality photos are re-encoded with (0-100): text on a KTP stays readable.
pub const JPEG_QUALITY: u8 = 82;
/// The widest or tallest image decoded at all, in pixels (a hostile header cannot ask for more).
pub const MAX_DECODED_SIDE_PX: u32 = 16_000;
/// The longest removal reason, in characters.
pub const REMOVAL_REASON_MAX_CHARS: usize = 500;

/// What a document is, as the claim's paperwork names it. `as_str` is its one spelling: on the
/// CLI, the wire, in both databases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum DocumentKind {
    /// The patient's e-KTP (identity card).
    Ktp,
    /// The KPJ card, or its JMO screenshot.
    KpjCard,
    /// The police report of a traffic accident.
    PoliceReport,
    /// The employer's stage-I report (form 3 KK1).
    #[serde(rename = "employer_report_3kk1")]
    EmployerReport3kk1,
    /// The doctor's certificate (form 3b KK3).
    #[serde(rename = "doctor_certificate_3bkk3")]
    DoctorCertificate3bkk3,
    /// A receipt (kwitansi).
    Receipt,
    /// Anything else that belongs to the case.
    Other,
}

impl DocumentKind {
    /// Every kind, in the order forms offer them.
    pub const ALL: [DocumentKind; 7] = [
        DocumentKind::Ktp,
        DocumentKind::KpjCard,
        DocumentKind::PoliceReport,
        DocumentKind::EmployerReport3kk1,
        DocumentKind::DoctorCertificate3bkk3,
        DocumentKind::Receipt,
        DocumentKind::Other,
    ];

    /// The kind's name: `ktp`, `kpj_card`, `police_report`, `employer_report_3kk1`,
    /// `doctor_certificate_3bkk3`, `receipt`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Ktp => "ktp",
            DocumentKind::KpjCard => "kpj_card",
            DocumentKind::PoliceReport => "police_report",
            DocumentKind::EmployerReport3kk1 => "employer_report_3kk1",
            DocumentKind::DoctorCertificate3bkk3 => "doctor_certificate_3bkk3",
            DocumentKind::Receipt => "receipt",
            DocumentKind::Other => "other",
        }
    }

    /// The kind named `text` (exactly), or the `kind` issue `document_kind_unknown`.
    pub fn parse(text: &str) -> Result<DocumentKind, Issue> {
        DocumentKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = DocumentKind::ALL.iter().map(|kind| kind.as_str()).collect();
                let allowed = names.join(", ");
                error(
                    "kind",
                    "document_kind_unknown",
                    format!("kind: must be one of {allowed} (got {text:?})"),
                    &[("allowed", allowed.as_str())],
                )
            })
    }

    /// Whether `role` may attach (and remove) a document of this kind (issue 13): receptionists
    /// and administrators any kind; nurses the doctor's certificate and `other`. Everyone views.
    pub fn may_attach(self, role: Role) -> bool {
        match role {
            Role::Receptionist | Role::Admin => true,
            Role::Nurse => matches!(
                self,
                DocumentKind::DoctorCertificate3bkk3 | DocumentKind::Other
            ),
        }
    }
}

/// What a file is, from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MediaType {
    /// `image/jpeg`
    #[serde(rename = "image/jpeg")]
    Jpeg,
    /// `image/png`
    #[serde(rename = "image/png")]
    Png,
    /// `application/pdf`
    #[serde(rename = "application/pdf")]
    Pdf,
}

impl MediaType {
    /// Every media type accepted.
    pub const ALL: [MediaType; 3] = [MediaType::Jpeg, MediaType::Png, MediaType::Pdf];

    /// The IANA name: `image/jpeg`, `image/png`, `application/pdf`.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Pdf => "application/pdf",
        }
    }

    /// The media type named `text` (exactly).
    pub fn parse(text: &str) -> Option<MediaType> {
        MediaType::ALL
            .into_iter()
            .find(|media| media.as_str() == text)
    }

    /// The file name extension a saved copy gets (`jpg`, `png`, `pdf`).
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
            MediaType::Pdf => "pdf",
        }
    }

    /// The media type a file name's extension claims (case-insensitive), `None` for a name
    /// without an extension, `Some(Err(ext))` for an extension of a type not accepted.
    fn claimed_by(file_name: &str) -> Option<Result<MediaType, String>> {
        let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        let (stem, extension) = base.rsplit_once('.')?;
        if stem.is_empty() {
            return None;
        }
        Some(match extension.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" | "jpe" | "jfif" => Ok(MediaType::Jpeg),
            "png" => Ok(MediaType::Png),
            "pdf" => Ok(MediaType::Pdf),
            _ => Err(extension.to_owned()),
        })
    }
}

/// What a file is by its first bytes (its "magic number"), whatever its name says: JPEG
/// (`FF D8 FF`), PNG (the 8-byte PNG signature), PDF (`%PDF-`).
pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(MediaType::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(MediaType::Png)
    } else if bytes.starts_with(b"%PDF-") {
        Some(MediaType::Pdf)
    } else {
        None
    }
}

/// A document ready to store: the stored bytes, what they are, their SHA-256 (lowercase hex) and
/// the size of the file as handed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// What the stored bytes are.
    pub media_type: MediaType,
    /// The bytes to store (a re-encoded photo, or the PDF as it came).
    pub bytes: Vec<u8>,
    /// SHA-256 of `bytes`, 64 lowercase hex digits: the document's content address.
    pub sha256: String,
    /// The size of the file handed in, in bytes.
    pub original_bytes: u64,
}

/// Prepares a file for storing, or says why it cannot be stored (one issue on `file`):
/// `document_empty`; `document_too_large` (params `limit`, `bytes`: over [`MAX_INPUT_BYTES`] as
/// handed in, or over [`MAX_STORED_BYTES`] once prepared); `document_type_unsupported` (content
/// that is not JPEG, PNG or PDF, or a name whose extension is of another type; param `extension`
/// when the name said); `document_type_mismatch` (the name says one type and the content is
/// another; params `claimed`, `actual`); `document_unreadable` (an image that does not decode).
/// `file_name` is only checked against the content; `None` (bytes dropped on the window) skips it.
pub fn prepare_document(file_name: Option<&str>, original: &[u8]) -> Result<Prepared, Issue> {
    let original_bytes = original.len() as u64;
    if original.is_empty() {
        return Err(error(
            "file",
            "document_empty",
            "file: the file is empty".to_owned(),
            &[],
        ));
    }
    if original_bytes > MAX_INPUT_BYTES {
        return Err(too_large(original_bytes, MAX_INPUT_BYTES));
    }
    let claimed = match file_name.and_then(MediaType::claimed_by) {
        Some(Err(extension)) => {
            return Err(error(
                "file",
                "document_type_unsupported",
                format!("file: .{extension} files are not accepted; only JPEG, PNG and PDF"),
                &[("extension", extension.as_str())],
            ))
        }
        Some(Ok(media)) => Some(media),
        None => None,
    };
    let Some(actual) = sniff(original) else {
        return Err(error(
            "file",
            "document_type_unsupported",
            "file: the content is not JPEG, PNG or PDF".to_owned(),
            &[],
        ));
    };
    if let Some(claimed) = claimed.filter(|claimed| *claimed != actual) {
        return Err(error(
            "file",
            "document_type_mismatch",
            format!(
                "file: the name says {} but the content is {}",
                claimed.as_str(),
                actual.as_str()
            ),
            &[("claimed", claimed.as_str()), ("actual", actual.as_str())],
        ));
    }
    let (media_type, bytes) = match actual {
        MediaType::Pdf => (MediaType::Pdf, original.to_vec()),
        image => downscale(image, original)?,
    };
    if bytes.len() as u64 > MAX_STORED_BYTES {
        return Err(too_large(bytes.len() as u64, MAX_STORED_BYTES));
    }
    Ok(Prepared {
        media_type,
        sha256: sha256_hex(&bytes),
        bytes,
        original_bytes,
    })
}

/// SHA-256 of `bytes` as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Whether `text` is a SHA-256 as this project writes it (64 lowercase hex digits).
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A removal's reason, trimmed, or the `reason` issue `required` / `too_long`.
pub fn removal_reason(text: &str) -> Result<String, Issue> {
    let reason = text.trim();
    if reason.is_empty() {
        return Err(error(
            "reason",
            "required",
            "reason: say why the document is removed".to_owned(),
            &[],
        ));
    }
    let chars = reason.chars().count();
    if chars > REMOVAL_REASON_MAX_CHARS {
        return Err(error(
            "reason",
            "too_long",
            format!("reason: at most {REMOVAL_REASON_MAX_CHARS} characters (got {chars})"),
            &[("max", REMOVAL_REASON_MAX_CHARS.to_string().as_str())],
        ));
    }
    Ok(reason.to_owned())
}

/// A photo decoded, turned upright, shrunk to [`MAX_SIDE_PX`] and encoded again: a JPEG as JPEG
/// at [`JPEG_QUALITY`]; a PNG (a screenshot, a scan) as PNG, unless that does not fit the stored
/// limit, then as JPEG. An image already upright, within the size and the limit is kept as it is.
fn downscale(media: MediaType, original: &[u8]) -> Result<(MediaType, Vec<u8>), Issue> {
    let format = match media {
        MediaType::Png => ImageFormat::Png,
        _ => ImageFormat::Jpeg,
    };
    let unreadable = |cause: image::ImageError| {
        error(
            "file",
            "document_unreadable",
            format!("file: the image cannot be read ({cause})"),
            &[],
        )
    };
    let mut reader = ImageReader::with_format(Cursor::new(original), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE_PX);
    limits.max_image_height = Some(MAX_DECODED_SIDE_PX);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unreadable)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let (width, height) = decoder.dimensions();
    let upright = orientation == image::metadata::Orientation::NoTransforms;
    if upright && width.max(height) <= MAX_SIDE_PX && original.len() as u64 <= MAX_STORED_BYTES {
        // Decoded all the same: a file that only starts like an image is refused here.
        DynamicImage::from_decoder(decoder).map_err(unreadable)?;
        return Ok((media, original.to_vec()));
    }
    let mut picture = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
    picture.apply_orientation(orientation);
    if picture.width().max(picture.height()) > MAX_SIDE_PX {
        picture = picture.resize(MAX_SIDE_PX, MAX_SIDE_PX, FilterType::Triangle);
    }
    let encode_failed = |cause: image::ImageError| {
        error(
            "file",
            "document_unreadable",
            format!("file: the image cannot be re-encoded ({cause})"),
            &[],
        )
    };
    if media == MediaType::Png {
        let mut png = Vec::new();
        picture
            .write_with_encoder(PngEncoder::new(&mut png))
            .map_err(encode_failed)?;
        if png.len() as u64 <= MAX_STORED_BYTES {
            return Ok((MediaType::Png, png));
        }
    }
    let mut jpeg = Vec::new();
    DynamicImage::ImageRgb8(picture.to_rgb8())
        .write_with_encoder(JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY))
        .map_err(encode_failed)?;
    Ok((MediaType::Jpeg, jpeg))
}

fn too_large(bytes: u64, limit: u64) -> Issue {
    error(
        "file",
        "document_too_large",
        format!("file: at most {limit} bytes (got {bytes})"),
        &[
            ("limit", limit.to_string().as_str()),
            ("bytes", bytes.to_string().as_str()),
        ],
    )
}

fn error(field: &str, rule: &str, message: String, params: &[(&str, &str)]) -> Issue {
    let mut issue = Issue {
        field: field.to_owned(),
        rule: rule.to_owned(),
        severity: Severity::Error,
        message,
        params: Default::default(),
    };
    for (name, value) in params {
        issue.param(name, value);
    }
    issue
}

#[cfg(test)]
mod tests;
