//! Intrinsic evaluation of word vectors: analogy questions and word-pair
//! similarity, as gensim's `evaluate_word_analogies` and
//! `evaluate_word_pairs` do them.
//!
//! Where it sits in the seed: "man : woman :: king : ?" is the seed's test of
//! an embedding; the analogy files of Mikolov et al. (2013) ask thousands of
//! such questions, and word-pair files (WordSim-353, SimLex-999) compare
//! cosine similarities with human judgements.
//!
//! **Analogy files** (`questions-words.txt` format): `: section` header lines,
//! then lines of four words `a b c d` meaning a : b :: c : d. A question is
//! answered by 3CosAdd over unit vectors — the word nearest to
//! ê_b − ê_a + ê_c among the first `restrict_vocab` words, excluding a, b and
//! c — and is correct if that word is d. Questions with a word outside the
//! (restricted) vocabulary are skipped and counted. Sections whose name starts
//! with `gram` are syntactic; the others semantic. With `case_insensitive`,
//! words are compared upper-cased and each maps to its most frequent variant.
//!
//! **Pair files** (WS353 / SimLex style): `word1 word2 score` per line,
//! separated by tabs (or, if a line has no tab, spaces); `#` starts a comment
//! line. Reported: Pearson's r and Spearman's ρ (ties get average ranks)
//! between the scores and the cosine similarities, over the pairs whose two
//! words are known, and the percentage of pairs skipped as out of vocabulary.

use super::vectors::WordVectors;
use crate::err;
use crate::error::{Error, Result};
use crate::linalg::{gemm, Matrix, Op};
use std::collections::HashMap;
use std::path::Path;

/// Options shared by both evaluations.
#[derive(Clone, Copy, Debug)]
pub struct EvalOptions {
    /// Use only the first N words (the most frequent): gensim's `restrict_vocab`
    /// (gensim's default for analogies is 300 000).
    pub restrict_vocab: Option<usize>,
    /// Compare words upper-cased (gensim's default is `true`).
    pub case_insensitive: bool,
}

impl Default for EvalOptions {
    fn default() -> EvalOptions {
        EvalOptions {
            restrict_vocab: Some(300_000),
            case_insensitive: true,
        }
    }
}

/// Correct answers out of questions answered, for one section or a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionScore {
    /// The section name (`capital-common-countries`, `gram3-comparative`, …)
    /// or `semantic` / `syntactic` / `total`.
    pub name: String,
    /// Questions answered correctly.
    pub correct: usize,
    /// Questions answered (all four words known).
    pub answered: usize,
}

impl SectionScore {
    fn new(name: &str) -> SectionScore {
        SectionScore {
            name: name.to_string(),
            correct: 0,
            answered: 0,
        }
    }

    /// correct / answered (0 when nothing was answered).
    pub fn accuracy(&self) -> f64 {
        if self.answered == 0 {
            0.0
        } else {
            self.correct as f64 / self.answered as f64
        }
    }
}

/// The result of an analogy evaluation.
#[derive(Clone, Debug)]
pub struct AnalogyReport {
    /// One entry per section, in file order.
    pub sections: Vec<SectionScore>,
    /// Sections whose name does not start with `gram`.
    pub semantic: SectionScore,
    /// Sections whose name starts with `gram`.
    pub syntactic: SectionScore,
    /// Everything.
    pub total: SectionScore,
    /// Questions in the file.
    pub questions: usize,
    /// Questions skipped because a word is out of the (restricted) vocabulary.
    pub oov_questions: usize,
}

impl AnalogyReport {
    /// Percentage of questions skipped as out of vocabulary.
    pub fn oov_percent(&self) -> f64 {
        if self.questions == 0 {
            0.0
        } else {
            100.0 * self.oov_questions as f64 / self.questions as f64
        }
    }
}

/// Word lookup for evaluation: restricted to the first N words, optionally
/// case-insensitive (each upper-cased form maps to its most frequent variant).
struct Lookup {
    n: usize,
    keys: Vec<String>,
    map: HashMap<String, usize>,
    fold: bool,
}

