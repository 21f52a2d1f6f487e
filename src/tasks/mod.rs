//! Generated learning tasks that show why each RNN architecture exists, and
//! the training loops that learn them.
//!
//! Where they sit in the seed: each task is one of the seed's motivating
//! examples, made small enough to learn in seconds and generated from a seed
//! so that a test can assert a level only learning reaches.
//!
//! - `ner.rs` — name recognition (many-to-many, Tx = Ty) where a word's
//!   label depends on the **next** word ("Teddy Roosevelt" versus "Teddy
//!   bears"): only a bidirectional RNN can see it (topic 11).
//! - `agreement.rs` — the seed's "The cat, which …, was full" / "The cats,
//!   which …, were full": a dependency across a long relative clause, which
//!   the vanilla RNN's vanishing gradients make hard and the GRU and LSTM
//!   learn (topics 8–10).
//! - `sentiment.rs` — many-to-one: a star rating for a generated review,
//!   where "not" flips the adjective after it (topic 5).
//! - `dates.rs` — many-to-many with Tx ≠ Ty: an encoder–decoder that
//!   rewrites human-written dates as ISO dates (topic 5, machine translation
//!   in miniature).
//! - `train.rs` — the training loops and each task's recipe (model sizes,
//!   optimiser, steps), shared by `tests/learning_*.rs` and `seqmodels demo`.
//!
//! Every generator is deterministic from a seed and returns a training set and
//! a held-out set with no example in both. `data/README.md` documents what
//! each one generates.

pub mod agreement;
pub mod dates;
pub mod ner;
pub mod sentiment;
pub mod train;

use std::collections::HashMap;

/// A fixed word list: token id ↔ word.
#[derive(Clone, Debug, PartialEq)]
pub struct Vocab {
    words: Vec<String>,
    index: HashMap<String, usize>,
}

impl Vocab {
    /// A vocabulary of the distinct words of `words`, ids in order of first
    /// appearance.
    pub fn new<S: AsRef<str>>(words: &[S]) -> Vocab {
        let mut v = Vocab {
            words: Vec::new(),
            index: HashMap::new(),
        };
        for w in words {
            v.add(w.as_ref());
        }
        v
    }

    /// Adds `word` if it is new; returns its id either way.
    pub fn add(&mut self, word: &str) -> usize {
        if let Some(&id) = self.index.get(word) {
            return id;
        }
        let id = self.words.len();
        self.words.push(word.to_string());
        self.index.insert(word.to_string(), id);
        id
    }

    /// The id of `word`, if it is in the vocabulary.
    pub fn id(&self, word: &str) -> Option<usize> {
        self.index.get(word).copied()
    }

    /// The word with this id. Panics on an id outside the vocabulary (ids
    /// come from the vocabulary itself, so that is a programming error).
    pub fn word(&self, id: usize) -> &str {
        &self.words[id]
    }

    /// The number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True if there are no words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The ids of `words`. Panics on a word outside the vocabulary (the
    /// generators only write words of their own vocabulary).
    pub fn encode<S: AsRef<str>>(&self, words: &[S]) -> Vec<usize> {
        words
            .iter()
            .map(|w| {
                let w = w.as_ref();
                self.id(w)
                    .unwrap_or_else(|| panic!("word {w:?} is not in the task's vocabulary"))
            })
            .collect()
    }

    /// The words of `ids` joined by spaces.
    pub fn decode(&self, ids: &[usize]) -> String {
        ids.iter()
            .map(|&i| self.word(i))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A training set and a held-out set with no example in both.
#[derive(Clone, Debug, PartialEq)]
pub struct Split<E> {
    /// Examples to learn from.
    pub train: Vec<E>,
    /// Held-out examples to measure on.
    pub test: Vec<E>,
}

/// Draws `n_test` distinct held-out examples, then `n_train` distinct
/// training examples that are not held out, from `draw`. `key` says when two
/// examples are the same. Gives up (returning fewer examples) only if
/// `draw` keeps repeating itself: after `50 × (n_train + n_test)` draws.
pub fn split_distinct<E, K: std::hash::Hash + Eq>(
    n_train: usize,
    n_test: usize,
    mut draw: impl FnMut() -> E,
    key: impl Fn(&E) -> K,
) -> Split<E> {
    let mut seen = std::collections::HashSet::new();
    let mut test = Vec::with_capacity(n_test);
    let mut train = Vec::with_capacity(n_train);
    let mut budget = 50 * (n_train + n_test);
    while (test.len() < n_test || train.len() < n_train) && budget > 0 {
        budget -= 1;
        let e = draw();
        if !seen.insert(key(&e)) {
            continue;
        }
        if test.len() < n_test {
            test.push(e);
        } else {
            train.push(e);
        }
    }
    Split { train, test }
}

/// Picks one element of a non-empty list.
pub(crate) fn pick<'a, X>(rng: &mut crate::rng::Rng, xs: &'a [X]) -> &'a X {
    &xs[rng.below(xs.len())]
}
