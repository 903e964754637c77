//! Shared helpers for the integration tests and the benchmark: where the workspace's programs are,
//! sample records, a fault-injecting proxy and a shaping line between desk and branch, the real
//! desktop window driven through WebDriver, and a headless Chromium for the branch console.
pub mod accounts;
pub mod bins;
pub mod branch;
pub mod branch_process;
pub mod console_browser;
pub mod desk_window;
pub mod disk;
pub mod documents;
pub mod fault_proxy;
pub mod line;
pub mod postgres;
pub mod samples;
pub mod sync_desk;
