//! Labels the console derives from codes, in Indonesian and English: case statuses, officer
//! roles, field names (the record contract's, DOMAIN.md), and a refusal's message from its field,
//! rule and params (the rule codes of `plkk_domain::limits` and the branch's own).

use std::collections::BTreeMap;

use super::words::Lang;

/// `text` with `{n}` replaced by `n`.
pub(crate) fn with_n(text: &str, n: impl std::fmt::Display) -> String {
    text.replace("{n}", &n.to_string())
}

/// A desk clock's offset from the branch's (desk minus branch, seconds) in words.
pub(crate) fn clock_offset(lang: Lang, seconds: i64) -> String {
    let size = seconds.unsigned_abs();
    let amount = match (lang, size >= 120) {
        (_, false) => format!("{size} s"),
        (Lang::Id, true) => format!("{} mnt", size / 60),
        (Lang::En, true) => format!("{} min", size / 60),
    };
    match (lang, seconds.signum()) {
        (_, 0) => "0 s".to_owned(),
        (Lang::Id, 1) => format!("{amount} lebih cepat"),
        (Lang::Id, _) => format!("{amount} lebih lambat"),
        (Lang::En, 1) => format!("{amount} fast"),
        (Lang::En, _) => format!("{amount} slow"),
    }
}

/// A case status in words.
pub(crate) fn status_label(lang: Lang, status: &str) -> &'static str {
    match (lang, status) {
        (Lang::Id, "received") => "Diterima cabang",
        (Lang::Id, "eligible") => "Layak",
        (Lang::Id, "not_eligible") => "Tidak layak",
        (Lang::Id, "guarantee_issued") => "Surat jaminan terbit",
        (Lang::Id, "concluded_work_accident") => "Diputus: kecelakaan kerja",
        (Lang::Id, "concluded_not_work_accident") => "Diputus: bukan kecelakaan kerja",
        (Lang::En, "received") => "Received by branch",
        (Lang::En, "eligible") => "Eligible",
        (Lang::En, "not_eligible") => "Not eligible",
        (Lang::En, "guarantee_issued") => "Guarantee issued",
        (Lang::En, "concluded_work_accident") => "Concluded: work accident",
        (Lang::En, "concluded_not_work_accident") => "Concluded: not a work accident",
        _ => "?",
    }
}

/// An officer role in words.
pub(crate) fn role_label(lang: Lang, role: &str) -> &'static str {
    match (lang, role) {
        (Lang::Id, "viewer") => "Pemantau (baca saja)",
        (Lang::Id, "verifier") => "Verifikator",
        (Lang::Id, "admin") => "Administrator",
        (Lang::En, "viewer") => "Viewer (read only)",
        (Lang::En, "verifier") => "Verifier",
        (Lang::En, "admin") => "Administrator",
        _ => "?",
    }
}

