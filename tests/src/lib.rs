//! Shared helpers for the integration tests and the benchmark: where the workspace's programs are,
//! sample records, and the real desktop window driven through WebDriver.
pub mod bins;
pub mod desk_window;
pub mod samples;
