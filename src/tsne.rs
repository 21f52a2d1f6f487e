//! t-SNE: a 2-D map of high-dimensional points (word vectors) in which
//! similar points sit together (van der Maaten & Hinton 2008; Barnes-Hut:
//! van der Maaten 2014).
//!
//! Where it sits in the seed: topic 12 shows 300-D word embeddings mapped to
//! 2-D with t-SNE, so that "man, woman, king, queen" and "apple, orange,
//! grape" form their own groups; topic 14 warns that the map is only a
//! picture — similarity and analogies are computed in the full dimension.
//! [`trustworthiness`] measures how much of the neighbourhood structure a
//! map kept.
//!
//! # Algorithm
//! 1. **Input affinities** (`affinity.rs`): Gaussian conditionals p_{j|i}
//!    whose entropy is log₂(perplexity) for every i (binary search on the
//!    precision β_i), symmetrised to p_ij = (p_{j|i} + p_{i|j}) / 2N. The
//!    exact method uses all pairs; Barnes-Hut only the ⌊3·perplexity⌋
//!    nearest neighbours of each point (sparse P).
//! 2. **Start**: the first two principal components (`pca.rs`), scaled so
//!    the first coordinate has standard deviation 1e-4 (or a seeded Gaussian
//!    of that size with `Init::Random`).
//! 3. **Gradient descent on KL(P‖Q)** (`gradient.rs`), with Student-t
//!    similarities in the map, the gradient exact (O(N²)) or by Barnes-Hut
//!    with a quadtree (`quadtree.rs`, O(N log N)). The schedule of the
//!    reference implementations:
//!    - early exaggeration: P × 12 for the first 250 iterations;
//!    - momentum 0.5 for those 250 iterations, then 0.8;
//!    - per-parameter gains: +0.2 where the gradient and the previous update
//!      have opposite signs (still going the right way), × 0.8 otherwise,
//!      never below 0.01;
//!    - update ← momentum · update − η · gain · gradient, y ← y + update,
//!      with learning rate η = max(N / 12, 50);
//!    - 1000 iterations.
//!
//! KL(P‖Q) (of the true P, without exaggeration) is reported every 50
//! iterations through a callback and kept in the returned trace.
//!
//! # Determinism
//! Everything is computed in f64. The same input and config give the same
//! bits for any thread count: each parallel task computes its own points and
//! sums over points add per-point parts in index order.
//!
//! # Example
//! ```
//! use seqmodels::tsne::{gaussian_clusters, trustworthiness, tsne, TsneConfig};
//! let (x, _labels) = gaussian_clusters(120, 10, 3, 1.0, 7);
//! let cfg = TsneConfig { perplexity: 10.0, ..TsneConfig::default() };
//! let map = tsne(&x, &cfg).unwrap();
//! assert_eq!(map.y.shape(), (120, 2));
//! assert!(trustworthiness(&x, &map.y, 5).unwrap() > 0.9);
//! ```

mod affinity;
mod clusters;
mod gradient;
mod par;
mod pca;
mod quadtree;
mod quality;

pub use affinity::{
    calibrate_point, conditional_probabilities, nearest_neighbors, Neighbors, SparseP,
    ENTROPY_TOLERANCE,
};
pub use clusters::gaussian_clusters;
pub use gradient::{exact_gradient, kl_divergence_exact, BarnesHut};
pub use pca::{jacobi_eigen, pca, top_eigenvectors};
pub use quadtree::QuadTree;
pub use quality::trustworthiness;

use crate::linalg::{pool, Matrix, Scalar};
use crate::rng::Rng;
use crate::{err, Result};

/// The embedding dimension: t-SNE here makes 2-D maps (the quadtree is 2-D).
pub const DIMS: usize = 2;

/// With `Method::Auto`, inputs of at most this many points use the exact gradient.
pub const AUTO_EXACT_MAX: usize = 500;

