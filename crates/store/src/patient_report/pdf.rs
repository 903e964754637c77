//! The patient report as a PDF (through `plkk-pdf`), in Indonesian or English: the words and the
//! order of the report; the module above gathers what goes in.

use chrono::{DateTime, FixedOffset};
use plkk_pdf::Document;

use super::{Access, PatientReport, Person, ReportCase};
use crate::bpu::BpuView;
use crate::record_words::{label, value_words};
use crate::Language;

/// The PDF file's bytes.
pub(crate) fn render(report: &PatientReport, language: Language) -> Vec<u8> {
    let words = Words::of(language);
    let mut document = Document::new(words.title, &report.made_by.username, report.made_at);
    document.title(words.title).paragraph(words.intro);
    document
        .field("NIK", &report.nik)
        .field(words.made_at, &time(report.made_at))
        .field(words.made_by, &person(&report.made_by))
        .field(words.case_count, &report.cases.len().to_string());
    for (index, case) in report.cases.iter().enumerate() {
        case_section(&mut document, &words, case, index + 1, report.cases.len());
    }
    document.heading(words.bpu_heading);
    if report.registrations.is_empty() {
        document.paragraph(words.bpu_none);
    }
    for held in &report.registrations {
        registration_section(&mut document, &words, held);
    }
    document.heading(words.access_heading);
    if report.access.is_empty() {
        document.paragraph(words.access_none);
    }
    for access in &report.access {
        document.field(&time(access.at), &access_line(&words, access));
    }
    document.gap().small(words.closing);
    let masked = format!(
        "{}{}",
        "*".repeat(12),
        &report.nik[report.nik.len().saturating_sub(4)..]
    );
    document.to_pdf(|page, pages| {
        format!(
            "PLKK Desk · {} · NIK {masked} · {} {page} {} {pages}",
            words.title, words.page, words.of
        )
    })
}

/// One BPU registration: who, what work, the contribution as computed at the desk, and the
/// branch's decision.
fn registration_section(document: &mut Document, words: &Words, held: &BpuView) {
    let registration = &held.registration;
    let contribution = &held.contribution;
    let occupation = serde_json::to_value(registration.occupation)
        .ok()
        .and_then(|value| {
            value
                .as_str()
                .map(|code| value_words("occupation", code, words.language))
        })
        .unwrap_or_default();
    let work = match &registration.occupation_detail {
        Some(detail) if !detail.is_empty() => format!("{occupation} ({detail})"),
        _ => occupation,
    };
    let status = match (held.status, &held.kpj, &held.decision_reason) {
        (plkk_protocol::BpuStatus::Registered, Some(kpj), _) => {
            format!("{}, KPJ {kpj}", words.bpu_registered)
        }
        (plkk_protocol::BpuStatus::Rejected, _, reason) => format!(
            "{}: {}",
            words.bpu_rejected,
            reason.as_deref().unwrap_or("-")
        ),
        _ => words.bpu_submitted.to_owned(),
    };
    document
        .field(words.bpu_registration, &registration.id.to_string())
        .field(label("full_name", words.language), &registration.full_name)
        .field(words.bpu_work, &work)
        .field(
            words.bpu_income,
            &plkk_domain::rupiah(registration.declared_income),
        )
        .field(
            words.bpu_contribution,
            &format!(
                "{} {} ({} {}, {})",
                plkk_domain::rupiah(contribution.monthly_total),
                words.bpu_a_month,
                registration.period_months,
                words.bpu_months,
                contribution.tariff_version
            ),
        )
        .field(
            words.bpu_starts_on,
            &registration.starts_on.format("%d/%m/%Y").to_string(),
        )
        .field(words.bpu_status, &status)
        .field(
            words.bpu_registered_by,
            &format!("{}, {}", held.author, time(held.written_at)),
        );
}

