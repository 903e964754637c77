//! The letters' words and order on paper (through `plkk-pdf`), in Indonesian or English; the
//! module above gathers what goes in.

use chrono::{DateTime, Duration, FixedOffset};
use plkk_pdf::Document;

use super::{Letter, LetterKind};
use crate::patient_report::Person;
use crate::record_words::{label, value_words};
use crate::Language;

/// The fields of the notification, in groups: the participant, the accident (what happened:
/// place, cause, date and time) and the contact to call back — Permenaker 1/2025's minimum
/// content: NIK or participant number, what happened, a contact's name and phone.
const PARTICIPANT: &[&str] = &[
    "full_name",
    "nik",
    "kpj",
    "identity_document",
    "sex",
    "birth_date",
    "phone",
    "address",
    "segment",
    "occupation",
    "employer_name",
    "employer_npp",
];
const ACCIDENT: &[&str] = &[
    "case_category",
    "accident_at",
    "place_type",
    "accident_location",
    "chronology",
    "injury",
    "police_report_number",
    "admitted_at",
];
const CONTACT: &[&str] = &["contact_name", "contact_phone"];

/// The PDF file's bytes.
pub(crate) fn render(letter: &Letter, language: Language) -> Vec<u8> {
    let words = Words::of(language);
    let title = match letter.kind {
        LetterKind::Notification => words.notification,
        LetterKind::Summary => words.summary,
    };
    let mut document = Document::new(title, &letter.made_by.username, letter.made_at);
    document.title(title);
    let (clinic_code, clinic_name) = letter
        .clinic
        .clone()
        .unwrap_or_else(|| ("-".to_owned(), words.not_enrolled.to_owned()));
    document
        .field(words.clinic, &format!("{clinic_name} ({clinic_code})"))
        .field(words.case_id, &letter.case_id.to_string());
    match letter.kind {
        LetterKind::Notification => notification(&mut document, &words, letter),
        LetterKind::Summary => summary(&mut document, &words, letter),
    }
    document
        .gap()
        .field(words.made_by, &person(&letter.made_by))
        .field(words.made_at, &time(letter.made_at, language));
    let code = letter.code.to_string();
    document
        .gap()
        .paragraph(&format!("Kode verifikasi: {code}{}", words.code_suffix))
        .small(words.code_explained);
    document.to_pdf(|page, pages| {
        format!(
            "PLKK Desk · {title} · {clinic_code} · Kode verifikasi: {code} · {} {page} {} {pages}",
            words.page, words.of
        )
    })
}

fn notification(document: &mut Document, words: &Words, letter: &Letter) {
    let employer = text(letter, "employer_name").unwrap_or("-");
    document
        .field(words.to, &format!("{}; {employer}", words.branch_office))
        .gap()
        .paragraph(words.notification_intro);
    document.heading(words.participant);
    fields(document, words, letter, PARTICIPANT);
    document.heading(words.accident);
    fields(document, words, letter, ACCIDENT);
    if let Some(due) = text(letter, "accident_at")
        .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
        .map(|at| at + Duration::hours(48))
    {
        document.field(words.report_due, &time(due, words.language));
    }
    if text(letter, "case_category") == Some("occupational_disease") {
        document.heading(words.disease);
        let diagnosis: Vec<String> = letter
            .notes
            .iter()
            .flat_map(|note| note.note.fields.icd10.clone())
            .collect();
        document
            .field(
                label("occupation", words.language),
                text(letter, "occupation").unwrap_or("-"),
            )
            .field(words.years_worked, words.not_recorded)
            .field(words.exposure, words.not_recorded)
            .field(
                words.diagnosis,
                &if diagnosis.is_empty() {
                    words.no_diagnosis.to_owned()
                } else {
                    format!("ICD-10 {}", diagnosis.join(", "))
                },
            );
    }
    document.heading(words.contact);
    fields(document, words, letter, CONTACT);
    document.gap().small(words.notification_source);
}

