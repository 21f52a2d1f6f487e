//! `seqmodels train`: trains a character- or word-level language model on a
//! text file and saves safetensors checkpoints; also the main job that
//! `cargo run --release` runs with no arguments (an LSTM on the bundled
//! names).
//!
//! Where it sits in the seed: the language-model section (tokenize, add
//! `<EOS>`, softmax over the vocabulary with the true previous token fed in),
//! sampling novel sequences, and exploding gradients handled by clipping.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::args::{Args, CliError};
use super::progress::{Ema, Progress};
use crate::cli_err;
use crate::io::json::{object, Json};
use crate::linalg::pool;
use crate::lm::{Checkpoint, Clip, EvalReport, LanguageModel, LmConfig, SampleOptions, Trainer};
use crate::models::{Parameters, Sampling};
use crate::optim::OptimKind;
use crate::plot::LineChart;
use crate::rng::Rng;
use crate::rnn::CellKind;
use crate::text::corpus::read_text;
use crate::text::{Level, Mode, TextConfig};

const HELP: &str = "\
seqmodels train --data FILE [--level char|word] [--mode lines|stream] [--lower]
                [--min-count N] [--cell rnn|rnn-relu|gru|gru-course|lstm]
                [--hidden H] [--layers L] [--embed-dim E] [--dropout P]
                [--seq T] [--batch B]
                [--steps S] [--optim sgd|momentum|adagrad|rmsprop|adam] [--lr X]
                [--momentum M] [--clip-norm X | --clip-value X | --no-clip]
                [--seed S] [--holdout F] [--out CKPT] [--resume CKPT]
                [--sample-every N] [--samples K] [--save-every N] [--threads N]
                [--json] [--plot loss.svg]

Trains a language model: embedding (or one-hot) → stacked RNN/GRU/LSTM →
linear → softmax, with the true previous token fed in, on FILE (UTF-8 text).

data
  --data FILE       training text (with --resume, defaults to the file the
                    checkpoint was trained on)
  --level L         char (one token per character, default) or word (words,
                    punctuation split off, <EOS> after . ! ? and line ends)
  --mode M          lines (default): one sequence per line, ended by <EOS>,
                    padded and masked in batches (names, sentences);
                    stream: one continuous text, B parallel streams read in
                    chunks of T with the state carried (truncated BPTT)
  --lower           lower-case the text first
  --min-count N     tokens seen fewer than N times become <UNK> (default 1)
  --holdout F       fraction held out for evaluation, drawn from the seed
                    (default 0.1; lines: random lines, stream: one block)
model
  --cell C          lstm (default), gru (PyTorch form), gru-course, rnn, rnn-relu
  --hidden H        hidden units per layer (default 128)
  --layers L        stacked layers (default 1)
  --embed-dim E     embedding width; 0 = one-hot inputs (default 32)
  --dropout P       in training, drop each unit with probability P (scaling
                    the rest by 1/(1−P)) on embedded inputs, between
                    recurrent layers and before the output layer; 0 = none
                    (default 0; evaluation and sampling never drop)
