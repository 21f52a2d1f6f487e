//! `WordVectors`: a vocabulary and its embedding matrix, with the word-vector
//! operations of the course: cosine similarity, Euclidean distance, nearest
//! neighbours and analogies.
//!
//! Where it sits in the seed: "properties of word embeddings": man : woman ::
//! king : ?, solved by e_king − e_man + e_woman and the nearest word by cosine
//! similarity, always in the full dimension (never in a t-SNE plot).
//!
//! ```text
//! cos(u, v) = u·v / (‖u‖ ‖v‖)          distance(u, v) = ‖u − v‖
//! 3CosAdd:  argmax_x cos(x, b − a + c)      over unit vectors (Mikolov et al. 2013)
//! 3CosMul:  argmax_x cos'(x,b)·cos'(x,c) / (cos'(x,a) + ε),  cos' = (1 + cos)/2, ε = 1e-6
//!           (Levy & Goldberg 2014; the shift to [0, 1] and ε follow gensim)
//! ```
//! The query words are excluded from the answers, as gensim does.

use super::corpus::FnvMap;
use crate::err;
use crate::error::Result;
use crate::linalg::{gemm, MatMut, MatRef, Matrix, Op};
use std::sync::OnceLock;

/// Words (in the order of the file or trainer, most frequent first by
/// convention), their vectors, and lazily computed unit-length rows.
#[derive(Debug)]
pub struct WordVectors {
    words: Vec<String>,
    index: FnvMap<String, usize>,
    /// E: (V, D), one word per row.
    vectors: Matrix<f32>,
    unit: OnceLock<Matrix<f32>>,
}

impl Clone for WordVectors {
    fn clone(&self) -> WordVectors {
        WordVectors {
            words: self.words.clone(),
            index: self.index.clone(),
            vectors: self.vectors.clone(),
            unit: OnceLock::new(),
        }
    }
}

impl WordVectors {
    /// Pairs `words` with the rows of `vectors` (V, D). A repeated word is an
    /// error naming it; the row counts must agree (a programming error otherwise).
    pub fn new(words: Vec<String>, vectors: Matrix<f32>) -> Result<WordVectors> {
        assert_eq!(
            words.len(),
            vectors.rows(),
            "WordVectors::new: {} words, {} rows",
            words.len(),
            vectors.rows()
        );
        let mut index = FnvMap::default();
        for (i, w) in words.iter().enumerate() {
            if let Some(j) = index.insert(w.clone(), i) {
                return Err(err!(
                    "word {w:?} appears twice (entries {} and {})",
                    j + 1,
                    i + 1
                ));
            }
        }
        Ok(WordVectors {
            words,
            index,
            vectors,
            unit: OnceLock::new(),
        })
    }

    /// Number of words V.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True if there are no words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Dimension D.
    pub fn dim(&self) -> usize {
        self.vectors.cols()
    }

    /// The words, in order.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The matrix E: (V, D).
    pub fn matrix(&self) -> &Matrix<f32> {
        &self.vectors
    }

    /// Mutable access to E (clears the cached unit rows).
    pub fn matrix_mut(&mut self) -> &mut Matrix<f32> {
        self.unit = OnceLock::new();
        &mut self.vectors
    }

    /// The index of `w`, if present.
    pub fn index_of(&self, w: &str) -> Option<usize> {
        self.index.get(w).copied()
    }

    /// The index of `w`, or an error naming it.
    pub fn index(&self, w: &str) -> Result<usize> {
        self.index_of(w)
            .ok_or_else(|| err!("word {w:?} is not in the vocabulary ({} words)", self.len()))
    }

    /// e_w, the raw vector of `w`.
    pub fn vector(&self, w: &str) -> Result<&[f32]> {
        Ok(self.vectors.row(self.index(w)?))
    }

    /// Every row scaled to unit length (zero rows stay zero), computed once.
    pub fn unit_vectors(&self) -> &Matrix<f32> {
        self.unit.get_or_init(|| {
            let mut u = self.vectors.clone();
            for i in 0..u.rows() {
                let r = u.row_mut(i);
                let n = r.iter().map(|&x| x as f64 * x as f64).sum::<f64>().sqrt();
                if n > 0.0 {
                    r.iter_mut().for_each(|x| *x = (*x as f64 / n) as f32);
                }
            }
            u
        })
    }

    /// Cosine similarity of two words.
    pub fn similarity(&self, a: &str, b: &str) -> Result<f32> {
        let (i, j) = (self.index(a)?, self.index(b)?);
        let u = self.unit_vectors();
        Ok(dot(u.row(i), u.row(j)) as f32)
    }

