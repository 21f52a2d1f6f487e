//! Learning test: many-to-one with negation (the seed's topic 5).
//!
//! An LSTM classifier reads a generated review and predicts its star rating
//! (1–5), where "not" flips the adjective after it
//! (`seqmodels::tasks::sentiment`). Run with
//! `cargo test --release --test learning_sentiment -- --nocapture`.

use seqmodels::tasks::train::{run_sentiment, sentiment_config, DEFAULT_SEED};
use std::time::Instant;

#[test]
fn lstm_rates_reviews_and_reads_negation() {
    let start = Instant::now();
    let o = run_sentiment(DEFAULT_SEED, &sentiment_config(), &mut |_, _| {}).unwrap();
    println!(
        "sentiment, lstm: held-out exact stars {:.4}, reviews with \"not\" {:.4} ({:.1} s)",
        o.accuracy,
        o.negated_accuracy,
        start.elapsed().as_secs_f64()
    );
    // Five classes: chance is about 0.2–0.3 (the most common rating).
    assert!(o.accuracy >= 0.95, "{:.4} exact stars", o.accuracy);
    assert!(
        o.negated_accuracy >= 0.95,
        "{:.4} on reviews with \"not\"",
        o.negated_accuracy
    );
}
