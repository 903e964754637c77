//! Sync faults found in the field (issue 8), met as a clinic meets them: `plkk` run as a real
//! process against a real branch over HTTP. A desk PC whose clock runs fast has its admissions
//! confirmed (the branch judges them against the desk's clock and keeps the offset it measured),
//! and a record the branch refused is explained, corrected, resent and arrives once.

use std::path::Path;
use std::process::Output;

use chrono::{Duration, FixedOffset, Utc};
use plkk_tests::accounts::{self, Staff, ADMIN, NURSE, RECEPTIONIST};
use plkk_tests::branch::TestBranch;
use plkk_tests::{bins, samples};
use serde_json::{json, Value};

/// `plkk` as `staff`, with extra environment (a fast clock).
fn plkk(dir: &Path, staff: Staff, clock: &[(&str, String)], args: &[&str], stdin: &str) -> Output {
    let mut env: Vec<(&str, &str)> = vec![
        ("PLKK_USER", staff.username),
        ("PLKK_PASSWORD", staff.password),
    ];
    env.extend(clock.iter().map(|(name, value)| (*name, value.as_str())));
    bins::run_plkk_with(dir, &env, args, stdin)
}

fn ok(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed ({:?}): {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn last_line(stdout: &str) -> String {
    stdout.lines().last().unwrap_or_default().trim().to_owned()
}

#[test]
fn a_desk_whose_clock_runs_fast_has_its_admission_confirmed_and_the_branch_keeps_the_offset() {
    for (offset, seconds) in [("+15m", 15 * 60), ("+3h", 3 * 3600)] {
        let branch = TestBranch::start();
        let code = branch.clinic_with_code("PLKK-JAM", "Klinik Jam Cepat");
        let dir = tempfile::tempdir().unwrap();
        accounts::set_up_desk(dir.path());
        let fast = bins::fast_clock(offset);
        ok(
            plkk(
                dir.path(),
                ADMIN,
                &fast,
                &["enroll", "--branch", &branch.url(), "--code", &code],
                "",
            ),
            "enrol",
        );
        // Admitted "now" by the desk's clock; the accident 20 minutes before, by the same clock.
        let wib = FixedOffset::east_opt(7 * 3600).unwrap();
        let desk_now = Utc::now() + Duration::seconds(seconds);
        let accident_at = (desk_now - Duration::minutes(20)).with_timezone(&wib);
        let intake = samples::intake_with(json!({
            "admitted_at": null,
            "accident_at": accident_at.to_rfc3339(),
        }));
        let id = last_line(&ok(
            plkk(
                dir.path(),
                RECEPTIONIST,
                &fast,
                &["intake", "add"],
                &intake.to_string(),
            ),
            "admit",
        ));
        let synced = plkk(dir.path(), RECEPTIONIST, &fast, &["sync", "--json"], "");
        let summary: Value =
            serde_json::from_str(&ok(synced, &format!("sync at {offset}"))).unwrap();
        assert_eq!(summary["confirmed"], 1, "{offset}: {summary}");
        assert_eq!(summary["quarantined"], 0, "{offset}: {summary}");

        let shown = ok(
            plkk(
                dir.path(),
                RECEPTIONIST,
                &fast,
                &["intake", "show", &id, "--json"],
                "",
            ),
            "show",
        );
        let shown: Value = serde_json::from_str(&shown).unwrap();
        assert_eq!(shown["sync_state"], "confirmed", "{offset}");

        let cases = plkk_branch::admin::list_cases(branch.database(), "PLKK-JAM").unwrap();
        assert_eq!(cases.len(), 1);
        let clock = &cases[0]["desk_clock"];
        let measured = clock["offset_seconds"]
            .as_i64()
            .expect("the offset is kept");
        assert!(
            (seconds - 60..=seconds + 60).contains(&measured),
            "{offset}: the branch measured {measured} s, the desk ran {seconds} s fast"
        );
        assert!(
            clock["sent_at"].is_string(),
            "the desk's clock is kept: {clock}"
        );
        let written_at =
            chrono::DateTime::parse_from_rfc3339(clock["written_at"].as_str().unwrap()).unwrap();
        assert!(
            (written_at.with_timezone(&Utc) - desk_now)
                .num_seconds()
                .abs()
                < 120,
            "{offset}: the desk's own time of writing is kept: {clock}"
        );
        let instant =
            |value: &Value| chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap()).unwrap();
        assert_eq!(
            instant(&cases[0]["admitted_at"]),
            instant(&shown["admitted_at"]),
            "the admission time arrives as the desk gave it"
        );

        // Another desk of the clinic, with a correct clock, pulls the case and stores it.
        let other = tempfile::tempdir().unwrap();
        accounts::set_up_desk(other.path());
        let second_code = branch.enrollment_code("PLKK-JAM");
        ok(
            plkk(
                other.path(),
                ADMIN,
                &[],
                &["enroll", "--branch", &branch.url(), "--code", &second_code],
                "",
            ),
            "enrol the second desk",
        );
        ok(
            plkk(other.path(), RECEPTIONIST, &[], &["sync"], ""),
            "second desk's sync",
        );
        let listed = ok(
            plkk(
                other.path(),
                RECEPTIONIST,
                &[],
                &["intake", "list", "--all", "--json"],
                "",
            ),
            "list on the second desk",
        );
        let listed: Value = serde_json::from_str(&listed).unwrap();
        assert!(
            listed
                .as_array()
                .unwrap()
                .iter()
                .any(|case| case["id"] == id.as_str()),
            "{offset}: the second desk stored the pulled case: {listed}"
        );
    }
}

#[test]
fn an_admission_made_while_the_clock_ran_fast_is_confirmed_and_corrected_after_it_was_put_right() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-NTP", "Klinik Jam Dibetulkan");
    let dir = tempfile::tempdir().unwrap();
    accounts::set_up_desk(dir.path());
    let fast = bins::fast_clock("+20m");
    ok(
        plkk(
            dir.path(),
            ADMIN,
            &[],
            &["enroll", "--branch", &branch.url(), "--code", &code],
            "",
        ),
        "enrol",
    );
    let wib = FixedOffset::east_opt(7 * 3600).unwrap();
    let accident_at = (Utc::now() - Duration::minutes(30)).with_timezone(&wib);
    let intake = samples::intake_with(json!({
        "admitted_at": null,
        "accident_at": accident_at.to_rfc3339(),
    }));
    // Admitted offline while the clock ran 20 minutes fast; the clock is put right before the
    // desk goes online again, and a receptionist corrects a field with the right clock.
    let id = last_line(&ok(
        plkk(
            dir.path(),
            RECEPTIONIST,
            &fast,
            &["intake", "add"],
            &intake.to_string(),
        ),
        "admit with the fast clock",
    ));
    ok(
        plkk(
            dir.path(),
            RECEPTIONIST,
            &[],
            &["intake", "correct", &id, "--reason", "cedera dilengkapi"],
            &json!({ "injury": "Patah tulang lengan kiri dan memar" }).to_string(),
        ),
        "correct with the right clock",
    );
    ok(
        plkk(dir.path(), RECEPTIONIST, &[], &["sync"], ""),
        "sync with the right clock",
    );
    let counts = branch.counts();
    assert_eq!((counts.intakes, counts.corrections), (1, 1));
    let cases = plkk_branch::admin::list_cases(branch.database(), "PLKK-NTP").unwrap();
    assert_eq!(cases[0]["injury"], "Patah tulang lengan kiri dan memar");
}

