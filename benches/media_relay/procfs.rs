//! Reading CPU time and memory of threads and processes from `/proc`.
//!
//! CPU time comes from `schedstat` (first field: nanoseconds on CPU, exact) rather than
//! `stat`'s utime+stime (clock ticks, 10 ms resolution, too coarse for 1 s steps); `stat`
//! is the fallback when the kernel lacks schedstats. Memory is `VmRSS` (user pages only:
//! kernel socket buffers are not counted, which is stated in the table's notes).

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

/// Nanoseconds a thread or process (all threads) has spent on a CPU, from its proc dir.
fn task_cpu_ns(dir: &Path) -> Result<u64> {
    if let Ok(text) = fs::read_to_string(dir.join("schedstat")) {
        if let Some(ns) = text.split_whitespace().next().and_then(|f| f.parse().ok()) {
            return Ok(ns);
        }
    }
    let stat = fs::read_to_string(dir.join("stat")).with_context(|| format!("{dir:?}/stat"))?;
    // Fields after the command name (which may contain spaces) start at ") ".
    let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the name.
    let ticks: u64 = [11usize, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    // SAFETY: sysconf has no memory-safety preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Ok(ticks * 1_000_000_000 / hz)
}

/// CPU ns of one thread of this process.
pub fn thread_cpu_ns(tid: i32) -> Result<u64> {
    task_cpu_ns(Path::new(&format!("/proc/self/task/{tid}")))
}

/// Sum of CPU ns of this process's threads whose name starts with `prefix`.
pub fn named_threads_cpu_ns(prefix: &str) -> Result<(u64, usize)> {
    let mut total = 0;
    let mut count = 0;
    for entry in fs::read_dir("/proc/self/task")? {
        let dir = entry?.path();
        let comm = fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim_end().starts_with(prefix) {
            total += task_cpu_ns(&dir)?;
            count += 1;
        }
    }
    Ok((total, count))
}

/// CPU ns of a whole process (all its threads, live ones; its schedstat is per thread so
/// the threads are summed).
pub fn process_cpu_ns(pid: u32) -> Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(format!("/proc/{pid}/task"))? {
        total += task_cpu_ns(&entry?.path()).unwrap_or(0);
    }
    Ok(total)
}

/// Resident set size in bytes of a process (`"self"` or a pid).
pub fn rss_bytes(pid: &str) -> Result<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .context("VmRSS missing")?;
    Ok(kib * 1024)
}

/// This thread's kernel id, for `thread_cpu_ns`.
pub fn gettid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}
