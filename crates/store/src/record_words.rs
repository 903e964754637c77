//! The words of a case's fields on paper (the patient report, the letters): each contract
//! field's label and each coded value in Indonesian or English, the same words as the window's
//! forms (`ui/src/lib/i18n.ts`).

use crate::Language;

/// A field's label (the same words as the window's forms).
pub(crate) fn label(field: &str, language: Language) -> &str {
    let (id, en) = match field {
        "nik" => ("NIK", "NIK"),
        "kpj" => ("No. KPJ", "KPJ number"),
        "identity_document" => ("No. paspor / KITAS", "Passport / KITAS number"),
        "full_name" => ("Nama lengkap", "Full name"),
        "sex" => ("Jenis kelamin", "Sex"),
        "birth_date" => ("Tanggal lahir", "Birth date"),
        "phone" => ("Telepon pasien", "Patient's phone"),
        "address" => ("Alamat", "Address"),
        "occupation" => ("Pekerjaan / jabatan", "Occupation"),
        "segment" => ("Segmen kepesertaan", "Segment"),
        "employer_name" => (
            "Pemberi kerja / wadah / proyek",
            "Employer, group or project",
        ),
        "employer_npp" => ("NPP / NPW / No. proyek", "NPP / NPW / project number"),
        "accident_at" => ("Waktu kecelakaan", "Accident time"),
        "admitted_at" => ("Waktu masuk", "Admission time"),
        "case_category" => ("Kategori kasus", "Case category"),
        "place_type" => ("Jenis tempat", "Place"),
        "accident_location" => ("Lokasi kejadian", "Accident location"),
        "chronology" => ("Kronologi", "Chronology"),
        "injury" => ("Cedera", "Injury"),
        "police_report_number" => ("No. laporan polisi", "Police report number"),
        "contact_name" => ("Nama pendamping / pelapor", "Contact's name"),
        "contact_phone" => ("Telepon pendamping", "Contact's phone"),
        "consent" => ("Persetujuan", "Consent"),
        "systolic" => ("Sistolik (mmHg)", "Systolic (mmHg)"),
        "diastolic" => ("Diastolik (mmHg)", "Diastolic (mmHg)"),
        "pulse" => ("Nadi (x/menit)", "Pulse (/min)"),
        "resp_rate" => ("Napas (x/menit)", "Respiratory rate (/min)"),
        "temperature_c" => ("Suhu (°C)", "Temperature (°C)"),
        "spo2" => ("SpO2 (%)", "SpO2 (%)"),
        "pain_score" => ("Skala nyeri", "Pain score"),
        "stmb_days" => ("STMB (hari)", "STMB (days)"),
        "referred_to" => ("Dirujuk ke", "Referred to"),
        "disposition" => ("Tindak lanjut", "Disposition"),
        "outcome" => ("Hasil akhir", "Outcome"),
        other => (other, other),
    };
    match language {
        Language::Id => id,
        Language::En => en,
    }
}

/// A coded value in words (sex, category, place, consent, disposition, outcome); other values
/// as they are.
pub(crate) fn value_words(field: &str, value: &str, language: Language) -> String {
    let pair = match (field, value) {
        ("sex", "male") => ("Laki-laki", "Male"),
        ("occupation", "domestic_worker") => ("Asisten rumah tangga", "Domestic worker"),
        ("occupation", "private_driver") => ("Sopir pribadi", "Private driver"),
        ("occupation", "street_vendor") => ("Pedagang kaki lima", "Street vendor"),
        ("occupation", "online_driver") => ("Ojek/taksi daring", "Online driver"),
        ("occupation", "motorcycle_taxi") => ("Ojek pangkalan", "Motorcycle taxi"),
        ("occupation", "farmer") => ("Petani", "Farmer"),
        ("occupation", "fisher") => ("Nelayan", "Fisher"),
        ("occupation", "day_labourer") => ("Buruh harian lepas", "Day labourer"),
        ("occupation", "craftsperson") => ("Perajin", "Craftsperson"),
        ("occupation", "other") => ("Lainnya", "Other"),
        ("sex", "female") => ("Perempuan", "Female"),
        ("case_category", "work_accident") => ("Kecelakaan kerja", "Work accident"),
        ("case_category", "commuting_accident") => {
            ("Kecelakaan perjalanan kerja", "Commuting accident")
        }
        ("case_category", "occupational_disease") => {
            ("Penyakit akibat kerja", "Occupational disease")
        }
        ("case_category", "workplace_violence") => {
            ("Kekerasan di tempat kerja", "Workplace violence")
        }
        ("place_type", "workplace") => ("Di tempat kerja", "At the workplace"),
        ("place_type", "outside_workplace") => ("Di luar tempat kerja", "Outside the workplace"),
        ("place_type", "traffic") => ("Di jalan (lalu lintas)", "On the road (traffic)"),
        ("consent", "patient") => ("Pasien sendiri", "The patient"),
        ("consent", "family") => ("Keluarga", "The family"),
        ("consent", "pending") => ("Belum (menyusul)", "Not yet (pending)"),
        ("disposition", "outpatient_working") => {
            ("Rawat jalan, tetap bekerja", "Outpatient, working")
        }
        ("disposition", "outpatient_off_work") => {
            ("Rawat jalan, tidak bekerja", "Outpatient, off work")
        }
        ("disposition", "inpatient") => ("Rawat inap", "Inpatient"),
        ("disposition", "referred") => ("Dirujuk", "Referred"),
        ("disposition", "discharged") => ("Pulang / selesai", "Discharged"),
        ("disposition", "died") => ("Meninggal", "Died"),
        ("outcome", "recovered") => ("Sembuh", "Recovered"),
        ("outcome", "total_permanent_disability") => {
            ("Cacat total tetap", "Total permanent disability")
        }
        ("outcome", "partial_anatomical_disability") => {
            ("Cacat sebagian anatomis", "Partial anatomical disability")
        }
        ("outcome", "partial_functional_disability") => {
            ("Cacat sebagian fungsi", "Partial functional disability")
        }
        ("outcome", "died") => ("Meninggal dunia", "Died"),
        _ => return value.to_owned(),
    };
    match language {
        Language::Id => pair.0.to_owned(),
        Language::En => pair.1.to_owned(),
    }
}
