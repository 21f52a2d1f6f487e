//! A generated corpus whose analogies are known: the test bed for every
//! embedding method in this crate.
//!
//! Where it sits in the seed: "man : woman :: king : queen" holds in real
//! embeddings because words that differ in one attribute (gender) are used in
//! contexts that differ in the same way. This generator builds that property
//! in, so a learner either finds it or fails a test.
//!
//! **Families.** Each family is a set of words laid out on a grid of
//! attributes: royalty × gender × number (king, queen, kings, queens, prince,
//! …, girls), country × {country, capital, nationality adjective}
//! (france, paris, french, …), verb × {base, present participle, past, third
//! person} (walk, walking, walked, walks), adjective × {base, comparative,
//! superlative} (big, bigger, biggest), base × opposite (possible,
//! impossible), adjective × adverb (quick, quickly).
//!
//! **Contexts.** Every (attribute, value) owns a pool of context words named
//! `c_<value>_<k>` (`c_female_1`, `c_capital_0`, `c_paris_2` — the last kind
//! belonging to the *entity*, shared by france, paris and french), and every
//! family a pool `c_<family>_<k>`. A sentence is one family word surrounded by
//! 8 context words; each context word picks a pool — the family's, or one of
//! the word's attribute values, with the weights in [`ATTRIBUTE_WEIGHT`] and
//! [`ENTITY_WEIGHT`] — then a word of that pool uniformly. So the co-occurrence
//! statistics of a word are a sum over its attributes, and queen − king ≈
//! woman − man.
//!
//! **Questions.** For every pair of words differing in one attribute, and
//! every other pair differing the same way, one question — in the
//! `questions-words.txt` format, with semantic sections (`family`,
//! `capital-common-countries`) and syntactic ones (`gram1-adjective-to-adverb`,
//! `gram2-opposite`, `gram3-comparative`, `gram4-superlative`,
//! `gram5-present-participle`, `gram6-nationality-adjective`,
//! `gram7-past-tense`, `gram8-plural`, `gram9-plural-verbs`), named as in
//! Mikolov et al.'s file.
//!
//! **Pairs.** A word-pair similarity file scores two words of one family by
//! the number of attribute values they share (0 for words of different
//! families).
//!
//! Everything is a deterministic function of the seed and the sentence count.

use crate::err;
use crate::error::{Error, Result};
use crate::rng::Rng;
use std::path::{Path, PathBuf};

/// Weight of each (non-entity) attribute pool when a context word picks a pool.
pub const ATTRIBUTE_WEIGHT: f64 = 3.0;
/// Weight of the entity's own pool (france/paris/french share one).
pub const ENTITY_WEIGHT: f64 = 1.5;
/// Weight of the family's pool.
pub const FAMILY_WEIGHT: f64 = 1.0;
/// Words per context pool.
pub const POOL_SIZE: usize = 3;
/// Context words per sentence (4 before the family word, 4 after).
pub const CONTEXT_PER_SENTENCE: usize = 8;