fn summary(document: &mut Document, words: &Words, letter: &Letter) {
    document.heading(words.intake);
    let all: Vec<&str> = plkk_domain::INTAKE_FIELDS
        .iter()
        .copied()
        .filter(|field| *field != "id")
        .collect();
    fields(document, words, letter, &all);
    document.heading(words.corrections);
    if let Some(admission) = letter.revisions.first() {
        document.field(
            words.admitted_by,
            &format!(
                "{}, {}",
                admission.author,
                time(admission.written_at, words.language)
            ),
        );
    }
    if letter.revisions.len() <= 1 {
        document.paragraph(words.no_corrections);
    }
    for revision in letter.revisions.iter().skip(1) {
        let changes: Vec<String> = revision
            .changes
            .iter()
            .map(|change| {
                format!(
                    "{}: {} {} {}",
                    label(&change.field, words.language),
                    change.from.as_deref().unwrap_or("-"),
                    words.became,
                    change.to.as_deref().unwrap_or("-")
                )
            })
            .collect();
        document.field(
            &format!("{} {}", words.correction, revision.revision),
            &format!(
                "{}, {}. {}: {}\n{}",
                revision.author,
                time(revision.written_at, words.language),
                words.reason,
                revision.reason.as_deref().unwrap_or("-"),
                changes.join("\n")
            ),
        );
    }
    document.heading(words.notes);
    if letter.notes.is_empty() {
        document.paragraph(words.no_notes);
    }
    for (index, view) in letter.notes.iter().enumerate() {
        let note = &view.note;
        let mut lines = vec![
            format!("{}, {}", note.author, time(note.written_at, words.language)),
            note.fields.text.clone(),
        ];
        if !note.fields.icd10.is_empty() {
            lines.push(format!("ICD-10: {}", note.fields.icd10.join(", ")));
        }
        if let Some(days) = note.fields.stmb_days {
            lines.push(format!("{}: {days}", label("stmb_days", words.language)));
        }
        if let Some(disposition) = note.fields.disposition {
            lines.push(format!(
                "{}: {}",
                label("disposition", words.language),
                value_words("disposition", &disposition.to_string(), words.language)
            ));
        }
        if let Some(corrects) = note.fields.corrects {
            lines.push(format!("{} {corrects}", words.corrects));
        }
        if !view.corrected_by.is_empty() {
            lines.push(words.corrected_later.to_owned());
        }
        document.field(&format!("{} {}", words.note, index + 1), &lines.join("\n"));
    }
    document.heading(words.outcome);
    document.field(
        label("outcome", words.language),
        &letter
            .outcome
            .as_deref()
            .map(|outcome| value_words("outcome", outcome, words.language))
            .unwrap_or_else(|| words.still_open.to_owned()),
    );
    let status = match &letter.branch_status {
        Some(status) => {
            let mut text = status.status.replace('_', " ");
            if let Some(reason) = &status.reason {
                text.push_str(&format!(" ({reason})"));
            }
            if let Some(reference) = &status.reference {
                text.push_str(&format!(", {reference}"));
            }
            format!("{text}, {}", time(status.changed_at, words.language))
        }
        None => words.no_status.to_owned(),
    };
    document.field(words.branch_status, &status);
}

/// `names`' labels and values, skipping empty ones.
fn fields(document: &mut Document, words: &Words, letter: &Letter, names: &[&str]) {
    for field in names {
        let Some(value) = text(letter, field).filter(|value| !value.is_empty()) else {
            continue;
        };
        let shown = match *field {
            "accident_at" | "admitted_at" => DateTime::parse_from_rfc3339(value)
                .map(|at| time(at, words.language))
                .unwrap_or_else(|_| value.to_owned()),
            "birth_date" => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(|day| day.format("%d/%m/%Y").to_string())
                .unwrap_or_else(|_| value.to_owned()),
            _ => value_words(field, value, words.language),
        };
        document.field(label(field, words.language), &shown);
    }
}

fn text<'a>(letter: &'a Letter, field: &str) -> Option<&'a str> {
    letter.fields.get(field).and_then(|value| value.as_str())
}

fn person(person: &Person) -> String {
    if person.name.is_empty() {
        person.username.clone()
    } else {
        format!("{} ({})", person.name, person.username)
    }
}

/// `30/11/2026 08.15 WIB` (Indonesian) or `30/11/2026 08:15 WIB`; an offset outside Indonesia's
/// three zones as `+05:30`.
fn time(at: DateTime<FixedOffset>, language: Language) -> String {
    let zone = match at.offset().local_minus_utc() {
        25_200 => "WIB".to_owned(),
        28_800 => "WITA".to_owned(),
        32_400 => "WIT".to_owned(),
        _ => at.format("%:z").to_string(),
    };
    let clock = match language {
        Language::Id => at.format("%d/%m/%Y %H.%M"),
        Language::En => at.format("%d/%m/%Y %H:%M"),
    };
    format!("{clock} {zone}")
}

/// The letters' fixed words.
struct Words {
    language: Language,
    notification: &'static str,
    summary: &'static str,
    clinic: &'static str,
    not_enrolled: &'static str,
    case_id: &'static str,
    to: &'static str,
    branch_office: &'static str,
    notification_intro: &'static str,
    notification_source: &'static str,
    participant: &'static str,
    accident: &'static str,
    report_due: &'static str,
    disease: &'static str,
    years_worked: &'static str,
    exposure: &'static str,
    diagnosis: &'static str,
    not_recorded: &'static str,
    no_diagnosis: &'static str,
    contact: &'static str,
    intake: &'static str,
    corrections: &'static str,
    admitted_by: &'static str,
    no_corrections: &'static str,
    correction: &'static str,
    reason: &'static str,
    became: &'static str,
    notes: &'static str,
    no_notes: &'static str,
    note: &'static str,
    corrects: &'static str,
    corrected_later: &'static str,
    outcome: &'static str,
    still_open: &'static str,
    branch_status: &'static str,
    no_status: &'static str,
    made_by: &'static str,
    made_at: &'static str,
    code_suffix: &'static str,
    code_explained: &'static str,
    page: &'static str,
    of: &'static str,
}