training
  --seq T           chunk length for streams; longest line for lines, longer
                    ones are cut (default 64)
  --batch B         streams, or lines per batch (default 32)
  --steps S         optimisation steps to take (more steps when resuming; default 1000)
  --optim O         adam (default), sgd, momentum (SGD, μ = 0.9), adagrad, rmsprop
  --lr X            learning rate (default 0.002)
  --momentum M      momentum μ for --optim sgd|momentum
  --clip-norm X     rescale gradients to global L2 norm ≤ X (default 5)
  --clip-value X    clip every gradient element to [−X, X] (the course's clip)
  --no-clip         no clipping
  --seed S          seeds the weights, the split and the batch order (default 42)
output
  --out CKPT        checkpoint path (default runs/<data file name>.safetensors;
                    with --resume, the resumed file)
  --resume CKPT     continue a run: model, optimizer, data position and
                    settings come from CKPT; N steps then N more give the same
                    bits as 2N steps
  --save-every N    also save every N steps (default 1000; 0 = only at the end)
  --sample-every N  print samples every N steps (default 0 = only at the end)
  --samples K       samples printed each time (default 8 lines, or 1 stream sample)
  --threads N       worker threads (default: all cores; results do not depend on it)
  --json            end with one JSON line of figures (steps/s, loss, held-out)
  --plot FILE       write the loss curves as an SVG line chart: the training
                    loss per step, smoothed as on the progress bar, and the
                    held-out loss at the start, every ⌈S/20⌉ steps and at
                    the end (also written, up to there, if training diverges)

The progress bar (stderr) shows the step, the smoothed loss, tokens/s and the
time left. A NaN or infinite loss stops training with an error naming the
step; the last checkpoint saved stays as it was.";

/// Flags that fix the model or the run, which a resumed run takes from its
/// checkpoint instead.
const CONFIG_FLAGS: [&str; 19] = [
    "--level",
    "--mode",
    "--lower",
    "--min-count",
    "--cell",
    "--hidden",
    "--layers",
    "--embed-dim",
    "--dropout",
    "--seq",
    "--batch",
    "--optim",
    "--lr",
    "--momentum",
    "--clip-norm",
    "--clip-value",
    "--no-clip",
    "--seed",
    "--holdout",
];

/// What `seqmodels train` was asked to do.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// The training text (optional when resuming).
    pub data: Option<String>,
    /// The settings of a new run (ignored when resuming).
    pub config: LmConfig,
    /// A checkpoint to continue.
    pub resume: Option<String>,
    /// Steps to take.
    pub steps: u64,
    /// Where to save.
    pub out: Option<String>,
    /// Save every this many steps (0 = only at the end).
    pub save_every: u64,
    /// Print samples every this many steps (0 = only at the end).
    pub sample_every: u64,
    /// Samples per print.
    pub samples: Option<usize>,
    /// End with a JSON line.
    pub json: bool,
    /// Write the loss curves to this SVG file.
    pub plot: Option<String>,
}

/// `seqmodels train …`
pub fn run(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("train", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let opts = parse(&mut a)?;
    a.finish()?;
    train(&opts, None)
}

/// Parses the flags of `seqmodels train`.
pub fn parse(a: &mut Args) -> Result<TrainOptions, CliError> {
    let resume: Option<String> = a.value("--resume")?;
    if resume.is_some() {
        // The checkpoint fixes these; a different value would silently lose.
        for flag in CONFIG_FLAGS {
            if a.flag(flag) || a.raw(flag)?.is_some() {
                return Err(cli_err!(
                    "train: {flag} cannot be given with --resume: the run's settings come \
                     from the checkpoint"
                ));
            }
        }
    }
    let flag_err = |flag: &str, e: crate::Error| cli_err!("train: {flag}: {e}");
    let level = match a.raw("--level")? {
        Some(s) => Level::parse(&s).map_err(|e| flag_err("--level", e))?,
        None => Level::Char,
    };
    let mode = match a.raw("--mode")? {
        Some(s) => Mode::parse(&s).map_err(|e| flag_err("--mode", e))?,
        None => Mode::Lines,
    };
    let lower = a.flag("--lower");
    let min_count: usize = a.value_or("--min-count", 1)?;
    let cell = match a.raw("--cell")? {
        Some(s) => CellKind::parse(&s).map_err(|e| flag_err("--cell", e))?,
        None => CellKind::Lstm,
    };
    let mut optim = match a.raw("--optim")? {
        Some(s) => OptimKind::parse(&s).map_err(|e| flag_err("--optim", e))?,
        None => OptimKind::parse("adam").expect("adam is an optimizer"),
    };
    if let Some(m) = a.value::<f64>("--momentum")? {
        match &mut optim {
            OptimKind::Sgd { momentum } => *momentum = m,
            _ => return Err(cli_err!("train: --momentum needs --optim sgd or momentum")),
        }
    }
    let clip_norm: Option<f64> = a.value("--clip-norm")?;
    let clip_value: Option<f64> = a.value("--clip-value")?;
    let no_clip = a.flag("--no-clip");
    let clip = match (clip_norm, clip_value, no_clip) {
        (None, None, false) => Clip::Norm(5.0),
        (Some(x), None, false) => Clip::Norm(x),
        (None, Some(x), false) => Clip::Value(x),
        (None, None, true) => Clip::None,
        _ => {
            return Err(cli_err!(
                "train: give at most one of --clip-norm, --clip-value and --no-clip"
            ))
        }
    };
    let config = LmConfig {
        text: TextConfig {
            level,
            mode,
            lower,
            min_count,
        },
        cell,
        hidden: a.value_or("--hidden", 128)?,
        layers: a.value_or("--layers", 1)?,
        embed_dim: a.value_or("--embed-dim", 32)?,
        vocab_size: 0,
        seq: a.value_or("--seq", 64)?,
        batch: a.value_or("--batch", 32)?,
        optim,
        lr: a.value_or("--lr", 0.002)?,
        clip,
        seed: a.value_or("--seed", 42)?,
        holdout: a.value_or("--holdout", 0.1)?,
        dropout: a.value_or("--dropout", 0.0)?,
    };
    config
        .validate()
        .map_err(|e| cli_err!("train: {e} (see `seqmodels train --help`)"))?;
    if let Some(n) = a.threads()? {
        pool::set_threads(n);
    }
    let opts = TrainOptions {
        data: a.value("--data")?,
        config,
        resume,
        steps: a.value_or("--steps", 1000)?,
        out: a.value("--out")?,
        save_every: a.value_or("--save-every", 1000)?,
        sample_every: a.value_or("--sample-every", 0)?,
        samples: a.value("--samples")?,
        json: a.flag("--json"),
        plot: a.value("--plot")?,
    };
    if let Some(p) = &opts.plot {
        check_output_folder(p, "--plot")?;
    }
    if opts.data.is_none() && opts.resume.is_none() {
        return Err(cli_err!(
            "train: --data FILE is required (see `seqmodels train --help`)"
        ));
    }
    Ok(opts)
}

/// Fails early, before any training, if `path`'s folder does not exist.
fn check_output_folder(path: &str, flag: &str) -> Result<(), CliError> {
    let dir = std::path::Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty());
    match dir {
        Some(d) if !d.is_dir() => Err(cli_err!(
            "train: {flag} {path}: the folder {} does not exist",
            d.display()
        )),
        _ => Ok(()),
    }
}

