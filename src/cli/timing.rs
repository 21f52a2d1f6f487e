//! Timing for `seqmodels bench`: a warm-up, then repeated runs for at least a
//! minimum time, reporting the median (these machines are noisy).

use std::time::Instant;

/// What a measurement found.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Median wall time of one run, in milliseconds.
    pub median_ms: f64,
    /// Fastest run, in milliseconds.
    pub min_ms: f64,
    /// Number of timed runs.
    pub runs: usize,
}

/// Runs `f` once to warm up (caches, page faults, the worker pool), then
/// repeatedly until `min_seconds` have passed and at least 5 runs are done.
pub fn measure(min_seconds: f64, mut f: impl FnMut()) -> Timing {
    let warm = Instant::now();
    f();
    // A second warm-up run for fast kernels, so frequency and caches settle.
    if warm.elapsed().as_secs_f64() < 0.05 {
        f();
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 5 || (start.elapsed().as_secs_f64() < min_seconds && times.len() < 100_000)
    {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let n = times.len();
    let median_ms = if n % 2 == 1 {
        times[n / 2]
    } else {
        0.5 * (times[n / 2 - 1] + times[n / 2])
    };
    Timing {
        median_ms,
        min_ms: times[0],
        runs: n,
    }
}