/// An intake field's label (the record contract's names; DOMAIN.md).
pub(crate) fn field_label(lang: Lang, field: &str) -> String {
    let (id, en) = match field {
        "nik" => ("NIK", "NIK"),
        "identity_document" => ("Paspor / KITAS", "Passport / KITAS"),
        "kpj" => ("KPJ", "KPJ"),
        "full_name" => ("Nama lengkap", "Full name"),
        "sex" => ("Jenis kelamin", "Sex"),
        "birth_date" => ("Tanggal lahir", "Birth date"),
        "phone" => ("Telepon", "Phone"),
        "address" => ("Alamat", "Address"),
        "occupation" => ("Pekerjaan", "Occupation"),
        "segment" => ("Segmen", "Segment"),
        "employer_name" => ("Pemberi kerja", "Employer"),
        "employer_npp" => ("NPP", "NPP"),
        "accident_at" => ("Waktu kecelakaan", "Accident time"),
        "admitted_at" => ("Waktu diterima desk", "Admitted at"),
        "case_category" => ("Kategori kasus", "Case category"),
        "place_type" => ("Tempat kejadian", "Place type"),
        "accident_location" => ("Lokasi kejadian", "Accident location"),
        "chronology" => ("Kronologi", "Chronology"),
        "injury" => ("Cedera", "Injury"),
        "police_report_number" => ("Nomor laporan polisi", "Police report number"),
        "contact_name" => ("Nama kontak", "Contact name"),
        "contact_phone" => ("Telepon kontak", "Contact phone"),
        "consent" => ("Persetujuan", "Consent"),
        "text" => ("Catatan", "Note"),
        "icd10" => ("ICD-10", "ICD-10"),
        "disposition" => ("Tindak lanjut", "Disposition"),
        "referred_to" => ("Dirujuk ke", "Referred to"),
        "stmb_days" => ("Hari STMB", "STMB days"),
        "outcome" => ("Hasil akhir", "Outcome"),
        "username" => ("Nama pengguna", "Username"),
        "display_name" => ("Nama lengkap", "Full name"),
        "password" => ("Kata sandi", "Password"),
        "role" => ("Peran", "Role"),
        "clinic_code" => ("Kode klinik", "Clinic code"),
        "clinic_name" => ("Nama klinik", "Clinic name"),
        "reason" => ("Alasan", "Reason"),
        "reference" => ("Nomor surat jaminan", "Guarantee letter number"),
        "status" => ("Status", "Status"),
        "q" => ("Pencarian", "Search"),
        "from" => ("Dari bulan", "From month"),
        "to" => ("Sampai bulan", "To month"),
        "page" => ("Halaman", "Page"),
        other => (other, other),
    };
    match lang {
        Lang::Id => id.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// A refusal in the officer's words: the field's label and what its rule asks.
pub(crate) fn refusal_message(
    lang: Lang,
    field: &str,
    rule: &str,
    params: &BTreeMap<String, String>,
) -> String {
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    let label = field_label(lang, field);
    let why = match (lang, rule) {
        (Lang::Id, "required") => "wajib diisi".to_owned(),
        (Lang::Id, "too_long") => format!("paling banyak {} karakter", param("max")),
        (Lang::Id, "too_short") => format!("paling sedikit {} karakter", param("min")),
        (Lang::Id, "username_format") => {
            "hanya huruf a-z, angka, titik, garis bawah dan tanda hubung".to_owned()
        }
        (Lang::Id, "clinic_code_format") => {
            "hanya huruf, angka, '-', '_' atau '.', paling banyak 40".to_owned()
        }
        (Lang::Id, "taken") => "sudah dipakai".to_owned(),
        (Lang::Id, "month_format") => "tulis sebagai TTTT-BB, misalnya 2026-11".to_owned(),
        (Lang::Id, "month_order") => "tidak boleh sebelum bulan awal".to_owned(),
        (Lang::Id, "out_of_range") => "di luar rentang".to_owned(),
        (Lang::Id, "choice") => "pilih salah satu pilihan".to_owned(),
        (Lang::En, "required") => "is required".to_owned(),
        (Lang::En, "too_long") => format!("at most {} characters", param("max")),
        (Lang::En, "too_short") => format!("at least {} characters", param("min")),
        (Lang::En, "username_format") => "only letters a-z, digits, '.', '_' and '-'".to_owned(),
        (Lang::En, "clinic_code_format") => {
            "only letters, digits, '-', '_' or '.', at most 40".to_owned()
        }
        (Lang::En, "taken") => "is already taken".to_owned(),
        (Lang::En, "month_format") => "write it as YYYY-MM, e.g. 2026-11".to_owned(),
        (Lang::En, "month_order") => "must not be before the first month".to_owned(),
        (Lang::En, "out_of_range") => "is out of range".to_owned(),
        (Lang::En, "choice") => "pick one of the choices".to_owned(),
        (_, other) => other.to_owned(),
    };
    format!("{label}: {why}")
}
