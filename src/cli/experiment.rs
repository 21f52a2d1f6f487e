//! `seqmodels experiment vanishing|exploding`: the seed's topic 8 as
//! pictures. `vanishing` plots how much of the loss's gradient reaches each
//! earlier state of an RNN, a GRU and an LSTM; `exploding` trains a tanh RNN
//! with large recurrent weights with and without clipping. The experiments
//! themselves are `crate::experiments`.

use super::args::{Args, CliError};
use crate::cli_err;
use crate::experiments::{
    describe_cell, exploding, vanishing, ExplodingConfig, VanishingConfig, RATIO_DISTANCES,
};
use crate::linalg::pool;
use crate::plot::save_chart_grid;
use crate::rnn::CellKind;
use crate::tasks::train::DEFAULT_SEED;

const HELP: &str = "\
seqmodels experiment vanishing --out grad.svg [--seed S] [--steps N] [--probes B]
                               [--cells rnn,gru,lstm] [--threads N]
seqmodels experiment exploding --out explode.svg [--seed S] [--steps N] [--radius R]
                               [--lr X] [--clip-value X] [--clip-norm X] [--cell C]
                               [--threads N]

vanishing  For sentences of the long-range agreement task (\"the cat , which …
           , [was]\") with 30-word clauses (T = 35 tokens), measures the mean
           ‖∂L/∂a⟨T−d⟩‖ at every distance d from the loss, for each cell at
           initialisation and after training on the task; prints the ratios
           ‖∂L/∂a⟨T−d⟩‖ / ‖∂L/∂a⟨T⟩‖ at d = 1, 10, 30 and plots them against d
           (log axis; one panel before training, one after).
  --steps N      training steps per cell (default 500, the task's recipe)
  --probes B     sentences the norms are averaged over (default 64)
  --cells LIST   comma-separated cells (default rnn,gru,lstm; also rnn-relu,
                 gru-course)

exploding  Trains a vanilla RNN (g = ReLU) with plain SGD on the agreement task
           with clauses of 3 to 5 words, its recurrent weights W_aa scaled to
           spectral radius R, three times from the same start: no clipping,
           clipping by value, clipping by global norm. Plots the gradient norm
           (before clipping) and the loss per step, and reports where the
           unclipped run diverges (a NaN or infinite loss, gradient or
           weight, or a loss above 1e6 nats).
  --steps N        training steps (default 300)
  --radius R       spectral radius of W_aa at the start (default 3)
  --lr X           SGD learning rate (default 0.1)
  --clip-value X   clip each gradient element to [−X, X] (default 1)
  --clip-norm X    rescale the gradient to global norm ≤ X (default 5)
  --cell C         rnn-relu (default) or rnn (tanh: its activations stay in
                   [−1, 1], and at the defaults its gradient stays small)

both
  --out FILE     the SVG to write (required)
  --seed S       seeds the data, the weights and the minibatches (default 1);
                 the same seed gives the same figures and the same file
  --threads N    worker threads (default: all cores; results do not depend on it)";

/// The most training steps `--steps` accepts.
const MAX_STEPS: usize = 1_000_000;
/// The most probe sentences `--probes` accepts.
const MAX_PROBES: usize = 100_000;

/// `seqmodels experiment …`
pub fn run(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("experiment", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let out: Option<String> = a.value("--out")?;
    let seed: u64 = a.value_or("--seed", DEFAULT_SEED)?;
    let steps: Option<usize> = a.value("--steps")?;
    let threads = a.threads()?;
    // Flags of one experiment only; rejected for the other below.
    let probes: Option<usize> = a.value("--probes")?;
    let cells: Option<String> = a.value("--cells")?;
    let radius: Option<f64> = a.value("--radius")?;
    let lr: Option<f64> = a.value("--lr")?;
    let clip_value: Option<f64> = a.value("--clip-value")?;
    let clip_norm: Option<f64> = a.value("--clip-norm")?;
    let cell: Option<String> = a.value("--cell")?;
    let names = a.positional();
    a.finish()?;
    let which = match names.as_slice() {
        [n] => n.as_str(),
        [] => {
            return Err(cli_err!(
                "experiment: say which experiment to run: vanishing or exploding\n\n{HELP}"
            ))
        }
        more => {
            return Err(cli_err!(
                "experiment: one experiment at a time, got {}",
                more.join(" ")
            ))
        }
    };
    let out = out.ok_or_else(|| {
        cli_err!("experiment: --out FILE.svg is required (see `seqmodels experiment --help`)")
    })?;
    // Fail before the work, not after it.
    if let Some(dir) = std::path::Path::new(&out)
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
    {
        return Err(cli_err!(
            "experiment: --out {out}: the folder {} does not exist",
            dir.display()
        ));
    }
    if let Some(s) = steps {
        if !(1..=MAX_STEPS).contains(&s) {
            return Err(cli_err!(
                "experiment: --steps must be between 1 and {MAX_STEPS}, got {s}"
            ));
        }
    }
    if let Some(n) = threads {
        pool::set_threads(n);
    }
    let only = |flag: &str, given: bool, exp: &str| {
        if given {
            Err(cli_err!(
                "experiment: {flag} belongs to `experiment {exp}`, not `experiment {which}`"
            ))
        } else {
            Ok(())
        }
    };
    match which {
        "vanishing" => {
            for (flag, given) in [
                ("--radius", radius.is_some()),
                ("--lr", lr.is_some()),
                ("--clip-value", clip_value.is_some()),
                ("--clip-norm", clip_norm.is_some()),
                ("--cell", cell.is_some()),
            ] {
                only(flag, given, "exploding")?;
            }
            let mut cfg = VanishingConfig::new(seed);
            if let Some(s) = steps {
                cfg.steps = s;
            }
            if let Some(p) = probes {
                if !(1..=MAX_PROBES).contains(&p) {
                    return Err(cli_err!(
                        "experiment: --probes must be between 1 and {MAX_PROBES}, got {p}"
                    ));
                }
                cfg.probes = p;
            }
            if let Some(list) = cells {
                cfg.cells = parse_cells(&list)?;
            }
            run_vanishing(&cfg, &out)
        }
        "exploding" => {
            only("--probes", probes.is_some(), "vanishing")?;
            only("--cells", cells.is_some(), "vanishing")?;
            let mut cfg = ExplodingConfig::new(seed);
            if let Some(s) = steps {
                cfg.steps = s;
            }
            if let Some(name) = cell {
                cfg.cell = match name.as_str() {
                    "rnn" | "rnn-relu" => CellKind::parse(&name)?,
                    other => {
                        return Err(cli_err!(
                            "experiment: --cell {other:?}: expected rnn or rnn-relu (the \
                             experiment trains a vanilla RNN)"
                        ))
                    }
                };
            }
            for (flag, value, slot) in [
                ("--radius", radius, &mut cfg.radius),
                ("--lr", lr, &mut cfg.lr),
                ("--clip-value", clip_value, &mut cfg.clip_value),
                ("--clip-norm", clip_norm, &mut cfg.clip_norm),
            ] {
                if let Some(x) = value {
                    if !(x.is_finite() && x > 0.0 && x <= 1e6) {
                        return Err(cli_err!(
                            "experiment: {flag} must be a positive number up to 1e6, got {x}"
                        ));
                    }
                    *slot = x;
                }
            }
            run_exploding(&cfg, &out)
        }
        other => Err(cli_err!(
            "experiment: unknown experiment {other:?}: expected vanishing or exploding"
        )),
    }
}

/// Parses `--cells rnn,gru,lstm` (no repeats, at least one).
fn parse_cells(list: &str) -> Result<Vec<CellKind>, CliError> {
    let mut cells = Vec::new();
    for name in list.split(',').map(str::trim) {
        let c = CellKind::parse(name).map_err(|e| cli_err!("experiment: --cells: {e}"))?;
        if cells.contains(&c) {
            return Err(cli_err!("experiment: --cells: {name} is listed twice"));
        }
        cells.push(c);
    }
    Ok(cells)
}

fn run_vanishing(cfg: &VanishingConfig, out: &str) -> Result<(), CliError> {
    let names: Vec<&str> = cfg.cells.iter().map(|c| c.name()).collect();
    eprintln!(
        "training {} on the agreement task ({} steps each, seed {}) …",
        names.join(", "),
        cfg.steps,
        cfg.seed
    );
    let r = vanishing(cfg, &mut |_, _, _| {})?;
    let ds: Vec<String> = RATIO_DISTANCES.iter().map(|d| d.to_string()).collect();
    println!(
        "vanishing gradients: mean over {} sentences of T = {} tokens (the subject at \
         d = {}); ratios at d = {}",
        cfg.probes,
        r.steps,
        r.subject_distance,
        ds.join(", ")
    );
    print!("{}", r.table());
    save_chart_grid(&r.charts(), 2, out)?;
    println!("wrote {out}");
    Ok(())
}

fn run_exploding(cfg: &ExplodingConfig, out: &str) -> Result<(), CliError> {
    let r = exploding(cfg)?;
    println!(
        "exploding gradients: {}, H = {}, SGD lr {}, {} steps of {} sentences with clauses \
         of at most {} words, seed {}",
        describe_cell(cfg.cell),
        cfg.hidden,
        cfg.lr,
        cfg.steps,
        cfg.batch,
        cfg.max_clause,
        cfg.seed
    );
    print!("{}", r.table());
    save_chart_grid(&r.charts(), 1, out)?;
    println!("wrote {out}");
    Ok(())
}
