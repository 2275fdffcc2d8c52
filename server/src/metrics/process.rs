//! The process itself, named as Prometheus' own client libraries name it
//! (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
//! `process_open_fds`, `process_max_fds`, `process_start_time_seconds`),
//! read from `/proc` at scrape time; and `corkboard_build_info`.
//!
//! Linux only: where `/proc` cannot be read, the series are left out rather
//! than reported as 0.

use super::{Exposition, Kind};

/// The server's version, from the workspace manifest.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit the server was built from (`server/build.rs`), or
/// `unknown` when it was built outside a git checkout.
pub const GIT_COMMIT: &str = env!("CORKBOARD_GIT_COMMIT");

/// Clock ticks per second of the times in `/proc/<pid>/stat`. The kernel's
/// user-space ABI fixes `USER_HZ` at 100 (Prometheus' Go `procfs` assumes
/// the same), so no `sysconf` call is needed.
const USER_HZ: f64 = 100.0;

/// What `/proc` says about this process.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProcessStats {
    pub cpu_seconds: Option<f64>,
    pub resident_bytes: Option<u64>,
    pub open_fds: Option<u64>,
    pub max_fds: Option<u64>,
    pub start_time_seconds: Option<f64>,
}

impl ProcessStats {
    /// Read them now.
    pub fn read() -> ProcessStats {
        let read = |path: &str| std::fs::read_to_string(path).ok();
        let stat = read("/proc/self/stat").and_then(|s| parse_stat(&s));
        let boot_time = read("/proc/stat").and_then(|s| parse_boot_time(&s));
        ProcessStats {
            cpu_seconds: stat.map(|s| (s.utime + s.stime) as f64 / USER_HZ),
            resident_bytes: read("/proc/self/status").and_then(|s| parse_resident_bytes(&s)),
            open_fds: std::fs::read_dir("/proc/self/fd")
                .ok()
                .map(|dir| dir.count() as u64),
            max_fds: read("/proc/self/limits").and_then(|s| parse_max_fds(&s)),
            start_time_seconds: stat
                .zip(boot_time)
                .map(|(s, boot)| boot as f64 + s.start_ticks as f64 / USER_HZ),
        }
    }
}

/// The times of `/proc/self/stat`, in clock ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stat {
    utime: u64,
    stime: u64,
    start_ticks: u64,
}

/// Fields 14 (utime), 15 (stime) and 22 (starttime) of `/proc/<pid>/stat`
/// (`man 5 proc`). The second field, the command name, is in parentheses
/// and may contain spaces, so counting starts after its closing one.
fn parse_stat(text: &str) -> Option<Stat> {
    let (_, rest) = text.rsplit_once(')')?;
    // `rest` starts at field 3 (state).
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(Stat {
        utime: field(14)?,
        stime: field(15)?,
        start_ticks: field(22)?,
    })
}

/// `btime` of `/proc/stat`: the boot time, in seconds since the epoch.
fn parse_boot_time(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()
}

/// `VmRSS` of `/proc/<pid>/status`, which the kernel gives in kB.
fn parse_resident_bytes(text: &str) -> Option<u64> {
    let kb: u64 = text
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// The soft limit of "Max open files" in `/proc/<pid>/limits`.
fn parse_max_fds(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("Max open files"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Write the process series (those `/proc` answered) and the build info.
pub fn encode(page: &mut Exposition) {
    let stats = ProcessStats::read();
    if let Some(seconds) = stats.cpu_seconds {
        page.single(
            "process_cpu_seconds_total",
            Kind::Counter,
            "Total user and system CPU time spent in seconds.",
            seconds,
        );
    }
    if let Some(bytes) = stats.resident_bytes {
        page.single(
            "process_resident_memory_bytes",
            Kind::Gauge,
            "Resident memory size in bytes.",
            bytes,
        );
    }
    if let Some(fds) = stats.open_fds {
        page.single(
            "process_open_fds",
            Kind::Gauge,
            "Number of open file descriptors.",
            fds,
        );
    }
    if let Some(fds) = stats.max_fds {
        page.single(
            "process_max_fds",
            Kind::Gauge,
            "Maximum number of open file descriptors.",
            fds,
        );
    }
    if let Some(seconds) = stats.start_time_seconds {
        page.single(
            "process_start_time_seconds",
            Kind::Gauge,
            "Start time of the process since unix epoch in seconds.",
            seconds,
        );
    }
    page.family(
        "corkboard_build_info",
        Kind::Gauge,
        "Always 1; the labels say which build is running.",
    );
    page.sample(
        "corkboard_build_info",
        &[("version", VERSION), ("git_commit", GIT_COMMIT)],
        1,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        // A command name with spaces and a parenthesis, as the kernel
        // writes it.
        let line = "4242 (cork (board) x) S 1 4242 4242 0 -1 4194560 2000 0 0 0 \
                    250 75 0 0 20 0 9 0 123456 1000000 2000 18446744073709551615";
        assert_eq!(
            parse_stat(line),
            Some(Stat {
                utime: 250,
                stime: 75,
                start_ticks: 123456,
            })
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn status_limits_and_boot_time_are_parsed() {
        let status = "Name:\tcorkboard\nVmPeak:\t  9000 kB\nVmRSS:\t    5120 kB\nThreads:\t9\n";
        assert_eq!(parse_resident_bytes(status), Some(5120 * 1024));
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             62844                62844                processes \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(parse_max_fds(limits), Some(1024));
        assert_eq!(
            parse_boot_time("cpu  1 2 3\nbtime 1764748800\nprocesses 9\n"),
            Some(1764748800)
        );
    }

    #[test]
    fn this_process_is_readable_on_linux() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let stats = ProcessStats::read();
        assert!(stats.resident_bytes.is_some_and(|b| b > 0), "{stats:?}");
        assert!(stats.open_fds.is_some_and(|n| n > 0), "{stats:?}");
        assert!(stats
            .max_fds
            .is_some_and(|n| n >= stats.open_fds.unwrap_or(0)));
        assert!(stats.cpu_seconds.is_some_and(|s| s >= 0.0));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        assert!(
            stats
                .start_time_seconds
                .is_some_and(|t| t > 0.0 && t <= now + 1.0),
            "{stats:?}"
        );
    }
}
