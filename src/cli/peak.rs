//! `seqmodels bench peak`: what one core of this machine can do at most, so
//! that the other benchmarks' figures can be read against it.
//!
//! Two probes, compiled for the same vector path as the GEMM (`vectorized`):
//! - **fma**: independent multiply-adds, twelve chains of one full vector
//!   each, on registers only: the core's multiply-add peak in GFLOP/s.
//! - **read**: a buffer streamed through one multiply-add per value, eight
//!   vector chains wide. This is the shape of a batch-1 step product, which
//!   reads all of W_hh once per step and does one multiply-add per value
//!   read, so its time for a buffer of W_hh's size is a floor for that
//!   product: 40 KiB is the 100 × 100 f32 W_hh of min-char-rnn, 256 KiB the
//!   512 × 128 one of the batch-1 LSTM row of `bench rnn`.
//!
//! Both return a checksum that depends on every operation (and the tests
//! compare it with a closed form), so no work can be dropped by the compiler.

use super::args::{Args, CliError};
use super::bench::{min_time, round};
use super::timing::measure;
use crate::cli_err;
use crate::io::json::{object, Json};
use crate::linalg::gemm::aligned_start;
use crate::linalg::simd::vectorized;
use crate::linalg::{Kernel, Scalar};

/// `seqmodels bench peak --help`.
pub const PEAK_HELP: &str = "\
seqmodels bench peak [--dtype f32|f64] [--bytes N] [--min-time S]

