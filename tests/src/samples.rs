//! Records to test and benchmark with: one realistic intake and note, and a generator of many
//! distinct valid intakes (names, NIKs and employers drawn from small pools by a seeded generator).

use serde_json::{json, Value};

/// A complete, valid intake of a female PU worker, admitted in the past (valid whatever the clock).
pub fn intake() -> Value {
    json!({
        "nik": "3216055708900003",
        "kpj": "12345678901",
        "full_name": "Siti Rahmawati",
        "sex": "female",
        "birth_date": "1990-08-17",
        "phone": "081234567890",
        "address": "Jl. Raya Cikarang No. 12, Kabupaten Bekasi",
        "segment": "PU",
        "employer_name": "PT Maju Jaya",
        "employer_npp": "12345678",
        "accident_at": "2025-06-10T08:30:00+07:00",
        "admitted_at": "2025-06-10T09:10:00+07:00",
        "case_category": "work_accident",
        "place_type": "workplace",
        "accident_location": "Gudang PT Maju Jaya, Cikarang",
        "chronology": "Terjatuh dari tangga saat memindahkan barang di gudang",
        "injury": "Patah tulang lengan kiri",
        "contact_name": "Budi Santoso",
        "contact_phone": "081298765432",
        "consent": "patient"
    })
}

/// The sample intake with some fields replaced (a `null` removes the field).
pub fn intake_with(changes: Value) -> Value {
    let mut intake = intake();
    let object = intake.as_object_mut().expect("the sample is an object");
    for (field, value) in changes.as_object().expect("changes are an object") {
        if value.is_null() {
            object.remove(field);
        } else {
            object.insert(field.clone(), value.clone());
        }
    }
    intake
}

/// A valid BPU registration (issue 11) of a street vendor with the lowest income band, cover
/// starting today by this computer's clock (as `plkk` reads it). NIK differs from `intake()`'s.
pub fn bpu_registration() -> Value {
    json!({
        "nik": "3216056508950004",
        "full_name": "Wati Pedagang",
        "sex": "female",
        "birth_date": "1995-08-25",
        "phone": "081377788899",
        "address": "Pasar Cikarang, Kabupaten Bekasi",
        "occupation": "street_vendor",
        "declared_income": 900000,
        "programmes": ["jkk", "jkm"],
        "period_months": 1,
        "starts_on": chrono::Local::now().date_naive().to_string(),
        "heir_name": "Joko",
        "heir_relation": "spouse",
        "heir_phone": "081300011122",
        "consent": true
    })
}

/// The sample registration with some fields replaced (a `null` removes the field).
pub fn bpu_registration_with(changes: Value) -> Value {
    let mut registration = bpu_registration();
    let object = registration
        .as_object_mut()
        .expect("the sample is an object");
    for (field, value) in changes.as_object().expect("changes are an object") {
        if value.is_null() {
            object.remove(field);
        } else {
            object.insert(field.clone(), value.clone());
        }
    }
    registration
}

/// A valid treatment note with vitals and an injury diagnosis.
pub fn note() -> Value {
    json!({
        "text": "Luka dibersihkan, lengan kiri dibidai. Rujuk rontgen.",
        "systolic": 120, "diastolic": 80, "pulse": 88, "resp_rate": 18,
        "temperature_c": 36.8, "spo2": 98, "pain_score": 6,
        "icd10": ["S52.5"],
        "disposition": "outpatient_off_work",
        "stmb_days": 14
    })
}

const GIVEN_NAMES: &[&str] = &[
    "Siti", "Budi", "Agus", "Dewi", "Rina", "Andi", "Joko", "Sri", "Wahyu", "Nur", "Eko",
    "Lestari", "Hendra", "Yanti", "Rudi", "Ayu", "Dedi", "Fitri", "Bambang", "Intan", "Asep",
    "Maya", "Teguh", "Ratna", "Hadi", "Putri", "Slamet", "Wulan", "Iwan", "Novi",
];
const FAMILY_NAMES: &[&str] = &[
    "Rahmawati",
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Kusuma",
    "Pratama",
    "Setiawan",
    "Nugroho",
    "Lubis",
    "Siregar",
    "Hasibuan",
    "Sulistyo",
    "Gunawan",
    "Susanti",
    "Purnomo",
    "Hartono",
    "Firmansyah",
    "Maulana",
    "Sembiring",
];
const EMPLOYERS: &[&str] = &[
    "PT Maju Jaya",
    "PT Sinar Cikarang",
    "CV Bekasi Logam",
    "PT Karya Mandiri",
    "PT Delta Plastik",
    "Proyek Tol Japek II",
    "Wadah BPU Ojek Tambun",
    "PT Surya Textile",
    "PT Mega Baja",
    "Koperasi Pedagang Pasar Baru",
];

/// A small, fast, deterministic generator (xorshift64*), so benchmarks see the same data each run.
#[derive(Debug, Clone)]
pub struct Seeded(u64);

impl Seeded {
    pub fn new(seed: u64) -> Seeded {
        Seeded(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    pub fn pick<'a>(&mut self, pool: &[&'a str]) -> &'a str {
        pool[self.below(pool.len() as u64) as usize]
    }
}

/// The `index`-th synthetic intake: a distinct NIK and KPJ, a plausible name and employer.
pub fn synthetic_intake(random: &mut Seeded, index: u64) -> Value {
    let female = random.below(2) == 0;
    let day = 1 + random.below(28);
    let month = 1 + random.below(12);
    let year = 60 + random.below(40);
    let nik_day = if female { day + 40 } else { day };
    let nik = format!(
        "3216{:02}{:02}{:02}{:02}{:04}",
        1 + random.below(20),
        nik_day,
        month,
        year,
        1 + index % 9999
    );
    let name = format!("{} {}", random.pick(GIVEN_NAMES), random.pick(FAMILY_NAMES));
    intake_with(json!({
        "nik": nik,
        "kpj": format!("{:011}", index),
        "full_name": name,
        "sex": if female { "female" } else { "male" },
        "birth_date": format!("19{year:02}-{month:02}-{day:02}"),
        "employer_name": random.pick(EMPLOYERS),
    }))
}