    /// Euclidean distance ‖e_a − e_b‖ between the raw vectors.
    pub fn distance(&self, a: &str, b: &str) -> Result<f32> {
        let (x, y) = (self.vector(a)?, self.vector(b)?);
        let d: f64 = x
            .iter()
            .zip(y)
            .map(|(&p, &q)| (p as f64 - q as f64).powi(2))
            .sum();
        Ok(d.sqrt() as f32)
    }

    /// Cosine similarity of every word with `query` (D): one GEMM of the unit
    /// rows (V, D) with the unit query.
    pub fn cosines(&self, query: &[f32]) -> Vec<f32> {
        assert_eq!(query.len(), self.dim(), "cosines: query length");
        let n = dot(query, query).sqrt();
        let q: Vec<f32> = if n > 0.0 {
            query.iter().map(|&x| (x as f64 / n) as f32).collect()
        } else {
            query.to_vec()
        };
        let mut out = vec![0f32; self.len()];
        gemm(
            Op::N,
            Op::N,
            1.0,
            self.unit_vectors().view(),
            MatRef::from_slice(&q, self.dim(), 1),
            0.0,
            MatMut::from_slice(&mut out, self.len(), 1),
        );
        out
    }

    /// 3CosAdd (gensim's `most_similar`): the `topn` words nearest by cosine to
    /// the mean of the unit vectors of `positive` minus those of `negative`,
    /// excluding the query words. Unknown words are an error naming them.
    pub fn most_similar(
        &self,
        positive: &[&str],
        negative: &[&str],
        topn: usize,
    ) -> Result<Vec<(String, f32)>> {
        let (pos, neg) = self.query_indices(positive, negative)?;
        if pos.is_empty() && neg.is_empty() {
            return Err(err!("most_similar: give at least one word"));
        }
        let u = self.unit_vectors();
        let mut mean = vec![0f64; self.dim()];
        for (&i, s) in pos
            .iter()
            .map(|i| (i, 1.0))
            .chain(neg.iter().map(|i| (i, -1.0)))
        {
            for (m, &x) in mean.iter_mut().zip(u.row(i)) {
                *m += s * x as f64;
            }
        }
        let k = (pos.len() + neg.len()) as f64;
        let mean: Vec<f32> = mean.iter().map(|&m| (m / k) as f32).collect();
        let sims = self.cosines(&mean);
        let exclude: Vec<usize> = pos.iter().chain(&neg).copied().collect();
        Ok(self.top(&sims, topn, &exclude))
    }

    /// 3CosMul (gensim's `most_similar_cosmul`, Levy & Goldberg 2014):
    /// score(x) = Π_{p ∈ positive} cos'(x, p) / (Π_{n ∈ negative} cos'(x, n) + 1e-6),
    /// with cos' = (1 + cos)/2 so every factor is in [0, 1].
    pub fn most_similar_cosmul(
        &self,
        positive: &[&str],
        negative: &[&str],
        topn: usize,
    ) -> Result<Vec<(String, f32)>> {
        let (pos, neg) = self.query_indices(positive, negative)?;
        if pos.is_empty() {
            return Err(err!("most_similar_cosmul: give at least one positive word"));
        }
        let u = self.unit_vectors();
        let mut num = vec![1f64; self.len()];
        let mut den = vec![1f64; self.len()];
        for &p in &pos {
            for (n, c) in num.iter_mut().zip(self.cosines(u.row(p))) {
                *n *= (1.0 + c as f64) / 2.0;
            }
        }
        for &q in &neg {
            for (d, c) in den.iter_mut().zip(self.cosines(u.row(q))) {
                *d *= (1.0 + c as f64) / 2.0;
            }
        }
        // With no negative word the empty product is 1, as in gensim.
        let scores: Vec<f32> = num
            .iter()
            .zip(&den)
            .map(|(&n, &d)| (n / (d + 1e-6)) as f32)
            .collect();
        let exclude: Vec<usize> = pos.iter().chain(&neg).copied().collect();
        Ok(self.top(&scores, topn, &exclude))
    }

    /// a : b :: c : ? by 3CosAdd: the word nearest to e_b − e_a + e_c, e.g.
    /// `analogy("man", "woman", "king")` → queen.
    pub fn analogy(&self, a: &str, b: &str, c: &str) -> Result<(String, f32)> {
        self.most_similar(&[b, c], &[a], 1)?
            .into_iter()
            .next()
            .ok_or_else(|| err!("analogy: the vocabulary has no word besides {a}, {b}, {c}"))
    }

    /// The first `n` words (the most frequent, by convention) and their vectors.
    pub fn restrict_vocab(&self, n: usize) -> WordVectors {
        let n = n.min(self.len());
        let words = self.words[..n].to_vec();
        let m = self.vectors.rows_range(0, n).to_matrix();
        WordVectors::new(words, m).expect("a prefix of distinct words is distinct")
    }

