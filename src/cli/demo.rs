//! `seqmodels demo ner|agreement|sentiment|dates`: trains one of the generated
//! tasks with a progress bar, prints the held-out figure, and shows a few
//! predictions.
//!
//! Where it sits in the seed: each demo is one reason an RNN architecture
//! exists — future context (BRNN, topic 11), long-range memory (GRU/LSTM
//! versus vanishing gradients, topics 8–10), many-to-one with negation
//! (topic 5) and the encoder–decoder (topic 5). The training itself is
//! `tasks::train`, the same code the learning tests run, so the same seed
//! prints the same figures as `tests/learning_*.rs`.

use super::args::{Args, CliError};
use super::progress::{Ema, Progress};
use crate::cli_err;
use crate::linalg::pool;
use crate::rnn::CellKind;
use crate::tasks::train::{self, TrainConfig, DEFAULT_SEED};
use crate::tasks::{agreement, dates, ner, sentiment};

const HELP: &str = "\
seqmodels demo ner|agreement|sentiment|dates [--seed S] [--steps N] [--cell C] [--threads N]

Trains a small model on a generated task, shows a progress bar (step,
smoothed loss, ETA) on stderr, then prints the held-out figure and a few
held-out predictions.

  ner        name recognition where the next word decides (\"Teddy Roosevelt\"
             versus \"Teddy bears\"): a left-to-right tagger and a
             bidirectional one, side by side (future context)
  agreement  \"the cat , which … , was\" / \"the cats , which … , were\" across
             a clause of up to 30 words (long-range memory); try --cell rnn
  sentiment  star ratings of generated reviews where \"not\" flips the
             adjective after it (many-to-one)
  dates      \"Tue, Mar 3, 2009\", \"03/03/09\", … to \"2009-03-03\"
             (encoder–decoder, greedy decoding)

  --seed S     seed of the data, the weights and the minibatches (default 1;
               the learning tests use the same default)
  --steps N    training steps (default: the task's recipe)
  --cell C     rnn, rnn-relu, gru, gru-course or lstm (default: the recipe's:
               gru for ner, lstm for the others)
  --threads N  worker threads (default: all cores; results do not depend on it)";

/// The most steps `--steps` accepts.
const MAX_STEPS: usize = 10_000_000;

/// `seqmodels demo …`
pub fn run(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("demo", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let seed: u64 = a.value_or("--seed", DEFAULT_SEED)?;
    let steps: Option<usize> = a.value("--steps")?;
    let cell: Option<String> = a.value("--cell")?;
    let threads = a.threads()?.unwrap_or_else(pool::threads);
    let tasks = a.positional();
    a.finish()?;
    let task = match tasks.as_slice() {
        [t] => t.as_str(),
        [] => {
            return Err(cli_err!(
                "demo: say which demo to run: ner, agreement, sentiment or dates\n\n{HELP}"
            ))
        }
        more => {
            return Err(cli_err!(
                "demo: one demo at a time, got {} ({})",
                more.len(),
                more.join(" ")
            ))
        }
    };
    if let Some(s) = steps {
        if !(1..=MAX_STEPS).contains(&s) {
            return Err(cli_err!(
                "demo: --steps must be between 1 and {MAX_STEPS}, got {s}"
            ));
        }
    }
    let cell = match cell {
        Some(c) => Some(CellKind::parse(&c).map_err(|e| cli_err!("demo: --cell: {e}"))?),
        None => None,
    };
    let tweak = |mut cfg: TrainConfig| {
        if let Some(s) = steps {
            cfg.steps = s;
        }
        if let Some(c) = cell {
            cfg.cell = c;
        }
        cfg
    };
    pool::set_threads(threads);
    match task {
        "ner" => demo_ner(
            seed,
            tweak(train::ner_config(true)),
            tweak(train::ner_config(false)),
        ),
        "agreement" => demo_agreement(seed, tweak(train::agreement_config(CellKind::Lstm))),
        "sentiment" => demo_sentiment(seed, tweak(train::sentiment_config())),
        "dates" => demo_dates(seed, tweak(train::dates_config())),
        other => Err(cli_err!(
            "demo: unknown demo {other:?}: expected ner, agreement, sentiment or dates"
        )),
    }
}

/// Runs `train` with a progress bar showing the smoothed loss.
fn with_progress<R>(
    label: &str,
    cfg: &TrainConfig,
    train: impl FnOnce(&mut dyn FnMut(usize, f64)) -> crate::Result<R>,
) -> Result<R, CliError> {
    eprintln!(
        "{label}: {} cell, H = {}{}, embedding {}, {} steps of {} sequences, {} lr {}, clip {}",
        cfg.cell.name(),
        cfg.hidden,
        if cfg.bidirectional {
            " per direction (bidirectional)"
        } else {
            ""
        },
        cfg.embed,
        cfg.steps,
        cfg.batch,
        cfg.optim.name(),
        cfg.lr,
        cfg.clip
    );
    let mut bar = Progress::new(label, cfg.steps as u64);
    let mut ema = Ema::new(0.98);
    let mut last = 0.0;
    let out = train(&mut |step, loss| {
        last = ema.push(loss);
        bar.update(step as u64, &[("loss", last)]);
    });
    bar.finish(&[("loss", last)]);
    Ok(out?)
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn mark(ok: bool) -> &'static str {
    if ok {
        "✓"
    } else {
        "✗"
    }
}

fn demo_ner(seed: u64, bi_cfg: TrainConfig, uni_cfg: TrainConfig) -> Result<(), CliError> {
    let bi = with_progress("BRNN tagger", &bi_cfg, |f| train::run_ner(seed, &bi_cfg, f))?;
    let uni = with_progress("left-to-right tagger", &uni_cfg, |f| {
        train::run_ner(seed, &uni_cfg, f)
    })?;
    println!(
        "held-out ambiguous words ({}; their label depends on the next word):",
        bi.ambiguous_count
    );
    println!(
        "  bidirectional   {:>6}   (all words {})",
        pct(bi.ambiguous_accuracy),
        pct(bi.token_accuracy)
    );
    println!(
        "  left-to-right   {:>6}   (other words {})",
        pct(uni.ambiguous_accuracy),
        pct(uni.other_accuracy)
    );
    println!(
        "  majority label  {:>6}   (each ambiguous word's most frequent label in training)",
        pct(bi.majority_rate)
    );
    println!("\nheld-out sentences, [names] as predicted:");
    let v = &bi.data.vocab;
    let mut shown = 0;
    for (i, s) in bi.data.split.test.iter().enumerate() {
        if shown == 6 {
            break;
        }
        if !s.ambiguous.iter().any(|&a| a) {
            continue;
        }
        shown += 1;
        let (pb, pu) = (&bi.predictions[i], &uni.predictions[i]);
        println!("  truth          {}", ner::mark_names(v, &s.ids, &s.labels));
        println!(
            "  bidirectional  {}  {}",
            ner::mark_names(v, &s.ids, pb),
            mark(pb == &s.labels)
        );
        println!(
            "  left-to-right  {}  {}\n",
            ner::mark_names(v, &s.ids, pu),
            mark(pu == &s.labels)
        );
    }
    Ok(())
}

fn demo_agreement(seed: u64, cfg: TrainConfig) -> Result<(), CliError> {
    let o = with_progress("agreement", &cfg, |f| train::run_agreement(seed, &cfg, f))?;
    println!(
        "held-out verb accuracy ({} cell): {}   (clauses of 20+ words: {})",
        cfg.cell.name(),
        pct(o.accuracy),
        pct(o.long_accuracy)
    );
    print!("by clause length:");
    for (k, acc) in o.by_length.iter().enumerate() {
        let lo = (5 * k + 1).max(agreement::MIN_CLAUSE);
        print!("  {lo}–{}: {}", 5 * k + 5, pct(*acc));
    }
    println!("\n\nheld-out sentences with the longest clauses, [predicted verb]:");
    let mut order: Vec<usize> = (0..o.data.split.test.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(o.data.split.test[i].clause_len));
    for &i in order.iter().take(5) {
        let e = &o.data.split.test[i];
        let p = o.predictions[i];
        let text = o.data.vocab.decode(&e.ids);
        println!(
            "  {text} [{}] {}  {}",
            agreement::VERB_FORMS[p],
            agreement::COMPLEMENTS[e.complement],
            mark(p == e.label)
        );
    }
    Ok(())
}

fn demo_sentiment(seed: u64, cfg: TrainConfig) -> Result<(), CliError> {
    let o = with_progress("sentiment", &cfg, |f| train::run_sentiment(seed, &cfg, f))?;
    println!(
        "held-out exact stars: {}   (reviews with \"not\": {})",
        pct(o.accuracy),
        pct(o.negated_accuracy)
    );
    println!("\nheld-out reviews: predicted stars (true stars):");
    // A few plain reviews, then mostly negated ones: they are the point.
    let test = &o.data.split.test;
    let plain = (0..test.len()).filter(|&i| !test[i].negated).take(3);
    let negated = (0..test.len()).filter(|&i| test[i].negated).take(6);
    for i in plain.chain(negated) {
        let (r, p) = (&test[i], o.predictions[i]);
        println!(
            "  {} ({})  {}  {}",
            sentiment::star_string(p),
            sentiment::star_string(r.stars),
            o.data.vocab.decode(&r.ids),
            mark(p == r.stars)
        );
    }
    Ok(())
}

fn demo_dates(seed: u64, cfg: TrainConfig) -> Result<(), CliError> {
    let o = with_progress("dates", &cfg, |f| train::run_dates(seed, &cfg, f))?;
    println!(
        "held-out exact match (greedy decoding, dates never seen in training): {}",
        pct(o.exact_match)
    );
    println!("\nheld-out dates, one per format:");
    let tv = &o.data.tgt_vocab;
    for f in 0..dates::FORMATS.len() {
        if let Some(i) = o.data.split.test.iter().position(|e| e.format == f) {
            let e = &o.data.split.test[i];
            let got: String = o.predictions[i].iter().map(|&t| tv.word(t)).collect();
            println!(
                "  {:<32} → {:<10}  {}",
                format!("{:?}", e.text),
                got,
                mark(got == dates::iso(e.date))
            );
        }
    }
    let misses: Vec<usize> = (0..o.data.split.test.len())
        .filter(|&i| {
            let e = &o.data.split.test[i];
            o.predictions[i][..] != e.tgt[..e.tgt.len() - 1]
        })
        .collect();
    if !misses.is_empty() {
        println!("\nsome misses:");
        for &i in misses.iter().take(4) {
            let e = &o.data.split.test[i];
            let got: String = o.predictions[i].iter().map(|&t| tv.word(t)).collect();
            println!(
                "  {:<32} → {:<10}  (true {})",
                format!("{:?}", e.text),
                got,
                dates::iso(e.date)
            );
        }
    }
    Ok(())
}