Measures one core (the probes run on the calling thread only) on the vector
path the GEMM uses, with a warm-up and then repeated runs for at least
--min-time seconds (default 0.5), and prints one JSON line per probe:
  {\"name\":\"peak\",\"probe\":\"fma\",\"dtype\":..,\"kernel\":..,\"median_ms\":..,\"gflops\":..}
    independent multiply-adds on registers: the multiply-add peak
  {\"name\":\"peak\",\"probe\":\"read\",\"dtype\":..,\"kernel\":..,\"bytes\":..,\"median_us\":..,\"gbytes_per_s\":..}
    a buffer read once through one multiply-add per value, as a batch-1 step
    product reads W_hh: a floor for such a product on a W_hh of that size
    (median_us is one read of the buffer; small buffers are read several
    times per timed run)
Without --bytes the read probe runs 40 KiB (the 100 x 100 f32 W_hh of
min-char-rnn), 256 KiB (the 512 x 128 f32 W_hh of the batch-1 LSTM row of
`bench rnn`), 1 MiB and 64 MiB. --bytes is rounded down to whole vectors of
eight chains and must be at least one such block and at most 1 GiB.";

/// Chains of the fma probe: with a 4-cycle multiply-add and two units, eight
/// are needed to keep both busy; twelve leave a margin and still fit in the
/// 16 vector registers of AVX2.
const FMA_CHAINS: usize = 12;

/// Vector chains of the read probe.
const READ_CHAINS: usize = 8;

/// The read probe's default buffer sizes in bytes.
const READ_SIZES: [usize; 4] = [40 << 10, 256 << 10, 1 << 20, 64 << 20];

/// `seqmodels bench peak …`
pub fn peak_cmd(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("bench peak", argv);
    if a.wants_help() {
        println!("{PEAK_HELP}");
        return Ok(());
    }
    let dtype = a.choice("--dtype", &["f32", "f64"], "f32")?;
    let bytes: Option<usize> = a.value("--bytes")?;
    let min_time = min_time(&mut a, "bench peak")?;
    a.finish()?;
    let sizes = match bytes {
        None => READ_SIZES.to_vec(),
        Some(b) if (READ_CHAINS * 64..=1 << 30).contains(&b) => vec![b],
        Some(b) => {
            return Err(cli_err!(
                "bench peak: --bytes {b} is out of range: at least {} (one block of the \
                 read probe) and at most 1 GiB",
                READ_CHAINS * 64
            ))
        }
    };
    let lines = if dtype == "f32" {
        peak_rows::<f32>(&sizes, min_time)
    } else {
        peak_rows::<f64>(&sizes, min_time)
    };
    for line in lines {
        println!("{}", line.to_json());
    }
    Ok(())
}

/// Values of T in one vector register of the active path (64 bytes with
/// AVX-512, 32 with AVX2, 16 otherwise).
fn lanes<T: Scalar>(kernel: Kernel) -> usize {
    let vector_bytes = match kernel {
        Kernel::Avx512 | Kernel::Avx512Wide => 64,
        Kernel::Avx2 => 32,
        _ => 16,
    };
    vector_bytes / T::BYTES
}

/// The fma probe's rounds per timed run: 12 chains × 2^20 rounds is about
/// 4 ms at one vector multiply-add per cycle.
const FMA_ROUNDS: usize = 1 << 20;

/// Runs both probes and returns their JSON records.
fn peak_rows<T: Scalar>(sizes: &[usize], min_time: f64) -> Vec<Json> {
    let kernel = Kernel::active();
    let lanes = lanes::<T>(kernel);
    let mut rows = Vec::new();
    let timing = measure(min_time, || {
        std::hint::black_box(fma_probe::<T>(lanes, FMA_ROUNDS));
    });
    let flops = 2.0 * (FMA_CHAINS * lanes * FMA_ROUNDS) as f64;
    rows.push(object(vec![
        ("name", Json::str("peak")),
        ("probe", Json::str("fma")),
        ("dtype", Json::str(T::DTYPE)),
        ("kernel", Json::str(kernel.name())),
        ("median_ms", Json::num(round(timing.median_ms, 4))),
        (
            "gflops",
            Json::num(round(flops / (timing.median_ms * 1e-3) / 1e9, 1)),
        ),
    ]));
    for &bytes in sizes {
        let block = READ_CHAINS * lanes;
        let n = bytes / T::BYTES / block * block;
        // Read from a 64-byte boundary, as the GEMM's packed operands are (a
        // vector load across two cache lines costs two). Values in [0.5,
        // 1.5): nothing underflows, nothing grows.
        let mut store = Vec::new();
        let start = aligned_start(&mut store, n);
        let buf = &mut store[start..start + n];
        for (i, v) in buf.iter_mut().enumerate() {
            *v = T::from_f64(0.5 + (i % 1000) as f64 * 1e-3);
        }
        let buf = &*buf;
        // Small buffers are read several times per timed run, so that the
        // clock and the call are a small part of it (a run reads ≥ 1 MiB).
        let read = (n * T::BYTES) as f64;
        let passes = ((1 << 20) as f64 / read).ceil() as usize;
        let timing = measure(min_time, || {
            std::hint::black_box(read_probe(lanes, std::hint::black_box(buf), passes));
        });
        let pass_ms = timing.median_ms / passes as f64;
        rows.push(object(vec![
            ("name", Json::str("peak")),
            ("probe", Json::str("read")),
            ("dtype", Json::str(T::DTYPE)),
            ("kernel", Json::str(kernel.name())),
            ("bytes", Json::int(read as i64)),
            ("median_us", Json::num(round(pass_ms * 1e3, 3))),
            (
                "gbytes_per_s",
                Json::num(round(read / (pass_ms * 1e-3) / 1e9, 1)),
            ),
        ]));
    }
    rows
}

/// The fma probe with `lanes` values per chain (a run-time choice among the
/// compiled widths). Returns the sum of all chains after `rounds` rounds.
pub fn fma_probe<T: Scalar>(lanes: usize, rounds: usize) -> f64 {
    match (lanes, fused(Kernel::active())) {
        (16, true) => fma_chains::<T, 16, true>(rounds),
        (8, true) => fma_chains::<T, 8, true>(rounds),
        (4, true) => fma_chains::<T, 4, true>(rounds),
        (_, true) => fma_chains::<T, 2, true>(rounds),
        (16, false) => fma_chains::<T, 16, false>(rounds),
        (8, false) => fma_chains::<T, 8, false>(rounds),
        (4, false) => fma_chains::<T, 4, false>(rounds),
        (_, false) => fma_chains::<T, 2, false>(rounds),
    }
}

/// Whether the path has a multiply-add instruction. The portable path has
/// none (`mul_add` there is a call into the C library), so its probes use
/// a multiply and an add, as its GEMM does.
fn fused(kernel: Kernel) -> bool {
    kernel != Kernel::Portable
}

/// FMA_CHAINS chains of L values, each value stepped `rounds` times by
/// v ← v·x + y with x = 0.999, y = 10⁻⁴ (so it moves towards y/(1 − x) =
/// 0.1 and never overflows or underflows). Chain c, lane l starts at
/// (c·L + l)·10⁻³. Returns the sum of all values, in f64.
fn fma_chains<T: Scalar, const L: usize, const FUSED: bool>(rounds: usize) -> f64 {
    let mut acc = [[T::ZERO; L]; FMA_CHAINS];
    for (c, chain) in acc.iter_mut().enumerate() {
        for (l, v) in chain.iter_mut().enumerate() {
            *v = T::from_f64((c * L + l) as f64 * 1e-3);
        }
    }
    // Through black_box, so the compiler cannot fold the rounds.
    let x = std::hint::black_box(T::from_f64(0.999));
    let y = std::hint::black_box(T::from_f64(1e-4));
    vectorized(
        #[inline(always)]
        || {
            // Local copies: through the closure's references LLVM could not
            // tell the chains from x and y, and reloaded and stored them
            // every step. y as a vector read lane by lane beside each chain:
            // with y a scalar, LLVM vectorised across the twelve chains
            // (gathers and scatters, 4.6 GFLOP/s instead of 214).
            let (x, ys, mut chains) = (x, [y; L], acc);
            for _ in 0..rounds {
                for chain in chains.iter_mut() {
                    for (v, &y) in chain.iter_mut().zip(&ys) {
                        *v = if FUSED { v.mul_add(x, y) } else { *v * x + y };
                    }
                }
            }
            acc = chains;
        },
    );
    acc.iter().flatten().map(|v| v.to_f64()).sum()
}

/// The read probe with `lanes` values per vector: `passes` reads of the
/// whole blocks of READ_CHAINS·lanes values of `buf`. Returns passes ·
/// Σ 0.5·buf\[i\] over those values, in f64.
pub fn read_probe<T: Scalar>(lanes: usize, buf: &[T], passes: usize) -> f64 {
    match (READ_CHAINS * lanes, fused(Kernel::active())) {
        (128, true) => read_chains::<T, 128, true>(buf, passes),
        (64, true) => read_chains::<T, 64, true>(buf, passes),
        (32, true) => read_chains::<T, 32, true>(buf, passes),
        (_, true) => read_chains::<T, 16, true>(buf, passes),
        (128, false) => read_chains::<T, 128, false>(buf, passes),
        (64, false) => read_chains::<T, 64, false>(buf, passes),
        (32, false) => read_chains::<T, 32, false>(buf, passes),
        (_, false) => read_chains::<T, 16, false>(buf, passes),
    }
}

/// Reads `buf` `passes` times in blocks of W values (W = READ_CHAINS
/// vectors); value j of a block goes into sum j through sum ← 0.5·value +
/// sum, one multiply-add per value read, like a step product's use of W_hh.
/// The W sums are READ_CHAINS vectors, each a chain of its own. (Written as
/// READ_CHAINS arrays of one vector each, LLVM vectorised across the
/// arrays, with gathers and scatters: 9 GB/s instead of about 250 from L1.)
fn read_chains<T: Scalar, const W: usize, const FUSED: bool>(buf: &[T], passes: usize) -> f64 {
    let mut acc = [T::ZERO; W];
    let x = std::hint::black_box(T::from_f64(0.5));
    vectorized(
        #[inline(always)]
        || {
            let (xs, mut sums) = ([x; W], acc); // local copies, as in `fma_chains`
            for _ in 0..passes {
                for block in buf.chunks_exact(W) {
                    for ((v, &w), &x) in sums.iter_mut().zip(block).zip(&xs) {
                        *v = if FUSED { x.mul_add(w, *v) } else { x * w + *v };
                    }
                }
            }
            acc = sums;
        },
    );
    acc.iter().map(|v| v.to_f64()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every chain of the fma probe against the closed form of its
    /// recurrence, v_n = xⁿ·v₀ + y·(1 − xⁿ)/(1 − x), in f64: the probe did
    /// all its rounds on every value, at every compiled width.
    #[test]
    fn fma_probe_does_every_round() {
        for lanes in [2usize, 4, 8, 16] {
            for rounds in [0usize, 1, 7, 1000] {
                let (x, y) = (0.999f64, 1e-4f64);
                let xn = x.powi(rounds as i32);
                let expected: f64 = (0..FMA_CHAINS * lanes)
                    .map(|i| xn * (i as f64 * 1e-3) + y * (1.0 - xn) / (1.0 - x))
                    .sum();
                let got = fma_probe::<f64>(lanes, rounds);
                assert!(
                    (got - expected).abs() <= 1e-9 * expected.abs().max(1.0),
                    "lanes {lanes}, rounds {rounds}: {got} vs {expected}"
                );
                let got32 = fma_probe::<f32>(lanes, rounds);
                assert!(
                    (got32 - expected).abs() <= 1e-3 * expected.abs().max(1.0),
                    "f32, lanes {lanes}, rounds {rounds}: {got32} vs {expected}"
                );
            }
        }
    }

    /// The read probe reads every value of the whole blocks and nothing
    /// past them: its sum against 0.5·Σ of exactly those values.
    #[test]
    fn read_probe_reads_every_value_of_whole_blocks() {
        for lanes in [2usize, 4, 8, 16] {
            let block = READ_CHAINS * lanes;
            for n in [0usize, 1, block - 1, block, block + 3, 5 * block + 1] {
                let buf: Vec<f64> = (0..n).map(|i| 1.0 + i as f64).collect();
                let whole = n / block * block;
                for passes in [1usize, 3] {
                    let expected = passes as f64 * 0.5 * (whole * (whole + 1) / 2) as f64;
                    let got = read_probe(lanes, &buf, passes);
                    assert_eq!(got, expected, "lanes {lanes}, n {n}, passes {passes}");
                }
            }
        }
    }
}
