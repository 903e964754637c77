//! Sample case documents for the tests and the benchmark: a PDF of a given size (random bytes
//! after a PDF header, stored unchanged by the desk) and a photo-like JPEG made with `image`
//! (noise over gradients, so it compresses like a phone's photo of a paper).

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, Rgb, RgbImage};

use crate::samples::Seeded;

/// A "PDF" of exactly `bytes` bytes: `%PDF-1.4` and random bytes (the desk reads the type from
/// the first bytes and keeps PDFs as they are).
pub fn pdf(bytes: usize, seed: u64) -> Vec<u8> {
    let mut random = Seeded::new(seed);
    let mut content = b"%PDF-1.4\n".to_vec();
    while content.len() < bytes {
        content.extend_from_slice(&random.next_u64().to_le_bytes());
    }
    content.truncate(bytes);
    content
}

/// A JPEG of `width`×`height` pixels at `quality`: gradients with noise of `noise` (0-255).
pub fn photo(width: u32, height: u32, noise: u8, quality: u8, seed: u64) -> Vec<u8> {
    let mut random = Seeded::new(seed);
    let picture = RgbImage::from_fn(width, height, |x, y| {
        let mut jitter = || (random.below(u64::from(noise) + 1)) as u8;
        Rgb([
            ((x * 255 / width.max(1)) as u8).saturating_add(jitter()),
            ((y * 255 / height.max(1)) as u8).saturating_add(jitter()),
            (((x + y) * 127 / (width + height).max(1)) as u8).saturating_add(jitter()),
        ])
    });
    let mut jpeg = Vec::new();
    DynamicImage::ImageRgb8(picture)
        .write_with_encoder(JpegEncoder::new_with_quality(&mut jpeg, quality))
        .expect("a JPEG");
    jpeg
}

/// A photo of 1,600×1,200 pixels (kept as it is by the desk) of about 300 KB.
pub fn photo_300_kb(seed: u64) -> Vec<u8> {
    photo(1600, 1200, 24, 80, seed)
}
