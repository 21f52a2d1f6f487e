//! Generated reviews with a star rating, where "not" flips the adjective
//! after it.
//!
//! Where it sits in the seed: topic 5, many-to-one — the sentiment example,
//! a sentence in and a star rating out. A model that ignores word order
//! cannot get these reviews right: "the food was not good and the service
//! was great" (4 stars) and "the food was good and the service was not
//! great" (3 stars) have exactly the same words.
//!
//! **Grammar.** A review has one or two clauses joined by `and` or `but`;
//! a clause is `[opener] the <noun> was [not] <adjective>`, with an optional
//! opener (`honestly`, `overall`, `i think`, `to be fair`).
//!
//! **Stars.** Each clause has a score: a mild adjective ±1, a strong one ±2
//! (sign = polarity). `not` flips the sign and weakens it to ±1 ("not great"
//! −1, "not terrible" +1, "not good" −1, "not bad" +1). The review's stars are
//! `clamp(3 + Σ scores, 1, 5)`: one clause gives 1, 2, 4 or 5 stars; two
//! clauses give any of 1–5 (3 when they cancel). About [`NEGATION_RATE`] of
//! clauses are negated.

use super::{pick, split_distinct, Split, Vocab};
use crate::rng::Rng;

/// The fraction of clauses with `not`.
pub const NEGATION_RATE: f64 = 0.4;

/// Adjectives with their score (sign: polarity; size: strength).
pub const ADJECTIVES: [(&str, i32); 20] = [
    ("good", 1),
    ("nice", 1),
    ("fine", 1),
    ("decent", 1),
    ("pleasant", 1),
    ("great", 2),
    ("excellent", 2),
    ("amazing", 2),
    ("wonderful", 2),
    ("superb", 2),
    ("bad", -1),
    ("dull", -1),
    ("poor", -1),
    ("bland", -1),
    ("mediocre", -1),
    ("awful", -2),
    ("terrible", -2),
    ("horrible", -2),
    ("dreadful", -2),
    ("disgusting", -2),
];

/// What a clause talks about.
pub const NOUNS: [&str; 10] = [
    "food", "service", "movie", "plot", "acting", "staff", "room", "music", "ending", "book",
];

/// Optional clause openers (no sentiment).
pub const OPENERS: [&[&str]; 5] = [
    &[],
    &["honestly"],
    &["overall"],
    &["i", "think"],
    &["to", "be", "fair"],
];

/// One review.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Review {
    /// Token ids.
    pub ids: Vec<usize>,
    /// 1 to 5.
    pub stars: usize,
    /// True if some clause has `not`.
    pub negated: bool,
}

/// The sentiment task: vocabulary and reviews.
#[derive(Clone, Debug, PartialEq)]
pub struct SentimentData {
    /// Every word the generator writes.
    pub vocab: Vocab,
    /// Training and held-out reviews (no review in both).
    pub split: Split<Review>,
}

/// The vocabulary.
pub fn vocab() -> Vocab {
    let mut words = vec!["the", "was", "not", "and", "but"];
    for o in OPENERS {
        words.extend_from_slice(o);
    }
    words.extend_from_slice(&NOUNS);
    words.extend(ADJECTIVES.iter().map(|a| a.0));
    Vocab::new(&words)
}

/// A clause's score: the adjective's, or ±1 against it if negated.
pub fn clause_score(adjective_score: i32, negated: bool) -> i32 {
    if negated {
        -adjective_score.signum()
    } else {
        adjective_score
    }
}

/// Stars from the clause scores: clamp(3 + Σ, 1, 5).
pub fn stars(scores: &[i32]) -> usize {
    (3 + scores.iter().sum::<i32>()).clamp(1, 5) as usize
}

/// One review of one or two clauses.
pub fn review(rng: &mut Rng, vocab: &Vocab) -> Review {
    let clauses = 1 + rng.below(2);
    let mut words: Vec<&str> = Vec::new();
    let mut scores = Vec::new();
    let mut negated = false;
    for c in 0..clauses {
        if c > 0 {
            words.push(if rng.below(2) == 0 { "and" } else { "but" });
        }
        words.extend_from_slice(OPENERS[rng.below(OPENERS.len())]);
        words.extend(["the", *pick(rng, &NOUNS), "was"]);
        let not = rng.next_f64() < NEGATION_RATE;
        if not {
            words.push("not");
            negated = true;
        }
        let (adj, score) = *pick(rng, &ADJECTIVES);
        words.push(adj);
        scores.push(clause_score(score, not));
    }
    Review {
        ids: vocab.encode(&words),
        stars: stars(&scores),
        negated,
    }
}

/// `n_train` training and `n_test` held-out reviews from `seed`.
pub fn generate(seed: u64, n_train: usize, n_test: usize) -> SentimentData {
    let vocab = vocab();
    let mut rng = Rng::new(seed);
    let split = split_distinct(
        n_train,
        n_test,
        || review(&mut rng, &vocab),
        |r| r.ids.clone(),
    );
    SentimentData { vocab, split }
}

/// Stars as text: "★★★★☆".
pub fn star_string(stars: usize) -> String {
    let s = stars.min(5);
    "★".repeat(s) + &"☆".repeat(5 - s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negation_flips_and_weakens() {
        // The size data/README.md lists.
        assert_eq!(vocab().len(), 42);
        assert_eq!(stars(&[clause_score(1, false)]), 4); // good
        assert_eq!(stars(&[clause_score(1, true)]), 2); // not good
        assert_eq!(stars(&[clause_score(-1, true)]), 4); // not bad
        assert_eq!(stars(&[clause_score(2, true)]), 2); // not great
        assert_eq!(stars(&[clause_score(-2, false)]), 1); // awful
                                                          // The module docs' pair with the same words:
        assert_eq!(stars(&[clause_score(1, true), clause_score(2, false)]), 4);
        assert_eq!(stars(&[clause_score(1, false), clause_score(2, true)]), 3);
        assert_eq!(stars(&[2, 2]), 5);
        assert_eq!(stars(&[-2, -1]), 1);
    }

    #[test]
    fn reviews_are_labelled_by_the_rule_and_splits_are_disjoint() {
        let data = generate(5, 2000, 300);
        assert_eq!(data, generate(5, 2000, 300));
        let v = &data.vocab;
        let mut counts = [0usize; 6];
        let mut negated = 0;
        for r in data.split.train.iter().chain(&data.split.test) {
            // Recompute the stars from the words.
            let words: Vec<&str> = r.ids.iter().map(|&i| v.word(i)).collect();
            let mut scores = Vec::new();
            for (t, w) in words.iter().enumerate() {
                if let Some(&(_, s)) = ADJECTIVES.iter().find(|a| a.0 == *w) {
                    scores.push(clause_score(s, t > 0 && words[t - 1] == "not"));
                }
            }
            assert_eq!(r.stars, stars(&scores), "{words:?}");
            assert_eq!(r.negated, words.contains(&"not"));
            counts[r.stars] += 1;
            negated += usize::from(r.negated);
        }
        // Every rating occurs, and negation is common.
        assert!(counts[1..].iter().all(|&c| c > 100), "{counts:?}");
        assert!(negated > 700, "{negated}");
        let test: std::collections::HashSet<_> = data.split.test.iter().map(|r| &r.ids).collect();
        assert!(data.split.train.iter().all(|r| !test.contains(&r.ids)));
    }
}
