//! The one rule for every CSV cell the project writes (the desk's export, the branch's report):
//! a spreadsheet must show a cell and never run it. A cell whose first character is `=`, `+`,
//! `-`, `@`, a tab or a carriage return (what Excel, LibreOffice and Google Sheets take for the
//! start of a formula; OWASP's "CSV injection") gets a leading apostrophe, the usual neutraliser.
//! A phone number stays readable: `+6281234567890` is written `'+6281234567890`, which a person
//! reads as the number (spreadsheets show the apostrophe or hide it as a "text" marker); numbers
//! written `08...` are unchanged.

/// Characters that make a spreadsheet read a cell as a formula when they come first.
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// The cell with a leading apostrophe when its first character would start a formula.
pub fn neutralise(text: String) -> String {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    fn check(cell: &str, expected: &str) {
        assert_eq!(neutralise(cell.to_owned()), expected, "cell {cell:?}");
    }

    #[test]
    fn cells_that_would_start_a_formula_get_an_apostrophe() {
        check(
            "=HYPERLINK(\"http://x\",\"klik\")",
            "'=HYPERLINK(\"http://x\",\"klik\")",
        );
        check("@SUM(A1:A9)", "'@SUM(A1:A9)");
        check("-1+1 luka", "'-1+1 luka");
        check("+1+1 luka", "'+1+1 luka");
        check("\t=1", "'\t=1");
        check("\r=1", "'\r=1");
        check("+6281234567890", "'+6281234567890");
        check("081234567890", "081234567890");
        check("Siti = Rahayu", "Siti = Rahayu");
        check("", "");
        check("36.5", "36.5");
    }
}
