//! Offline capture, then reconnect: 500 intakes and 1,500 notes written while the branch is down
//! reach it exactly once when it comes up, with a receipt stored per record, and the desk shows
//! everything confirmed.

use plkk_tests::branch::TestBranch;
use plkk_tests::sync_desk::SyncDesk;

#[test]
fn offline_backlog_arrives_exactly_once_when_the_branch_comes_up() {
    let mut branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-BKS-01", "Klinik Cikarang Sehat");
    let desk = SyncDesk::new();
    desk.enroll(&branch.url(), &code);
    branch.stop();

    desk.capture(500, 3, 1);
    assert_eq!(desk.entries(), 2000);
    let failure = desk.sync().expect_err("the branch is down");
    assert_eq!(failure.code(), "branch_unreachable", "{failure}");
    let status = desk.status();
    assert_eq!(
        (status.pending, status.sent),
        (2000, 0),
        "nothing lost, and nothing called sent: no request reached the branch"
    );
    assert_eq!(status.online, Some(false));
    assert_eq!(
        status.last_error.as_ref().map(|error| error.code.as_str()),
        Some("branch_unreachable")
    );

    branch.restart();
    let summary = desk.sync().expect("the branch is back");
    assert_eq!(summary.confirmed, 2000, "{summary:?}");
    assert_eq!(summary.pending, 0);
    let counts = branch.counts();
    assert_eq!(
        counts.intakes, 500,
        "each intake reaches the branch exactly once"
    );
    assert_eq!(
        counts.notes, 1500,
        "each note reaches the branch exactly once"
    );
    assert_eq!(counts.entries, 2000);

    let status = desk.status();
    assert_eq!(status.confirmed, 2000);
    assert_eq!(status.unconfirmed, 0, "the desk shows all confirmed");
    assert!(status.last_error.is_none());
    let store = desk.store();
    let without_receipt: i64 = store
        .connection()
        .query_row(
            "SELECT count(*) FROM outbox WHERE receipt IS NULL OR received_at IS NULL",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(
        without_receipt, 0,
        "every record keeps the branch's receipt"
    );
    let distinct: i64 = store
        .connection()
        .query_row("SELECT count(DISTINCT receipt) FROM outbox", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(distinct, 2000, "one receipt number per record");
    let cases = plkk_store::list_cases(
        &store,
        &plkk_tests::accounts::RECEPTIONIST.actor(),
        &plkk_store::ListQuery {
            search: String::new(),
            open_only: false,
            limit: 1000,
        },
    )
    .unwrap();
    assert!(cases
        .iter()
        .all(|case| case.sync_state == plkk_store::SyncState::Confirmed));
    assert!(
        cases.iter().all(|case| case
            .branch_status
            .as_ref()
            .is_some_and(|status| status.status == "received")),
        "the branch's first status of each case is pulled"
    );

    let again = desk.sync().expect("a second cycle");
    assert_eq!(again.sent, 0, "nothing is sent twice");
    assert_eq!(branch.counts().entries, 2000);
}

#[test]
fn the_engine_delivers_without_any_click() {
    let branch = TestBranch::start();
    let code = branch.clinic_with_code("PLKK-ENG", "Klinik Mesin");
    let desk = SyncDesk::new();
    desk.enroll(&branch.url(), &code);
    desk.capture(5, 1, 2);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let engine = plkk_sync::Engine::spawn(desk.access().clone(), runtime.handle());
    // The engine runs a cycle on start; wait for it to confirm everything.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while desk.status().confirmed < 10 {
        assert!(
            std::time::Instant::now() < deadline,
            "the engine never confirmed the records"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    desk.capture(1, 0, 3);
    engine.wake();
    let summary = runtime.block_on(engine.sync_now()).expect("sync now");
    assert_eq!(summary.pending, 0);
    assert_eq!(engine.online(), Some(true));
    assert_eq!(branch.counts().intakes, 6);
}
