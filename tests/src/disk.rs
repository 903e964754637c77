//! The disk the tests run on, as a status report shows it. `plkk status` and `plkk-branch
//! status` rightly name `disk_almost_full` on a machine whose disk is almost full; their tests
//! then check that problem is named and judge the rest of the report as on any other machine.

use serde_json::Value;

/// `plkk status` and `plkk-branch status` exit with this when they name a problem.
const PROBLEMS_EXIT: i32 = 10;

/// True when a status report's `disk_free_bytes` is below `min_percent` of its
/// `disk_total_bytes`.
pub fn almost_full(report: &Value, min_percent: u64) -> bool {
    match (
        report["disk_free_bytes"].as_u64(),
        report["disk_total_bytes"].as_u64(),
    ) {
        (Some(free), Some(total)) => {
            total > 0 && free.saturating_mul(100) < total.saturating_mul(min_percent)
        }
        _ => false,
    }
}

/// The report's problem `codes` (in its order) besides this machine's almost full disk. Panics
/// when the disk is almost full and the report does not say so.
pub fn codes_besides_this_disk(
    report: &Value,
    min_percent: u64,
    codes: Vec<String>,
) -> Vec<String> {
    if !almost_full(report, min_percent) {
        return codes;
    }
    assert!(
        codes.iter().any(|code| code == "disk_almost_full"),
        "the disk is almost full and the report does not say so: {report:#}"
    );
    codes
        .into_iter()
        .filter(|code| code != "disk_almost_full")
        .collect()
}

/// The exit the status command would have had without this machine's almost full disk: 0 when
/// that was the only problem named.
pub fn exit_besides_this_disk(report: &Value, min_percent: u64, exit: i32) -> i32 {
    let named = report["problems"].as_array().map_or(0, Vec::len);
    if almost_full(report, min_percent) && named == 1 && exit == PROBLEMS_EXIT {
        0
    } else {
        exit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(free: u64, problems: &[&str]) -> Value {
        let problems: Vec<Value> = problems
            .iter()
            .map(|code| json!({ "code": code }))
            .collect();
        json!({ "disk_free_bytes": free, "disk_total_bytes": 1000, "problems": problems })
    }

    fn owned(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|code| (*code).to_owned()).collect()
    }

    #[test]
    fn an_almost_full_disk_is_left_out_once_it_is_named() {
        let full = report(10, &["disk_almost_full"]);
        assert_eq!(
            codes_besides_this_disk(&full, 5, owned(&["disk_almost_full"])),
            owned(&[])
        );
        assert_eq!(exit_besides_this_disk(&full, 5, 10), 0);
        let full_and_silent = report(10, &["device_silent", "disk_almost_full"]);
        assert_eq!(
            codes_besides_this_disk(
                &full_and_silent,
                5,
                owned(&["device_silent", "disk_almost_full"])
            ),
            owned(&["device_silent"])
        );
        assert_eq!(exit_besides_this_disk(&full_and_silent, 5, 10), 10);
    }

    #[test]
    fn a_disk_with_room_changes_nothing() {
        let roomy = report(500, &["disk_almost_full"]);
        assert_eq!(
            codes_besides_this_disk(&roomy, 5, owned(&["disk_almost_full"])),
            owned(&["disk_almost_full"]),
            "named while the disk has room: the test must see it"
        );
        assert_eq!(exit_besides_this_disk(&roomy, 5, 10), 10);
    }

    #[test]
    fn an_almost_full_disk_not_named_fails_the_test() {
        let refused =
            std::panic::catch_unwind(|| codes_besides_this_disk(&report(10, &[]), 5, owned(&[])))
                .expect_err("a report that does not name the almost full disk is refused");
        let message = refused
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains("does not say so"), "{message}");
    }
}
