//! Rendering of `INFO` text: `# Section` headers, `field:value` lines,
//! CRLF line ends, a blank line between sections — what Redis clients and
//! tools parse.

use std::fmt::Display;
use std::fmt::Write as _;

#[derive(Default)]
pub struct InfoWriter {
    out: String,
}

impl InfoWriter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a section (`# Name`).
    pub fn section(&mut self, name: &str) {
        if !self.out.is_empty() {
            self.out.push_str("\r\n");
        }
        let _ = write!(self.out, "# {name}\r\n");
    }

    pub fn field(&mut self, name: &str, value: impl Display) {
        let _ = write!(self.out, "{name}:{value}\r\n");
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Bytes in the human form Redis uses (`1.25M`, `200B`).
pub fn bytes_human(n: u64) -> String {
    let f = n as f64;
    const K: f64 = 1024.0;
    if f < K {
        format!("{n}B")
    } else if f < K * K {
        format!("{:.2}K", f / K)
    } else if f < K * K * K {
        format!("{:.2}M", f / (K * K))
    } else if f < K * K * K * K {
        format!("{:.2}G", f / (K * K * K))
    } else if f < K * K * K * K * K {
        format!("{:.2}T", f / (K * K * K * K))
    } else {
        format!("{:.2}P", f / (K * K * K * K * K))
    }
}

/// Resident set size of this process, from /proc (0 if unavailable).
pub fn rss_bytes() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = s
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(0) as u64
}

/// Total RAM of the machine, from /proc/meminfo (0 if unavailable).
pub fn total_system_memory() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/meminfo") else {
        return 0;
    };
    s.lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// CPU time used by this process: (system, user) in seconds.
pub fn cpu_times() -> (f64, f64) {
    // SAFETY: getrusage writes into the zeroed struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to a rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return (0.0, 0.0);
    }
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (t(ru.ru_stime), t(ru.ru_utime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_human_sizes() {
        let mut w = InfoWriter::new();
        w.section("Server");
        w.field("a", 1);
        w.section("Clients");
        w.field("b", "x");
        assert_eq!(w.finish(), "# Server\r\na:1\r\n\r\n# Clients\r\nb:x\r\n");
        assert_eq!(bytes_human(200), "200B");
        assert_eq!(bytes_human(1_310_720), "1.25M");
    }

    #[test]
    fn proc_readings_work_here() {
        assert!(rss_bytes() > 0);
        assert!(total_system_memory() > 0);
    }
}
