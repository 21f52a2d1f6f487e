//! GloVe (Pennington, Socher & Manning 2014): global vectors from a weighted
//! least-squares fit of log co-occurrence counts.
//!
//! Where it sits in the course: after word2vec, GloVe learns the same kind of
//! E from the matrix X of co-occurrence counts, X_ij = how often word j
//! appears in the context of word i:
//!
//! ```text
//! J = ½ Σ_{X_ij > 0} f(X_ij) (w_i·w̃_j + b_i + b̃_j − log X_ij)²
//! f(x) = min(1, (x / x_max)^α),   x_max = 100, α = 0.75
//! ```
//! (the paper writes J without the ½; GloVe's code has it, and so does this
//! module, so the gradients below carry no factor 2).
//!
//! - **Counting**: a symmetric window of `window` words on each side, each
//!   pair weighted 1/d for words d apart (GloVe's `cooccur`). Counts live in a
//!   hash map keyed by the pair of word ids, so memory is proportional to the
//!   vocabulary plus the number of distinct pairs, never to the corpus, which
//!   is streamed line by line. Windows do not cross line breaks.
//! - **Training**: AdaGrad exactly as GloVe's `glove.c`: accumulators start
//!   at 1, the step uses the accumulator *before* adding the current squared
//!   step, and η = 0.05 sits inside the accumulated quantity:
//!   θ −= η·g / √G;  G += (η·g)².
//!   The non-zero entries are visited in a fresh random order each epoch.
//! - **Output**: W + W̃ (GloVe's `-model 2`).
//!
//! Training is single-threaded (GloVe's own Hogwild split is not needed at the
//! sizes this crate trains; word2vec shows the Hogwild scheme).
//! Derivation: DERIVATIONS.md, "GloVe"; test: `tests/embeddings_grad.rs`,
//! `glove_gradients`.

use super::corpus::{Corpus, FnvMap, Vocab};
use super::vectors::WordVectors;
use super::word2vec::{dot, Progress, ProgressFn};
use crate::err;
use crate::error::Result;
use crate::linalg::Scalar;
use crate::rng::Rng;
use crate::Matrix;
use std::time::Instant;

/// GloVe settings (names follow GloVe's flags where they exist).
#[derive(Clone, Debug)]
pub struct GloveConfig {
    /// D, the vector size (`-vector-size`).
    pub size: usize,
    /// Words on each side (`-window-size`).
    pub window: usize,
    /// Words rarer than this are dropped (`-min-count`).
    pub min_count: u64,
    /// Epochs (`-iter`).
    pub iter: usize,
    /// x_max of the weighting function (`-x-max`, 100).
    pub x_max: f64,
    /// α of the weighting function (`-alpha`, 0.75).
    pub power: f64,
    /// Initial AdaGrad learning rate η (`-eta`, 0.05).
    pub eta: f64,
    /// Seed for initialisation and the visiting order.
    pub seed: u64,
    /// Lower-case the corpus while tokenizing.
    pub lowercase: bool,
}

impl Default for GloveConfig {
    fn default() -> GloveConfig {
        GloveConfig {
            size: 100,
            window: 10,
            min_count: 5,
            iter: 15,
            x_max: 100.0,
            power: 0.75,
            eta: 0.05,
            seed: 1,
            lowercase: false,
        }
    }
}

/// Co-occurrence counts: the non-zero X_ij as (i, j, X_ij), sorted by (i, j).
#[derive(Clone, Debug)]
pub struct Cooccurrence {
    /// Entries (i, j, X_ij).
    pub entries: Vec<(u32, u32, f64)>,
}

/// Counts co-occurrences with a symmetric window and 1/d weighting.
pub fn cooccurrence(
    corpus: &Corpus,
    vocab: &Vocab,
    window: usize,
    lowercase: bool,
) -> Result<Cooccurrence> {
    let mut map: FnvMap<u64, f64> = FnvMap::default();
    let (mut buf, mut ids) = (String::new(), Vec::new());
    corpus.for_each_line(0, 1, |line| {
        vocab.encode_line(line, lowercase, &mut buf, &mut ids);
        for i in 0..ids.len() {
            for j in i.saturating_sub(window)..i {
                let w = 1.0 / (i - j) as f64;
                let (a, b) = (ids[i] as u64, ids[j] as u64);
                *map.entry(a << 32 | b).or_insert(0.0) += w;
                *map.entry(b << 32 | a).or_insert(0.0) += w;
            }
        }
        Ok(())
    })?;
    let mut entries: Vec<(u32, u32, f64)> = map
        .into_iter()
        .map(|(k, x)| ((k >> 32) as u32, k as u32, x))
        .collect();
    entries.sort_by_key(|e| (e.0, e.1));
    Ok(Cooccurrence { entries })
}