/// The loss curves `--plot` draws: (step, loss) points.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LossCurves {
    /// The training loss after each step, smoothed as on the progress bar.
    pub train: Vec<(f64, f64)>,
    /// The held-out loss at the evaluation points.
    pub heldout: Vec<(f64, f64)>,
}

impl LossCurves {
    /// The chart: both curves over steps, loss in nats per token.
    pub fn chart(&self, title: &str) -> LineChart {
        let mut c = LineChart::new(title).axis_titles("step", "cross-entropy (nats/token)");
        c.add_series("training loss (smoothed)", &self.train);
        c.add_series("held-out loss", &self.heldout);
        c
    }
}

/// Steps between two held-out evaluations for `--plot`: 20 evenly spaced
/// points over a run of `steps`.
fn plot_eval_interval(steps: u64) -> u64 {
    steps.div_ceil(20).max(1)
}

/// The default checkpoint path for a data file: `runs/<file name>.safetensors`.
pub fn default_out(data: &str) -> String {
    let stem = std::path::Path::new(data)
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("model");
    format!("runs/{stem}.safetensors")
}

/// Trains as `opts` says. `main_job` changes only the closing hint (the
/// command to sample more is then spelled for `cargo run`).
pub fn train(opts: &TrainOptions, main_job: Option<&str>) -> Result<(), CliError> {
    let mut trainer = match &opts.resume {
        Some(ckpt_path) => {
            let ckpt = Checkpoint::read(ckpt_path)?;
            let data = match (&opts.data, &ckpt.train) {
                (Some(d), _) => d.clone(),
                (None, Some(t)) => t.state.data_source.clone(),
                (None, None) => {
                    return Err(cli_err!(
                        "train: {ckpt_path} has no training state; it cannot be resumed"
                    ))
                }
            };
            let text = read_text(&data)?;
            Trainer::resume(ckpt, ckpt_path, &text, &data)?
        }
        None => {
            let data = opts.data.as_deref().expect("parse requires --data");
            let text = read_text(data)?;
            Trainer::new(opts.config.clone(), &text, data)?
        }
    };
    let out = match (&opts.out, &opts.resume) {
        (Some(o), _) => o.clone(),
        (None, Some(r)) => r.clone(),
        (None, None) => default_out(&trainer.state.data_source),
    };
    print_header(&trainer, opts.resume.as_deref());

    let known = trainer.training_lines();
    let first = trainer.state.step;
    let mut progress = Progress::new("train", opts.steps);
    let mut ema = Ema::new(0.98);
    let tail_len = opts.steps.div_ceil(10).max(1) as usize;
    let mut tail: std::collections::VecDeque<f64> = std::collections::VecDeque::new();
    let mut busy = Duration::ZERO;
    let mut tokens = 0u64;
    let mut last_saved: Option<u64> = opts.resume.as_ref().map(|_| first);
    let mut curves = LossCurves::default();
    let eval_every = plot_eval_interval(opts.steps);
    if opts.plot.is_some() {
        if let Some(r) = trainer.evaluate_heldout() {
            curves.heldout.push((first as f64, r.loss));
        }
    }
    for i in 1..=opts.steps {
        let t0 = Instant::now();
        let info = match trainer.step() {
            Ok(info) => info,
            Err(e) => {
                progress.suspend();
                let kept = match last_saved {
                    Some(s) => format!("the last good checkpoint, {out} (step {s}), is kept"),
                    None => "no checkpoint was saved".to_string(),
                };
                let plotted = match &opts.plot {
                    Some(p) => match plot_curves(&curves, &trainer, p) {
                        Ok(()) => format!("; the loss curves so far are in {p}"),
                        Err(pe) => format!("; {pe}"),
                    },
                    None => String::new(),
                };
                return Err(cli_err!("train: {e}; {kept}{plotted}"));
            }
        };
        busy += t0.elapsed();
        tokens += info.tokens as u64;
        if tail.len() == tail_len {
            tail.pop_front();
        }
        tail.push_back(info.loss);
        let smooth = ema.push(info.loss);
        if opts.plot.is_some() {
            curves.train.push((info.step as f64, smooth));
            if i % eval_every == 0 && i < opts.steps {
                if let Some(r) = trainer.evaluate_heldout() {
                    curves.heldout.push((info.step as f64, r.loss));
                }
            }
        }
        let rate = tokens as f64 / busy.as_secs_f64().max(1e-9);
        progress.update(i, &[("loss", smooth), ("tok/s", rate)]);
        if opts.save_every > 0 && info.step % opts.save_every == 0 && i < opts.steps {
            trainer.save(&out)?;
            last_saved = Some(info.step);
        }
        if opts.sample_every > 0 && info.step % opts.sample_every == 0 && i < opts.steps {
            progress.suspend();
            print_progress_samples(&trainer, &known, smooth, opts.samples);
        }
    }
    let smooth = ema.value();
    progress.finish(&[("loss", smooth)]);
    trainer.save(&out)?;
    let secs = busy.as_secs_f64();
    println!(
        "\ntrained {} steps in {:.1} s ({:.1} steps/s, {:.0} tokens/s); saved {out} (step {})",
        opts.steps,
        secs,
        opts.steps as f64 / secs.max(1e-9),
        tokens as f64 / secs.max(1e-9),
        trainer.state.step
    );
    let held = trainer.evaluate_heldout();
    match &held {
        Some(r) => println!(
            "held-out: {}",
            describe_eval(r, trainer.lm.config.text.mode)
        ),
        None => println!("held-out: none (--holdout 0)"),
    }
    if let Some(p) = &opts.plot {
        if let Some(r) = &held {
            curves.heldout.push((trainer.state.step as f64, r.loss));
        }
        plot_curves(&curves, &trainer, p)?;
        println!("loss curves: {p}");
    }
    print_final_samples(&trainer, &known, opts.samples);
    let command = match main_job {
        Some(prefix) => format!("{prefix} sample --checkpoint {out} -n 20"),
        None => format!("seqmodels sample --checkpoint {out} -n 20"),
    };
    println!("\nsample more: {command}");
    if opts.json {
        let tail_mean = tail.iter().sum::<f64>() / tail.len().max(1) as f64;
        let c = &trainer.lm.config;
        let j = object(vec![
            ("name", Json::str("train")),
            ("cell", Json::str(c.cell.name())),
            ("hidden", Json::int(c.hidden as i64)),
            ("seq", Json::int(c.seq as i64)),
            ("batch", Json::int(c.batch as i64)),
            ("vocab", Json::int(c.vocab_size as i64)),
            ("threads", Json::int(pool::threads() as i64)),
            ("steps", Json::int(opts.steps as i64)),
            ("seconds", Json::num(secs)),
            ("steps_per_s", Json::num(opts.steps as f64 / secs.max(1e-9))),
            ("tokens_per_s", Json::num(tokens as f64 / secs.max(1e-9))),
            ("loss_tail", Json::num(tail_mean)),
            (
                "heldout_loss",
                held.map_or(Json::Null, |r| Json::num(r.loss)),
            ),
            (
                "bits_per_char",
                held.and_then(|r| r.bits_per_char)
                    .map_or(Json::Null, Json::num),
            ),
        ]);
        println!("{}", j.to_json());
    }
    Ok(())
}

