//! The card of `plkk-bench --typing` (a realistic admission and a treatment note, as the person
//! reads them) and the keys the person presses for each scenario on the window after issue 9,
//! with or without each aid the desk offers.

use chrono::{DateTime, FixedOffset, TimeDelta, Timelike};
use plkk_tests::desk_window::testid_css;
use serde_json::{json, Value};

use super::Step;

/// The realistic admission of issue 9, as the card says it.
pub(super) struct Card {
    pub(super) nik: &'static str,
    pub(super) full_name: &'static str,
    pub(super) phone: &'static str,
    /// The street part of the address, and the regency the NIK names.
    pub(super) street: &'static str,
    pub(super) regency: &'static str,
    pub(super) kpj: &'static str,
    pub(super) employer_name: &'static str,
    pub(super) employer_npp: &'static str,
    pub(super) accident_at: DateTime<FixedOffset>,
    pub(super) location: &'static str,
    pub(super) chronology: &'static str,
    pub(super) injury: &'static str,
    pub(super) contact_name: &'static str,
    pub(super) contact_phone: &'static str,
}

pub(super) fn card(now: DateTime<FixedOffset>) -> Card {
    let two_hours_ago = now - TimeDelta::hours(2);
    Card {
        nik: "3216051203880007",
        full_name: "Agus Setiawan",
        phone: "081311223344",
        street: "Jl. Melati 5",
        regency: "Kab. Bekasi",
        kpj: "12345678901",
        employer_name: "PT Maju Jaya",
        employer_npp: "12345678",
        accident_at: two_hours_ago
            .with_second(0)
            .and_then(|at| at.with_nanosecond(0))
            .expect("a whole minute exists"),
        location: "Gudang PT Maju Jaya",
        chronology: "Jatuh dari tangga di gudang. Lengan kiri terbentur.",
        injury: "Patah lengan kiri",
        contact_name: "Budi",
        contact_phone: "081298765432",
    }
}

impl Card {
    pub(super) fn address(&self) -> String {
        format!("{}, {}", self.street, self.regency)
    }
}

pub(super) fn tab() -> Step {
    Step::Keys(vec!["Tab"])
}

pub(super) fn typed(text: impl Into<String>) -> Step {
    Step::Type(text.into())
}

/// Which of the desk's aids the person uses (each can be measured alone).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Aids {
    /// The accident time typed alone ("0815": today), not with its date.
    pub(super) time_alone: bool,
    /// The regency the NIK names, taken for the end of the address.
    pub(super) regency: bool,
    /// The employer taken from those this desk has seen, after three letters (its NPP and
    /// segment come with it).
    pub(super) employer: bool,
    /// The employer's last workplace accident location, taken for the location.
    pub(super) location: bool,
    /// The employer's last contact person (name and phone), taken for the contact.
    pub(super) contact: bool,
    /// "Salin data pasien": a returning patient's fields copied from the earlier case.
    pub(super) returning: bool,
}

pub(super) const NO_AIDS: Aids = Aids {
    time_alone: false,
    regency: false,
    employer: false,
    location: false,
    contact: false,
    returning: false,
};

pub(super) fn enter() -> Step {
    Step::Keys(vec!["Return"])
}

pub(super) fn enters(count: usize) -> Step {
    Step::Keys(vec!["Return"; count])
}

/// Takes the first offer under the focused field once it is shown (down arrow, Enter).
pub(super) fn take_offer(field: &str) -> [Step; 2] {
    [
        Step::Await(format!("[data-testid=\"offer-{field}\"]")),
        Step::Take(vec!["Down", "Return"]),
    ]
}