/// f(x) = min(1, (x / x_max)^α).
#[inline]
pub fn glove_weight(x: f64, x_max: f64, power: f64) -> f64 {
    if x < x_max {
        (x / x_max).powf(power)
    } else {
        1.0
    }
}

/// The parameters of GloVe: W, W̃: (V, D), b, b̃: (V).
#[derive(Clone, Debug, PartialEq)]
pub struct GloveParams<T> {
    /// Word vectors w_i: (V, D).
    pub w: Matrix<T>,
    /// Context vectors w̃_j: (V, D).
    pub wt: Matrix<T>,
    /// Word biases b_i: (V).
    pub b: Vec<T>,
    /// Context biases b̃_j: (V).
    pub bt: Vec<T>,
}

impl<T: Scalar> GloveParams<T> {
    /// GloVe's initialisation: every weight and bias from U(−0.5/D, 0.5/D).
    pub fn new(v: usize, d: usize, rng: &mut Rng) -> GloveParams<T> {
        let h = 0.5 / d as f64;
        let w = Matrix::random_uniform(v, d, -h, h, rng);
        let wt = Matrix::random_uniform(v, d, -h, h, rng);
        let b = (0..v).map(|_| rng.uniform(-h, h)).collect();
        let bt = (0..v).map(|_| rng.uniform(-h, h)).collect();
        GloveParams { w, wt, b, bt }
    }

    /// Zeros of the same shape (a gradient buffer).
    pub fn zeros_like(&self) -> GloveParams<T> {
        GloveParams {
            w: Matrix::zeros(self.w.rows(), self.w.cols()),
            wt: Matrix::zeros(self.wt.rows(), self.wt.cols()),
            b: vec![T::ZERO; self.b.len()],
            bt: vec![T::ZERO; self.bt.len()],
        }
    }
}

/// One entry's residual and weight: returns (½ f(x) diff², f(x)·diff) with
/// diff = w_i·w̃_j + b_i + b̃_j − log x. The second value is the coefficient
/// of every gradient: ∂/∂w_i = f·diff·w̃_j, ∂/∂w̃_j = f·diff·w_i,
/// ∂/∂b_i = ∂/∂b̃_j = f·diff.
#[inline]
pub fn glove_entry<T: Scalar>(
    wi: &[T],
    wj: &[T],
    bi: T,
    bj: T,
    x: f64,
    x_max: f64,
    power: f64,
) -> (f64, T) {
    let diff = dot(wi, wj) + bi + bj - T::from_f64(x.ln());
    let f = T::from_f64(glove_weight(x, x_max, power));
    let fdiff = f * diff;
    (0.5 * (fdiff * diff).to_f64(), fdiff)
}

/// J over `entries` (see the module docs).
pub fn glove_loss<T: Scalar>(
    p: &GloveParams<T>,
    entries: &[(u32, u32, f64)],
    x_max: f64,
    power: f64,
) -> f64 {
    entries
        .iter()
        .map(|&(i, j, x)| {
            let (i, j) = (i as usize, j as usize);
            glove_entry(p.w.row(i), p.wt.row(j), p.b[i], p.bt[j], x, x_max, power).0
        })
        .sum()
}

/// Backward of `glove_loss` (DERIVATIONS.md, "GloVe"): adds ∂J/∂θ for every
/// parameter into `grads` and returns J.
pub fn glove_backward<T: Scalar>(
    p: &GloveParams<T>,
    entries: &[(u32, u32, f64)],
    x_max: f64,
    power: f64,
    grads: &mut GloveParams<T>,
) -> f64 {
    let mut j_total = 0.0;
    for &(i, j, x) in entries {
        let (i, j) = (i as usize, j as usize);
        let (l, c) = glove_entry(p.w.row(i), p.wt.row(j), p.b[i], p.bt[j], x, x_max, power);
        j_total += l;
        for k in 0..p.w.cols() {
            grads.w.row_mut(i)[k] += c * p.wt.row(j)[k];
            grads.wt.row_mut(j)[k] += c * p.w.row(i)[k];
        }
        grads.b[i] += c;
        grads.bt[j] += c;
    }
    j_total
}

