//! What the desk keeps and offers so that less is typed (issue 9), on a real encrypted desk file:
//! drafts kept per person across signing in again, the employers seen (matched at word starts,
//! most used first, with NPP, segment, workplace and contact), a returning patient's fields
//! (audited), the stage II deadline of a closed case, and the note rules every caller gets
//! (a decimal comma in ICD-10, STMB days while working).

use chrono::{DateTime, FixedOffset, TimeDelta};
use plkk_domain::JsonObject;
use plkk_store::{Actor, Store};
use plkk_tests::accounts::{self, ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::samples;
use serde_json::{json, Value};

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2025-06-10T10:00:00+07:00").unwrap()
}

fn object(value: Value) -> JsonObject {
    value.as_object().unwrap().clone()
}

fn receptionist() -> Actor {
    RECEPTIONIST.actor()
}

fn admit(store: &mut Store, changes: Value) -> String {
    let intake = samples::intake_with(changes);
    plkk_store::admit_intake(store, &receptionist(), &object(intake), now())
        .unwrap()
        .id
        .to_string()
}

#[test]
fn a_draft_is_kept_for_its_author_across_signing_in_again_and_goes_when_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let desk = accounts::set_up_desk(dir.path());
    let store = desk.access.open().unwrap();
    let typed = object(json!({"nik": "3216055708900003", "full_name": "Siti R"}));
    plkk_store::save_draft(&store, &receptionist(), "intake", &typed, now()).unwrap();
    let longer = object(json!({"nik": "3216055708900003", "full_name": "Siti Rahmawati"}));
    plkk_store::save_draft(&store, &receptionist(), "intake", &longer, now()).unwrap();
    drop(store);

    let store = RECEPTIONIST.sign_in(dir.path()).store;
    let drafts = plkk_store::drafts_of(&store, &receptionist()).unwrap();
    assert_eq!(drafts.len(), 1, "one draft per form, replaced while typing");
    assert_eq!(
        drafts[0].values, longer,
        "the last values typed come back after a restart"
    );
    assert!(
        plkk_store::drafts_of(&store, &NURSE.actor())
            .unwrap()
            .is_empty(),
        "nobody else reads a person's draft"
    );
    plkk_store::clear_draft(&store, &receptionist(), "intake").unwrap();
    assert!(plkk_store::drafts_of(&store, &receptionist())
        .unwrap()
        .is_empty());

    let refused = plkk_store::save_draft(&store, &receptionist(), "intake'; --", &typed, now());
    assert!(refused.is_err(), "a form name is plain: {refused:?}");
    let huge = object(json!({"chronology": "x".repeat(70_000)}));
    assert!(
        plkk_store::save_draft(&store, &receptionist(), "intake", &huge, now()).is_err(),
        "a draft has a size limit"
    );
}

#[test]
fn employers_seen_are_offered_at_word_starts_most_used_first_with_their_details() {
    let dir = tempfile::tempdir().unwrap();
    let desk = accounts::set_up_desk(dir.path());
    let mut store = desk.access.open().unwrap();
    admit(
        &mut store,
        json!({"employer_name": "PT Maju Jaya", "employer_npp": "12345678",
               "accident_location": "Gudang PT Maju Jaya", "contact_name": "Budi"}),
    );
    admit(
        &mut store,
        json!({"nik": "3216055708900011", "employer_name": "PT Maju Jaya", "employer_npp": null,
               "place_type": "traffic", "accident_location": "Jl. Raya Cikarang", "contact_name": "Pak Harun",
               "contact_phone": "081311112222"}),
    );
    admit(
        &mut store,
        json!({"nik": "3216055708900029", "employer_name": "CV Majalengka Teknik", "employer_npp": "87654321"}),
    );

    let offers = plkk_store::employer_offers(&store, &receptionist(), "maj", 5).unwrap();
    let names: Vec<&str> = offers
        .iter()
        .map(|offer| offer.employer_name.as_str())
        .collect();
    assert_eq!(
        names,
        ["PT Maju Jaya", "CV Majalengka Teknik"],
        "most used first"
    );
    let maju = &offers[0];
    assert_eq!(
        maju.employer_npp.as_deref(),
        Some("12345678"),
        "an NPP left out later is kept"
    );
    assert_eq!(
        maju.accident_location.as_deref(),
        Some("Gudang PT Maju Jaya"),
        "the location of its last workplace accident, not of a road accident"
    );
    assert_eq!(
        (maju.contact_name.as_deref(), maju.contact_phone.as_deref()),
        (Some("Pak Harun"), Some("081311112222")),
        "the contact of its latest case"
    );
    assert_eq!(maju.uses, 2);
    assert!(
        plkk_store::employer_offers(&store, &receptionist(), "aju", 5)
            .unwrap()
            .is_empty()
    );
    assert!(plkk_store::employer_offers(&store, &receptionist(), "m", 5)
        .unwrap()
        .is_empty());
    assert!(
        plkk_store::employer_offers(&store, &receptionist(), "%", 5)
            .unwrap()
            .is_empty(),
        "typed wildcards match themselves only"
    );
}

