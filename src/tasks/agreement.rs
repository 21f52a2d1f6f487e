//! Subject–verb agreement across a long relative clause.
//!
//! Where it sits in the seed: topic 8, vanishing gradients. The seed's
//! example is "The cat, which already ate …, was full" versus "The cats, which
//! already ate …, were full": the verb's form depends on a word that may be
//! dozens of steps back. A vanilla RNN's gradient through that many steps is
//! a product of many Jacobians and fades; the GRU's and LSTM's gated memory
//! cells (topics 9–10) carry the subject's number across.
//!
//! **The task.** A sentence `the <subject> , <which|that> <clause> ,` is read
//! up to the comma before the verb, and the model predicts the verb: `was`
//! (singular subject, label 0) or `were` (plural subject, label 1). We chose
//! many-to-one (a `Classifier` over the words up to the verb) because it is
//! the clearest framing: the prediction is made exactly where the verb would
//! be, from everything before it, and the verb itself is never an input.
//!
//! **The clause** has [`MIN_CLAUSE`] to [`MAX_CLAUSE`] tokens (its length is
//! drawn uniformly): a past-tense verb and its object (`ate the mice`), then
//! prepositional phrases (`near the dog`), `and` + verb + object (`and
//! chased the birds`) and single adverbs (`again`) until it has its length.
//! The relative pronoun is `that`, or `which` for animals and `who` for
//! people. Past-tense verbs have the same form for
//! either number, and every noun inside the clause is singular or plural at
//! random, so the nouns nearest the verb are distractors: "agree with the
//! last noun" is right half the time.

use super::{pick, split_distinct, Split, Vocab};
use crate::rng::Rng;

/// The shortest relative clause, in tokens (between `which` and the comma).
pub const MIN_CLAUSE: usize = 3;
/// The longest relative clause, in tokens.
pub const MAX_CLAUSE: usize = 30;

/// Nouns as (singular, plural, a person?). People take `who`, animals `which`.
pub const NOUNS: [(&str, &str, bool); 10] = [
    ("cat", "cats", false),
    ("dog", "dogs", false),
    ("mouse", "mice", false),
    ("child", "children", true),
    ("bird", "birds", false),
    ("man", "men", true),
    ("girl", "girls", true),
    ("fox", "foxes", false),
    ("farmer", "farmers", true),
    ("teacher", "teachers", true),
];

/// Past-tense verbs: one form for both numbers.
pub const VERBS: [&str; 8] = [
    "ate", "saw", "chased", "liked", "found", "watched", "followed", "fed",
];

/// Prepositions.
pub const PREPOSITIONS: [&str; 5] = ["near", "with", "behind", "under", "beside"];

/// One-token fillers.
pub const ADVERBS: [&str; 6] = ["again", "yesterday", "quickly", "often", "already", "today"];

/// The two verb forms, indexed by label.
pub const VERB_FORMS: [&str; 2] = ["was", "were"];

/// Words after the verb in a printed sentence (not part of the input).
pub const COMPLEMENTS: [&str; 4] = ["full", "happy", "tired", "hungry"];

/// One sentence, cut before the verb.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AgreementExample {
    /// Token ids of `the <subject> , which <clause> ,`.
    pub ids: Vec<usize>,
    /// 0 for `was` (singular subject), 1 for `were` (plural).
    pub label: usize,
    /// Tokens in the relative clause.
    pub clause_len: usize,
    /// Index into [`COMPLEMENTS`], for printing the full sentence.
    pub complement: usize,
}

/// The agreement task: vocabulary and examples.
#[derive(Clone, Debug, PartialEq)]
pub struct AgreementData {
    /// Every word the generator writes.
    pub vocab: Vocab,
    /// Training and held-out sentences (no sentence in both).
    pub split: Split<AgreementExample>,
}

/// The vocabulary (input words only: the verb forms are labels).
pub fn vocab() -> Vocab {
    let mut words = vec!["the", ",", "which", "that", "who", "and"];
    for (s, p, _) in NOUNS {
        words.push(s);
        words.push(p);
    }
    words.extend_from_slice(&VERBS);
    words.extend_from_slice(&PREPOSITIONS);
    words.extend_from_slice(&ADVERBS);
    Vocab::new(&words)
}

/// "the" and a noun of random number (a distractor).
fn noun_phrase(rng: &mut Rng, out: &mut Vec<&'static str>) {
    let (s, p, _) = *pick(rng, &NOUNS);
    out.push("the");
    out.push(if rng.below(2) == 0 { s } else { p });
}

/// An adverb different from the word before it.
fn adverb(rng: &mut Rng, out: &mut Vec<&'static str>) {
    loop {
        let a = *pick(rng, &ADVERBS);
        if out.last() != Some(&a) {
            out.push(a);
            return;
        }
    }
}