/// Writes the `--plot` chart, titled with the data file and the cell.
fn plot_curves(curves: &LossCurves, t: &Trainer, path: &str) -> Result<(), CliError> {
    let c = &t.lm.config;
    let name = std::path::Path::new(&t.state.data_source)
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("data");
    let title = format!(
        "{} {} × {} on {name}: loss per step",
        c.cell.name(),
        c.layers,
        c.hidden
    );
    curves.chart(&title).save(path)?;
    Ok(())
}

/// Prints what is being trained.
fn print_header(t: &Trainer, resumed: Option<&str>) {
    let c = &t.lm.config;
    let lines = match c.text.mode {
        Mode::Lines => format!(
            "{} training lines, {} held out",
            t.training_lines_count(),
            t.heldout.len()
        ),
        Mode::Stream => format!(
            "{} training tokens in {} streams, {} held out",
            t.train_tokens(),
            c.batch,
            t.heldout.iter().map(|s| s.len()).sum::<usize>()
        ),
    };
    println!(
        "data: {} ({} level, {}; {} tokens in the vocabulary); {lines}",
        t.state.data_source,
        c.text.level.name(),
        c.text.mode.name(),
        c.vocab_size,
    );
    let input = if c.embed_dim == 0 {
        "one-hot inputs".to_string()
    } else {
        format!("embedding {}", c.embed_dim)
    };
    let clip = match c.clip {
        Clip::None => "no clipping".to_string(),
        Clip::Norm(x) => format!("clip-norm {x}"),
        Clip::Value(x) => format!("clip-value {x}"),
    };
    let dropout = if c.dropout > 0.0 {
        format!(", dropout {}", c.dropout)
    } else {
        String::new()
    };
    println!(
        "model: {input} → {} × {} {} → linear → softmax over {} ({} parameters); {} lr {}, {clip}{dropout}, batch {}, seq {}",
        c.layers,
        c.cell.name(),
        c.hidden,
        c.vocab_size,
        t.lm.net.num_values(),
        c.optim.name(),
        c.lr,
        c.batch,
        c.seq
    );
    if let Some(r) = resumed {
        println!(
            "resumed from {r} at step {} (epoch {}, batch {} of {})",
            t.state.step,
            t.state.epoch,
            t.state.cursor,
            t.batches_per_epoch()
        );
    }
}