/// The admission on the window after issue 9: Enter to the next field that needs the person
/// (Tab out of the chronology, where Enter is a new line; Enter passes by the passport number when
/// there is a NIK, the police report off the road, and what an offer taken filled), a digit picks
/// a choice and moves on, the last Enter saves; with `aids`, what the desk offers is taken instead
/// of typed.
pub(super) fn admission(card: &Card, aids: Aids) -> Vec<Step> {
    let at = card.accident_at;
    let mut steps = vec![
        typed(card.nik),
        // The NIK fills sex and birth date (and finds an earlier case) at once.
        Step::Await(r#"input[name="sex"]:checked"#.into()),
    ];
    if aids.returning {
        steps.extend([
            Step::Await(testid_css("copy-patient")),
            // Tab to "Salin data pasien", Enter: the earlier case's patient fields; the cursor
            // goes to the first field still to fill (the accident time).
            Step::Take(vec!["Tab", "Return"]),
            Step::Await(r#"input[name="accident_at"]:focus"#.into()),
        ]);
    } else {
        steps.extend([
            enter(),
            typed(card.kpj),
            enter(), // to the full name (the passport number is for people without a NIK)
            typed(card.full_name),
            enters(3), // sex and birth date (from the NIK), phone
            typed(card.phone),
            enters(2), // occupation, address
        ]);
        if aids.regency {
            steps.push(typed(card.street));
            steps.extend(take_offer("address"));
        } else {
            steps.push(typed(card.address()));
        }
        steps.push(enter());
        if aids.employer {
            steps.push(typed(&card.employer_name[3..6])); // "Maj"
            steps.extend(take_offer("employer_name"));
            steps.push(enter()); // past the NPP and segment the offer filled: the accident time
        } else {
            steps.extend([
                typed(card.employer_name),
                enter(),
                typed(card.employer_npp),
                enter(),
                typed("1"), // PU, and on to the accident time
            ]);
        }
    }
    steps.push(if aids.time_alone {
        typed(at.format("%H%M").to_string())
    } else {
        typed(at.format("%d%m%Y %H%M").to_string())
    });
    steps.extend([
        enters(2),  // admission time (now), case category
        typed("1"), // Kecelakaan kerja, on to the place
        typed("1"), // Di tempat kerja, on to the location
    ]);
    if aids.location {
        steps.extend(take_offer("accident_location"));
    } else {
        steps.push(typed(card.location));
    }
    steps.extend([
        enter(),
        typed(card.chronology),
        tab(), // Enter is a new line in the chronology
        typed(card.injury),
        enter(), // past the police report (not a road accident): the contact
    ]);
    if aids.contact {
        steps.extend(take_offer("contact_name"));
        steps.push(enter()); // past the phone the offer filled: the consent
    } else {
        steps.extend([
            typed(card.contact_name),
            enter(),
            typed(card.contact_phone),
            enter(),
        ]);
    }
    steps.extend([
        typed("1"), // Pasien sendiri
        enter(),    // the last field: saves
    ]);
    steps
}

/// An earlier case of the card's employer, for another patient (the employer is "seen before").
pub(super) fn earlier_case_of_employer(card: &Card) -> Value {
    plkk_tests::samples::intake_with(json!({
        "nik": "3216054101850002",
        "full_name": "Sri Wahyuni",
        "employer_name": card.employer_name,
        "employer_npp": card.employer_npp,
        "segment": "PU",
        "place_type": "workplace",
        "accident_location": card.location,
        "contact_name": card.contact_name,
        "contact_phone": card.contact_phone,
    }))
}

/// An earlier case of the card's patient (a returning patient, same employer).
pub(super) fn earlier_case_of_patient(card: &Card) -> Value {
    plkk_tests::samples::intake_with(json!({
        "nik": card.nik,
        "full_name": card.full_name,
        "sex": "male",
        "birth_date": "1988-03-12",
        "phone": card.phone,
        "address": card.address(),
        "kpj": card.kpj,
        "employer_name": card.employer_name,
        "employer_npp": card.employer_npp,
        "segment": "PU",
        "place_type": "workplace",
        "accident_location": card.location,
        "contact_name": card.contact_name,
        "contact_phone": card.contact_phone,
    }))
}

/// The treatment note of the benchmark, as the nurse's notes say it.
pub(super) struct NoteCard {
    pub(super) text: &'static str,
    pub(super) systolic: &'static str,
    pub(super) diastolic: &'static str,
    pub(super) pulse: &'static str,
    pub(super) temperature: &'static str,
    pub(super) spo2: &'static str,
    pub(super) pain: &'static str,
    pub(super) icd10: &'static str,
    pub(super) stmb_days: &'static str,
}

pub(super) const NOTE_CARD: NoteCard = NoteCard {
    text: "Luka dibersihkan, lengan kiri dibidai. Rontgen besok pagi.",
    systolic: "120",
    diastolic: "80",
    pulse: "88",
    temperature: "36,8",
    spo2: "98",
    pain: "6",
    icd10: "S52.5",
    stmb_days: "3",
};

/// The note on the window after issue 9: Enter from field to field (Tab out of the text, where
/// Enter is a new line), the disposition picked by its digit (which moves on, past the referral
/// unless referred), Ctrl+Enter saves.
pub(super) fn note(card: &NoteCard) -> Vec<Step> {
    vec![
        typed(card.text),
        tab(),
        typed(card.systolic),
        enter(),
        typed(card.diastolic),
        enter(),
        typed(card.pulse),
        enters(2), // respiratory rate, temperature
        typed(card.temperature),
        enter(),
        typed(card.spo2),
        enter(),
        typed(card.pain),
        enter(),
        typed(card.icd10),
        enter(),
        typed("2"), // 0 none, 1 outpatient working, 2 outpatient off work; on past the referral
        typed(card.stmb_days),
        Step::Keys(vec!["ctrl+Return"]),
    ]
}
