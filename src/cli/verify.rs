//! `seqmodels verify FILE...`: checks seqmodels against PyTorch fixtures
//! (schema: DERIVATIONS.md, "Porting and fixtures").

use super::args::{Args, CliError};
use crate::cli_err;
use crate::fixtures::verify_file;

const HELP: &str = "\
seqmodels verify FILE...

Runs the case each PyTorch fixture describes (forward, then backward with the
given upstream gradients) and prints, for every expected tensor, the max
absolute error and the max of |a − b| / (1 + |b|). Passes at ≤ 1e-10 for F64
fixtures and ≤ 1e-5 for F32. Exits with status 1 on any failure or on a file it
cannot read (a missing tensor, a wrong shape or an unknown mode is named).

  seqmodels verify data/fixtures/*.safetensors
  python3 data/fixtures/make_fixtures.py      (regenerate; needs torch, safetensors)";

/// `seqmodels verify …`
pub fn run(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("verify", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let files = a.positional();
    a.finish()?;
    if files.is_empty() {
        return Err(cli_err!(
            "verify: give one or more fixture files (see `seqmodels verify --help`)"
        ));
    }
    let (mut failed, mut unreadable) = (0, 0);
    for f in &files {
        match verify_file(f) {
            Ok(rep) => {
                let ok = rep.passed();
                println!(
                    "{} ({}, {}, tolerance {:.0e}): {}",
                    rep.source,
                    rep.mode,
                    rep.dtype,
                    rep.tolerance,
                    if ok { "pass" } else { "FAIL" }
                );
                for r in &rep.rows {
                    println!(
                        "  {:<28} {:>14} max abs {:>9.2e}  max rel {:>9.2e}  {}",
                        r.tensor,
                        format!("{:?}", r.shape),
                        r.max_abs,
                        r.max_rel,
                        if r.passed { "pass" } else { "FAIL" }
                    );
                }
                if !ok {
                    failed += 1;
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                unreadable += 1;
            }
        }
    }
    println!(
        "{} fixtures: {} passed, {failed} failed, {unreadable} unreadable",
        files.len(),
        files.len() - failed - unreadable
    );
    if failed + unreadable > 0 {
        Err(cli_err!("verify: {failed} failed, {unreadable} unreadable"))
    } else {
        Ok(())
    }
}
