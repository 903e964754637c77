//! Laying blocks out on A4 pages (top to bottom, wrapping lines by measured width, starting a
//! new page when the next line would enter the footer's space) and turning the placed lines into
//! printpdf pages.

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use printpdf::{
    Color, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rgb, TextItem,
};

use crate::metrics::{printable_char, text_width, Face};
use crate::Block;

/// A4 in points.
pub const PAGE_WIDTH_PT: f32 = 595.28;
pub const PAGE_HEIGHT_PT: f32 = 841.89;
/// 20 mm.
const MARGIN: f32 = 56.69;
/// Space kept at the foot of each page for the footer line.
const FOOTER_SPACE: f32 = 24.0;
/// Width of the label column of a field.
const LABEL_WIDTH: f32 = 150.0;
const LABEL_GAP: f32 = 8.0;

/// How a kind of text is set: face, size and line height in points, grey or black.
#[derive(Debug, Clone, Copy)]
struct Style {
    face: Face,
    size: f32,
    line: f32,
    grey: bool,
}

const TITLE: Style = Style {
    face: Face::Bold,
    size: 15.0,
    line: 20.0,
    grey: false,
};
const HEADING: Style = Style {
    face: Face::Bold,
    size: 11.5,
    line: 15.0,
    grey: false,
};
const BODY: Style = Style {
    face: Face::Regular,
    size: 10.0,
    line: 13.0,
    grey: false,
};
const SMALL: Style = Style {
    face: Face::Regular,
    size: 8.5,
    line: 11.0,
    grey: true,
};
const LABEL: Style = Style {
    face: Face::Bold,
    size: 9.5,
    line: 12.5,
    grey: false,
};
const VALUE: Style = Style {
    face: Face::Regular,
    ..LABEL
};

/// One line of text at its place: `x` from the left edge, `baseline` from the top, in points.
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    x: f32,
    baseline: f32,
    style: Style,
    text: String,
}

/// The lines of each page.
pub(crate) type Pages = Vec<Vec<Placed>>;

/// The text of the PDF's properties.
pub(crate) struct Properties<'a> {
    pub(crate) title: &'a str,
    pub(crate) author: &'a str,
    pub(crate) created: DateTime<FixedOffset>,
}

/// Places every block; at least one (possibly empty) page.
pub(crate) fn lay_out(blocks: &[Block]) -> Pages {
    let mut cursor = Cursor::new();
    let width = PAGE_WIDTH_PT - 2.0 * MARGIN;
    for (index, block) in blocks.iter().enumerate() {
        match block {
            Block::Title(text) => {
                cursor.lines(MARGIN, &wrap(text, TITLE, width), TITLE);
                cursor.space(6.0);
            }
            Block::Heading(text) => {
                cursor.space(10.0);
                let lines = wrap(text, HEADING, width);
                // A heading never ends a page: it needs room for the line after it.
                let after = blocks.get(index + 1).map_or(0.0, |_| BODY.line);
                cursor.keep(lines.len() as f32 * HEADING.line + after);
                cursor.lines(MARGIN, &lines, HEADING);
                cursor.space(3.0);
            }
            Block::Paragraph(text) => {
                cursor.lines(MARGIN, &wrap(text, BODY, width), BODY);
                cursor.space(4.0);
            }
            Block::Small(text) => {
                cursor.lines(MARGIN, &wrap(text, SMALL, width), SMALL);
                cursor.space(3.0);
            }
            Block::Field { label, value } => {
                let labels = wrap(label, LABEL, LABEL_WIDTH);
                let value_x = MARGIN + LABEL_WIDTH + LABEL_GAP;
                let values = wrap(value, VALUE, width - LABEL_WIDTH - LABEL_GAP);
                cursor.pair(&labels, value_x, &values);
                cursor.space(2.0);
            }
            Block::Gap => cursor.space(BODY.line),
        }
    }
    cursor.pages
}

/// Where the next line goes.
struct Cursor {
    pages: Pages,
    /// Distance from the page's top to the last line's bottom.
    y: f32,
}

