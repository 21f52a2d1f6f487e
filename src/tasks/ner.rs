//! Name recognition where a word's label depends on the word after it.
//!
//! Where it sits in the seed: topic 11, the bidirectional RNN. The seed's
//! example is "He said, Teddy Roosevelt was a great President" versus "He
//! said, Teddy bears are on sale": at the word "Teddy" a left-to-right RNN has
//! seen exactly the same words in both sentences, so it cannot know whether
//! "Teddy" is part of a person's name. Only the next word decides. A BRNN,
//! whose backward direction reads the sentence from the end, sees it.
//!
//! **Sentences.** `[prefix] mention [joiner mention] [suffix]`, where the
//! prefix ("yesterday", "we talked about", …), joiner ("and", "or") and
//! suffix ("last week", "on the radio", …) are never names, and a mention
//! is one of
//!
//! - an **ambiguous** word ([`AMBIGUOUS`]: "Teddy", "Jordan", "Paris", …)
//!   followed by a surname ("Roosevelt") — both words are a name, label 1 —
//!   or by a thing ("bears") — both are not, label 0;
//! - a plain first name ("Alice") and a surname: both label 1;
//! - "the" and a thing: both label 0.
//!
//! Every ambiguous word has its own probability of being a person
//! ([`AMBIGUOUS`]'s second column), so the best a left-to-right tagger can do
//! at an ambiguous word is the majority rate for that word; the bidirectional
//! tagger can be right every time. Surnames and things combine freely with
//! any ambiguous word ("Paris bears" is a thing), so the decision is a rule
//! about the next word, not a list of memorised pairs.

use super::{pick, split_distinct, Split, Vocab};
use crate::rng::Rng;

/// The ambiguous words and the probability that one is a person's name
/// (followed by a surname) rather than part of a thing.
pub const AMBIGUOUS: [(&str, f64); 10] = [
    ("Teddy", 0.5),
    ("Jordan", 0.6),
    ("Paris", 0.35),
    ("Georgia", 0.4),
    ("Austin", 0.55),
    ("Florence", 0.65),
    ("Chelsea", 0.45),
    ("Virginia", 0.3),
    ("Victoria", 0.7),
    ("Sydney", 0.5),
];

/// Surnames: after an ambiguous word they make it a person's name.
pub const SURNAMES: [&str; 10] = [
    "Roosevelt",
    "Smith",
    "Hilton",
    "Woolf",
    "Clinton",
    "Butler",
    "Nightingale",
    "Beckham",
    "Peterson",
    "Brown",
];

/// Things: after an ambiguous word they make it part of a non-name.
pub const THINGS: [&str; 10] = [
    "bears", "shoes", "river", "hotels", "peaches", "traffic", "fans", "station", "weather",
    "beaches",
];

/// First names that are always names (never followed by a thing).
pub const FIRST_NAMES: [&str; 6] = ["Alice", "Bob", "Maria", "David", "Yuki", "Omar"];

/// Words before the first mention (may be empty).
pub const PREFIXES: [&[&str]; 8] = [
    &[],
    &["yesterday"],
    &["he", "said"],
    &["we", "talked", "about"],
    &["everyone", "likes"],
    &["the", "news", "mentioned"],
    &["i", "saw"],
    &["they", "wrote", "about"],
];

/// Words that join two mentions.
pub const JOINERS: [&str; 3] = ["and", "or", "with"];

/// Words after the last mention (may be empty).
pub const SUFFIXES: [&[&str]; 6] = [
    &[],
    &["again"],
    &["last", "week"],
    &["on", "the", "radio"],
    &["in", "the", "morning"],
    &["today"],
];

/// One tagged sentence.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NerSentence {
    /// Token ids.
    pub ids: Vec<usize>,
    /// 1 if the word is part of a person's name, else 0.
    pub labels: Vec<usize>,
    /// True at the ambiguous words, whose label only the next word decides.
    pub ambiguous: Vec<bool>,
}

/// The NER task: its vocabulary and examples.
#[derive(Clone, Debug, PartialEq)]
pub struct NerData {
    /// Every word the generator writes.
    pub vocab: Vocab,
    /// Training and held-out sentences (no sentence in both).
    pub split: Split<NerSentence>,
}

/// The vocabulary: every word the generator can write.
pub fn vocab() -> Vocab {
    let mut words: Vec<&str> = Vec::new();
    for p in PREFIXES {
        words.extend_from_slice(p);
    }
    words.extend(AMBIGUOUS.iter().map(|a| a.0));
    words.extend_from_slice(&SURNAMES);
    words.extend_from_slice(&THINGS);
    words.extend_from_slice(&FIRST_NAMES);
    words.push("the");
    words.extend_from_slice(&JOINERS);
    for s in SUFFIXES {
        words.extend_from_slice(s);
    }
    Vocab::new(&words)
}

