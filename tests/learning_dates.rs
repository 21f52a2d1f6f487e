//! Learning test: the encoder–decoder (the seed's topic 5, Tx ≠ Ty).
//!
//! A `Seq2Seq` LSTM rewrites human-written dates in twelve formats as ISO
//! dates, decoding greedily (`seqmodels::tasks::dates`). The held-out dates
//! never occur in training in any format. Run with
//! `cargo test --release --test learning_dates -- --nocapture`.

use seqmodels::tasks::train::{dates_config, run_dates, DEFAULT_SEED};
use std::time::Instant;

#[test]
fn encoder_decoder_normalises_unseen_dates() {
    let start = Instant::now();
    let o = run_dates(DEFAULT_SEED, &dates_config(), &mut |_, _| {}).unwrap();
    println!(
        "dates, lstm seq2seq: held-out exact match {:.4} on {} dates ({:.1} s)",
        o.exact_match,
        o.data.split.test.len(),
        start.elapsed().as_secs_f64()
    );
    // Exact match needs year, month and day all right: an untrained model
    // gets none (1 in 100 × 12 × 31 by guessing).
    assert!(o.exact_match >= 0.95, "{:.4} exact match", o.exact_match);
}