    /// The indices of an analogy query's positive and negative words; one
    /// error names every unknown word of both lists.
    fn query_indices(
        &self,
        positive: &[&str],
        negative: &[&str],
    ) -> Result<(Vec<usize>, Vec<usize>)> {
        let all: Vec<&str> = positive.iter().chain(negative).copied().collect();
        let idx = self.indices(&all)?;
        let neg = idx[positive.len()..].to_vec();
        let mut pos = idx;
        pos.truncate(positive.len());
        Ok((pos, neg))
    }

    fn indices(&self, ws: &[&str]) -> Result<Vec<usize>> {
        let missing: Vec<&str> = ws
            .iter()
            .copied()
            .filter(|w| self.index_of(w).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(err!(
                "not in the vocabulary ({} words): {}",
                self.len(),
                missing
                    .iter()
                    .map(|w| format!("{w:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(ws.iter().map(|w| self.index[*w]).collect())
    }

    /// The `topn` highest `scores` not in `exclude`, best first (ties go to
    /// the lower index, so results are deterministic).
    pub fn top(&self, scores: &[f32], topn: usize, exclude: &[usize]) -> Vec<(String, f32)> {
        top_indices(scores, topn, exclude)
            .into_iter()
            .map(|i| (self.words[i].clone(), scores[i]))
            .collect()
    }
}

/// The indices of the `topn` highest scores not in `exclude`, best first; NaN
/// scores rank last, ties go to the lower index.
pub fn top_indices(scores: &[f32], topn: usize, exclude: &[usize]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).filter(|i| !exclude.contains(i)).collect();
    let key = |i: usize| {
        if scores[i].is_nan() {
            f32::NEG_INFINITY
        } else {
            scores[i]
        }
    };
    let cmp = |a: &usize, b: &usize| key(*b).total_cmp(&key(*a)).then(a.cmp(b));
    let k = topn.min(idx.len());
    if k == 0 {
        return Vec::new();
    }
    if k < idx.len() {
        idx.select_nth_unstable_by(k - 1, cmp);
        idx.truncate(k);
    }
    idx.sort_by(cmp);
    idx
}

/// u·v accumulated in f64.
pub fn dot(u: &[f32], v: &[f32]) -> f64 {
    u.iter().zip(v).map(|(&a, &b)| a as f64 * b as f64).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> WordVectors {
        // gender along x, royalty along y, a food direction along z.
        let words = ["man", "woman", "king", "queen", "apple", "orange"];
        let v = vec![
            1.0, 0.0, 0.0, 0.1, //
            -1.0, 0.0, 0.0, 0.1, //
            1.0, 1.0, 0.0, 0.0, //
            -1.0, 1.0, 0.0, 0.0, //
            0.0, 0.0, 1.0, 0.2, //
            0.0, 0.1, 1.0, 0.0,
        ];
        WordVectors::new(
            words.iter().map(|s| s.to_string()).collect(),
            Matrix::from_vec(6, 4, v),
        )
        .unwrap()
    }

    #[test]
    fn analogy_and_similarity() {
        let wv = toy();
        assert_eq!(wv.analogy("man", "woman", "king").unwrap().0, "queen");
        assert_eq!(
            wv.most_similar_cosmul(&["woman", "king"], &["man"], 1)
                .unwrap()[0]
                .0,
            "queen"
        );
        let s = wv.similarity("apple", "orange").unwrap();
        assert!(s > 0.9 && s > wv.similarity("apple", "king").unwrap());
        let d = wv.distance("man", "woman").unwrap();
        assert!((d - 2.0).abs() < 1e-6, "{d}");
        let near = wv.most_similar(&["apple"], &[], 2).unwrap();
        assert_eq!(near[0].0, "orange");
        assert!(near.iter().all(|(w, _)| w != "apple"));
    }

    #[test]
    fn unknown_words_are_named() {
        let wv = toy();
        let e = wv
            .most_similar(&["king", "pear"], &["plum"], 3)
            .unwrap_err();
        assert!(
            e.message().contains("\"pear\"") && e.message().contains("\"plum\""),
            "{e}"
        );
        assert!(wv
            .similarity("x", "king")
            .unwrap_err()
            .message()
            .contains("\"x\""));
    }

    #[test]
    fn duplicates_are_rejected_and_restrict_keeps_a_prefix() {
        let e = WordVectors::new(vec!["a".into(), "a".into()], Matrix::zeros(2, 3)).unwrap_err();
        assert!(e.message().contains("\"a\""), "{e}");
        let r = toy().restrict_vocab(3);
        assert_eq!(r.words(), ["man", "woman", "king"]);
        assert!(r.index_of("queen").is_none());
    }
}
