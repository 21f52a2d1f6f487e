//! `seqmodels bench gemm`: times the matrix product at the shapes that matter
//! and prints one JSON object per shape (the same keys as
//! `benches/peers/gemm_numpy.py`, so `benches/compare_gemm.sh` can pair them).
//! `seqmodels bench rnn` does the same for the recurrent layers; `seqmodels
//! bench peak` (in `peak.rs`) measures the machine's own limits.

use super::args::{Args, CliError};
use super::timing::measure;
use crate::cli_err;
use crate::io::json::{object, Json};
use crate::linalg::gemm::{gemm_prepacked_with, gemm_with};
use crate::linalg::{pool, Kernel, Matrix, Op, PackedB, Scalar, Workspace};
use crate::nn::Activation;
use crate::rng::Rng;
use crate::rnn::{stack_backward_ws, stack_forward_ws, CellKind, GruVariant, StackedRnn};

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
Shapes with m·k·n above 2^40, or matrices above 16 GiB, are refused with an error.
The kernel path is the best this CPU supports, or SEQMODELS_KERNEL.";

/// `seqmodels bench …`
pub fn run(argv: Vec<String>) -> Result<(), CliError> {
    let (what, rest) = match argv.split_first() {
        Some((w, r)) => (w.clone(), r.to_vec()),
        None => {
            return Err(cli_err!(
                "bench: say what to time: `seqmodels bench gemm`, `seqmodels bench rnn` or \
                 `seqmodels bench peak`"
            ))
        }
    };
    match what.as_str() {
        "gemm" => gemm_cmd(rest),
        "rnn" => rnn_cmd(rest),
        "peak" => super::peak::peak_cmd(rest),
        "-h" | "--help" => {
            println!("{GEMM_HELP}\n\n{RNN_HELP}\n\n{}", super::peak::PEAK_HELP);
            Ok(())
        }
        other => Err(cli_err!(
            "bench: unknown benchmark {other:?} (expected gemm, rnn or peak)"
        )),
    }
}

/// The default (T, B, I, H) rows of `seqmodels bench rnn`.
pub const RNN_SHAPES: [(usize, usize, usize, usize); 4] = [
    (64, 1, 64, 128),
    (64, 32, 64, 256),
    (64, 32, 128, 512),
    (128, 64, 256, 1024),
];

const RNN_HELP: &str = "\
seqmodels bench rnn [--cell rnn|gru|lstm] [--seq T] [--batch B] [--input I] [--hidden H]
                    [--layers L] [--bidirectional] [--dtype f32|f64] [--threads N] [--min-time S]

