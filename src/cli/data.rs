//! `seqmodels data …`: writes generated data sets to files, the same data the
//! tests and benchmarks build in memory.
//!
//! - `data clusters`: Gaussian clusters with seeded centres (see
//!   `tsne::gaussian_clusters`), one point per line, label first — the input
//!   `seqmodels tsne --labels` reads.
//! - `data analogies`: the generated corpus with known analogies (see
//!   `embeddings::synthetic`), its questions and word pairs.

use super::args::{Args, CliError};
use crate::cli_err;
use crate::tsne::gaussian_clusters;
use crate::Error;
use std::io::Write;

const HELP: &str = "\
seqmodels data clusters --n N --dim D --clusters C [--seed S] [--spread X] --out points.tsv

Writes N points in D dimensions drawn from C Gaussian clusters (unit variance,
centres drawn with standard deviation --spread, default 1) as a TSV: one point
per line, the cluster name (c0, c1, …) first, then D numbers written so they
read back exactly. The same seed gives the same file; the t-SNE tests use the
same generator (seqmodels::tsne::gaussian_clusters).

seqmodels data analogies --out DIR [--sentences N (60000)] [--seed S (7)]

Writes DIR/corpus.txt (one sentence per line: a family word amid 8 context
words), DIR/questions-words.txt (analogy questions with semantic and gram*
sections) and DIR/pairs.txt (word pairs scored by shared attributes), from
seqmodels::embeddings::synthetic — the corpus every embedding method is tested on.";

/// `seqmodels data …`
pub fn run(argv: Vec<String>) -> Result<(), CliError> {
    let (what, rest) = match argv.split_first() {
        Some((w, r)) => (w.clone(), r.to_vec()),
        None => {
            return Err(cli_err!(
                "data: say what to generate: `seqmodels data clusters`\n\n{HELP}"
            ))
        }
    };
    match what.as_str() {
        "clusters" => clusters(rest),
        "analogies" => analogies(rest),
        "-h" | "--help" => {
            println!("{HELP}");
            Ok(())
        }
        other => Err(cli_err!(
            "data: unknown data set {other:?} (expected clusters or analogies)"
        )),
    }
}

fn clusters(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("data clusters", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let n: usize = a.required("--n")?;
    let dim: usize = a.required("--dim")?;
    let clusters: usize = a.required("--clusters")?;
    let seed: u64 = a.value_or("--seed", 42)?;
    let spread: f64 = a.value_or("--spread", 1.0)?;
    let out: String = a.required("--out")?;
    a.finish()?;
    if n == 0 || dim == 0 {
        return Err(cli_err!("data clusters: --n and --dim must be at least 1"));
    }
    if clusters == 0 || clusters > n {
        return Err(cli_err!(
            "data clusters: --clusters must be between 1 and --n ({n}), got {clusters}"
        ));
    }
    if n.saturating_mul(dim) > 200_000_000 {
        return Err(cli_err!(
            "data clusters: --n × --dim = {} numbers is more than 200 million",
            n.saturating_mul(dim)
        ));
    }
    if !(spread.is_finite() && spread >= 0.0) {
        return Err(cli_err!("data clusters: --spread must be a number ≥ 0"));
    }
    let (x, labels) = gaussian_clusters(n, dim, clusters, spread, seed);
    let file = std::fs::File::create(&out).map_err(|e| Error::io(&out, e))?;
    let mut w = std::io::BufWriter::new(file);
    let mut line = String::new();
    for i in 0..n {
        line.clear();
        line.push('c');
        line.push_str(&labels[i].to_string());
        for v in x.row(i) {
            line.push('\t');
            // Rust's shortest round-trip form: reads back to the same f64.
            line.push_str(&v.to_string());
        }
        line.push('\n');
        w.write_all(line.as_bytes())
            .map_err(|e| Error::io(&out, e))?;
    }
    w.flush().map_err(|e| Error::io(&out, e))?;
    eprintln!("wrote {n} points in {dim} dimensions from {clusters} clusters to {out}");
    Ok(())
}

fn analogies(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("data analogies", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let out: String = a.required("--out")?;
    let sentences: usize = a.value_or(
        "--sentences",
        crate::embeddings::synthetic::DEFAULT_SENTENCES,
    )?;
    let seed: u64 = a.value_or("--seed", 7)?;
    a.finish()?;
    let ds = crate::embeddings::synthetic::write_dataset(&out, sentences, seed)?;
    eprintln!(
        "data analogies: wrote {}, {} and {} ({} sentences)",
        ds.corpus.display(),
        ds.questions.display(),
        ds.pairs.display(),
        ds.sentences
    );
    Ok(())
}