/// The exact method keeps a dense N × N P; beyond this many points it is refused.
pub const EXACT_MAX: usize = 5_000;

/// How the gradient is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Exact up to `AUTO_EXACT_MAX` points, Barnes-Hut above.
    Auto,
    /// All pairs, O(N²) per iteration, dense P.
    Exact,
    /// Quadtree with accuracy θ, O(N log N) per iteration, sparse P.
    BarnesHut,
}

impl Method {
    /// The name used on the command line and in JSON: auto, exact, barnes-hut.
    pub fn name(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Exact => "exact",
            Method::BarnesHut => "barnes-hut",
        }
    }
}

/// How the map starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    /// First two principal components, scaled to std 1e-4 on the first.
    Pca,
    /// Seeded Gaussian with standard deviation 1e-4.
    Random,
}

/// Settings for [`tsne`]. `TsneConfig::default()` gives the reference
/// implementations' defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct TsneConfig {
    /// Effective number of neighbours (default 30). Needs N > perplexity + 1.
    pub perplexity: f64,
    /// Barnes-Hut accuracy θ (default 0.5; 0 is exact and slow).
    pub theta: f64,
    /// Gradient-descent iterations (default 1000).
    pub iterations: usize,
    /// Seed for the PCA start vector or the random start (default 42).
    pub seed: u64,
    /// Exact, Barnes-Hut, or chosen by size (default `Auto`).
    pub method: Method,
    /// Starting map (default `Pca`).
    pub init: Init,
    /// Learning rate η; `None` (default) means max(N / 12, 50).
    pub learning_rate: Option<f64>,
    /// Early exaggeration α (default 12).
    pub early_exaggeration: f64,
    /// Iterations with exaggeration and momentum 0.5 (default 250).
    pub exaggeration_iterations: usize,
    /// Report KL every this many iterations (default 50; 0 = never).
    pub report_every: usize,
    /// Worker threads; 0 (default) means the pool's default.
    pub threads: usize,
}

impl Default for TsneConfig {
    fn default() -> TsneConfig {
        TsneConfig {
            perplexity: 30.0,
            theta: 0.5,
            iterations: 1000,
            seed: 42,
            method: Method::Auto,
            init: Init::Pca,
            learning_rate: None,
            early_exaggeration: 12.0,
            exaggeration_iterations: 250,
            report_every: 50,
            threads: 0,
        }
    }
}

impl TsneConfig {
    /// The method used for `n` points (`Auto` resolved).
    pub fn method_for(&self, n: usize) -> Method {
        match self.method {
            Method::Auto if n <= AUTO_EXACT_MAX => Method::Exact,
            Method::Auto => Method::BarnesHut,
            m => m,
        }
    }

    /// Neighbours per point in P: all others for the exact method,
    /// min(⌊3·perplexity⌋, N − 1) for Barnes-Hut.
    pub fn neighbors_for(&self, n: usize) -> usize {
        match self.method_for(n) {
            Method::Exact => n - 1,
            _ => ((3.0 * self.perplexity).floor() as usize).clamp(1, n - 1),
        }
    }

    /// The learning rate for `n` points.
    pub fn learning_rate_for(&self, n: usize) -> f64 {
        self.learning_rate
            .unwrap_or_else(|| (n as f64 / 12.0).max(50.0))
    }

    fn thread_count(&self) -> usize {
        if self.threads == 0 {
            pool::threads()
        } else {
            self.threads
        }
    }