/// One line of held-out figures.
pub fn describe_eval(r: &EvalReport, mode: Mode) -> String {
    let unit = match mode {
        Mode::Lines => "tokens, line ends included",
        Mode::Stream => "tokens",
    };
    let mut s = format!(
        "loss {:.4} nats/token, perplexity {:.3}",
        r.loss, r.perplexity
    );
    if let Some(b) = r.bits_per_char {
        s.push_str(&format!(", {b:.4} bits/char"));
    }
    s.push_str(&format!(" ({} {unit})", r.tokens));
    s
}

/// A sampling rng for samples shown at `step`: independent of training
/// (which draws nothing at random after initialisation).
fn sample_rng(seed: u64, step: u64) -> Rng {
    Rng::new(seed ^ step.wrapping_add(1).wrapping_mul(0xD1B5_4A32_D192_ED03))
}

fn sample_options(lm: &LanguageModel) -> SampleOptions {
    let line_data = lm.config.text.mode == Mode::Lines;
    SampleOptions {
        sampling: Sampling::Sample {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
        },
        max_len: if line_data { lm.config.seq.max(8) } else { 300 },
        prime: String::new(),
    }
}

/// Samples printed while training: names on one line, new ones marked `*`.
fn print_progress_samples(t: &Trainer, known: &HashSet<String>, loss: f64, k: Option<usize>) {
    let lm = &t.lm;
    let held = t
        .evaluate_heldout()
        .map(|r| match r.bits_per_char {
            Some(b) => format!("  held-out {b:.3} bits/char"),
            None => format!("  held-out loss {:.3}", r.loss),
        })
        .unwrap_or_default();
    println!("step {}  loss {loss:.4}{held}", t.state.step);
    let mut rng = sample_rng(lm.config.seed, t.state.step);
    let opts = sample_options(lm);
    if lm.config.text.mode == Mode::Lines {
        let mut words = Vec::new();
        for _ in 0..k.unwrap_or(8) {
            if let Ok((_, text)) = lm.sample(&opts, &mut rng) {
                let mark = if known.contains(&text) { "" } else { "*" };
                words.push(format!("{text}{mark}"));
            }
        }
        println!("  {}", words.join("  "));
    } else {
        for _ in 0..k.unwrap_or(1) {
            if let Ok((_, text)) = lm.sample(&opts, &mut rng) {
                println!("  | {}", text.replace('\n', "\n  | "));
            }
        }
    }
}