/// Appends one mention (two words) to `s`.
fn mention(rng: &mut Rng, vocab: &Vocab, s: &mut NerSentence) {
    let r = rng.next_f64();
    let (first, second, label, ambiguous) = if r < 0.6 {
        let (word, p_person) = *pick(rng, &AMBIGUOUS);
        if rng.next_f64() < p_person {
            (word, *pick(rng, &SURNAMES), 1, true)
        } else {
            (word, *pick(rng, &THINGS), 0, true)
        }
    } else if r < 0.8 {
        (*pick(rng, &FIRST_NAMES), *pick(rng, &SURNAMES), 1, false)
    } else {
        ("the", *pick(rng, &THINGS), 0, false)
    };
    s.ids.extend(vocab.encode(&[first, second]));
    s.labels.extend([label, label]);
    s.ambiguous.extend([ambiguous, false]);
}

/// Appends words that are never names.
fn plain(vocab: &Vocab, words: &[&str], s: &mut NerSentence) {
    s.ids.extend(vocab.encode(words));
    s.labels.extend(std::iter::repeat_n(0, words.len()));
    s.ambiguous.extend(std::iter::repeat_n(false, words.len()));
}

/// One sentence: prefix, one or two mentions, suffix.
pub fn sentence(rng: &mut Rng, vocab: &Vocab) -> NerSentence {
    let mut s = NerSentence {
        ids: Vec::new(),
        labels: Vec::new(),
        ambiguous: Vec::new(),
    };
    plain(vocab, PREFIXES[rng.below(PREFIXES.len())], &mut s);
    mention(rng, vocab, &mut s);
    if rng.next_f64() < 0.5 {
        plain(vocab, &[*pick(rng, &JOINERS)], &mut s);
        mention(rng, vocab, &mut s);
    }
    plain(vocab, SUFFIXES[rng.below(SUFFIXES.len())], &mut s);
    s
}

/// `n_train` training and `n_test` held-out sentences from `seed`, no
/// sentence in both.
pub fn generate(seed: u64, n_train: usize, n_test: usize) -> NerData {
    let vocab = vocab();
    let mut rng = Rng::new(seed);
    let split = split_distinct(
        n_train,
        n_test,
        || sentence(&mut rng, &vocab),
        |s| s.ids.clone(),
    );
    NerData { vocab, split }
}

/// The words of a sentence with names in `[brackets]` — `marks[t]` says which
/// words to bracket (a label or a prediction); consecutive marked words share
/// one pair of brackets.
pub fn mark_names(vocab: &Vocab, ids: &[usize], marks: &[usize]) -> String {
    let mut out = String::new();
    for (t, &id) in ids.iter().enumerate() {
        let on = marks[t] != 0;
        let prev = t > 0 && marks[t - 1] != 0;
        let next = t + 1 < ids.len() && marks[t + 1] != 0;
        if t > 0 {
            out.push(' ');
        }
        if on && !prev {
            out.push('[');
        }
        out.push_str(vocab.word(id));
        if on && !next {
            out.push(']');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_next_word() {
        let data = generate(1, 500, 100);
        let v = &data.vocab;
        let mut n_amb = 0;
        for s in data.split.train.iter().chain(&data.split.test) {
            assert_eq!(s.ids.len(), s.labels.len());
            for t in 0..s.ids.len() {
                if s.ambiguous[t] {
                    n_amb += 1;
                    let next = v.word(s.ids[t + 1]);
                    let person = SURNAMES.contains(&next);
                    assert!(person || THINGS.contains(&next), "{next}");
                    assert_eq!(s.labels[t], usize::from(person));
                    assert_eq!(s.labels[t + 1], s.labels[t]);
                }
            }
        }
        assert!(n_amb > 300, "{n_amb} ambiguous tokens");
    }

    #[test]
    fn splits_are_disjoint_and_deterministic() {
        let a = generate(7, 300, 100);
        let b = generate(7, 300, 100);
        assert_eq!(a, b);
        assert_eq!(a.split.train.len(), 300);
        assert_eq!(a.split.test.len(), 100);
        let test: std::collections::HashSet<_> = a.split.test.iter().map(|s| &s.ids).collect();
        assert!(a.split.train.iter().all(|s| !test.contains(&s.ids)));
        assert_ne!(a, generate(8, 300, 100));
    }

    #[test]
    fn brackets_mark_names() {
        // The size data/README.md lists.
        assert_eq!(vocab().len(), 62);
        let v = vocab();
        let ids = v.encode(&["he", "said", "Teddy", "Roosevelt", "again"]);
        assert_eq!(
            mark_names(&v, &ids, &[0, 0, 1, 1, 0]),
            "he said [Teddy Roosevelt] again"
        );
    }
}