Times one forward + backward pass (loss = sum of the outputs, input gradients
included) after a warm-up, repeating for at least --min-time seconds (default
0.5), and prints one JSON line per row:
  {\"name\":\"rnn\",\"cell\":..,\"seq\":..,\"batch\":..,\"input\":..,\"hidden\":..,\"layers\":..,
   \"bidirectional\":..,\"dtype\":..,\"threads\":..,\"median_ms\":..,\"gflops\":..}
gflops counts the matrix products only: 6·T·B·G·H·(I_l + H) per layer and
direction (forward 2·…, backward twice that), G = 1, 3, 4 gate blocks.
Without --seq/--batch/--input/--hidden it runs (T, B, I, H) = (64, 1, 64, 128),
(64, 32, 64, 256), (64, 32, 128, 512), (128, 64, 256, 1024); without --cell,
every cell (rnn = tanh RNN, gru = PyTorch's form, lstm). A row that would
need more than 16 GiB of memory is refused with an error.
The same rows in PyTorch: benches/peers/rnn_pytorch.py; side by side: benches/compare_rnn.sh";

fn rnn_cmd(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("bench rnn", argv);
    if a.wants_help() {
        println!("{RNN_HELP}");
        return Ok(());
    }
    let cell: Option<String> = a.raw("--cell")?;
    let seq: Option<usize> = a.value("--seq")?;
    let batch: Option<usize> = a.value("--batch")?;
    let input: Option<usize> = a.value("--input")?;
    let hidden: Option<usize> = a.value("--hidden")?;
    let layers: usize = a.value_or("--layers", 1)?;
    let bidirectional = a.flag("--bidirectional");
    let dtype = a.choice("--dtype", &["f32", "f64"], "f32")?;
    let threads = a.threads()?.unwrap_or_else(pool::threads);
    let min_time = min_time(&mut a, "bench rnn")?;
    a.finish()?;
    if layers == 0 {
        return Err(cli_err!("bench rnn: --layers must be at least 1"));
    }
    let cells: Vec<CellKind> = match cell.as_deref() {
        None => vec![
            CellKind::Rnn(Activation::Tanh),
            CellKind::Gru(GruVariant::ResetAfter),
            CellKind::Lstm,
        ],
        Some(c @ ("rnn" | "gru" | "lstm")) => vec![CellKind::parse(c)?],
        Some(other) => {
            return Err(cli_err!(
                "bench rnn: --cell {other:?}: expected rnn, gru or lstm"
            ))
        }
    };
    let shapes = match (seq, batch, input, hidden) {
        (None, None, None, None) => RNN_SHAPES.to_vec(),
        (t, b, i, h) => {
            let (t, b, i, h) = (
                t.unwrap_or(64),
                b.unwrap_or(32),
                i.unwrap_or(128),
                h.unwrap_or(512),
            );
            if [t, b, i, h].contains(&0)
                || t.saturating_mul(b)
                    .saturating_mul(4 * h)
                    .saturating_mul(i + h)
                    > 1 << 36
            {
                return Err(cli_err!(
                    "bench rnn: --seq, --batch, --input and --hidden must be positive and not huge"
                ));
            }
            vec![(t, b, i, h)]
        }
    };
    let bytes = if dtype == "f32" { 4 } else { 8 };
    for &kind in &cells {
        for &(t, b, i, h) in &shapes {
            let need = rnn_row_bytes(kind, (t, b, i, h), layers, bidirectional, bytes);
            if need > BENCH_MAX_BYTES as f64 {
                return Err(cli_err!(
                    "bench rnn: (T, B, I, H) = ({t}, {b}, {i}, {h}) with --layers {layers} would \
                     need about {:.0} GiB; a row may use at most {} GiB",
                    need / (1u64 << 30) as f64,
                    BENCH_MAX_BYTES >> 30
                ));
            }
        }
    }
    pool::set_threads(threads);
    for &kind in &cells {
        for &(t, b, i, h) in &shapes {
            let row = if dtype == "f32" {
                rnn_row::<f32>(kind, t, b, i, h, layers, bidirectional, threads, min_time)
            } else {
                rnn_row::<f64>(kind, t, b, i, h, layers, bidirectional, threads, min_time)
            };
            println!("{}", row.to_json());
        }
    }
    Ok(())
}

/// The most memory one `bench` row may ask for: far above any shape worth
/// timing, and low enough that a mistyped flag (`--layers 4294967296`) is
/// an error here rather than an aborted allocation.
const BENCH_MAX_BYTES: u64 = 16 << 30;

/// About how many bytes `rnn_row` allocates: per layer and direction the
/// parameters, their gradients and a packed W_hh (3·G·H·(I + H) values), and
/// for the T·B rows the gate values, ∂L/∂z, a⟨t⟩, c⟨t⟩ and the input and its
/// gradient (T·B·(2·G·H + 3·H + 2·I)). In f64 so that no product overflows.
fn rnn_row_bytes(
    kind: CellKind,
    (t, b, i, h): (usize, usize, usize, usize),
    layers: usize,
    bidirectional: bool,
    bytes: usize,
) -> f64 {
    let d = if bidirectional { 2.0 } else { 1.0 };
    let (g, rows, h) = (kind.gates() as f64, (t as f64) * (b as f64), h as f64);
    // One layer (both directions) whose input has `inp` features; layers
    // after the first read the d·H outputs of the one below.
    let layer =
        |inp: f64| d * (3.0 * g * h * (inp + h) + rows * (2.0 * g * h + 3.0 * h + 2.0 * inp));
    let values = layer(i as f64) + (layers.max(1) - 1) as f64 * layer(d * h);
    values * bytes as f64
}

/// Times forward + backward of a stacked RNN and returns its JSON record.
pub fn rnn_row<T: Scalar>(
    kind: CellKind,
    t: usize,
    b: usize,
    i: usize,
    h: usize,
    layers: usize,
    bidirectional: bool,
    threads: usize,
    min_time: f64,
) -> Json {
    let mut rng = Rng::new(42);
    let p = StackedRnn::<T>::new(kind, i, h, layers, bidirectional, &mut rng);
    let x = Matrix::<T>::random_uniform(t * b, i, -1.0, 1.0, &mut rng);
    let s0 = p.zero_states(b);
    let dy = Matrix::<T>::filled(t * b, p.output_size(), T::ONE);
    let mut grads = p.zeros_like();
    // As a training loop would: one workspace, and each pass hands its cache
    // and input gradient back for the next (see linalg::Workspace).
    let mut ws = Workspace::new();
    let timing = measure(min_time, || {
        let cache = stack_forward_ws(&p, x.view(), &s0, None, &mut ws);
        let (dx, d_states) =
            stack_backward_ws(&p, x.view(), &cache, dy.view(), None, &mut grads, &mut ws);
        std::hint::black_box(&d_states);
        ws.keep(dx);
        cache.recycle(&mut ws);
    });
    let d = if bidirectional { 2 } else { 1 };
    let g = kind.gates() as f64;
    let mut flops = 0.0;
    for l in 0..layers {
        let inp = if l == 0 { i } else { d * h } as f64;
        flops += d as f64 * 6.0 * (t * b) as f64 * g * h as f64 * (inp + h as f64);
    }
    let name = match kind {
        CellKind::Rnn(_) => "rnn",
        CellKind::Gru(_) => "gru",
        CellKind::Lstm => "lstm",
    };
    object(vec![
        ("name", Json::str("rnn")),
        ("cell", Json::str(name)),
        ("seq", Json::int(t as i64)),
        ("batch", Json::int(b as i64)),
        ("input", Json::int(i as i64)),
        ("hidden", Json::int(h as i64)),
        ("layers", Json::int(layers as i64)),
        ("bidirectional", Json::Bool(bidirectional)),
        ("dtype", Json::str(T::DTYPE)),
        ("threads", Json::int(threads as i64)),
        ("median_ms", Json::num(round(timing.median_ms, 4))),
        (
            "gflops",
            Json::num(round(flops / (timing.median_ms * 1e-3) / 1e9, 2)),
        ),
    ])
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
    let threads = a.threads()?.unwrap_or_else(pool::threads);
    let prepacked = a.flag("--prepacked");
    let min_time = min_time(&mut a, "bench gemm")?;
    a.finish()?;
    let shapes: Vec<(usize, usize, usize)> = match (m, k, n) {
        (None, None, None) => GEMM_SHAPES.to_vec(),
        (Some(m), Some(k), Some(n))
            if m > 0 && k > 0 && n > 0 && m.saturating_mul(k).saturating_mul(n) <= 1 << 40 =>
        {
            // A, B, C and a packed copy of B.
            let (mf, kf, nf) = (m as f64, k as f64, n as f64);
            let need = (mf * kf + 2.0 * kf * nf + mf * nf) * if dtype == "f32" { 4.0 } else { 8.0 };
            if need > BENCH_MAX_BYTES as f64 {
                return Err(cli_err!(
                    "bench gemm: --m {m} --k {k} --n {n} would need about {:.0} GiB for the \
                     matrices; at most {} GiB",
                    need / (1u64 << 30) as f64,
                    BENCH_MAX_BYTES >> 30
                ));
            }
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

/// `--min-time S` (default 0.5 s) of a `bench` command: a non-negative
/// number of seconds, or an error naming the flag.
pub(super) fn min_time(a: &mut Args, command: &str) -> Result<f64, CliError> {
    let min_time: f64 = a.value_or("--min-time", 0.5)?;
    if !(min_time.is_finite() && min_time >= 0.0) {
        return Err(cli_err!(
            "{command}: --min-time must be a non-negative number of seconds"
        ));
    }
    Ok(min_time)
}

/// Rounds to `digits` decimals (for readable JSON).
pub fn round(x: f64, digits: i32) -> f64 {
    let s = 10f64.powi(digits);
    (x * s).round() / s
}
