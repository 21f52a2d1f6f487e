//! The training loops are deterministic: the same seed gives the same loss
//! at every step and the same predictions, bit for bit, on one thread or two;
//! another seed does not. A few steps of each task are enough to show it.

use seqmodels::linalg::pool;
use seqmodels::rnn::CellKind;
use seqmodels::tasks::train::{
    agreement_config, dates_config, ner_config, run_agreement, run_dates, run_ner, run_sentiment,
    sentiment_config, OnStep, TrainConfig,
};

/// A short run of a task: (seed, callback) → its held-out predictions.
type Run = dyn Fn(u64, OnStep) -> Vec<Vec<usize>>;

fn short(mut cfg: TrainConfig) -> TrainConfig {
    cfg.steps = 15;
    cfg
}

/// The bits of every loss a run reported, and its predictions.
fn trace(seed: u64, f: &Run) -> (Vec<u64>, Vec<Vec<usize>>) {
    let mut losses = Vec::new();
    let r = f(seed, &mut |_, l| losses.push(l.to_bits()));
    (losses, r)
}

/// Seed 3 on one thread, seed 3 on two threads, seed 4.
fn check(name: &str, f: &Run) {
    pool::set_threads(1);
    let a = trace(3, f);
    pool::set_threads(2);
    let b = trace(3, f);
    let c = trace(4, f);
    assert_eq!(a.0.len(), 15, "{name}");
    assert!(
        a == b,
        "{name}: seed 3 gave different bits on 1 and 2 threads"
    );
    assert_ne!(a.0, c.0, "{name}: seeds 3 and 4 gave the same losses");
}

// The only test in this file, so changing the pool's setting disturbs no other test.
#[test]
fn same_seed_same_bits() {
    check("ner", &|s, cb| {
        run_ner(s, &short(ner_config(true)), cb)
            .unwrap()
            .predictions
    });
    check("agreement", &|s, cb| {
        let cfg = short(agreement_config(CellKind::Lstm));
        let p = run_agreement(s, &cfg, cb).unwrap().predictions;
        vec![p]
    });
    check("sentiment", &|s, cb| {
        let p = run_sentiment(s, &short(sentiment_config()), cb)
            .unwrap()
            .predictions;
        vec![p]
    });
    check("dates", &|s, cb| {
        run_dates(s, &short(dates_config()), cb)
            .unwrap()
            .predictions
    });
}
