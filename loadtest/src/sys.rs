//! The two operating-system calls the generator needs: the open-file limit
//! and the clock-tick rate of `/proc/<pid>/stat`.

/// Raise the soft `RLIMIT_NOFILE` to the hard limit; returns the new soft
/// limit. Thousands of WebSockets need thousands of descriptors.
pub fn raise_nofile_limit() -> std::io::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    #[allow(unsafe_code)] // getrlimit/setrlimit have no safe wrapper in std.
    // SAFETY: `lim` is a valid, exclusively borrowed rlimit for both calls.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    Ok(lim.rlim_cur)
}

/// Clock ticks per second (`utime`/`stime` in `/proc/<pid>/stat` count them).
pub fn clock_ticks_per_sec() -> u64 {
    #[allow(unsafe_code)] // sysconf has no safe wrapper in std.
    // SAFETY: sysconf only reads a constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as u64
    } else {
        100
    }
}

/// This process's user and system CPU time so far, in seconds.
pub fn own_cpu_secs() -> (f64, f64) {
    // SAFETY: all-zero is a valid `rusage` (plain integers).
    #[allow(unsafe_code)] // getrusage has no safe wrapper in std.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    #[allow(unsafe_code)]
    // SAFETY: `usage` is a valid, exclusively borrowed rusage.
    let ok = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0;
    if !ok {
        return (0.0, 0.0);
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(usage.ru_utime), secs(usage.ru_stime))
}

/// When this process may run on only some of the online CPUs (it was
/// pinned, as `loadtest/run --pin` pins the generator), pin process `pid`
/// to the others — where `--pin` puts the server. Nothing otherwise.
///
/// # Errors
/// When the affinity cannot be read or set (the others may be CPUs a
/// cpuset does not allow).
pub fn pin_to_other_cpus(pid: u32) -> std::io::Result<()> {
    #[allow(unsafe_code)] // sysconf has no safe wrapper in std.
    // SAFETY: sysconf only reads a constant.
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) }.max(1) as usize;
    #[allow(unsafe_code)]
    // SAFETY: all-zero is a valid, empty `cpu_set_t`; the calls get a
    // valid, exclusively borrowed set and its true size.
    unsafe {
        let mut mine: libc::cpu_set_t = std::mem::zeroed();
        let size = std::mem::size_of::<libc::cpu_set_t>();
        if libc::sched_getaffinity(0, size, &mut mine) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut others: libc::cpu_set_t = std::mem::zeroed();
        let mut any = false;
        for cpu in 0..online.min(libc::CPU_SETSIZE as usize) {
            if !libc::CPU_ISSET(cpu, &mine) {
                libc::CPU_SET(cpu, &mut others);
                any = true;
            }
        }
        if any && libc::sched_setaffinity(pid as libc::pid_t, size, &others) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// [`pin_to_other_cpus`] for every thread process `pid` has now (a thread
/// takes its creator's CPUs when it starts, but one started before the pin
/// keeps its own: Node.js starts its helpers first thing).
///
/// # Errors
/// As [`pin_to_other_cpus`], or when `/proc/<pid>/task` cannot be read.
pub fn pin_threads_to_other_cpus(pid: u32) -> std::io::Result<()> {
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        if let Some(tid) = task?.file_name().to_str().and_then(|t| t.parse().ok()) {
            match pin_to_other_cpus(tid) {
                // The thread ended since the listing: nothing to pin.
                Err(e) if e.raw_os_error() == Some(libc::ESRCH) => {}
                other => other?,
            }
        }
    }
    Ok(())
}
