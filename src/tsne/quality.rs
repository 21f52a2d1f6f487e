//! How faithful an embedding is: trustworthiness (Venna & Kaski 2001), in the
//! form scikit-learn documents for `sklearn.manifold.trustworthiness`:
//!
//! ```text
//! T(k) = 1 − 2 / (N k (2N − 3k − 1)) · Σ_i Σ_{j ∈ N_i^k} max(0, r(i, j) − k)
//! ```
//!
//! N_i^k is the set of the k nearest neighbours of point i in the embedding,
//! and r(i, j) the rank of j among i's neighbours in the input space (the
//! nearest is rank 1). Neighbours in the map that were far in the input are
//! penalised by how far beyond rank k they were. T = 1 when every map
//! neighbourhood is also an input neighbourhood; a random map scores about
//! 0.5. Needs k < N / 2. Ties in distance are broken by the lower index.
//!
//! This is also the seed's warning in numbers (topic 14): a 2-D map keeps
//! only some of the structure, so similarities are computed in the full
//! dimension, never in t-SNE space.

use super::affinity::{for_each_distance_row, nearest_neighbors};
use crate::linalg::{pool, Matrix, Scalar};
use crate::{err, Result};

/// Trustworthiness T(k) of the embedding `y: (N, m)` of `x: (N, D)` (see the
/// module docs). An error if the shapes disagree, if k = 0 or k ≥ N/2, or if
/// either matrix holds a non-finite value. Uses the default thread count.
pub fn trustworthiness<T: Scalar>(x: &Matrix<T>, y: &Matrix<f64>, k: usize) -> Result<f64> {
    let n = x.rows();
    if y.rows() != n {
        return Err(err!(
            "trustworthiness: {n} input points but {} embedded points",
            y.rows()
        ));
    }
    if k == 0 || 2 * k >= n {
        return Err(err!(
            "trustworthiness: k = {k} must be at least 1 and below N/2 = {}",
            n as f64 / 2.0
        ));
    }
    if !x.all_finite() || !y.all_finite() {
        return Err(err!(
            "trustworthiness: the points hold a NaN or infinite value"
        ));
    }
    let threads = pool::threads();
    let x = x.cast::<f64>();
    // N_i^k: the k nearest neighbours in the embedding.
    let map_nb = nearest_neighbors(y, k, threads);
    // For each i: the input-space rank of each map neighbour.
    let penalties = for_each_distance_row(&x, threads, &|i, d| {
        let mut sorted: Vec<f64> = (0..n).filter(|&l| l != i).map(|l| d[l]).collect();
        sorted.sort_unstable_by(|a, b| a.total_cmp(b));
        let mut penalty = 0u64;
        for r in 0..k {
            let j = map_nb.index[i * k + r];
            let dj = d[j];
            // Points strictly closer than j, then equal ones with lower index.
            let closer = sorted.partition_point(|&v| v.total_cmp(&dj).is_lt());
            let mut rank = closer + 1;
            if sorted.get(closer + 1).is_some_and(|&v| v == dj) {
                rank += (0..j).filter(|&l| l != i && d[l] == dj).count();
            }
            penalty += rank.saturating_sub(k) as u64;
        }
        penalty
    });
    let total: u64 = penalties.iter().sum();
    let (nf, kf) = (n as f64, k as f64);
    Ok(1.0 - 2.0 / (nf * kf * (2.0 * nf - 3.0 * kf - 1.0)) * total as f64)
}