fn case_section(
    document: &mut Document,
    words: &Words,
    case: &ReportCase,
    number: usize,
    count: usize,
) {
    document.heading(&format!(
        "{} {number} {} {count}: {}",
        words.case, words.of, case.id
    ));
    for field in plkk_domain::INTAKE_FIELDS
        .iter()
        .filter(|field| **field != "id")
    {
        let Some(text) = case
            .fields
            .get(*field)
            .and_then(|value| value.as_str())
            .filter(|text| !text.is_empty())
        else {
            continue;
        };
        document.field(
            label(field, words.language),
            &value_words(field, text, words.language),
        );
    }
    if let Some(status) = &case.branch_status {
        let mut text = status.status.replace('_', " ");
        if let Some(reason) = &status.reason {
            text.push_str(&format!(" ({reason})"));
        }
        if let Some(reference) = &status.reference {
            text.push_str(&format!(", {reference}"));
        }
        document.field(
            words.branch_status,
            &format!("{text}, {}", time(status.changed_at)),
        );
    }
    document.field(words.documents, words.documents_none);
    if let Some(admission) = case.revisions.first() {
        document.field(
            words.admitted_by,
            &format!("{}, {}", admission.author, time(admission.written_at)),
        );
    }
    for revision in case.revisions.iter().skip(1) {
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
                time(revision.written_at),
                words.reason,
                revision.reason.as_deref().unwrap_or("-"),
                changes.join("\n")
            ),
        );
    }
    for (index, note) in case.notes.iter().enumerate() {
        let fields = &note.note.fields;
        let mut lines = vec![
            format!("{}, {}", note.note.author, time(note.note.written_at)),
            fields.text.clone(),
        ];
        let measured: Vec<String> = [
            ("systolic", fields.systolic.map(|v| v.to_string())),
            ("diastolic", fields.diastolic.map(|v| v.to_string())),
            ("pulse", fields.pulse.map(|v| v.to_string())),
            ("resp_rate", fields.resp_rate.map(|v| v.to_string())),
            ("temperature_c", fields.temperature_c.map(|v| v.to_string())),
            ("spo2", fields.spo2.map(|v| v.to_string())),
            ("pain_score", fields.pain_score.map(|v| v.to_string())),
            ("stmb_days", fields.stmb_days.map(|v| v.to_string())),
            ("referred_to", fields.referred_to.clone()),
            ("disposition", fields.disposition.map(|v| v.to_string())),
            ("outcome", fields.outcome.map(|v| v.to_string())),
        ]
        .into_iter()
        .filter_map(|(field, value)| {
            value.map(|value| {
                format!(
                    "{}: {}",
                    label(field, words.language),
                    value_words(field, &value, words.language)
                )
            })
        })
        .collect();
        if !measured.is_empty() {
            lines.push(measured.join("; "));
        }
        if !fields.icd10.is_empty() {
            lines.push(format!("ICD-10: {}", fields.icd10.join(", ")));
        }
        if let Some(corrects) = fields.corrects {
            lines.push(format!("{} {corrects}", words.corrects));
        }
        document.field(&format!("{} {}", words.note, index + 1), &lines.join("\n"));
    }
}

fn access_line(words: &Words, access: &Access) -> String {
    let what = action_words(&access.action, words.language);
    match (&access.case_id, &access.range) {
        (_, Some(range)) => format!("{}: {what} ({range})", person(&access.who)),
        (Some(case), None) => format!("{}: {what}, {} {case}", person(&access.who), words.case),
        (None, None) => format!("{}: {what}", person(&access.who)),
    }
}

fn person(person: &Person) -> String {
    if person.name.is_empty() {
        person.username.clone()
    } else {
        format!("{} ({})", person.username, person.name)
    }
}

fn time(at: DateTime<FixedOffset>) -> String {
    at.format("%Y-%m-%d %H:%M %:z").to_string()
}

/// The report's fixed words.
struct Words {
    language: Language,
    title: &'static str,
    intro: &'static str,
    made_at: &'static str,
    made_by: &'static str,
    case_count: &'static str,
    case: &'static str,
    of: &'static str,
    page: &'static str,
    branch_status: &'static str,
    documents: &'static str,
    documents_none: &'static str,
    admitted_by: &'static str,
    correction: &'static str,
    reason: &'static str,
    became: &'static str,
    note: &'static str,
    corrects: &'static str,
    bpu_heading: &'static str,
    bpu_none: &'static str,
    bpu_registration: &'static str,
    bpu_work: &'static str,
    bpu_income: &'static str,
    bpu_contribution: &'static str,
    bpu_a_month: &'static str,
    bpu_months: &'static str,
    bpu_starts_on: &'static str,
    bpu_status: &'static str,
    bpu_submitted: &'static str,
    bpu_registered: &'static str,
    bpu_rejected: &'static str,
    bpu_registered_by: &'static str,
    access_heading: &'static str,
    access_none: &'static str,
    closing: &'static str,
}

