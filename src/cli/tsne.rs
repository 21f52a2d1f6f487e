//! `seqmodels tsne`: reads points from a TSV file, maps them to 2-D with
//! t-SNE, and writes an SVG scatter plot (and optionally the coordinates).
//!
//! Where it sits in the seed: topic 12, "visualise word embeddings with
//! t-SNE". The run prints KL every 50 iterations to stderr and ends with one
//! JSON line (the same keys as `benches/peers/tsne_sklearn.py`).

use super::args::{Args, CliError};
use crate::cli_err;
use crate::io::json::{object, Json};
use crate::linalg::{pool, Matrix};
use crate::plot::Scatter;
use crate::tsne::{trustworthiness, tsne_with_progress, Method, TsneConfig};
use crate::{err, Error, Result};
use std::io::Write;
use std::time::Instant;

const HELP: &str = "\
seqmodels tsne --input points.tsv [--labels] [--perplexity P] [--theta T] [--iter N]
               [--exact | --method auto|exact|barnes-hut] [--seed S] [--threads N]
               --out plot.svg [--coords out.tsv]

Reads one point per line, tab-separated numbers (with --labels, a first column
of names; blank lines and lines starting with # are skipped), runs t-SNE to 2-D,
and writes an SVG scatter plot. With labels, points are coloured by label when
there are at most 20 distinct ones (clusters), and otherwise each point is
written beside its dot (words).

  --perplexity P   effective number of neighbours (default 30; needs N > P + 1)
  --theta T        Barnes-Hut accuracy (default 0.5; smaller is slower, more exact)
  --iter N         gradient-descent iterations (default 1000)
  --exact          exact O(N²) gradient (default: exact up to 500 points)
  --seed S         seed of the PCA start (default 42)
  --threads N      worker threads (default: all cores; results do not depend on it)
  --coords FILE    also write the 2-D coordinates as TSV (label first if any)

Prints KL(P||Q) every 50 iterations to stderr and finally one JSON line:
  {\"name\":\"tsne\",\"n\":..,\"dim\":..,\"method\":..,\"threads\":..,\"seconds\":..,\"kl\":..,\"trustworthiness\":..}
seconds is the t-SNE time (affinities and optimisation); trustworthiness uses
k = 10 neighbours (fewer for tiny inputs).";

/// Points read from a TSV file: (N, D) numbers and, with labels, one name per point.
#[derive(Clone, Debug, PartialEq)]
pub struct Points {
    /// The numbers, one point per row.
    pub x: Matrix<f64>,
    /// The first column, if the file has labels.
    pub labels: Option<Vec<String>>,
}

/// Parses a TSV of points (see `seqmodels tsne --help`). `name` is used in
/// errors, which give the line (and column) and say what was expected.
pub fn parse_points(text: &str, name: &str, labels: bool) -> Result<Points> {
    let mut values: Vec<f64> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut dim: Option<(usize, usize)> = None; // (numbers per line, first line)
    for (ln, raw) in text.lines().enumerate() {
        let line_no = ln + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |msg: String| err!("{name}: line {line_no}: {msg}");
        let mut fields = line.split('\t');
        if labels {
            // split always yields at least one field.
            let label = fields.next().unwrap_or("");
            names.push(label.to_string());
        }
        let mut count = 0;
        for (c, f) in fields.enumerate() {
            let col = c + 1 + labels as usize;
            let v: f64 = f.trim().parse().map_err(|_| {
                let hint = if !labels && c == 0 {
                    " (if the first column holds names, pass --labels)"
                } else {
                    ""
                };
                at(format!("column {col}: {f:?} is not a number{hint}"))
            })?;
            if !v.is_finite() {
                return Err(at(format!("column {col}: {f:?} is not a finite number")));
            }
            values.push(v);
            count += 1;
        }
        match dim {
            None if count == 0 => return Err(at("expected at least one number".to_string())),
            None => dim = Some((count, line_no)),
            Some((d, first)) if d != count => {
                return Err(at(format!(
                    "{count} numbers, but line {first} has {d} (every point needs the same number)"
                )))
            }
            Some(_) => {}
        }
    }
    let d = match dim {
        Some((d, _)) => d,
        None => return Err(err!("{name}: no points (the file is empty)")),
    };
    let n = values.len() / d;
    Ok(Points {
        x: Matrix::from_vec(n, d, values),
        labels: if labels { Some(names) } else { None },
    })
}

/// Reads and parses a points file; errors name the file.
pub fn read_points(path: &str, labels: bool) -> Result<Points> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_points(&text, path, labels)
}

/// Largest number of distinct labels drawn as coloured groups with a legend.
const MAX_GROUPS: usize = 20;

/// `seqmodels tsne …`
pub fn run(argv: Vec<String>) -> std::result::Result<(), CliError> {
    let mut a = Args::new("tsne", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let input: String = a.required("--input")?;
    let labels = a.flag("--labels");
    let flags = TsneFlags::parse(&mut a, "tsne")?;
    a.finish()?;
    let points = read_points(&input, labels)?;
    map_points(&points, &input, &flags)
}

/// The t-SNE and output flags shared by `seqmodels tsne` and `seqmodels embed tsne`.
pub struct TsneFlags {
    /// The t-SNE settings.
    pub config: TsneConfig,
    /// Where the SVG goes.
    pub out: String,
    /// Where the 2-D coordinates go, if anywhere.
    pub coords: Option<String>,
}

impl TsneFlags {
    /// Reads --perplexity, --theta, --iter, --exact, --method, --seed,
    /// --threads, --out and --coords; sets the thread count.
    pub fn parse(a: &mut Args, cmd: &str) -> std::result::Result<TsneFlags, CliError> {
        let defaults = TsneConfig::default();
        let perplexity: f64 = a.value_or("--perplexity", defaults.perplexity)?;
        let theta: f64 = a.value_or("--theta", defaults.theta)?;
        let iterations: usize = a.value_or("--iter", defaults.iterations)?;
        let exact = a.flag("--exact");
        let method = a.choice("--method", &["auto", "exact", "barnes-hut"], "auto")?;
        let seed: u64 = a.value_or("--seed", defaults.seed)?;
        let threads = a.threads()?.unwrap_or_else(pool::threads);
        let out: String = a.required("--out")?;
        let coords: Option<String> = a.value("--coords")?;
        if iterations > 1_000_000 {
            return Err(cli_err!("{cmd}: --iter {iterations} is more than 1000000"));
        }
        let method = match (exact, method.as_str()) {
            (true, "auto" | "exact") => Method::Exact,
            (true, _) => return Err(cli_err!("{cmd}: --exact contradicts --method {method}")),
            (false, "exact") => Method::Exact,
            (false, "barnes-hut") => Method::BarnesHut,
            _ => Method::Auto,
        };
        pool::set_threads(threads);
        let config = TsneConfig {
            perplexity,
            theta,
            iterations,
            seed,
            method,
            threads,
            ..TsneConfig::default()
        };
        Ok(TsneFlags {
            config,
            out,
            coords,
        })
    }
}

/// Maps `points` to 2-D, prints KL every 50 iterations to stderr and the
/// final JSON line, and writes the plot (and the coordinates). `input` names
/// the data in errors and in the plot's title.
pub fn map_points(
    points: &Points,
    input: &str,
    flags: &TsneFlags,
) -> std::result::Result<(), CliError> {
    let config = &flags.config;
    let (n, dim) = points.x.shape();
    config.validate(n).map_err(|e| e.context(input))?;
    let start = Instant::now();
    let map = tsne_with_progress(&points.x, config, &mut |p| {
        eprintln!(
            "iteration {:>5}: KL {:.6}{}",
            p.iteration,
            p.kl,
            if p.exaggerating {
                " (exaggeration on)"
            } else {
                ""
            }
        );
    })
    .map_err(|e| e.context(input))?;
    let seconds = start.elapsed().as_secs_f64();
    let k = 10.min((n - 1) / 2).max(1);
    let trust = trustworthiness(&points.x, &map.y, k)?;

    write_plot(points, &map.y, input, config, &flags.out)?;
    if let Some(path) = &flags.coords {
        write_coords(points, &map.y, path)?;
    }
    let line = object(vec![
        ("name", Json::str("tsne")),
        ("n", Json::int(n as i64)),
        ("dim", Json::int(dim as i64)),
        ("method", Json::str(map.method.name())),
        ("threads", Json::int(config.threads as i64)),
        ("perplexity", Json::num(config.perplexity)),
        ("iterations", Json::int(config.iterations as i64)),
        ("theta", Json::num(config.theta)),
        ("seconds", Json::num((seconds * 1e4).round() / 1e4)),
        ("kl", Json::num(map.kl)),
        ("trustworthiness", Json::num(trust)),
    ]);
    println!("{}", line.to_json());
    Ok(())
}

fn write_plot(
    points: &Points,
    y: &Matrix<f64>,
    input: &str,
    config: &TsneConfig,
    out: &str,
) -> Result<()> {
    let n = y.rows();
    let file_name = std::path::Path::new(input)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| input.to_string());
    let title = format!(
        "t-SNE of {file_name} ({n} points, perplexity {})",
        config.perplexity
    );
    let mut plot = Scatter::new(&title).axis_titles("t-SNE 1", "t-SNE 2");
    // Labels that repeat (clusters) become coloured groups; many distinct
    // labels (words) are written beside their points.
    let distinct = points.labels.as_ref().map_or(0, |l| {
        let mut v: Vec<&String> = l.iter().collect();
        v.sort();
        v.dedup();
        v.len()
    });
    for i in 0..n {
        let label = points.labels.as_ref().map(|l| l[i].as_str());
        match label {
            Some(l) if distinct <= MAX_GROUPS => plot.add(y[(i, 0)], y[(i, 1)], Some(l), None),
            Some(l) => plot.add(y[(i, 0)], y[(i, 1)], None, Some(l)),
            None => plot.add(y[(i, 0)], y[(i, 1)], None, None),
        }
    }
    plot.save(out)
}

fn write_coords(points: &Points, y: &Matrix<f64>, path: &str) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = std::io::BufWriter::new(file);
    for i in 0..y.rows() {
        let line = match &points.labels {
            Some(l) => format!("{}\t{}\t{}\n", l[i], y[(i, 0)], y[(i, 1)]),
            None => format!("{}\t{}\n", y[(i, 0)], y[(i, 1)]),
        };
        w.write_all(line.as_bytes())
            .map_err(|e| Error::io(path, e))?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}
