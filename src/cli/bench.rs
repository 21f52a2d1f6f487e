//! `seqmodels bench gemm`: times the matrix product at the shapes that matter
//! and prints one JSON object per shape (the same keys as
//! `benches/peers/gemm_numpy.py`, so `benches/compare_gemm.sh` can pair them).

use super::args::{Args, CliError};
use super::timing::measure;
use crate::cli_err;
use crate::io::json::{object, Json};
use crate::linalg::gemm::{gemm_prepacked_with, gemm_with};
use crate::linalg::{pool, Kernel, Matrix, Op, PackedB, Scalar};
use crate::rng::Rng;

/// The default shapes (m, k, n): square, then the recurrent products
/// (batch × hidden) · (hidden × gates·hidden).
pub const GEMM_SHAPES: [(usize, usize, usize); 8] = [
    (64, 64, 64),
    (256, 256, 256),
    (512, 512, 512),
    (1024, 1024, 1024),
    (32, 512, 2048),
    (32, 1024, 4096),
    (64, 256, 1024),
    (1, 512, 2048),
];

const GEMM_HELP: &str = "\
seqmodels bench gemm [--m M --k K --n N] [--dtype f32|f64] [--threads N] [--prepacked] [--min-time S]

Times C <- A·B for A (m, k) and B (k, n), with a warm-up and then repeated runs
for at least --min-time seconds (default 0.5), and prints one JSON line per shape:
  {\"name\":\"gemm\",\"m\":..,\"k\":..,\"n\":..,\"dtype\":..,\"threads\":..,\"prepacked\":..,\"median_ms\":..,\"gflops\":..}
Without --m/--k/--n it runs the default shapes: square 64, 256, 512, 1024 and the
recurrent shapes (32,512,2048), (32,1024,4096), (64,256,1024), (1,512,2048).
--prepacked packs B once outside the timed loop, as an RNN does with W_hh.
The kernel path is the best this CPU supports, or SEQMODELS_KERNEL.";

/// `seqmodels bench …`
pub fn run(argv: Vec<String>) -> Result<(), CliError> {
    let (what, rest) = match argv.split_first() {
        Some((w, r)) => (w.clone(), r.to_vec()),
        None => return Err(cli_err!("bench: say what to time: `seqmodels bench gemm`")),
    };
    match what.as_str() {
        "gemm" => gemm_cmd(rest),
        "-h" | "--help" => {
            println!("{GEMM_HELP}");
            Ok(())
        }
        other => Err(cli_err!(
            "bench: unknown benchmark {other:?} (expected gemm)"
        )),
    }
}

fn gemm_cmd(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("bench gemm", argv);
    if a.wants_help() {
        println!("{GEMM_HELP}");
        return Ok(());
    }
    let m: Option<usize> = a.value("--m")?;
    let k: Option<usize> = a.value("--k")?;
    let n: Option<usize> = a.value("--n")?;
    let dtype = a.choice("--dtype", &["f32", "f64"], "f32")?;
    let threads: usize = a.value_or("--threads", pool::threads())?;
    let prepacked = a.flag("--prepacked");
    let min_time: f64 = a.value_or("--min-time", 0.5)?;
    a.finish()?;
    if threads == 0 {
        return Err(cli_err!("bench gemm: --threads must be at least 1"));
    }
    if !(min_time.is_finite() && min_time >= 0.0) {
        return Err(cli_err!(
            "bench gemm: --min-time must be a non-negative number of seconds"
        ));
    }
    let shapes: Vec<(usize, usize, usize)> = match (m, k, n) {
        (None, None, None) => GEMM_SHAPES.to_vec(),
        (Some(m), Some(k), Some(n))
            if m > 0 && k > 0 && n > 0 && m.saturating_mul(k).saturating_mul(n) <= 1 << 40 =>
        {
            vec![(m, k, n)]
        }
        (Some(_), Some(_), Some(_)) => {
            return Err(cli_err!(
                "bench gemm: --m, --k and --n must be positive and m·k·n at most 2^40"
            ))
        }
        _ => {
            return Err(cli_err!(
                "bench gemm: give all of --m, --k and --n, or none"
            ))
        }
    };
    for (m, k, n) in shapes {
        let line = if dtype == "f32" {
            gemm_row::<f32>(m, k, n, threads, prepacked, min_time)
        } else {
            gemm_row::<f64>(m, k, n, threads, prepacked, min_time)
        };
        println!("{}", line.to_json());
    }
    Ok(())
}

/// Times one shape and returns its JSON record.
pub fn gemm_row<T: Scalar>(
    m: usize,
    k: usize,
    n: usize,
    threads: usize,
    prepacked: bool,
    min_time: f64,
) -> Json {
    let mut rng = Rng::new(42);
    let a = Matrix::<T>::random_uniform(m, k, -1.0, 1.0, &mut rng);
    let b = Matrix::<T>::random_uniform(k, n, -1.0, 1.0, &mut rng);
    let mut c = Matrix::<T>::zeros(m, n);
    let kernel = Kernel::active();
    let timing = if prepacked {
        let pb = PackedB::new_with(kernel, Op::N, b.view());
        measure(min_time, || {
            gemm_prepacked_with(threads, Op::N, T::ONE, a.view(), &pb, T::ZERO, c.view_mut())
        })
    } else {
        measure(min_time, || {
            gemm_with(
                kernel,
                threads,
                Op::N,
                Op::N,
                T::ONE,
                a.view(),
                b.view(),
                T::ZERO,
                c.view_mut(),
            )
        })
    };
    let flops = 2.0 * m as f64 * k as f64 * n as f64;
    object(vec![
        ("name", Json::str("gemm")),
        ("m", Json::int(m as i64)),
        ("k", Json::int(k as i64)),
        ("n", Json::int(n as i64)),
        ("dtype", Json::str(T::DTYPE)),
        ("threads", Json::int(threads as i64)),
        ("prepacked", Json::Bool(prepacked)),
        ("kernel", Json::str(kernel.name())),
        ("median_ms", Json::num(round(timing.median_ms, 4))),
        (
            "gflops",
            Json::num(round(flops / (timing.median_ms * 1e-3) / 1e9, 2)),
        ),
    ])
}

/// Rounds to `digits` decimals (for readable JSON).
pub fn round(x: f64, digits: i32) -> f64 {
    let s = 10f64.powi(digits);
    (x * s).round() / s
}