/// Samples printed at the end of training.
fn print_final_samples(t: &Trainer, known: &HashSet<String>, k: Option<usize>) {
    let lm = &t.lm;
    let mut rng = sample_rng(lm.config.seed, t.state.step);
    let opts = sample_options(lm);
    if lm.config.text.mode == Mode::Lines {
        let n = k.unwrap_or(12);
        let mut new = 0;
        let mut words = Vec::new();
        for _ in 0..n {
            if let Ok((_, text)) = lm.sample(&opts, &mut rng) {
                let is_new = !known.contains(&text);
                new += usize::from(is_new);
                words.push(format!("{text}{}", if is_new { "*" } else { "" }));
            }
        }
        println!(
            "samples (* = new, not in the training set; {new} of {n} new):\n  {}",
            words.join("  ")
        );
    } else {
        println!("sample:");
        for _ in 0..k.unwrap_or(1) {
            if let Ok((_, text)) = lm.sample(&opts, &mut rng) {
                println!("  | {}", text.replace('\n', "\n  | "));
            }
        }
    }
}

/// Steps of the main job: about a minute on 2 cores. Measured while
/// choosing it (held-out bits per character every 150 steps; README, "The
/// main job"): with dropout 0.5 the held-out cost of this configuration
/// falls until about step 2000 and then stays within ±0.01 bits of 2.66
/// up to step 3000, where the run stopped; without dropout, the earlier
/// 128-unit model was best near step 1000 (2.70) and overfit after it.
pub const MAIN_JOB_STEPS: u64 = 2600;

/// Where the main job's checkpoint goes (`runs/` is git-ignored).
pub const MAIN_JOB_OUT: &str = "runs/names-lstm.safetensors";

/// The bundled names: `data/names.txt` under the current folder, else under
/// the crate's folder (so `cargo run` works from anywhere in the clone).
fn names_file() -> String {
    let local = "data/names.txt";
    if std::path::Path::new(local).exists() {
        local.to_string()
    } else {
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/names.txt").to_string()
    }
}

/// The settings of the main job: a one-layer LSTM of 256 units over
/// 64-wide character embeddings, dropout 0.5 on the embeddings and on the
/// LSTM's outputs, batches of 64 names, Adam at 0.002, gradients clipped to
/// norm 5.
pub fn main_job_config() -> LmConfig {
    LmConfig {
        text: TextConfig {
            level: Level::Char,
            mode: Mode::Lines,
            lower: false,
            min_count: 1,
        },
        cell: CellKind::Lstm,
        hidden: 256,
        layers: 1,
        embed_dim: 64,
        vocab_size: 0,
        seq: 32,
        batch: 64,
        optim: OptimKind::parse("adam").expect("adam is an optimizer"),
        lr: 0.002,
        clip: Clip::Norm(5.0),
        seed: 42,
        holdout: 0.1,
        dropout: 0.5,
    }
}

/// What `cargo run --release` does with no arguments: train a character
/// LSTM on the bundled names (about a minute on 2 cores), printing names it makes up
/// as it learns, then save it, report held-out bits per character and say
/// how to sample more.
pub fn main_job() -> Result<(), CliError> {
    println!(
        "seqmodels: no command given, so here is the main job (`seqmodels --help` lists the \
         commands).\n\
         A character-level LSTM learns to make up first names from the 5,163 US Census 1990 \
         first names\nin data/names.txt, reading each name one letter at a time and predicting \
         the next letter (or the end).\n\
         Every 400 steps it writes some names of its own; * marks the new ones (not in its \
         training set).\n"
    );
    let opts = TrainOptions {
        data: Some(names_file()),
        config: main_job_config(),
        resume: None,
        steps: MAIN_JOB_STEPS,
        out: Some(MAIN_JOB_OUT.to_string()),
        save_every: 0,
        sample_every: 400,
        samples: Some(10),
        json: false,
        plot: None,
    };
    train(&opts, Some("cargo run --release --"))
}