/// One family: attribute names, and words with their value of each attribute.
#[derive(Clone, Debug)]
pub struct Family {
    /// The family's name (`royalty`, `countries`, …).
    pub name: &'static str,
    /// Attribute names; the first is the entity when `entity` is true.
    pub attributes: Vec<&'static str>,
    /// Whether attribute 0 names an entity (its pool weight is `ENTITY_WEIGHT`).
    pub entity: bool,
    /// (word, value of each attribute).
    pub words: Vec<(String, Vec<String>)>,
    /// Analogy sections: (section name, attribute that changes, from value, to value).
    pub sections: Vec<(&'static str, usize, &'static str, &'static str)>,
}

fn grid(
    name: &'static str,
    types: &[&'static str],
    rows: &[&[&str]],
    sections: Vec<(&'static str, usize, &'static str, &'static str)>,
) -> Family {
    let mut words = Vec::new();
    for r in rows {
        for (t, w) in types.iter().zip(r.iter()) {
            words.push((w.to_string(), vec![r[0].to_string(), t.to_string()]));
        }
    }
    Family {
        name,
        attributes: vec!["entity", "form"],
        entity: true,
        words,
        sections,
    }
}

/// The standard families (see the module docs).
pub fn families() -> Vec<Family> {
    let mut out = Vec::new();
    // Royalty × gender × number.
    let ranks = [
        ("monarch", ["king", "queen", "kings", "queens"]),
        ("heir", ["prince", "princess", "princes", "princesses"]),
        ("adult", ["man", "woman", "men", "women"]),
        ("child", ["boy", "girl", "boys", "girls"]),
    ];
    let mut words = Vec::new();
    for (rank, ws) in ranks {
        let forms = [
            ("male", "singular"),
            ("female", "singular"),
            ("male", "plural"),
            ("female", "plural"),
        ];
        for (w, (g, n)) in ws.iter().zip(forms) {
            words.push((
                w.to_string(),
                vec![rank.to_string(), g.to_string(), n.to_string()],
            ));
        }
    }
    out.push(Family {
        name: "royalty",
        attributes: vec!["rank", "gender", "number"],
        entity: false,
        words,
        sections: vec![
            ("family", 1, "male", "female"),
            ("gram8-plural", 2, "singular", "plural"),
        ],
    });
    out.push(grid(
        "countries",
        &["country", "capital", "nationality"],
        &[
            &["france", "paris", "french"],
            &["italy", "rome", "italian"],
            &["spain", "madrid", "spanish"],
            &["germany", "berlin", "german"],
            &["japan", "tokyo", "japanese"],
            &["china", "beijing", "chinese"],
            &["russia", "moscow", "russian"],
            &["greece", "athens", "greek"],
            &["egypt", "cairo", "egyptian"],
            &["canada", "ottawa", "canadian"],
            &["norway", "oslo", "norwegian"],
            &["peru", "lima", "peruvian"],
        ],
        vec![
            ("capital-common-countries", 1, "capital", "country"),
            ("gram6-nationality-adjective", 1, "country", "nationality"),
        ],
    ));
    out.push(grid(
        "verbs",
        &["base", "participle", "past", "third"],
        &[
            &["walk", "walking", "walked", "walks"],
            &["play", "playing", "played", "plays"],
            &["jump", "jumping", "jumped", "jumps"],
            &["look", "looking", "looked", "looks"],
            &["write", "writing", "wrote", "writes"],
            &["sing", "singing", "sang", "sings"],
            &["swim", "swimming", "swam", "swims"],
            &["run", "running", "ran", "runs"],
            &["go", "going", "went", "goes"],
            &["eat", "eating", "ate", "eats"],
            &["see", "seeing", "saw", "sees"],
            &["fly", "flying", "flew", "flies"],
        ],
        vec![
            ("gram5-present-participle", 1, "base", "participle"),
            ("gram7-past-tense", 1, "participle", "past"),
            ("gram9-plural-verbs", 1, "base", "third"),
        ],
    ));
    out.push(grid(
        "adjectives",
        &["positive", "comparative", "superlative"],
        &[
            &["good", "better", "best"],
            &["big", "bigger", "biggest"],
            &["small", "smaller", "smallest"],
            &["fast", "faster", "fastest"],
            &["tall", "taller", "tallest"],
            &["old", "older", "oldest"],
            &["young", "younger", "youngest"],
            &["strong", "stronger", "strongest"],
            &["bad", "worse", "worst"],
            &["cold", "colder", "coldest"],
            &["warm", "warmer", "warmest"],
            &["long", "longer", "longest"],
        ],
        vec![
            ("gram3-comparative", 1, "positive", "comparative"),
            ("gram4-superlative", 1, "positive", "superlative"),
        ],
    ));
    out.push(grid(
        "opposites",
        &["plain", "negated"],
        &[
            &["possible", "impossible"],
            &["likely", "unlikely"],
            &["fair", "unfair"],
            &["known", "unknown"],
            &["honest", "dishonest"],
            &["able", "unable"],
            &["legal", "illegal"],
            &["usual", "unusual"],
            &["aware", "unaware"],
            &["certain", "uncertain"],
        ],
        vec![("gram2-opposite", 1, "plain", "negated")],
    ));
    out.push(grid(
        "adverbs",
        &["adjective", "adverb"],
        &[
            &["quick", "quickly"],
            &["slow", "slowly"],
            &["calm", "calmly"],
            &["happy", "happily"],
            &["quiet", "quietly"],
            &["rapid", "rapidly"],
            &["sudden", "suddenly"],
            &["careful", "carefully"],
            &["loud", "loudly"],
            &["proud", "proudly"],
        ],
        vec![("gram1-adjective-to-adverb", 1, "adjective", "adverb")],
    ));
    out
}

/// The pool word `c_<value>_<k>`.
pub fn pool_word(value: &str, k: usize) -> String {
    format!("c_{value}_{k}")
}

/// Generates `sentences` lines of the corpus (see the module docs).
pub fn corpus(sentences: usize, seed: u64) -> String {
    let fams = families();
    let total_words: usize = fams.iter().map(|f| f.words.len()).sum();
    let mut rng = Rng::new(seed);
    let mut out = String::new();
    let mut ctx: Vec<String> = Vec::with_capacity(CONTEXT_PER_SENTENCE);
    for _ in 0..sentences {
        // A family word uniformly over all families' words.
        let mut pick = rng.below(total_words);
        let mut fi = 0;
        while pick >= fams[fi].words.len() {
            pick -= fams[fi].words.len();
            fi += 1;
        }
        let f = &fams[fi];
        let (word, values) = &f.words[pick];
        // Pool weights: family, then each attribute.
        let mut weights = vec![FAMILY_WEIGHT];
        for a in 0..f.attributes.len() {
            weights.push(if f.entity && a == 0 {
                ENTITY_WEIGHT
            } else {
                ATTRIBUTE_WEIGHT
            });
        }
        ctx.clear();
        for _ in 0..CONTEXT_PER_SENTENCE {
            let p = rng.categorical(&weights);
            let value = if p == 0 {
                f.name
            } else {
                values[p - 1].as_str()
            };
            ctx.push(pool_word(value, rng.below(POOL_SIZE)));
        }
        let half = CONTEXT_PER_SENTENCE / 2;
        out.push_str(&ctx[..half].join(" "));
        out.push(' ');
        out.push_str(word);
        out.push(' ');
        out.push_str(&ctx[half..].join(" "));
        out.push('\n');
    }
    out
}

/// The analogy questions in the `questions-words.txt` format.
pub fn questions() -> String {
    let mut out = String::new();
    for f in families() {
        for &(section, attr, from, to) in &f.sections {
            // Pairs (x, y) with y = x but attribute `attr` changed from → to.
            let mut pairs = Vec::new();
            for (x, xv) in &f.words {
                if xv[attr] != from {
                    continue;
                }
                for (y, yv) in &f.words {
                    let same_elsewhere = (0..xv.len()).all(|a| a == attr || xv[a] == yv[a]);
                    if yv[attr] == to && same_elsewhere {
                        pairs.push((x.clone(), y.clone()));
                    }
                }
            }
            out.push_str(&format!(": {section}\n"));
            for (a, b) in &pairs {
                for (c, d) in &pairs {
                    if a != c {
                        out.push_str(&format!("{a} {b} {c} {d}\n"));
                    }
                }
            }
        }
    }
    out
}

/// The word-pair similarity file: every pair of family words within a
/// family scored by shared attribute values, plus one cross-family pair per
/// word; `#` header lines, tab-separated.
pub fn pairs() -> String {
    let fams = families();
    let mut out = String::from(
        "# synthetic word pairs: score = attribute values shared\n# Word 1\tWord 2\tScore\n",
    );
    for (fi, f) in fams.iter().enumerate() {
        for (i, (x, xv)) in f.words.iter().enumerate() {
            for (y, yv) in f.words.iter().skip(i + 1) {
                let shared = xv.iter().zip(yv).filter(|(a, b)| a == b).count();
                out.push_str(&format!("{x}\t{y}\t{shared}\n"));
            }
            let g = &fams[(fi + 1) % fams.len()];
            let (y, _) = &g.words[i % g.words.len()];
            out.push_str(&format!("{x}\t{y}\t0\n"));
        }
    }
    out
}

/// The family and attribute values of a family word (`None` for context words).
pub fn attributes_of(word: &str) -> Option<(&'static str, Vec<String>)> {
    families().into_iter().find_map(|f| {
        f.words
            .iter()
            .find(|(w, _)| w == word)
            .map(|(_, v)| (f.name, v.clone()))
    })
}

/// Paths written by `write_dataset`.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// The corpus, one sentence per line.
    pub corpus: PathBuf,
    /// The analogy questions.
    pub questions: PathBuf,
    /// The word-pair similarities.
    pub pairs: PathBuf,
    /// Sentences written.
    pub sentences: usize,
}

/// Default sentence count of `write_dataset`.
pub const DEFAULT_SENTENCES: usize = 60_000;

/// Writes `corpus.txt`, `questions-words.txt` and `pairs.txt` into `dir`
/// (created if needed), for `seqmodels data analogies --out DIR`.
pub fn write_dataset(dir: impl AsRef<Path>, sentences: usize, seed: u64) -> Result<Dataset> {
    let dir = dir.as_ref();
    if sentences == 0 {
        return Err(err!(
            "synthetic dataset: the sentence count must be at least 1"
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let write = |name: &str, text: String| -> Result<PathBuf> {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| Error::io(&p, e))?;
        Ok(p)
    };
    Ok(Dataset {
        corpus: write("corpus.txt", corpus(sentences, seed))?,
        questions: write("questions-words.txt", questions())?,
        pairs: write("pairs.txt", pairs())?,
        sentences,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_words_are_distinct_and_not_pool_words() {
        let mut all: Vec<String> = families()
            .into_iter()
            .flat_map(|f| f.words.into_iter().map(|w| w.0))
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n, "a word belongs to two families");
        assert!(all.iter().all(|w| !w.starts_with("c_")));
    }

    #[test]
    fn questions_have_known_sections_and_answers() {
        let q = questions();
        assert!(q.contains(": family\nking queen kings queens\nking queen prince princess\n"));
        assert!(q.contains("paris france rome italy\n"));
        assert!(q.contains("walking walked swimming swam\n"));
        // Four words per question line.
        for l in q.lines().filter(|l| !l.starts_with(':')) {
            assert_eq!(l.split(' ').count(), 4, "{l}");
        }
        assert_eq!(corpus(50, 3), corpus(50, 3));
        assert_ne!(corpus(50, 3), corpus(50, 4));
    }
}
