//! Learning test: future context (the seed's topic 11, the BRNN).
//!
//! In the generated sentences (`seqmodels::tasks::ner`) an ambiguous word
//! such as "Teddy" is part of a person's name only if a surname follows it.
//! A bidirectional tagger sees the next word; a left-to-right tagger does not
//! and can do no better than each word's majority label. Run with
//! `cargo test --release --test learning_ner -- --nocapture` to see the figures.

use seqmodels::tasks::train::{ner_config, run_ner, DEFAULT_SEED};
use std::time::Instant;

#[test]
fn bidirectional_tagger_reads_the_next_word_and_left_to_right_cannot() {
    let start = Instant::now();
    let bi = run_ner(DEFAULT_SEED, &ner_config(true), &mut |_, _| {}).unwrap();
    let uni = run_ner(DEFAULT_SEED, &ner_config(false), &mut |_, _| {}).unwrap();
    println!(
        "NER, {} held-out ambiguous words: bidirectional {:.4}, left-to-right {:.4}, \
         majority label {:.4}; other words: bidirectional {:.4}, left-to-right {:.4} ({:.1} s)",
        bi.ambiguous_count,
        bi.ambiguous_accuracy,
        uni.ambiguous_accuracy,
        uni.majority_rate,
        bi.other_accuracy,
        uni.other_accuracy,
        start.elapsed().as_secs_f64()
    );
    // The target of the task (an untrained tagger is near 50%).
    assert!(
        bi.ambiguous_accuracy >= 0.98,
        "BRNN tagger: {:.4} on ambiguous words",
        bi.ambiguous_accuracy
    );
    // The left-to-right tagger did learn: every word whose label does not
    // depend on the future is right.
    assert!(
        uni.other_accuracy >= 0.98,
        "left-to-right tagger: {:.4} on the other words",
        uni.other_accuracy
    );
    // But it cannot see the next word. The best it can do on ambiguous words
    // is each word's majority label: about 0.60 (the mean of max(p, 1 − p)
    // over `ner::AMBIGUOUS`). 0.08 is about five standard errors of a rate
    // measured on ~900 words (√(0.25 / 900) ≈ 0.017).
    assert!(
        uni.ambiguous_accuracy <= uni.majority_rate + 0.08,
        "left-to-right {:.4} beats the majority rate {:.4}",
        uni.ambiguous_accuracy,
        uni.majority_rate
    );
    assert!(
        uni.ambiguous_accuracy <= bi.ambiguous_accuracy - 0.2,
        "left-to-right {:.4} is not well below bidirectional {:.4}",
        uni.ambiguous_accuracy,
        bi.ambiguous_accuracy
    );
}