#[test]
fn a_refused_intake_is_explained_corrected_resent_and_arrives_once() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-Q", "Klinik Karantina");
    let dir = tempfile::tempdir().unwrap();
    let desk = accounts::set_up_desk(dir.path());
    let run = |staff: Staff, args: &[&str], stdin: &str| plkk(dir.path(), staff, &[], args, stdin);
    ok(
        run(
            ADMIN,
            &["enroll", "--branch", &branch.url(), "--code", &code],
            "",
        ),
        "enrol",
    );
    let id = last_line(&ok(
        run(
            RECEPTIONIST,
            &["intake", "add"],
            &samples::intake().to_string(),
        ),
        "admit",
    ));
    ok(
        run(NURSE, &["note", "add", &id], &samples::note().to_string()),
        "note",
    );
    // As an older desk version with looser rules would have saved it: a chronology of 6
    // characters, which the branch refuses (at least 20).
    {
        let store = desk.access.open().unwrap();
        let short = "Jatuh.";
        store
            .connection()
            .execute(
                "UPDATE outbox_payloads SET payload = json_set(payload, '$.intake.chronology', ?1)
                 WHERE seq IN (SELECT seq FROM outbox WHERE kind = 'intake')",
                [short],
            )
            .unwrap();
        store
            .connection()
            .execute(
                "UPDATE cases SET record = json_set(record, '$.chronology', ?1)",
                [short],
            )
            .unwrap();
    }

    let refused = run(RECEPTIONIST, &["sync"], "");
    assert_eq!(refused.status.code(), Some(5), "a refusal is exit 5");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("plkk quarantine list"));

    let listed: Value = serde_json::from_str(&ok(
        run(RECEPTIONIST, &["quarantine", "list", "--json"], ""),
        "list",
    ))
    .unwrap();
    let entries = listed.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{listed}");
    let entry = &entries[0];
    assert_eq!(entry["kind"], "intake");
    assert_eq!(entry["record_id"], id.as_str());
    assert_eq!(entry["intake_id"], id.as_str());
    assert_eq!(entry["waiting_entries"], 1, "the note waits for its intake");
    assert!(entry["rejected_at"].is_string(), "when: {entry}");
    let reason = &entry["issues"][0];
    assert_eq!(reason["field"], "chronology");
    assert_eq!(reason["rule"], "too_short");
    assert_eq!(
        reason["params"]["min"], "20",
        "the rule's parameters arrive, so the window can say it in Indonesian"
    );
    let entry_id = entry["entry_id"].as_str().unwrap().to_owned();

    let text = ok(
        run(RECEPTIONIST, &["quarantine", "list"], ""),
        "list as text",
    );
    assert!(
        text.contains(&entry_id)
            && text.contains("chronology")
            && text.contains("[too_short min=20]"),
        "{text}"
    );
    let shown: Value = serde_json::from_str(&ok(
        run(RECEPTIONIST, &["intake", "show", &id, "--json"], ""),
        "show",
    ))
    .unwrap();
    assert_eq!(shown["sync_state"], "rejected");
    assert_eq!(shown["quarantine"][0]["issues"][0]["rule"], "too_short");
    let shown_text = ok(
        run(RECEPTIONIST, &["intake", "show", &id], ""),
        "show as text",
    );
    assert!(shown_text.contains("refused by the branch") && shown_text.contains("too_short"));

    let chronology = "Terjatuh dari tangga saat memindahkan barang di gudang";
    ok(
        run(
            RECEPTIONIST,
            &["intake", "correct", &id, "--reason", "kronologi dilengkapi"],
            &json!({ "chronology": chronology }).to_string(),
        ),
        "correct",
    );
    ok(
        run(RECEPTIONIST, &["quarantine", "resend", &entry_id], ""),
        "resend",
    );
    let again = run(RECEPTIONIST, &["quarantine", "resend", &entry_id], "");
    assert_eq!(
        again.status.code(),
        Some(2),
        "an entry that is no longer refused"
    );
    ok(run(RECEPTIONIST, &["sync"], ""), "sync after the resend");
    ok(
        run(RECEPTIONIST, &["sync"], ""),
        "a second sync sends nothing twice",
    );

    let counts = branch.counts();
    assert_eq!(
        (counts.intakes, counts.notes, counts.corrections),
        (1, 1, 0),
        "the intake arrives once, with the correction folded in, and its note follows"
    );
    let cases = plkk_branch::admin::list_cases(branch.database(), "PLKK-Q").unwrap();
    assert_eq!(cases[0]["chronology"], chronology);
    let listed: Value = serde_json::from_str(&ok(
        run(RECEPTIONIST, &["quarantine", "list", "--json"], ""),
        "list",
    ))
    .unwrap();
    assert_eq!(listed, json!([]));
    let audit: Value =
        serde_json::from_str(&ok(run(ADMIN, &["audit", "list", "--json"], ""), "audit")).unwrap();
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["action"] == "resend"
                && entry["actor"] == RECEPTIONIST.username
                && entry["subject"] == id.as_str()),
        "the resend is in the audit log"
    );
}
