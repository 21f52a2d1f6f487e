//! Generated test data: Gaussian clusters with seeded centres, the data the
//! t-SNE tests, benchmarks and `seqmodels data clusters` use.
//!
//! The stream of draws from `Rng::new(seed)`, in order (so a port reproduces
//! the same points):
//! 1. the centres: for c = 0 … C−1, for d = 0 … D−1: μ_c[d] = spread · normal();
//! 2. the points: for i = 0 … N−1, label c = ⌊i·C / N⌋, then for d = 0 … D−1:
//!    x_i[d] = μ_c[d] + normal().
//!
//! Each cluster has unit variance per coordinate; with spread 1 two centres
//! are about √(2D) apart, as far as two points inside one cluster, so in D =
//! 50 the clusters are well separated but not trivially so.

use crate::linalg::Matrix;
use crate::rng::Rng;

/// `n` points in `dim` dimensions in `clusters` Gaussian clusters (see the
/// module docs for the exact draws). Returns the points (n, dim) and each
/// point's cluster, in contiguous blocks of nearly equal size.
pub fn gaussian_clusters(
    n: usize,
    dim: usize,
    clusters: usize,
    spread: f64,
    seed: u64,
) -> (Matrix<f64>, Vec<usize>) {
    let clusters = clusters.max(1);
    let mut rng = Rng::new(seed);
    let mut centres = Matrix::<f64>::zeros(clusters, dim);
    for c in 0..clusters {
        for d in 0..dim {
            centres[(c, d)] = spread * rng.normal();
        }
    }
    let mut x = Matrix::<f64>::zeros(n, dim);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let c = i * clusters / n;
        labels.push(c);
        for d in 0..dim {
            x[(i, d)] = centres[(c, d)] + rng.normal();
        }
    }
    (x, labels)
}
