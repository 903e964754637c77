//! The rules of `prepare_document` on files made here with `image`: kinds and roles, the type
//! read from content, the limits, and photos turned upright and shrunk.

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

use super::*;

/// A JPEG of `width`×`height`: its left half red, its right half blue.
fn halves_jpeg(width: u32, height: u32) -> Vec<u8> {
    let picture = RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let mut bytes = Vec::new();
    DynamicImage::ImageRgb8(picture)
        .write_with_encoder(JpegEncoder::new_with_quality(&mut bytes, 90))
        .unwrap();
    bytes
}

/// `jpeg` with an EXIF APP1 segment right after its SOI marker holding one tag, Orientation
/// (0x0112, SHORT) = `orientation`, in a big-endian TIFF structure, as a phone camera writes it.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\x00\x2a\x00\x00\x00\x08"); // byte order, magic, IFD0 at 8
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // one value
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // the value field's padding
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let mut segment = b"Exif\x00\x00".to_vec();
    segment.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((segment.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&segment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn rule(result: Result<Prepared, Issue>) -> String {
    result.expect_err("refused").rule
}

fn is_red(pixel: &Rgb<u8>) -> bool {
    pixel[0] > 150 && pixel[2] < 100
}

#[test]
fn every_kind_round_trips_and_an_unknown_kind_is_named() {
    for kind in DocumentKind::ALL {
        assert_eq!(DocumentKind::parse(kind.as_str()), Ok(kind));
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{}\"", kind.as_str()), "one spelling");
    }
    let refused = DocumentKind::parse("passport").unwrap_err();
    assert_eq!(
        (refused.field.as_str(), refused.rule.as_str()),
        ("kind", "document_kind_unknown")
    );
    assert!(
        refused.message.contains("doctor_certificate_3bkk3"),
        "{}",
        refused.message
    );
}

#[test]
fn nurses_attach_only_the_doctors_certificate_and_other() {
    let nurse: Vec<&str> = DocumentKind::ALL
        .into_iter()
        .filter(|kind| kind.may_attach(Role::Nurse))
        .map(DocumentKind::as_str)
        .collect();
    assert_eq!(nurse, ["doctor_certificate_3bkk3", "other"]);
    for role in [Role::Receptionist, Role::Admin] {
        assert!(DocumentKind::ALL
            .into_iter()
            .all(|kind| kind.may_attach(role)));
    }
}

#[test]
fn the_type_comes_from_the_content_never_the_name() {
    let jpeg = halves_jpeg(40, 30);
    assert_eq!(sniff(&jpeg), Some(MediaType::Jpeg));
    // A JPEG named .png: refused, naming both types.
    let refused = prepare_document(Some("ktp.png"), &jpeg).unwrap_err();
    assert_eq!(refused.rule, "document_type_mismatch");
    assert_eq!(refused.params["claimed"], "image/png");
    assert_eq!(refused.params["actual"], "image/jpeg");
    // Text named .pdf.
    assert_eq!(
        rule(prepare_document(Some("surat.pdf"), b"hello, not a pdf")),
        "document_type_unsupported"
    );
    // Another type, by name or by content.
    assert_eq!(
        rule(prepare_document(Some("foto.gif"), b"GIF89a....")),
        "document_type_unsupported"
    );
    assert_eq!(
        rule(prepare_document(None, b"GIF89a....")),
        "document_type_unsupported"
    );
    assert_eq!(rule(prepare_document(None, b"")), "document_empty");
    // Without a name (dropped bytes) the content decides; upper-case extensions are fine.
    assert_eq!(
        prepare_document(None, &jpeg).unwrap().media_type,
        MediaType::Jpeg
    );
    assert_eq!(
        prepare_document(Some("C:\\scan\\KTP.JPEG"), &jpeg)
            .unwrap()
            .media_type,
        MediaType::Jpeg
    );
    // A file that starts like a JPEG but is not one.
    assert_eq!(
        rule(prepare_document(Some("x.jpg"), b"\xFF\xD8\xFF\xE0 broken")),
        "document_unreadable"
    );
}

#[test]
fn a_pdf_is_stored_unchanged_up_to_the_limit_and_refused_past_it() {
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(MAX_STORED_BYTES as usize, b' ');
    let prepared = prepare_document(Some("laporan.pdf"), &pdf).unwrap();
    assert_eq!(prepared.bytes, pdf, "a PDF is kept byte for byte");
    assert_eq!(prepared.sha256, sha256_hex(&pdf));
    assert_eq!(prepared.original_bytes, MAX_STORED_BYTES);
    pdf.push(b'\n');
    let refused = prepare_document(Some("laporan.pdf"), &pdf).unwrap_err();
    assert_eq!(refused.rule, "document_too_large");
    assert_eq!(refused.params["limit"], "10000000");
    assert_eq!(refused.params["bytes"], "10000001");
}

#[test]
fn a_photo_is_turned_upright_as_its_exif_says_and_downscaled() {
    // 2400×1200 landscape pixels, EXIF 6: the camera was held upright, rotate 90° clockwise.
    let photo = with_exif_orientation(&halves_jpeg(2400, 1200), 6);
    let prepared = prepare_document(Some("IMG_0001.jpg"), &photo).unwrap();
    assert_eq!(prepared.media_type, MediaType::Jpeg);
    assert_eq!(prepared.original_bytes, photo.len() as u64);
    let stored = image::load_from_memory_with_format(&prepared.bytes, ImageFormat::Jpeg)
        .unwrap()
        .to_rgb8();
    assert_eq!(
        (stored.width(), stored.height()),
        (800, 1600),
        "upright, longest side 1,600 px"
    );
    // The left (red) half of the sensor is the top once turned clockwise.
    assert!(
        is_red(stored.get_pixel(400, 100)),
        "top is red: {:?}",
        stored.get_pixel(400, 100)
    );
    assert!(!is_red(stored.get_pixel(400, 1500)), "bottom is blue");
    assert!(prepared.bytes.len() as u64 <= MAX_STORED_BYTES);
    assert!(
        !prepared.bytes.windows(4).any(|w| w == b"Exif"),
        "no EXIF to turn it twice"
    );
}

#[test]
fn a_png_over_the_limit_before_downscaling_is_stored_once_it_fits() {
    // Noise compresses badly: 2400×1800 RGB is about 13 MB as PNG.
    let mut state = 0x2545_f491_u32;
    let noise = RgbImage::from_fn(2400, 1800, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        Rgb([state as u8, (state >> 8) as u8, (state >> 16) as u8])
    });
    let mut png = Vec::new();
    DynamicImage::ImageRgb8(noise)
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .unwrap();
    assert!(
        png.len() as u64 > MAX_STORED_BYTES,
        "the original is over the limit"
    );
    let prepared = prepare_document(Some("scan.png"), &png).unwrap();
    assert!(prepared.bytes.len() as u64 <= MAX_STORED_BYTES);
    let stored = image::load_from_memory(&prepared.bytes).unwrap();
    assert_eq!((stored.width(), stored.height()), (1600, 1200));
}

#[test]
fn a_small_upright_photo_is_kept_as_it_is() {
    let jpeg = halves_jpeg(640, 480);
    let prepared = prepare_document(Some("kpj.jpg"), &jpeg).unwrap();
    assert_eq!(prepared.bytes, jpeg);
}

#[test]
fn a_removal_needs_a_reason() {
    assert_eq!(removal_reason("  salah pasien ").unwrap(), "salah pasien");
    assert_eq!(removal_reason(" ").unwrap_err().rule, "required");
    assert_eq!(
        removal_reason(&"x".repeat(501)).unwrap_err().rule,
        "too_long"
    );
}