impl Words {
    fn of(language: Language) -> Words {
        match language {
            Language::Id => Words {
                language,
                title: "Laporan Data Pribadi Pasien",
                intro: "Jawaban atas permintaan akses subjek data (UU No. 27 Tahun 2022 tentang Pelindungan Data Pribadi): semua data tentang orang dengan NIK di bawah ini yang tersimpan di komputer PLKK ini, dan siapa yang melihat, mencetak, mengoreksi atau mengekspornya menurut log audit.",
                made_at: "Dibuat pada",
                made_by: "Dibuat oleh",
                case_count: "Jumlah kasus",
                case: "Kasus",
                of: "dari",
                page: "Halaman",
                branch_status: "Status dari kantor cabang",
                documents: "Dokumen",
                documents_none: "Tidak ada dokumen tersimpan (versi ini belum menyimpan lampiran).",
                admitted_by: "Diterima oleh",
                correction: "Koreksi",
                reason: "Alasan",
                became: "menjadi",
                note: "Catatan perawatan",
                corrects: "Mengoreksi catatan",
                bpu_heading: "Pendaftaran peserta BPU",
                bpu_none: "Tidak ada pendaftaran BPU tersimpan untuk NIK ini.",
                bpu_registration: "Pendaftaran BPU",
                bpu_work: "Pekerjaan",
                bpu_income: "Penghasilan per bulan",
                bpu_contribution: "Iuran",
                bpu_a_month: "per bulan",
                bpu_months: "bulan",
                bpu_starts_on: "Mulai kepesertaan",
                bpu_status: "Keputusan kantor cabang",
                bpu_submitted: "diajukan, menunggu keputusan",
                bpu_registered: "terdaftar",
                bpu_rejected: "ditolak",
                bpu_registered_by: "Didaftarkan oleh",
                access_heading: "Siapa yang mengakses data ini (log audit)",
                access_none: "Tidak ada catatan akses.",
                closing: "Laporan ini dibuat oleh PLKK Desk dari basis data terenkripsi di komputer ini. Pembuatannya sendiri tercatat di log audit.",
            },
            Language::En => Words {
                language,
                title: "Patient's Personal Data Report",
                intro: "Answer to a data subject's access request (Law No. 27 of 2022 on Personal Data Protection): everything this PLKK computer holds about the person with the NIK below, and who viewed, printed, corrected or exported it according to the audit log.",
                made_at: "Made at",
                made_by: "Made by",
                case_count: "Cases",
                case: "Case",
                of: "of",
                page: "Page",
                branch_status: "Status from the branch",
                documents: "Documents",
                documents_none: "No documents held (this version keeps no attachments).",
                admitted_by: "Admitted by",
                correction: "Correction",
                reason: "Reason",
                became: "became",
                note: "Treatment note",
                corrects: "Corrects note",
                bpu_heading: "BPU participant registrations",
                bpu_none: "No BPU registration is held for this NIK.",
                bpu_registration: "BPU registration",
                bpu_work: "Work",
                bpu_income: "Income a month",
                bpu_contribution: "Contribution",
                bpu_a_month: "a month",
                bpu_months: "months",
                bpu_starts_on: "Coverage starts",
                bpu_status: "Branch's decision",
                bpu_submitted: "submitted, waiting for a decision",
                bpu_registered: "registered",
                bpu_rejected: "rejected",
                bpu_registered_by: "Registered by",
                access_heading: "Who accessed this data (audit log)",
                access_none: "No access recorded.",
                closing: "This report was made by PLKK Desk from the encrypted database on this computer. Making it is itself recorded in the audit log.",
            },
        }
    }
}

/// An audit action in words.
fn action_words(action: &str, language: Language) -> String {
    let pair = match action {
        "open_case" => ("membuka kasus", "opened the case"),
        "print" => ("mencetak kasus", "printed the case"),
        "export" => ("mengekspor data (CSV)", "exported the data (CSV)"),
        "admit" => ("menerima pasien", "admitted the patient"),
        "correct_intake" => ("mengoreksi data", "corrected the data"),
        "add_note" => ("menulis catatan perawatan", "wrote a treatment note"),
        "resend" => (
            "mengirim ulang ke kantor cabang",
            "sent it to the branch again",
        ),
        other => return other.replace('_', " "),
    };
    match language {
        Language::Id => pair.0.to_owned(),
        Language::En => pair.1.to_owned(),
    }
}
