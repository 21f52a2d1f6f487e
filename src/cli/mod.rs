//! The command line: one file per subcommand, plus the argument parser,
//! timing helpers and progress bar they share. `main.rs` only calls `cli::main`.

pub mod args;
pub mod bench;
pub mod data;
pub mod demo;
pub mod embed;
pub mod eval;
pub mod experiment;
pub mod gradcheck;
pub mod import;
pub mod peak;
pub mod progress;
pub mod sample;
pub mod timing;
pub mod train;
pub mod tsne;
pub mod verify;

pub use args::{Args, CliError};

use crate::linalg::{pool, Kernel};

const USAGE: &str = "\
seqmodels — the sequence models of Ng's Sequence Models course, from scratch

usage: seqmodels <command> [options]    (each command takes --help)

commands:
  gradcheck      check every backward pass against central differences
  verify FILE..  check against PyTorch golden fixtures (data/fixtures/)
  import         a PyTorch state_dict (safetensors) into a seqmodels checkpoint
  logits         next-token logits of a checkpoint on a prompt (JSON)
  bench gemm     time the packed GEMM at square and recurrent shapes (JSON lines)
  bench rnn      time one forward + backward pass of RNN/GRU/LSTM layers (JSON lines)
  bench peak     one core's multiply-add peak and read rates, to read the others against
  tsne           map points (e.g. word vectors) to 2-D with t-SNE, write an SVG plot
  data clusters  write generated Gaussian clusters as a TSV (t-SNE test data)
  train          train a char- or word-level language model (RNN/GRU/LSTM)
  sample         draw samples from a trained language model
  eval           loss, perplexity and bits/char of a language model on a text
  demo TASK      train a generated task and show predictions: ner (BRNN),
                 agreement (long memory), sentiment (negation), dates (seq2seq)
  data analogies write the generated corpus with known analogies (embedding test data)
  embed          word vectors: train (sgns|cbow|glove|nplm), similar, analogy, eval,
                 debias, tsne
  experiment X   vanishing / exploding gradients, measured and drawn as SVG

environment:
  SEQMODELS_THREADS=N                    worker threads (default: all cores)
  SEQMODELS_KERNEL=portable|avx2|avx512|avx512-wide  force a GEMM kernel path";

/// Runs the command line and returns the process exit code.
pub fn main(argv: Vec<String>) -> i32 {
    match run(argv) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// `main` for the arguments as the OS gives them: an argument that is not
/// valid UTF-8 (every flag, name and text here is read as UTF-8) is an
/// error naming it, exit code 1.
pub fn main_os(argv: Vec<std::ffi::OsString>) -> i32 {
    match utf8_args(argv) {
        Ok(argv) => main(argv),
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// The arguments as strings, or an error naming the first that is not valid
/// UTF-8: by the flag it is the value of, else by its position.
pub fn utf8_args(argv: Vec<std::ffi::OsString>) -> Result<Vec<String>, CliError> {
    let mut out: Vec<String> = Vec::with_capacity(argv.len());
    for (i, a) in argv.into_iter().enumerate() {
        match a.into_string() {
            Ok(s) => out.push(s),
            Err(bad) => {
                let shown = bad.to_string_lossy().into_owned();
                let what = match out.last() {
                    Some(flag) if flag.starts_with('-') => format!("the value of {flag}"),
                    _ => format!("argument {}", i + 1),
                };
                return Err(CliError(format!(
                    "{what} is not valid UTF-8 ({shown:?}, with U+FFFD for the bad bytes); \
                     seqmodels reads flags, file names and text as UTF-8"
                )));
            }
        }
    }
    Ok(out)
}

fn run(argv: Vec<String>) -> Result<(), CliError> {
    // Environment problems are user input too: report them before any work.
    Kernel::from_env()?;
    if let Some(n) = pool::threads_from_env()? {
        pool::set_threads(n);
    }
    let (cmd, rest) = match argv.split_first() {
        Some((c, r)) => (c.as_str(), r.to_vec()),
        None => return default_job(),
    };
    match cmd {
        "bench" => bench::run(rest),
        "gradcheck" => gradcheck::run(rest),
        "tsne" => tsne::run(rest),
        "data" => data::run(rest),
        "demo" => demo::run(rest),
        "verify" => verify::run(rest),
        "import" => import::run_import(rest),
        "logits" => import::run_logits(rest),
        "train" => train::run(rest),
        "sample" => sample::run(rest),
        "eval" => eval::run(rest),
        "embed" => embed::run(rest),
        "experiment" => experiment::run(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(CliError(format!("unknown command {other:?}\n\n{USAGE}"))),
    }
}

/// What `cargo run --release` does with no arguments: the main job, a
/// character-level LSTM trained on the bundled names (see `train::main_job`).
fn default_job() -> Result<(), CliError> {
    train::main_job()
}
