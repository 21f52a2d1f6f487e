//! The command line: one file per subcommand, plus the argument parser and
//! timing helpers they share. `main.rs` only calls `cli::main`.

pub mod args;
pub mod bench;
pub mod embed;
pub mod timing;

pub use args::{Args, CliError};

use crate::linalg::{pool, Kernel};

const USAGE: &str = "\
seqmodels — the sequence models of Ng's Sequence Models course, from scratch

usage: seqmodels <command> [options]    (each command takes --help)

commands:
  bench gemm     time the packed GEMM at square and recurrent shapes (JSON lines)
  embed          word vectors: train (sgns|cbow|glove|nplm), similar, analogy, eval, debias

environment:
  SEQMODELS_THREADS=N                    worker threads (default: all cores)
  SEQMODELS_KERNEL=portable|avx2|avx512  force a GEMM kernel path";

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
        "embed" => embed::run(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(CliError(format!("unknown command {other:?}\n\n{USAGE}"))),
    }
}

/// What `cargo run --release` does with no arguments.
fn default_job() -> Result<(), CliError> {
    println!("{USAGE}\n");
    println!("No command given: running `seqmodels bench gemm` on its default shapes.");
    bench::run(vec!["gemm".to_string()])
}
