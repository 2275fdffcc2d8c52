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
