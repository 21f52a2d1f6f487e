//! A progress bar on stderr for long jobs such as training.
//!
//! It shows the step out of the total, named numbers (a smoothed loss,
//! words/s, …) and an estimate of the time left:
//! ```text
//! train [########............]  1200/3000  40%  loss 2.3456  words/s 12.3k  ETA 1m30s
//! ```
//! On a terminal the line is redrawn in place (`\r`), at most ten times a
//! second. Otherwise (a log file, CI) it prints plain lines without the bar,
//! at most one every [`LINE_INTERVAL`], and always the final one, so logs stay
//! short. The writer and the clock are injectable, so tests can check the
//! text of both modes exactly.
//!
//! [`Ema`] is the exponentially weighted average of the course (with bias
//! correction), for the smoothed loss shown on the bar.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Shortest time between two redraws on a terminal.
pub const REDRAW_INTERVAL: Duration = Duration::from_millis(100);
/// Shortest time between two plain lines when stderr is not a terminal.
pub const LINE_INTERVAL: Duration = Duration::from_secs(2);
/// Width of the bar in characters.
const BAR_WIDTH: usize = 20;

/// A progress display for a job of `total` steps.
pub struct Progress {
    label: String,
    total: u64,
    out: Box<dyn Write + Send>,
    in_place: bool,
    min_interval: Duration,
    start: Instant,
    /// Step given to the last `update`.
    step: u64,
    /// Elapsed time at the last draw, if any.
    last_draw: Option<Duration>,
    /// Characters in the last in-place line, to blank out leftovers.
    last_width: usize,
    finished: bool,
}

impl Progress {
    /// A progress bar on stderr, drawn in place if stderr is a terminal and as
    /// throttled plain lines otherwise.
    pub fn new(label: &str, total: u64) -> Progress {
        let in_place = std::io::stderr().is_terminal();
        Progress::with_writer(label, total, Box::new(std::io::stderr()), in_place)
    }

    /// A progress bar on any writer; `in_place` picks the terminal mode.
    pub fn with_writer(
        label: &str,
        total: u64,
        out: Box<dyn Write + Send>,
        in_place: bool,
    ) -> Progress {
        Progress {
            label: label.to_string(),
            total,
            out,
            in_place,
            min_interval: if in_place {
                REDRAW_INTERVAL
            } else {
                LINE_INTERVAL
            },
            start: Instant::now(),
            step: 0,
            last_draw: None,
            last_width: 0,
            finished: false,
        }
    }

    /// Time since the bar was created (for rates such as words/s).
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Reports that `step` of `total` steps are done, with named numbers to
    /// show, e.g. `&[("loss", 2.31), ("words/s", 12345.0)]`. Draws only if the
    /// last draw is old enough.
    pub fn update(&mut self, step: u64, values: &[(&str, f64)]) {
        let now = self.start.elapsed();
        self.update_at(now, step, values);
    }

    /// [`Self::update`] with the elapsed time given (for tests and replays).
    pub fn update_at(&mut self, elapsed: Duration, step: u64, values: &[(&str, f64)]) {
        self.step = step;
        if let Some(last) = self.last_draw {
            if elapsed.saturating_sub(last) < self.min_interval {
                return;
            }
        }
        self.last_draw = Some(elapsed);
        let line = self.line(step, values, Tail::Eta(elapsed));
        self.emit(&line, false);
    }

    /// Draws the final line (at the last step reported), with the total time
    /// taken instead of the ETA, and ends it with a newline.
    pub fn finish(&mut self, values: &[(&str, f64)]) {
        let now = self.start.elapsed();
        self.finish_at(now, values);
    }

    /// [`Self::finish`] with the elapsed time given (for tests and replays).
    pub fn finish_at(&mut self, elapsed: Duration, values: &[(&str, f64)]) {
        if self.finished {
            return;
        }
        self.finished = true;
        let line = self.line(self.step, values, Tail::Done(elapsed));
        self.emit(&line, true);
    }