/// What `train_glove` returns.
#[derive(Clone, Debug)]
pub struct TrainedGlove {
    /// W + W̃ with the vocabulary.
    pub vectors: WordVectors,
    /// All parameters.
    pub params: GloveParams<f32>,
    /// The vocabulary.
    pub vocab: Vocab,
    /// Number of non-zero co-occurrence entries.
    pub entries: usize,
    /// J / (number of entries) in the last epoch.
    pub loss: f64,
    /// Seconds spent counting co-occurrences and training (after the vocabulary pass).
    pub seconds: f64,
}

/// Builds the vocabulary and the counts, then trains (see the module docs).
pub fn train_glove(
    corpus: &Corpus,
    cfg: &GloveConfig,
    progress: Option<ProgressFn>,
) -> Result<TrainedGlove> {
    if cfg.size == 0 || cfg.window == 0 || cfg.iter == 0 {
        return Err(err!("glove: size, window and iter must be at least 1"));
    }
    if !(cfg.eta > 0.0 && cfg.x_max > 0.0 && cfg.power.is_finite()) {
        return Err(err!("glove: eta and x_max must be positive"));
    }
    let vocab = Vocab::build(corpus, cfg.min_count, cfg.lowercase)?;
    let start = Instant::now();
    if vocab.len() < 2 {
        return Err(err!(
            "{}: only {} word(s) occur at least {} times; GloVe needs at least 2",
            corpus.name(),
            vocab.len(),
            cfg.min_count
        ));
    }
    let co = cooccurrence(corpus, &vocab, cfg.window, cfg.lowercase)?;
    let (v, d) = (vocab.len(), cfg.size);
    let mut rng = Rng::new(cfg.seed);
    let mut p = GloveParams::<f32>::new(v, d, &mut rng);
    // AdaGrad accumulators, initialised to 1 as in glove.c.
    let mut gw = Matrix::<f32>::filled(v, d, 1.0);
    let mut gwt = Matrix::<f32>::filled(v, d, 1.0);
    let mut gb = vec![1f32; v];
    let mut gbt = vec![1f32; v];
    let eta = cfg.eta as f32;
    let mut order: Vec<usize> = (0..co.entries.len()).collect();
    let mut tmp_i = vec![0f32; d];
    let mut tmp_j = vec![0f32; d];
    let mut loss = 0.0;
    for epoch in 0..cfg.iter {
        rng.shuffle(&mut order);
        let mut cost = 0.0;
        for &e in &order {
            let (i, j, x) = co.entries[e];
            let (i, j) = (i as usize, j as usize);
            let (l, fdiff) = glove_entry(
                p.w.row(i),
                p.wt.row(j),
                p.b[i],
                p.bt[j],
                x,
                cfg.x_max,
                cfg.power,
            );
            if !fdiff.is_finite() {
                return Err(err!(
                    "glove: the loss became non-finite at epoch {} (lower the learning rate?)",
                    epoch + 1
                ));
            }
            cost += l;
            let fd = fdiff * eta;
            // Steps η·∂J/∂w_i = fd·w̃_j and η·∂J/∂w̃_j = fd·w_i, both from the old values.
            for k in 0..d {
                tmp_i[k] = fd * p.wt.row(j)[k];
                tmp_j[k] = fd * p.w.row(i)[k];
            }
            let (wi, gi) = (p.w.row_mut(i), gw.row_mut(i));
            for k in 0..d {
                wi[k] -= tmp_i[k] / gi[k].sqrt();
                gi[k] += tmp_i[k] * tmp_i[k];
            }
            let (wj, gj) = (p.wt.row_mut(j), gwt.row_mut(j));
            for k in 0..d {
                wj[k] -= tmp_j[k] / gj[k].sqrt();
                gj[k] += tmp_j[k] * tmp_j[k];
            }
            p.b[i] -= fd / gb[i].sqrt();
            gb[i] += fd * fd;
            p.bt[j] -= fd / gbt[j].sqrt();
            gbt[j] += fd * fd;
        }
        loss = cost / co.entries.len().max(1) as f64;
        if let Some(cb) = progress {
            cb(&Progress {
                words_done: (epoch as u64 + 1) * vocab.total,
                words_total: cfg.iter as u64 * vocab.total,
                loss,
                alpha: cfg.eta,
                seconds: start.elapsed().as_secs_f64(),
            });
        }
    }
    let mut sum = p.w.clone();
    sum.add_assign(&p.wt);
    let vectors = WordVectors::new(vocab.words.clone(), sum)?;
    Ok(TrainedGlove {
        vectors,
        params: p,
        vocab,
        entries: co.entries.len(),
        loss,
        seconds: start.elapsed().as_secs_f64(),
    })
}
