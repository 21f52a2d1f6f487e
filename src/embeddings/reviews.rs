//! A deterministic generator of short product reviews with a star rating
//! and a sentiment label, where negation flips the sentiment ("not good" is
//! negative, "not bad" is positive).
//!
//! Where it sits in the course: sentiment classification is the course's
//! example of transfer — a small labelled set, embeddings pre-trained on a
//! large corpus. Averaging the word vectors of "not good" and of "good" gives
//! nearly the same input, so an averaging classifier cannot get negated
//! reviews right, while a sequence model (an LSTM reading the words in order)
//! can. This generator makes that gap measurable.
//!
//! **Grammar.** A review is one or two clauses joined by `and`:
//! `the <noun> was [not] [very|really] <adjective>`, with optional filler
//! (`overall`, `honestly`, `i think`). Adjectives carry a polarity and a
//! strength (strong: 1 or 5 stars; mild: 2 or 4). A clause's polarity is the
//! adjective's, flipped by `not`. In a two-clause review both clauses have
//! the same polarity (so the label is well defined). Stars: the strongest
//! clause decides — an un-negated strong adjective gives 5 (positive) or 1
//! (negative), anything else 4 or 2. Label: 1 if stars ≥ 4, else 0.
//! A fraction `negation_rate` of clauses is negated ([`NEGATION_RATE`] = 0.25
//! by default). At 0.5, adjective polarity and negation are independent
//! coin flips and the label is their XOR: an averaging model can then do no
//! better than chance, while at 0.25 it reaches about three in four.

use crate::rng::Rng;

/// The default fraction of negated clauses.
pub const NEGATION_RATE: f64 = 0.25;

/// Positive adjectives: (word, strong?).
pub const POSITIVE: [(&str, bool); 8] = [
    ("good", false),
    ("nice", false),
    ("fine", false),
    ("pleasant", false),
    ("great", true),
    ("excellent", true),
    ("wonderful", true),
    ("amazing", true),
];
/// Negative adjectives: (word, strong?).
pub const NEGATIVE: [(&str, bool); 8] = [
    ("bad", false),
    ("dull", false),
    ("poor", false),
    ("boring", false),
    ("awful", true),
    ("terrible", true),
    ("horrible", true),
    ("dreadful", true),
];
/// What a review talks about.
pub const NOUNS: [&str; 8] = [
    "movie", "food", "service", "plot", "acting", "room", "music", "book",
];

/// One review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    /// The text, lower case, words separated by single spaces.
    pub text: String,
    /// 1 to 5 stars.
    pub stars: u8,
    /// 1 positive, 0 negative.
    pub label: usize,
    /// Whether any clause is negated.
    pub negated: bool,
}

/// Generates `n` reviews from `seed`, with `negation_rate` of the clauses negated.
pub fn generate(n: usize, negation_rate: f64, seed: u64) -> Vec<Review> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| one(&mut rng, negation_rate)).collect()
}

fn one(rng: &mut Rng, negation_rate: f64) -> Review {
    let positive = rng.below(2) == 1;
    let clauses = 1 + rng.below(2);
    let mut parts = Vec::new();
    let mut strong_plain = false;
    let mut negated = false;
    if rng.next_f64() < 0.3 {
        parts.push(["overall", "honestly", "i think"][rng.below(3)].to_string());
    }
    for c in 0..clauses {
        if c > 0 {
            parts.push("and".to_string());
        }
        let neg = rng.next_f64() < negation_rate;
        // The adjective's own polarity is the review's, flipped when negated.
        let (adj, strong) = if positive != neg {
            POSITIVE[rng.below(POSITIVE.len())]
        } else {
            NEGATIVE[rng.below(NEGATIVE.len())]
        };
        parts.push(format!("the {} was", NOUNS[rng.below(NOUNS.len())]));
        if neg {
            parts.push("not".to_string());
            negated = true;
        }
        if rng.below(3) == 0 {
            parts.push(["very", "really"][rng.below(2)].to_string());
        }
        parts.push(adj.to_string());
        strong_plain |= strong && !neg;
    }
    let stars = match (positive, strong_plain) {
        (true, true) => 5,
        (true, false) => 4,
        (false, false) => 2,
        (false, true) => 1,
    };
    Review {
        text: parts.join(" "),
        stars,
        label: positive as usize,
        negated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negation_flips_and_labels_follow_stars() {
        let rs = generate(2000, 0.5, 9);
        assert_eq!(rs, generate(2000, 0.5, 9));
        for r in &rs {
            assert_eq!(r.label, (r.stars >= 4) as usize);
            let words: Vec<&str> = r.text.split(' ').collect();
            // Every clause's adjective, flipped by a preceding "not", agrees with the label.
            for (i, w) in words.iter().enumerate() {
                let pol = if POSITIVE.iter().any(|p| p.0 == *w) {
                    1
                } else if NEGATIVE.iter().any(|p| p.0 == *w) {
                    0
                } else {
                    continue;
                };
                let negated = words[..i].iter().rev().take(2).any(|x| *x == "not");
                assert_eq!(pol ^ negated as usize, r.label, "{}", r.text);
            }
        }
        let neg = rs.iter().filter(|r| r.negated).count();
        assert!(neg > 800 && neg < 1600, "{neg}");
    }
}
