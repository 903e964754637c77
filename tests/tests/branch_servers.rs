//! Two `plkk-branch` servers on one PostgreSQL database behave as one branch (issue 15). Always
//! on PostgreSQL (a throwaway cluster of this test binary, `plkk_tests::postgres`), whatever
//! `PLKK_TEST_BACKEND` says: several servers on one SQLite file is not a deployment.
//!
//! A desk's requests alternate between the servers through the fault proxy, some answers lost
//! after the server applied the batch (the desk retries at the other server), while a second desk
//! of the same clinic pushes to the other server at the same time and both keep pulling: every
//! record is stored exactly once and each desk ends with every record of the other, so the
//! changes feed skipped nothing while the servers committed concurrently. Then a server is
//! killed mid-batch and the desk finishes at the other.

use std::time::Duration;

use plkk_tests::branch::TestBranch;
use plkk_tests::fault_proxy::{Fault, FaultProxy};
use plkk_tests::sync_desk::SyncDesk;

fn server_on(url: &str) -> TestBranch {
    let url = url.to_owned();
    TestBranch::start_with(move |config| config.database = Some(url))
}

/// Syncs until the desk has nothing waiting (errors from lost answers are retried).
fn sync_until_done(desk: &SyncDesk) {
    for _ in 0..200 {
        if let Ok(summary) = desk.sync() {
            if summary.pending == 0 && desk.status().unconfirmed == 0 {
                return;
            }
        }
    }
    panic!("the desk never finished: {:?}", desk.status());
}

#[test]
fn two_servers_on_one_database_store_once_and_feed_every_change() {
    let url = plkk_tests::postgres::fresh_database();
    let one = server_on(&url);
    let two = server_on(&url);
    let code_a = one.clinic_with_code("PLKK-01", "Klinik Satu");
    let code_b = two.enrollment_code("PLKK-01");
    let proxy = FaultProxy::start(one.addr());
    proxy.alternate(&[one.addr(), two.addr()]);
    let (desk_a, desk_b) = (SyncDesk::new(), SyncDesk::new());
    desk_a.enroll(&proxy.url(), &code_a);
    desk_b.enroll(&two.url(), &code_b);
    desk_a.capture(300, 2, 1);
    desk_b.capture(300, 2, 2);

    // Answers lost after a server applied the batch: the desk sends it again, to the other one.
    proxy.script(
        [
            Fault::Pass,
            Fault::DropAfterForward,
            Fault::Pass,
            Fault::DropAfterForward,
            Fault::Delay(Duration::from_millis(200)),
            Fault::DropAfterForward,
        ]
        .into_iter()
        .cycle()
        .take(60),
    );
    let pushing_b = std::thread::spawn(move || {
        sync_until_done(&desk_b);
        desk_b
    });
    sync_until_done(&desk_a);
    let desk_b = pushing_b.join().expect("desk B finished");
    // Each pulls what the other pushed while it was pushing too.
    sync_until_done(&desk_a);
    sync_until_done(&desk_b);

    let counts = one.counts();
    assert_eq!(counts.intakes, 600, "every intake exactly once: {counts:?}");
    assert_eq!(counts.notes, 1200, "every note exactly once: {counts:?}");
    assert_eq!(counts.entries, 1800, "every entry exactly once: {counts:?}");
    for (name, desk) in [("A", &desk_a), ("B", &desk_b)] {
        assert_eq!(
            desk.count("intakes"),
            600,
            "desk {name} holds its own 300 cases and the other's 300: no change was skipped"
        );
        assert_eq!(desk.count("notes"), 1200, "desk {name} has every note");
    }
}

#[test]
fn a_server_killed_mid_batch_leaves_the_batch_whole_and_the_other_finishes_it() {
    let url = plkk_tests::postgres::fresh_database();
    let mut one = server_on(&url);
    let two = server_on(&url);
    let code = one.clinic_with_code("PLKK-02", "Klinik Dua");
    let proxy = FaultProxy::start(one.addr());
    let desk = SyncDesk::new();
    desk.enroll(&proxy.url(), &code);
    desk.capture(300, 2, 3);

    let (signal, forwarded) = std::sync::mpsc::channel();
    // The branch's limit is asked first; the first push reaches server one, which is killed as
    // soon as it has the request.
    proxy.script([Fault::Pass, Fault::Signal(signal)]);
    let syncing = {
        let access = desk.access().clone();
        std::thread::spawn(move || plkk_tests::sync_desk::block_on(plkk_sync::sync_once(&access)))
    };
    forwarded
        .recv_timeout(Duration::from_secs(30))
        .expect("the push reached server one");
    one.kill();
    assert!(syncing.join().unwrap().is_err(), "the cycle cannot finish");
    let applied = two.counts().entries;
    let in_flight = desk.status().sent;
    assert!(
        applied == 0 || applied == in_flight,
        "a batch is all or nothing: {applied} of {in_flight}"
    );

    // The load balancer takes server one out; the desk finishes at server two.
    proxy.set_upstream(two.addr());
    sync_until_done(&desk);
    let counts = two.counts();
    assert_eq!(counts.intakes, 300);
    assert_eq!(counts.notes, 600);
    assert_eq!(counts.entries, desk.entries(), "every entry exactly once");
}

#[test]
fn an_enrolment_code_enrols_one_desk_across_servers() {
    let url = plkk_tests::postgres::fresh_database();
    let one = server_on(&url);
    let two = server_on(&url);
    let code = one.clinic_with_code("PLKK-03", "Klinik Tiga");
    let enrol = |branch: &TestBranch| {
        let (url, code) = (branch.url(), code.clone());
        std::thread::spawn(move || {
            let desk = SyncDesk::new();
            plkk_tests::sync_desk::block_on(plkk_sync::enroll(
                desk.access(),
                &plkk_tests::accounts::ADMIN.actor(),
                plkk_sync::EnrollOptions {
                    branch_url: url,
                    code,
                    device_name: "Meja".to_owned(),
                    ca_cert_pem: None,
                },
            ))
            .is_ok()
        })
    };
    let (first, second) = (enrol(&one), enrol(&two));
    let enrolled = [first.join().unwrap(), second.join().unwrap()];
    assert_eq!(
        enrolled.iter().filter(|ok| **ok).count(),
        1,
        "one code, one desk: {enrolled:?}"
    );
    assert_eq!(
        plkk_branch::admin::list_devices(one.database())
            .unwrap()
            .len(),
        1
    );
}