    fn line(&self, step: u64, values: &[(&str, f64)], tail: Tail) -> String {
        let frac = if self.total == 0 {
            1.0
        } else {
            (step as f64 / self.total as f64).min(1.0)
        };
        let mut s = self.label.clone();
        if self.in_place {
            let filled = (frac * BAR_WIDTH as f64) as usize;
            s.push_str(" [");
            s.push_str(&"#".repeat(filled));
            s.push_str(&".".repeat(BAR_WIDTH - filled));
            s.push(']');
        }
        let width = self.total.to_string().len();
        s.push_str(&format!(
            "  {step:>width$}/{}  {:>3}%",
            self.total,
            (frac * 100.0) as u32
        ));
        for (name, x) in values {
            s.push_str(&format!("  {name} {}", format_number(*x)));
        }
        match tail {
            Tail::Eta(elapsed) => {
                // No rate yet (nothing done, or no time passed): no estimate.
                let eta = if step == 0 || elapsed.is_zero() || step > self.total {
                    "?".to_string()
                } else {
                    let left = elapsed.as_secs_f64() * (self.total - step) as f64 / step as f64;
                    format_duration(left)
                };
                s.push_str(&format!("  ETA {eta}"));
            }
            Tail::Done(elapsed) => s.push_str(&format!(
                "  done in {}",
                format_duration(elapsed.as_secs_f64())
            )),
        }
        s
    }

    /// Writes a line: in place (`\r`, blanking what is left of a longer
    /// previous line) or as a plain line. Output errors are ignored: progress
    /// is a courtesy and must never stop the job.
    fn emit(&mut self, line: &str, last: bool) {
        let text = if self.in_place {
            let width = line.chars().count();
            let pad = self.last_width.saturating_sub(width);
            self.last_width = width;
            format!(
                "\r{line}{}{}",
                " ".repeat(pad),
                if last { "\n" } else { "" }
            )
        } else {
            format!("{line}\n")
        };
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }
}

impl Drop for Progress {
    /// Ends an unfinished in-place line, so later output starts on a new line.
    fn drop(&mut self) {
        if self.in_place && self.last_draw.is_some() && !self.finished {
            let _ = self.out.write_all(b"\n");
            let _ = self.out.flush();
        }
    }
}

enum Tail {
    Eta(Duration),
    Done(Duration),
}

/// A number for the bar: 4 significant decimals for small values, then
/// `123.4`, `12.3k`, `1.23M`.
pub fn format_number(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() {
        format!("{x}")
    } else if a >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else if a >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.4}")
    }
}