impl Cursor {
    fn new() -> Cursor {
        Cursor {
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn bottom() -> f32 {
        PAGE_HEIGHT_PT - MARGIN - FOOTER_SPACE
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    /// Starts a new page unless `height` more points fit on this one (and this one has lines).
    fn keep(&mut self, height: f32) {
        let has_lines = self.pages.last().is_some_and(|page| !page.is_empty());
        if has_lines && self.y + height > Cursor::bottom() {
            self.new_page();
        }
    }

    fn space(&mut self, points: f32) {
        self.y += points;
    }

    fn line(&mut self, x: f32, text: &str, style: Style) {
        self.keep(style.line);
        self.y += style.line;
        let baseline = self.y - (style.line - style.size) / 2.0 - style.size * 0.22;
        if let Some(page) = self.pages.last_mut() {
            page.push(Placed {
                x,
                baseline,
                style,
                text: text.to_owned(),
            });
        }
    }

    fn lines(&mut self, x: f32, lines: &[String], style: Style) {
        for line in lines {
            self.line(x, line, style);
        }
    }

    /// A label and its value side by side, line by line; kept on one page when it fits one.
    fn pair(&mut self, labels: &[String], value_x: f32, values: &[String]) {
        let rows = labels.len().max(values.len()).max(1);
        let whole = rows as f32 * LABEL.line;
        if whole <= Cursor::bottom() - MARGIN {
            self.keep(whole);
        }
        for row in 0..rows {
            self.keep(LABEL.line);
            let top = self.y;
            if let Some(label) = labels.get(row) {
                self.line(MARGIN, label, LABEL);
                self.y = top;
            }
            self.line(value_x, values.get(row).map_or("", String::as_str), VALUE);
        }
    }
}

/// `text` broken into lines no wider than `width` at `style`: at each `\n`, then between words;
/// a word wider than a line is cut. Every character is made printable.
fn wrap(text: &str, style: Style, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let paragraph: String = paragraph.chars().map(printable_char).collect();
        let mut line = String::new();
        for word in paragraph.split(' ').filter(|word| !word.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, style.face, style.size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone: cut it while it is wider than a line.
            let mut rest = word.to_owned();
            while text_width(&rest, style.face, style.size) > width {
                let mut cut = String::new();
                for character in rest.chars() {
                    let longer = format!("{cut}{character}");
                    if !cut.is_empty() && text_width(&longer, style.face, style.size) > width {
                        break;
                    }
                    cut = longer;
                }
                rest = rest[cut.len()..].to_owned();
                lines.push(cut);
            }
            line = rest;
        }
        lines.push(line);
    }
    lines
}

/// The PDF of laid-out pages, with `footer(page, pages)` at the foot of each.
pub(crate) fn render(
    pages: &Pages,
    footer: &dyn Fn(usize, usize) -> String,
    properties: &Properties<'_>,
) -> Vec<u8> {
    let count = pages.len();
    let mut document = PdfDocument::new(properties.title);
    document.metadata.info.author = properties.author.to_owned();
    document.metadata.info.creator = "PLKK Desk".to_owned();
    if let Some(created) = pdf_date(properties.created) {
        document.metadata.info.creation_date = created;
        document.metadata.info.modification_date = created;
        document.metadata.info.metadata_date = created;
    }
    let pdf_pages = pages
        .iter()
        .enumerate()
        .map(|(index, lines)| {
            let mut ops = Vec::new();
            for line in lines {
                show(&mut ops, line);
            }
            let foot = Placed {
                x: MARGIN,
                baseline: PAGE_HEIGHT_PT - MARGIN + 4.0,
                style: SMALL,
                text: footer(index + 1, count)
                    .chars()
                    .map(printable_char)
                    .collect(),
            };
            show(&mut ops, &foot);
            PdfPage::new(printpdf::Mm(210.0), printpdf::Mm(297.0), ops)
        })
        .collect();
    let mut warnings = Vec::new();
    document
        .with_pages(pdf_pages)
        .save(&PdfSaveOptions::default(), &mut warnings)
}

/// One line in its own text section (each starts from the page's origin).
fn show(ops: &mut Vec<Op>, line: &Placed) {
    if line.text.is_empty() {
        return;
    }
    let shade = if line.style.grey { 0.35 } else { 0.0 };
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFillColor {
        col: Color::Rgb(Rgb {
            r: shade,
            g: shade,
            b: shade,
            icc_profile: None,
        }),
    });
    ops.push(Op::SetFont {
        font: PdfFontHandle::Builtin(line.style.face.builtin()),
        size: Pt(line.style.size),
    });
    ops.push(Op::SetTextCursor {
        pos: Point {
            x: Pt(line.x),
            y: Pt(PAGE_HEIGHT_PT - line.baseline),
        },
    });
    ops.push(Op::ShowText {
        items: vec![TextItem::Text(line.text.clone())],
    });
    ops.push(Op::EndTextSection);
}

fn pdf_date(at: DateTime<FixedOffset>) -> Option<printpdf::DateTime> {
    let offset_minutes = at.offset().local_minus_utc() / 60;
    Some(printpdf::DateTime {
        date: printpdf::Date {
            year: at.year(),
            month: u8::try_from(at.month()).ok()?,
            day: u8::try_from(at.day()).ok()?,
        },
        time: printpdf::Time {
            hour: u8::try_from(at.hour()).ok()?,
            minute: u8::try_from(at.minute()).ok()?,
            second: u8::try_from(at.second()).ok()?,
            millisecond: 0,
        },
        offset: printpdf::Offset {
            hours: i8::try_from(offset_minutes / 60).ok()?,
            minutes: i8::try_from(offset_minutes % 60).ok()?,
            seconds: 0,
            milliseconds: 0,
        },
    })
}