#[test]
fn employers_are_matched_in_the_search_normal_form_punctuation_apostrophes_and_accents_aside() {
    let dir = tempfile::tempdir().unwrap();
    let desk = accounts::set_up_desk(dir.path());
    let mut store = desk.access.open().unwrap();
    admit(&mut store, json!({"employer_name": "PT. Maju-Jaya"}));
    admit(
        &mut store,
        json!({"nik": "3216055708900011", "employer_name": "Toko Ma'ruf"}),
    );
    admit(
        &mut store,
        json!({"nik": "3216055708900029", "employer_name": "Café Sénang"}),
    );
    let offered = |store: &Store, typed: &str| -> Vec<(String, u32)> {
        plkk_store::employer_offers(store, &receptionist(), typed, 5)
            .unwrap()
            .into_iter()
            .map(|offer| (offer.employer_name, offer.uses))
            .collect()
    };
    let one = |name: &str, uses: u32| vec![(name.to_owned(), uses)];
    for typed in ["jaya", "maju-jaya", "Maju Jaya", "pt. maju", "PT MAJU-J"] {
        assert_eq!(
            offered(&store, typed),
            one("PT. Maju-Jaya", 1),
            "typed {typed:?}"
        );
    }
    for typed in ["maruf", "ma'ruf", "MA’RUF", "toko ma`ruf"] {
        assert_eq!(
            offered(&store, typed),
            one("Toko Ma'ruf", 1),
            "typed {typed:?}"
        );
    }
    for typed in ["senang", "SÉNANG", "cafe", "café sen"] {
        assert_eq!(
            offered(&store, typed),
            one("Café Sénang", 1),
            "typed {typed:?}"
        );
    }
    // The same employer written another way is the same employer: one offer, named as last written.
    admit(
        &mut store,
        json!({"nik": "3216055708900037", "employer_name": "PT Maju Jaya"}),
    );
    assert_eq!(offered(&store, "jaya"), one("PT Maju Jaya", 2));
}

#[test]
fn a_returning_patients_fields_are_copied_from_the_latest_case_and_the_reading_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let desk = accounts::set_up_desk(dir.path());
    let mut store = desk.access.open().unwrap();
    admit(&mut store, json!({"phone": "081200000001"}));
    let latest = admit(
        &mut store,
        json!({"phone": "081200000002", "occupation": "Operator gudang"}),
    );

    let found = plkk_store::returning_patient(&store, &receptionist(), "3216055708900003", now())
        .unwrap()
        .expect("the patient has cases");
    assert_eq!(found.case_id.to_string(), latest);
    assert_eq!(
        found.fields["phone"], "081200000002",
        "from the latest case"
    );
    assert_eq!(found.fields["occupation"], "Operator gudang");
    assert!(
        found.fields.get("accident_at").is_none() && found.fields.get("chronology").is_none(),
        "only the patient's fields, never the earlier accident's"
    );
    let audit = plkk_store::audit_list(&store, &ADMIN.actor(), 1).unwrap();
    assert_eq!(
        (audit[0].action.as_str(), audit[0].subject.as_deref()),
        ("open_case", Some(latest.as_str())),
        "reading an earlier case's fields is recorded as opening it"
    );
    let typed_in_groups =
        plkk_store::returning_patient(&store, &receptionist(), "3216 0557-0890 0003", now())
            .unwrap()
            .expect("a NIK typed in groups is the same NIK");
    assert_eq!(typed_in_groups.case_id.to_string(), latest);
    assert!(
        plkk_store::returning_patient(&store, &receptionist(), "3216055708909999", now())
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_closed_case_shows_its_stage_two_deadline_and_notes_get_the_new_rules() {
    let dir = tempfile::tempdir().unwrap();
    let desk = accounts::set_up_desk(dir.path());
    let mut store = desk.access.open().unwrap();
    let case = admit(&mut store, json!({}));
    let note = |fields: Value| object(fields);
    let first = plkk_store::add_note(
        &mut store,
        &NURSE.actor(),
        &case,
        &note(json!({"text": "Luka robek", "icd10": "S61,0, W26", "disposition": "outpatient_working", "stmb_days": 2})),
        now(),
    )
    .unwrap();
    let rules: Vec<&str> = first
        .warnings
        .iter()
        .map(|issue| issue.rule.as_str())
        .collect();
    assert_eq!(
        rules,
        ["stmb_while_working"],
        "working with STMB days is warned, for every caller"
    );
    let open = plkk_store::show_case(&store, &NURSE.actor(), &case, now()).unwrap();
    assert_eq!(
        open.notes[0].note.fields.icd10,
        ["S61.0", "W26"],
        "a decimal comma is a point"
    );
    assert_eq!(
        open.stage_two_due_at, None,
        "an open case has no stage II deadline"
    );

    let certificate_at = now() + TimeDelta::hours(5);
    plkk_store::add_note(
        &mut store,
        &NURSE.actor(),
        &case,
        &note(json!({"text": "Sembuh", "outcome": "recovered"})),
        certificate_at,
    )
    .unwrap();
    let closed = plkk_store::show_case(&store, &NURSE.actor(), &case, now()).unwrap();
    assert!(closed.closed);
    assert_eq!(
        closed.stage_two_due_at,
        Some(certificate_at + TimeDelta::hours(48)),
        "stage II (3a KK2) is due 2 x 24 h after the certificate"
    );
    let names = plkk_store::staff_names(&store, &NURSE.actor()).unwrap();
    assert!(names.contains(&("ani".to_owned(), NURSE.display_name.to_owned())));
}
