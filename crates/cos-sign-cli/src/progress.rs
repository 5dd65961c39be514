//! A small progress bar on stderr, drawn only when stderr is a terminal (or
//! `COS_SIGN_PROGRESS=1`), at most 10 times a second.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// A progress bar for one transfer.
#[derive(Debug)]
pub struct Bar {
    label: &'static str,
    enabled: bool,
    start: Instant,
    last: Option<Instant>,
    drawn: bool,
    done: u64,
    total: Option<u64>,
}

impl Bar {
    /// A bar labelled `label`; drawn when `want` and stderr is a terminal.
    pub fn new(label: &'static str, want: bool) -> Self {
        let forced = std::env::var("COS_SIGN_PROGRESS").is_ok_and(|v| v == "1");
        Self {
            label,
            enabled: want && (forced || std::io::stderr().is_terminal()),
            start: Instant::now(),
            last: None,
            drawn: false,
            done: 0,
            total: None,
        }
    }

    /// Records progress; redraws when 100 ms passed since the last draw or at the end.
    pub fn update(&mut self, done: u64, total: Option<u64>) {
        self.done = done;
        self.total = total;
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let due = self
            .last
            .is_none_or(|t| now.duration_since(t) >= Duration::from_millis(100));
        if due || Some(done) == total {
            self.last = Some(now);
            self.draw(now);
        }
    }

    fn draw(&mut self, now: Instant) {
        let secs = now.duration_since(self.start).as_secs_f64().max(1e-3);
        let rate = self.done as f64 / secs;
        let line = match self.total {
            Some(t) if t > 0 => {
                let frac = (self.done as f64 / t as f64).clamp(0.0, 1.0);
                let width = 30;
                let full = (frac * width as f64).round() as usize;
                format!(
                    "\r{} [{}{}] {:>3}% {} / {}  {}/s ",
                    self.label,
                    "#".repeat(full),
                    " ".repeat(width - full),
                    (frac * 100.0).round() as u32,
                    size(self.done),
                    size(t),
                    size(rate as u64)
                )
            }
            _ => format!(
                "\r{} {}  {}/s ",
                self.label,
                size(self.done),
                size(rate as u64)
            ),
        };
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
        let _ = err.flush();
        self.drawn = true;
    }

    /// Ends the bar's line.
    pub fn finish(&mut self) {
        if self.drawn {
            esay!();
        }
    }
}

/// `1.5 MiB`-style sizes.
pub fn size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::size;

    #[test]
    fn sizes() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(1023), "1023 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(20 * 1024 * 1024), "20.0 MiB");
    }
}
