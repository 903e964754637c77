//! Widths of text in the base fonts, from the glyph widths printpdf ships for them, and the
//! characters those fonts can show (Windows-1252, the base fonts' encoding).

use std::sync::OnceLock;

use printpdf::{BuiltinFont, ParsedFont};

/// The two faces the documents use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Face {
    Regular,
    Bold,
}

impl Face {
    pub(crate) fn builtin(self) -> BuiltinFont {
        match self {
            Face::Regular => BuiltinFont::Helvetica,
            Face::Bold => BuiltinFont::HelveticaBold,
        }
    }

    fn parsed(self) -> Option<&'static ParsedFont> {
        static REGULAR: OnceLock<Option<ParsedFont>> = OnceLock::new();
        static BOLD: OnceLock<Option<ParsedFont>> = OnceLock::new();
        let cell = match self {
            Face::Regular => &REGULAR,
            Face::Bold => &BOLD,
        };
        cell.get_or_init(|| self.builtin().get_parsed_font())
            .as_ref()
    }
}

/// Width of `text` in points at `size` points. Without the font's metrics (never expected), an
/// average of 0.6 em per character stands in: wide enough never to overflow Helvetica.
pub(crate) fn text_width(text: &str, face: Face, size: f32) -> f32 {
    let Some(font) = face.parsed() else {
        return text.chars().count() as f32 * size * 0.6;
    };
    let units = f32::from(font.units_per_em.max(1));
    let total: f32 = text
        .chars()
        .map(|character| {
            font.codepoint_to_glyph
                .get(&u32::from(character))
                .and_then(|glyph| font.glyph_widths.get(glyph))
                .map_or(units * 0.6, |width| f32::from(*width))
        })
        .sum();
    total * size / units
}

/// `character` if the base fonts can show it, else `?` (a space for control characters).
pub(crate) fn printable_char(character: char) -> char {
    const WINDOWS_1252_EXTRA: &str = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";
    match character {
        '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{ff}' => character,
        control if control.is_control() => ' ',
        other if WINDOWS_1252_EXTRA.contains(other) => other,
        _ => '?',
    }
}