impl Lookup {
    fn new(wv: &WordVectors, opt: &EvalOptions) -> Lookup {
        let n = opt.restrict_vocab.unwrap_or(usize::MAX).min(wv.len());
        let fold = opt.case_insensitive;
        let keys: Vec<String> = wv.words()[..n]
            .iter()
            .map(|w| if fold { w.to_uppercase() } else { w.clone() })
            .collect();
        let mut map = HashMap::with_capacity(n);
        // Insert from the least frequent so the most frequent variant wins.
        for i in (0..n).rev() {
            map.insert(keys[i].clone(), i);
        }
        Lookup { n, keys, map, fold }
    }

    fn key(&self, w: &str) -> String {
        if self.fold {
            w.to_uppercase()
        } else {
            w.to_string()
        }
    }

    fn get(&self, w: &str) -> Option<usize> {
        self.map.get(&self.key(w)).copied()
    }
}

/// Evaluates `wv` on an analogy file (see the module docs).
pub fn evaluate_word_analogies(
    wv: &WordVectors,
    path: impl AsRef<Path>,
    opt: &EvalOptions,
) -> Result<AnalogyReport> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    evaluate_analogies_text(wv, &text, opt).map_err(|e| e.context(path.display()))
}

/// `evaluate_word_analogies` on the text of a file.
pub fn evaluate_analogies_text(
    wv: &WordVectors,
    text: &str,
    opt: &EvalOptions,
) -> Result<AnalogyReport> {
    let look = Lookup::new(wv, opt);
    // Parse everything first: (section index, [a, b, c, d] indices).
    let mut sections: Vec<SectionScore> = Vec::new();
    let mut qs: Vec<(usize, [usize; 4])> = Vec::new();
    let mut questions = 0;
    let mut oov = 0;
    for (i, line) in text.lines().enumerate() {
        let ln = i + 1;
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if let Some(name) = t.strip_prefix(':') {
            let name = name.trim();
            if name.is_empty() {
                return Err(err!("line {ln}: section header without a name"));
            }
            sections.push(SectionScore::new(name));
            continue;
        }
        let f: Vec<&str> = t.split_whitespace().collect();
        if f.len() != 4 {
            return Err(err!(
                "line {ln}: expected four words `a b c d` (a : b :: c : d), found {} fields",
                f.len()
            ));
        }
        if sections.is_empty() {
            return Err(err!("line {ln}: question before any `: section` header"));
        }
        questions += 1;
        let ids: Vec<Option<usize>> = f.iter().map(|w| look.get(w)).collect();
        if ids.iter().any(|x| x.is_none()) {
            oov += 1;
            continue;
        }
        let ids = [
            ids[0].unwrap(),
            ids[1].unwrap(),
            ids[2].unwrap(),
            ids[3].unwrap(),
        ];
        qs.push((sections.len() - 1, ids));
    }
    // Answer in batches: Q = ê_b − ê_a + ê_c, one row per question, then
    // S = Q · Uᵀ against the first n unit rows with one GEMM.
    let u = wv.unit_vectors();
    let d = wv.dim();
    let n = look.n;
    let unit = u.rows_range(0, n);
    const BATCH: usize = 256;
    for chunk in qs.chunks(BATCH) {
        let mut q = Matrix::<f32>::zeros(chunk.len(), d);
        for (r, (_, [a, b, c, _])) in chunk.iter().enumerate() {
            let row = q.row_mut(r);
            for k in 0..d {
                row[k] = u.row(*b)[k] - u.row(*a)[k] + u.row(*c)[k];
            }
        }
        let mut s = Matrix::<f32>::zeros(chunk.len(), n);
        gemm(Op::N, Op::T, 1.0, q.view(), unit, 0.0, s.view_mut());
        for (r, (sec, [a, b, c, expected])) in chunk.iter().enumerate() {
            let ignore = [&look.keys[*a], &look.keys[*b], &look.keys[*c]];
            let mut best: Option<usize> = None;
            for (j, &score) in s.row(r).iter().enumerate() {
                if j == *a || j == *b || j == *c || ignore.contains(&&look.keys[j]) {
                    continue;
                }
                if best.is_none_or(|bj| score > s.row(r)[bj]) {
                    best = Some(j);
                }
            }
            let ok = best.is_some_and(|j| look.keys[j] == look.keys[*expected]);
            sections[*sec].answered += 1;
            sections[*sec].correct += ok as usize;
        }
    }
    let mut semantic = SectionScore::new("semantic");
    let mut syntactic = SectionScore::new("syntactic");
    let mut total = SectionScore::new("total");
    for s in &sections {
        let g = if s.name.starts_with("gram") {
            &mut syntactic
        } else {
            &mut semantic
        };
        g.correct += s.correct;
        g.answered += s.answered;
        total.correct += s.correct;
        total.answered += s.answered;
    }
    Ok(AnalogyReport {
        sections,
        semantic,
        syntactic,
        total,
        questions,
        oov_questions: oov,
    })
}