impl Words {
    fn of(language: Language) -> Words {
        match language {
            Language::Id => Words {
                language,
                notification: "Pemberitahuan Dugaan Kecelakaan Kerja",
                summary: "Ringkasan Kasus",
                clinic: "PLKK",
                not_enrolled: "(komputer ini belum terdaftar di kantor cabang)",
                case_id: "No. kasus",
                to: "Kepada",
                branch_office: "Kantor Cabang BPJS Ketenagakerjaan",
                notification_intro: "Dengan ini PLKK memberitahukan dugaan kecelakaan kerja yang dialami peserta berikut. Pasien telah ditangani; penjaminan berlaku sampai kantor cabang menyimpulkan lain.",
                notification_source: "Isi minimum pemberitahuan menurut Permenaker No. 1 Tahun 2025: NIK atau nomor peserta; kejadian (tempat, penyebab, tanggal dan waktu); nama dan telepon kontak. Laporan tahap I jatuh tempo 2×24 jam setelah kecelakaan.",
                participant: "Peserta",
                accident: "Kejadian",
                report_due: "Batas laporan tahap I",
                disease: "Penyakit akibat kerja",
                years_worked: "Masa kerja",
                exposure: "Sumber paparan",
                diagnosis: "Diagnosis klinis",
                not_recorded: "tidak dicatat saat penerimaan (dilengkapi pemberi kerja)",
                no_diagnosis: "belum ada diagnosis tercatat",
                contact: "Kontak yang dapat dihubungi",
                intake: "Data penerimaan (nilai terkini)",
                corrections: "Koreksi data",
                admitted_by: "Diterima oleh",
                no_corrections: "Tidak ada koreksi.",
                correction: "Koreksi",
                reason: "Alasan",
                became: "menjadi",
                notes: "Catatan perawatan",
                no_notes: "Belum ada catatan perawatan.",
                note: "Catatan",
                corrects: "Mengoreksi catatan",
                corrected_later: "(dikoreksi oleh catatan berikutnya)",
                outcome: "Hasil akhir",
                still_open: "Kasus masih berjalan",
                branch_status: "Status dari kantor cabang",
                no_status: "Belum ada jawaban kantor cabang",
                made_by: "Dicetak oleh",
                made_at: "Dicetak pada",
                code_suffix: "",
                code_explained: "Kantor cabang dapat memeriksa keaslian surat ini dengan kode verifikasi di atas: kode dibuat dari catatan kasus ini dan dicocokkan dengan catatan yang diterima kantor cabang.",
                page: "Halaman",
                of: "dari",
            },
            Language::En => Words {
                language,
                notification: "Notification of a Suspected Work Accident",
                summary: "Case Summary",
                clinic: "PLKK",
                not_enrolled: "(this computer is not enrolled with a branch yet)",
                case_id: "Case number",
                to: "To",
                branch_office: "BPJS Ketenagakerjaan branch office",
                notification_intro: "The PLKK hereby notifies a suspected work accident of the participant below. The patient has been treated; the guarantee holds until the branch concludes otherwise.",
                notification_source: "Minimum content of a notification under Permenaker No. 1 of 2025: NIK or participant number; what happened (place, cause, date and time); a contact's name and phone. The stage I report is due 2×24 hours after the accident.",
                participant: "Participant",
                accident: "What happened",
                report_due: "Stage I report due",
                disease: "Occupational disease",
                years_worked: "Years worked",
                exposure: "Exposure source",
                diagnosis: "Clinical diagnosis",
                not_recorded: "not recorded at admission (the employer completes it)",
                no_diagnosis: "no diagnosis recorded yet",
                contact: "Contact to call back",
                intake: "Intake (current values)",
                corrections: "Corrections",
                admitted_by: "Admitted by",
                no_corrections: "No corrections.",
                correction: "Correction",
                reason: "Reason",
                became: "became",
                notes: "Treatment notes",
                no_notes: "No treatment notes yet.",
                note: "Note",
                corrects: "Corrects note",
                corrected_later: "(corrected by a later note)",
                outcome: "Outcome",
                still_open: "The case is still open",
                branch_status: "Status from the branch",
                no_status: "No answer from the branch yet",
                made_by: "Printed by",
                made_at: "Printed at",
                code_suffix: " (verification code)",
                code_explained: "The branch office can check that this letter is genuine with the verification code above: it is made from this case's records and matched against the records the branch received.",
                page: "Page",
                of: "of",
            },
        }
    }
}
