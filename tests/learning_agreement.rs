//! Learning test: long-range memory (the seed's topics 8–10).
//!
//! "The cat , which … , [was]" / "The cats , which … , [were]": a classifier
//! reads the sentence up to the verb and predicts its form, across a relative
//! clause of 3 to 30 words full of singular and plural distractor nouns
//! (`seqmodels::tasks::agreement`). The gated cells learn it; the vanilla
//! RNN, with the same recipe, is printed for comparison. Run with
//! `cargo test --release --test learning_agreement -- --nocapture`.

use seqmodels::rnn::CellKind;
use seqmodels::tasks::train::{agreement_config, run_agreement, AgreementOutcome, DEFAULT_SEED};
use std::time::Instant;

fn run(cell: &str) -> AgreementOutcome {
    let start = Instant::now();
    let cell = CellKind::parse(cell).unwrap();
    let o = run_agreement(DEFAULT_SEED, &agreement_config(cell), &mut |_, _| {}).unwrap();
    let by_length: Vec<String> = o.by_length.iter().map(|a| format!("{a:.3}")).collect();
    println!(
        "agreement, {}: held-out verb accuracy {:.4}, clauses of 20+ words {:.4}, \
         by clause length (3–5, 6–10, …, 26–30) [{}] ({:.1} s)",
        cell.name(),
        o.accuracy,
        o.long_accuracy,
        by_length.join(", "),
        start.elapsed().as_secs_f64()
    );
    o
}

/// Chance is 0.5 (subjects are singular or plural with equal probability),
/// and agreeing with the nearest noun is right about half the time too.
fn assert_learned(o: &AgreementOutcome, cell: &str) {
    assert!(o.accuracy >= 0.95, "{cell}: {:.4} on the verb", o.accuracy);
    assert!(
        o.long_accuracy >= 0.95,
        "{cell}: {:.4} on clauses of 20+ words",
        o.long_accuracy
    );
}

#[test]
fn lstm_carries_the_subjects_number_across_the_clause() {
    let o = run("lstm");
    assert_learned(&o, "lstm");
}

#[test]
fn gru_carries_the_subjects_number_across_the_clause() {
    let o = run("gru");
    // For comparison only (no assertion): the vanilla RNN with the same recipe.
    run("rnn");
    assert_learned(&o, "gru");
}
