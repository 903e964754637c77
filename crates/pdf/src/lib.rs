//! PDF documents of PLKK Desk: the one place that writes PDF (the patient's data report today;
//! letters about a case later). A [`Document`] is a list of blocks (a title, headings,
//! paragraphs, small print, labelled fields) that [`Document::to_pdf`] lays out on A4 pages
//! (margins 20 mm) with a footer on each page, and returns as bytes. No IO: the caller writes the
//! bytes where they belong.
//!
//! Text is set in the PDF base fonts Helvetica and Helvetica-Bold (every PDF reader has them, so
//! nothing is embedded and `pdftotext` reads the text back). Lines are wrapped by the glyph
//! widths of those fonts; a word wider than a line is cut. The base fonts cover Windows-1252
//! (every Latin letter Indonesian names use, accents included); any other character is printed
//! as `?`.

mod layout;
mod metrics;

use chrono::{DateTime, FixedOffset};

pub use layout::{PAGE_HEIGHT_PT, PAGE_WIDTH_PT};

/// A document to lay out.
#[derive(Debug, Clone)]
pub struct Document {
    title: String,
    author: String,
    created: DateTime<FixedOffset>,
    blocks: Vec<Block>,
}

/// One piece of a document, laid out top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    /// The document's title (large, bold).
    Title(String),
    /// A section heading (bold), kept on a page with the line after it.
    Heading(String),
    /// Body text; `\n` starts a new line.
    Paragraph(String),
    /// Small grey text (explanations, sources).
    Small(String),
    /// A label in a bold left column and its value beside it.
    Field { label: String, value: String },
    /// Vertical space of one blank line.
    Gap,
}

impl Document {
    /// A new empty document. `title` and `author` also go into the PDF's properties, with
    /// `created` as its creation date.
    pub fn new(title: &str, author: &str, created: DateTime<FixedOffset>) -> Document {
        Document {
            title: title.to_owned(),
            author: author.to_owned(),
            created,
            blocks: Vec::new(),
        }
    }

    pub fn title(&mut self, text: &str) -> &mut Document {
        self.push(Block::Title(text.to_owned()))
    }

    pub fn heading(&mut self, text: &str) -> &mut Document {
        self.push(Block::Heading(text.to_owned()))
    }

    pub fn paragraph(&mut self, text: &str) -> &mut Document {
        self.push(Block::Paragraph(text.to_owned()))
    }

    pub fn small(&mut self, text: &str) -> &mut Document {
        self.push(Block::Small(text.to_owned()))
    }

    pub fn field(&mut self, label: &str, value: &str) -> &mut Document {
        self.push(Block::Field {
            label: label.to_owned(),
            value: value.to_owned(),
        })
    }

    pub fn gap(&mut self) -> &mut Document {
        self.push(Block::Gap)
    }

    fn push(&mut self, block: Block) -> &mut Document {
        self.blocks.push(block);
        self
    }

    /// Lays the document out and answers the PDF file's bytes. `footer(page, pages)` gives the
    /// small line at the foot of each page (1-based page number, and the count of pages).
    pub fn to_pdf(&self, footer: impl Fn(usize, usize) -> String) -> Vec<u8> {
        let pages = layout::lay_out(&self.blocks);
        layout::render(
            &pages,
            &footer,
            &layout::Properties {
                title: &self.title,
                author: &self.author,
                created: self.created,
            },
        )
    }

    /// How many pages the document takes.
    pub fn page_count(&self) -> usize {
        layout::lay_out(&self.blocks).len()
    }
}

/// `text` with every character the base fonts cannot show replaced by `?` (tabs and other
/// control characters become spaces).
pub fn printable(text: &str) -> String {
    text.chars().map(metrics::printable_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-25T08:30:00+07:00").unwrap()
    }

    #[test]
    fn a_document_is_a_pdf_file() {
        let mut document = Document::new("Laporan", "admin", created());
        document
            .title("Laporan data pasien")
            .field("NIK", "3216055708900014");
        let bytes = document.to_pdf(|page, pages| format!("Halaman {page} dari {pages}"));
        assert!(bytes.starts_with(b"%PDF-"), "a PDF header");
        assert!(
            bytes.windows(5).any(|window| window == b"%%EOF"),
            "a PDF trailer"
        );
    }

    #[test]
    fn long_text_flows_onto_more_pages() {
        let mut short = Document::new("t", "a", created());
        short.paragraph("satu baris");
        assert_eq!(short.page_count(), 1);
        let mut long = Document::new("t", "a", created());
        for index in 0..200 {
            long.field(&format!("Baris {index}"), &"kata ".repeat(30));
        }
        assert!(long.page_count() > 5, "{} pages", long.page_count());
    }

    #[test]
    fn characters_outside_the_base_fonts_become_question_marks() {
        assert_eq!(printable("Ma'ruf Müller – 5 €"), "Ma'ruf Müller – 5 €");
        assert_eq!(printable("名前\tx"), "?? x");
    }
}