/// A relative clause of exactly `len` ≥ 3 tokens: a verb phrase, then
/// prepositional phrases, `and` + verb phrases and adverbs.
fn clause(rng: &mut Rng, len: usize) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::with_capacity(len);
    // A verb and its object: "ate the mice" (3 tokens).
    out.push(*pick(rng, &VERBS));
    noun_phrase(rng, &mut out);
    while out.len() < len {
        let room = len - out.len();
        match rng.below(4) {
            // "near the dog" (3 tokens)
            0 | 1 if room >= 3 => {
                out.push(*pick(rng, &PREPOSITIONS));
                noun_phrase(rng, &mut out);
            }
            // "and chased the birds" (4 tokens)
            2 if room >= 4 => {
                out.push("and");
                out.push(*pick(rng, &VERBS));
                noun_phrase(rng, &mut out);
            }
            // "again" (1 token)
            _ => adverb(rng, &mut out),
        }
    }
    out
}

/// One example: a subject of random number and a clause of
/// [`MIN_CLAUSE`] to [`MAX_CLAUSE`] tokens.
pub fn example(rng: &mut Rng, vocab: &Vocab) -> AgreementExample {
    let (s, p, person) = *pick(rng, &NOUNS);
    let label = rng.below(2);
    let clause_len = MIN_CLAUSE + rng.below(MAX_CLAUSE - MIN_CLAUSE + 1);
    let mut words = vec!["the", if label == 0 { s } else { p }, ","];
    let relative = match (rng.below(2), person) {
        (0, _) => "that",
        (_, true) => "who",
        (_, false) => "which",
    };
    words.push(relative);
    words.extend(clause(rng, clause_len));
    words.push(",");
    AgreementExample {
        ids: vocab.encode(&words),
        label,
        clause_len,
        complement: rng.below(COMPLEMENTS.len()),
    }
}

/// `n_train` training and `n_test` held-out examples from `seed`.
pub fn generate(seed: u64, n_train: usize, n_test: usize) -> AgreementData {
    let vocab = vocab();
    let mut rng = Rng::new(seed);
    let split = split_distinct(
        n_train,
        n_test,
        || example(&mut rng, &vocab),
        |e| e.ids.clone(),
    );
    AgreementData { vocab, split }
}

/// The sentence with the verb form for `label` and its complement:
/// "the cats , which … , were full".
pub fn sentence(vocab: &Vocab, e: &AgreementExample, label: usize) -> String {
    format!(
        "{} {} {}",
        vocab.decode(&e.ids),
        VERB_FORMS[label],
        COMPLEMENTS[e.complement]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_is_the_subjects_number_and_clauses_have_their_length() {
        let data = generate(3, 2000, 200);
        let v = &data.vocab;
        let mut last_noun_agrees = 0;
        let mut longest = 0;
        for e in &data.split.train {
            let words: Vec<&str> = e.ids.iter().map(|&i| v.word(i)).collect();
            let subject = words[1];
            let plural = NOUNS.iter().any(|n| n.1 == subject);
            assert!(NOUNS.iter().any(|n| n.0 == subject) != plural);
            assert_eq!(e.label, usize::from(plural));
            assert_eq!(words.len(), e.clause_len + 5, "{words:?}");
            assert!((MIN_CLAUSE..=MAX_CLAUSE).contains(&e.clause_len));
            assert!(VERBS.contains(&words[4]), "{words:?}");
            assert_eq!(*words.last().unwrap(), ",");
            longest = longest.max(e.clause_len);
            // The last noun before the verb: a distractor when the clause has one.
            let last = words[4..]
                .iter()
                .rev()
                .find(|w| NOUNS.iter().any(|n| n.0 == **w || n.1 == **w));
            if let Some(w) = last {
                let pl = NOUNS.iter().any(|n| n.1 == *w);
                last_noun_agrees += usize::from(pl == plural);
            }
        }
        assert_eq!(longest, MAX_CLAUSE);
        // The nearest noun is a coin flip (about 1000 of 2000, minus the
        // clauses without a noun): "agree with the last noun" cannot work.
        assert!(
            (800..1200).contains(&last_noun_agrees),
            "{last_noun_agrees}"
        );
    }

    #[test]
    fn splits_are_disjoint_and_deterministic() {
        // The size data/README.md lists.
        assert_eq!(vocab().len(), 45);
        let a = generate(11, 500, 100);
        assert_eq!(a, generate(11, 500, 100));
        let test: std::collections::HashSet<_> = a.split.test.iter().map(|s| &s.ids).collect();
        assert!(a.split.train.iter().all(|s| !test.contains(&s.ids)));
        assert_eq!(
            sentence(&a.vocab, &a.split.test[0], a.split.test[0].label)
                .split(' ')
                .count(),
            a.split.test[0].ids.len() + 2
        );
    }
}