    /// Checks the settings against an input of `n` points; the error names
    /// the setting and says what was expected.
    pub fn validate(&self, n: usize) -> Result<()> {
        if !(self.perplexity.is_finite() && self.perplexity >= 1.0) {
            return Err(err!(
                "t-SNE: perplexity {} must be a number ≥ 1",
                self.perplexity
            ));
        }
        if (n as f64) <= self.perplexity + 1.0 {
            return Err(err!(
                "t-SNE: {n} points are too few for perplexity {}: need more than {} points",
                self.perplexity,
                (self.perplexity + 1.0).floor()
            ));
        }
        if !(self.theta.is_finite() && self.theta >= 0.0) {
            return Err(err!("t-SNE: theta {} must be a number ≥ 0", self.theta));
        }
        if let Some(lr) = self.learning_rate {
            if !(lr.is_finite() && lr > 0.0) {
                return Err(err!("t-SNE: learning rate {lr} must be a positive number"));
            }
        }
        if !(self.early_exaggeration.is_finite() && self.early_exaggeration > 0.0) {
            return Err(err!(
                "t-SNE: early exaggeration {} must be a positive number",
                self.early_exaggeration
            ));
        }
        if self.method_for(n) == Method::Exact && n > EXACT_MAX {
            return Err(err!(
                "t-SNE: the exact method keeps an N × N matrix; {n} points is more than \
                 {EXACT_MAX} (use Barnes-Hut)"
            ));
        }
        Ok(())
    }
}

/// One progress report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// Iterations done so far.
    pub iteration: usize,
    /// KL(P‖Q) of the true P at the current map.
    pub kl: f64,
    /// True while early exaggeration is on.
    pub exaggerating: bool,
}

/// The result of [`tsne`].
#[derive(Clone, Debug, PartialEq)]
pub struct Embedding {
    /// The map, (N, 2).
    pub y: Matrix<f64>,
    /// KL(P‖Q) of the final map.
    pub kl: f64,
    /// (iteration, KL) every `report_every` iterations.
    pub trace: Vec<(usize, f64)>,
    /// The method used (never `Auto`).
    pub method: Method,
    /// Neighbours per point in P.
    pub neighbors: usize,
}

/// The input affinities P for `x: (N, D)` (f64), sparse, from `k` nearest
/// neighbours (k = N − 1 for all pairs) at the given perplexity.
pub fn joint_probabilities(x: &Matrix<f64>, perplexity: f64, k: usize, threads: usize) -> SparseP {
    let nb = nearest_neighbors(x, k, threads);
    let (p_cond, _betas) = conditional_probabilities(&nb, perplexity, threads);
    SparseP::symmetrize(&nb, &p_cond)
}

/// The starting map: PCA (or random) scaled so the first coordinate has
/// standard deviation 1e-4.
pub fn initial_map(x: &Matrix<f64>, init: Init, seed: u64, threads: usize) -> Matrix<f64> {
    let n = x.rows();
    let mut y = match init {
        Init::Pca => {
            let mut s = pca(x, DIMS, seed, threads);
            if s.cols() < DIMS {
                // One input dimension: the second coordinate starts at zero.
                let mut full = Matrix::zeros(n, DIMS);
                for i in 0..n {
                    for c in 0..s.cols() {
                        full[(i, c)] = s[(i, c)];
                    }
                }
                s = full;
            }
            s
        }
        Init::Random => Matrix::random_normal(n, DIMS, 1.0, &mut Rng::new(seed)),
    };
    let mean: f64 = (0..n).map(|i| y[(i, 0)]).sum::<f64>() / n as f64;
    let var: f64 = (0..n).map(|i| (y[(i, 0)] - mean).powi(2)).sum::<f64>() / n as f64;
    let std = var.sqrt();
    if !(std.is_finite() && std > 0.0 && y.all_finite()) {
        // All points alike along the first axis (e.g. identical inputs):
        // start from a seeded Gaussian instead.
        y = Matrix::random_normal(n, DIMS, 1.0, &mut Rng::new(seed));
        return initial_scale(y);
    }
    y.scale(1e-4 / std);
    y
}

fn initial_scale(mut y: Matrix<f64>) -> Matrix<f64> {
    let n = y.rows();
    let mean: f64 = (0..n).map(|i| y[(i, 0)]).sum::<f64>() / n as f64;
    let var: f64 = (0..n).map(|i| (y[(i, 0)] - mean).powi(2)).sum::<f64>() / n as f64;
    if var > 0.0 {
        y.scale(1e-4 / var.sqrt());
    }
    y
}