/// Seconds as `42s`, `3m05s` or `2h07m`.
pub fn format_duration(seconds: f64) -> String {
    let s = if seconds.is_finite() && seconds > 0.0 {
        seconds.round() as u64
    } else {
        0
    };
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

/// The exponentially weighted average of the course, with bias correction:
/// `v⟨t⟩ = β·v⟨t−1⟩ + (1−β)·x⟨t⟩`, `v⟨0⟩ = 0`, reported as `v⟨t⟩ / (1 − βᵗ)` so
/// that early values are not pulled towards 0. β = 0.98 averages over roughly
/// the last 1/(1−β) = 50 values.
#[derive(Clone, Debug)]
pub struct Ema {
    beta: f64,
    v: f64,
    /// βᵗ
    beta_t: f64,
}

impl Ema {
    /// An empty average with weight `beta` in [0, 1).
    pub fn new(beta: f64) -> Ema {
        assert!((0.0..1.0).contains(&beta), "Ema: beta {beta} not in [0, 1)");
        Ema {
            beta,
            v: 0.0,
            beta_t: 1.0,
        }
    }

    /// Adds a value and returns the bias-corrected average.
    pub fn push(&mut self, x: f64) -> f64 {
        self.v = self.beta * self.v + (1.0 - self.beta) * x;
        self.beta_t *= self.beta;
        self.value()
    }

    /// The bias-corrected average (NaN before any value).
    pub fn value(&self) -> f64 {
        self.v / (1.0 - self.beta_t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer that keeps what it is given, shared with the test.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Capture {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn plain_lines_are_throttled_and_the_last_is_printed() {
        let cap = Capture::default();
        let mut p = Progress::with_writer("train", 100, Box::new(cap.clone()), false);
        // One update per 0.5 s for 50 s: with a 2 s interval, lines at 0, 2, 4, … s.
        for step in 1..=100u64 {
            let t = secs(0.5 * (step - 1) as f64);
            p.update_at(t, step, &[("loss", 1.0 / step as f64)]);
        }
        p.finish_at(secs(50.0), &[("loss", 0.01)]);
        let text = cap.text();
        let lines: Vec<&str> = text.lines().collect();
        // Draws at steps 1, 5, 9, …, 97 (every 4th update), then the final line.
        assert_eq!(lines.len(), 25 + 1, "{text}");
        assert!(!text.contains('\r') && !text.contains('#'), "{text}");
        // Step 1 at t = 0: no rate yet, so no ETA.
        assert_eq!(lines[0], "train    1/100    1%  loss 1.0000  ETA ?");
        // Step 5 at t = 2 s: 2 s per 5 steps, 95 steps left → 38 s.
        assert_eq!(lines[1], "train    5/100    5%  loss 0.2000  ETA 38s");
        assert_eq!(lines[25], "train  100/100  100%  loss 0.0100  done in 50s");
    }

    #[test]
    fn terminal_mode_redraws_in_place() {
        let cap = Capture::default();
        let mut p = Progress::with_writer("lm", 10, Box::new(cap.clone()), true);
        p.update_at(secs(0.0), 1, &[("words/s", 123456.0)]);
        p.update_at(secs(0.05), 2, &[]); // within 100 ms: not drawn
        p.update_at(secs(60.0), 5, &[]);
        p.finish_at(secs(120.0), &[]);
        let text = cap.text();
        let frames: Vec<&str> = text.split('\r').skip(1).collect();
        assert_eq!(frames.len(), 3, "{text:?}");
        let first = "lm [##..................]   1/10   10%  words/s 123.5k  ETA ?";
        assert_eq!(frames[0], first);
        // 60 s for 5 steps, 5 left → 1m00s; blanks cover the longer first frame.
        let second = "lm [##########..........]   5/10   50%  ETA 1m00s";
        assert_eq!(
            frames[1],
            format!("{second}{}", " ".repeat(first.len() - second.len()))
        );
        assert_eq!(
            frames[2].trim_end_matches(' ').trim_end_matches('\n'),
            "lm [##########..........]   5/10   50%  done in 2m00s"
        );
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn number_and_duration_formats() {
        assert_eq!(format_number(2.345678), "2.3457");
        assert_eq!(format_number(1234.5), "1234.5");
        assert_eq!(format_number(-54321.0), "-54.3k");
        assert_eq!(format_number(2_500_000.0), "2.50M");
        assert_eq!(format_number(f64::NAN), "NaN");
        assert_eq!(format_duration(59.4), "59s");
        assert_eq!(format_duration(125.0), "2m05s");
        assert_eq!(format_duration(7500.0), "2h05m");
    }

    #[test]
    fn ema_is_bias_corrected() {
        // A constant input is reported exactly from the first value on: the
        // correction 1/(1 − βᵗ) undoes the pull towards v⟨0⟩ = 0.
        let mut e = Ema::new(0.9);
        for _ in 0..5 {
            assert!((e.push(3.0) - 3.0).abs() < 1e-12);
        }
        // By hand: v1 = 0.1·1 = 0.1, v2 = 0.9·0.1 + 0.1·2 = 0.29;
        // corrected v2 / (1 − 0.81) = 0.29 / 0.19.
        let mut e = Ema::new(0.9);
        e.push(1.0);
        assert!((e.push(2.0) - 0.29 / 0.19).abs() < 1e-12);
    }
}
