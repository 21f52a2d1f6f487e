//! `seqmodels gradcheck`: runs the gradient checks and prints one row per
//! tensor — check, tensor, shape, max relative error, max absolute error,
//! pass/fail — then exits non-zero if any row failed.

use super::args::{Args, CliError};
use crate::checks;
use crate::cli_err;
use crate::gradcheck::{table_header, GradReport};
use crate::rnn::CellKind;

const HELP: &str = "\
seqmodels gradcheck [--cell rnn|rnn-relu|gru|gru-course|lstm|all] [--seed S]

Checks every backward pass against central differences (f64, h = 1e-5) on
every element of every parameter, input and initial-state tensor, and prints
one row per tensor. Relative error is |a − n| / max(1e-8, |a| + |n|); a row
passes below its tolerance: 1e-7 for single layers, 1e-6 for stacks of two or
more layers and for whole models (more roundoff in the loss). Exits with
status 1 if any row fails.

  --cell C    one cell (rnn = tanh RNN, rnn-relu, gru = PyTorch form,
              gru-course = the course's reset-before form, lstm), or all
              (default): every cell, then the architectures (bidirectional,
              stacked) and the models
  --seed S    seed for the random instances (default 2024)";

/// `seqmodels gradcheck …`
pub fn run(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("gradcheck", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let cell = a.choice(
        "--cell",
        &["rnn", "rnn-relu", "gru", "gru-course", "lstm", "all"],
        "all",
    )?;
    let seed: u64 = a.value_or("--seed", 2024)?;
    a.finish()?;
    let only = if cell == "all" {
        None
    } else {
        Some(CellKind::parse(&cell)?)
    };
    let mut reports = checks::all_cell_checks(only, seed);
    if only.is_none() {
        reports.extend(checks::architecture_checks(seed));
        reports.extend(checks::model_checks(seed));
    }
    print_reports(&reports)
}

/// Prints the table and fails if any row failed.
pub fn print_reports(reports: &[GradReport]) -> Result<(), CliError> {
    println!("{}", table_header());
    let mut rows = 0;
    let mut failed = 0;
    for r in reports {
        print!("{r}");
        rows += r.tensors.len();
        failed += r.tensors.iter().filter(|t| !t.passed).count();
    }
    println!(
        "\n{} checks, {rows} tensors, {failed} failed",
        reports.len()
    );
    if failed > 0 {
        Err(cli_err!("gradcheck: {failed} of {rows} tensors failed"))
    } else {
        Ok(())
    }
}