/// The result of a word-pair similarity evaluation.
#[derive(Clone, Debug)]
pub struct PairsReport {
    /// Pearson's r between the human scores and the cosine similarities.
    pub pearson: f64,
    /// Spearman's ρ (average ranks for ties).
    pub spearman: f64,
    /// Pairs used (both words known).
    pub pairs: usize,
    /// Pairs skipped because a word is unknown.
    pub oov_pairs: usize,
}

impl PairsReport {
    /// Percentage of pairs skipped as out of vocabulary (gensim's `oov_ratio`).
    pub fn oov_percent(&self) -> f64 {
        let all = self.pairs + self.oov_pairs;
        if all == 0 {
            0.0
        } else {
            100.0 * self.oov_pairs as f64 / all as f64
        }
    }
}

/// Evaluates `wv` on a word-pair similarity file (see the module docs).
pub fn evaluate_word_pairs(
    wv: &WordVectors,
    path: impl AsRef<Path>,
    opt: &EvalOptions,
) -> Result<PairsReport> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    evaluate_pairs_text(wv, &text, opt).map_err(|e| e.context(path.display()))
}

/// `evaluate_word_pairs` on the text of a file.
pub fn evaluate_pairs_text(wv: &WordVectors, text: &str, opt: &EvalOptions) -> Result<PairsReport> {
    let look = Lookup::new(wv, opt);
    let u = wv.unit_vectors();
    let (mut gold, mut model) = (Vec::new(), Vec::new());
    let mut oov = 0;
    for (i, line) in text.lines().enumerate() {
        let ln = i + 1;
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = if t.contains('\t') {
            t.split('\t').map(str::trim).collect()
        } else {
            t.split_whitespace().collect()
        };
        if f.len() != 3 {
            return Err(err!(
                "line {ln}: expected `word1 word2 score` (tab or space separated), found {} fields",
                f.len()
            ));
        }
        let score: f64 = match f[2].parse::<f64>() {
            Ok(x) if x.is_finite() => x,
            _ => return Err(err!("line {ln}: score {:?} is not a number", f[2])),
        };
        match (look.get(f[0]), look.get(f[1])) {
            (Some(a), Some(b)) => {
                gold.push(score);
                model.push(super::vectors::dot(u.row(a), u.row(b)));
            }
            _ => oov += 1,
        }
    }
    if gold.len() < 2 {
        return Err(err!(
            "only {} pair(s) have both words in the vocabulary ({oov} skipped): too few to correlate",
            gold.len()
        ));
    }
    Ok(PairsReport {
        pearson: pearson(&gold, &model),
        spearman: spearman(&gold, &model),
        pairs: gold.len(),
        oov_pairs: oov,
    })
}

/// Pearson's correlation coefficient (0 if either side is constant).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "pearson: lengths differ");
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

/// Ranks 1..n, tied values sharing the average of their ranks.
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for k in i..=j {
            r[idx[k]] = avg;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation: Pearson's r of the average ranks.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&average_ranks(x), &average_ranks(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 10.0, 5.0]),
            [2.5, 4.0, 2.5, 1.0]
        );
        // Spearman of a monotone but non-linear relation is exactly 1.
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [1.0, 8.0, 27.0, 64.0];
        assert!((spearman(&x, &y) - 1.0).abs() < 1e-12);
        assert!(pearson(&x, &y) < 0.99);
    }
}