/// Runs t-SNE on `x: (N, D)` and returns the (N, 2) map. See the module docs.
pub fn tsne<T: Scalar>(x: &Matrix<T>, config: &TsneConfig) -> Result<Embedding> {
    tsne_with_progress(x, config, &mut |_| {})
}

/// [`tsne`], calling `progress` every `config.report_every` iterations with
/// the current KL divergence (the command line prints it).
pub fn tsne_with_progress<T: Scalar>(
    x: &Matrix<T>,
    config: &TsneConfig,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Embedding> {
    let (n, d) = x.shape();
    if d == 0 {
        return Err(err!("t-SNE: the points have no coordinates"));
    }
    config.validate(n)?;
    if let Some(pos) = x.as_slice().iter().position(|v| !v.is_finite()) {
        return Err(err!(
            "t-SNE: point {} coordinate {} is not a finite number",
            pos / d + 1,
            pos % d + 1
        ));
    }
    let threads = config.thread_count();
    let x = x.cast::<f64>();
    let method = config.method_for(n);
    let k = config.neighbors_for(n);

    let p = joint_probabilities(&x, config.perplexity, k, threads);
    if !p.val.iter().all(|v| v.is_finite()) {
        return Err(err!(
            "t-SNE: the input distances overflow (coordinates too large); scale the data down"
        ));
    }
    let dense = if method == Method::Exact {
        Some(p.to_dense())
    } else {
        None
    };

    let mut y = initial_map(&x, config.init, config.seed, threads);
    let mut grad = Matrix::<f64>::zeros(n, DIMS);
    let mut update = Matrix::<f64>::zeros(n, DIMS);
    let mut gains = Matrix::<f64>::filled(n, DIMS, 1.0);
    let mut bh = BarnesHut::new();
    let lr = config.learning_rate_for(n);
    let mut trace = Vec::new();

    // The objective: writes the gradient, returns the KL when asked.
    let mut objective =
        |y: &Matrix<f64>, exaggeration: f64, grad: &mut Matrix<f64>, want_kl: bool| match &dense {
            Some(pd) => exact_gradient(pd, y, exaggeration, grad, want_kl, threads),
            None => bh.gradient(&p, y, config.theta, exaggeration, grad, want_kl, threads),
        };

    for it in 0..config.iterations {
        let exaggerating = it < config.exaggeration_iterations;
        let (alpha, momentum) = if exaggerating {
            (config.early_exaggeration, 0.5)
        } else {
            (1.0, 0.8)
        };
        let done = it + 1;
        let report = config.report_every > 0 && done % config.report_every == 0;
        let kl = objective(&y, alpha, &mut grad, report);
        // Gains, then the momentum step (element by element).
        let g = grad.as_slice();
        let u = update.as_mut_slice();
        let gn = gains.as_mut_slice();
        let ys = y.as_mut_slice();
        for e in 0..g.len() {
            if u[e] * g[e] < 0.0 {
                gn[e] += 0.2;
            } else {
                gn[e] *= 0.8;
            }
            gn[e] = gn[e].max(0.01);
            u[e] = momentum * u[e] - lr * gn[e] * g[e];
            ys[e] += u[e];
        }
        if let Some(kl) = kl {
            trace.push((done, kl));
            progress(&Progress {
                iteration: done,
                kl,
                exaggerating,
            });
        }
    }
    if !y.all_finite() {
        return Err(err!(
            "t-SNE: the map diverged (a coordinate became NaN or infinite); \
             try a smaller learning rate"
        ));
    }
    // The KL of the final map.
    let kl = objective(&y, 1.0, &mut grad, true).unwrap_or(f64::NAN);
    Ok(Embedding {
        y,
        kl,
        trace,
        method,
        neighbors: k,
    })
}
