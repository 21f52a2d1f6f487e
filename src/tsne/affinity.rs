//! Input affinities P: nearest neighbours, perplexity calibration, and the
//! symmetrised joint probabilities.
//!
//! For each point i, the conditional probabilities are Gaussian in the
//! squared distance (van der Maaten & Hinton 2008, eq. 1):
//!
//! ```text
//! p_{j|i} = exp(−β_i ‖x_i − x_j‖²) / Σ_{k≠i} exp(−β_i ‖x_i − x_k‖²),   β_i = 1 / (2σ_i²)
//! ```
//!
//! β_i is found by binary search so that the entropy of P_i equals the
//! target: H(P_i) = −Σ_j p_{j|i} log₂ p_{j|i} = log₂(perplexity), within
//! `ENTROPY_TOLERANCE` bits. The joint probabilities are then
//! p_ij = (p_{j|i} + p_{i|j}) / 2N, symmetric and summing to one.
//!
//! The exact method uses every other point as a neighbour (k = N − 1). The
//! Barnes-Hut method (van der Maaten 2014) keeps only the k = ⌊3·perplexity⌋
//! nearest neighbours of each point, so P is sparse with at most 2·N·k
//! entries; the Gaussian puts almost no mass beyond them.

use super::par::parallel_map;
use crate::linalg::gemm::gemm_with;
use crate::linalg::{Kernel, Matrix, Op};
use std::cmp::Ordering;

/// The binary search stops when |H(P_i) − log₂ perplexity| is below this many bits.
pub const ENTROPY_TOLERANCE: f64 = 1e-5;

/// The most bisection steps per point (ample: each halves the bracket on β).
pub const MAX_SEARCH_STEPS: usize = 200;

/// Rows of the distance matrix computed per GEMM, so memory stays
/// O(BLOCK · N) however large N is.
pub const DISTANCE_BLOCK: usize = 256;

/// The k nearest neighbours of every point, nearest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Neighbors {
    /// Neighbours per point.
    pub k: usize,
    /// `index[i·k + r]` is the (r+1)-th nearest neighbour of point i (never i itself).
    pub index: Vec<usize>,
    /// `dist2[i·k + r]` is its squared Euclidean distance.
    pub dist2: Vec<f64>,
}

/// Squared norms ‖x_i‖² of the rows of `x: (N, D)`.
fn row_norms(x: &Matrix<f64>) -> Vec<f64> {
    (0..x.rows())
        .map(|i| x.row(i).iter().map(|v| v * v).sum())
        .collect()
}

/// Orders candidate neighbours by distance, then by index (so ties are
/// broken the same way everywhere).
fn by_distance(a: &(f64, usize), b: &(f64, usize)) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// Calls `row_fn(i, d)` for every point i with `d[j] = ‖x_i − x_j‖²` for all
/// j (including d[i] = 0), computing the distances a block of rows at a time
/// as ‖x_i‖² + ‖x_j‖² − 2·x_i·x_j with one GEMM per block (negative results
/// of rounding are clamped to 0). Rows are handed out in parallel; the results
/// come back in row order.
pub fn for_each_distance_row<R: Send>(
    x: &Matrix<f64>,
    threads: usize,
    row_fn: &(dyn Fn(usize, &[f64]) -> R + Sync),
) -> Vec<R> {
    let n = x.rows();
    let norms = row_norms(x);
    let mut out = Vec::with_capacity(n);
    let mut gram = Matrix::<f64>::zeros(DISTANCE_BLOCK.min(n.max(1)), n);
    let mut r0 = 0;
    while r0 < n {
        let r1 = (r0 + DISTANCE_BLOCK).min(n);
        let rows = r1 - r0;
        // gram[b, j] = x_{r0+b} · x_j
        let mut g = gram.rows_range_mut(0, rows);
        gemm_with(
            Kernel::active(),
            threads,
            Op::N,
            Op::T,
            1.0,
            x.rows_range(r0, r1),
            x.view(),
            0.0,
            g.reborrow(),
        );
        let gram_ref = &gram;
        let norms = &norms;
        // Tasks of 16 rows: each turns its Gram rows into distances and runs row_fn.
        let tasks = rows.div_ceil(16);
        let chunks = parallel_map(threads, tasks, &|t| {
            let mut d = vec![0.0; n];
            let mut res = Vec::new();
            for b in t * 16..((t + 1) * 16).min(rows) {
                let i = r0 + b;
                let gi = gram_ref.row(b);
                for j in 0..n {
                    d[j] = (norms[i] + norms[j] - 2.0 * gi[j]).max(0.0);
                }
                d[i] = 0.0;
                res.push(row_fn(i, &d));
            }
            res
        });
        for c in chunks {
            out.extend(c);
        }
        r0 = r1;
    }
    out
}

/// The `k` nearest neighbours (1 ≤ k ≤ N − 1) of every row of `x: (N, D)` by
/// exact search, ties broken by the lower index.
pub fn nearest_neighbors(x: &Matrix<f64>, k: usize, threads: usize) -> Neighbors {
    let n = x.rows();
    assert!(
        k >= 1 && k < n,
        "nearest_neighbors: k = {k} with N = {n} points"
    );
    let rows = for_each_distance_row(x, threads, &|i, d| {
        let mut cand: Vec<(f64, usize)> = (0..n).filter(|&j| j != i).map(|j| (d[j], j)).collect();
        if k < cand.len() {
            cand.select_nth_unstable_by(k - 1, by_distance);
            cand.truncate(k);
        }
        cand.sort_unstable_by(by_distance);
        cand
    });
    let mut index = Vec::with_capacity(n * k);
    let mut dist2 = Vec::with_capacity(n * k);
    for row in rows {
        for (d, j) in row {
            index.push(j);
            dist2.push(d);
        }
    }
    Neighbors { k, index, dist2 }
}

/// Calibrates one point: given the squared distances `d2` to its neighbours,
/// finds β with H(P_i) = log₂ perplexity (bits) and writes p_{j|i} into `p`.
/// Returns (β, entropy in bits reached).
///
/// Distances are shifted by their minimum first, which leaves the normalised
/// p unchanged and keeps exp() from underflowing to all zeros when every
/// distance is large. If the target cannot be reached (e.g. all neighbours
/// at the same distance), the search ends after `MAX_SEARCH_STEPS` steps
/// with the closest β it found.
pub fn calibrate_point(d2: &[f64], perplexity: f64, p: &mut [f64]) -> (f64, f64) {
    let target = perplexity.log2();
    let d_min = d2.iter().cloned().fold(f64::INFINITY, f64::min);
    let mut beta = 1.0;
    let (mut lo, mut hi) = (0.0, f64::INFINITY);
    let mut entropy = 0.0;
    for _ in 0..MAX_SEARCH_STEPS {
        // w_j = exp(−β (d_j − d_min)), S = Σ w_j,
        // H (nats) = ln S + β Σ_j (d_j − d_min) w_j / S.
        let mut sum = 0.0;
        let mut weighted = 0.0;
        for (pj, &dj) in p.iter_mut().zip(d2) {
            let s = dj - d_min;
            let w = (-beta * s).exp();
            *pj = w;
            sum += w;
            weighted += s * w;
        }
        entropy = (sum.ln() + beta * weighted / sum) / std::f64::consts::LN_2;
        for pj in p.iter_mut() {
            *pj /= sum;
        }
        let diff = entropy - target;
        if diff.abs() < ENTROPY_TOLERANCE {
            break;
        }
        if diff > 0.0 {
            // Too flat: sharpen (larger β).
            lo = beta;
            beta = if hi.is_finite() {
                0.5 * (beta + hi)
            } else {
                2.0 * beta
            };
        } else {
            hi = beta;
            beta = 0.5 * (beta + lo);
        }
    }
    (beta, entropy)
}

/// p_{j|i} for every point and neighbour, laid out like `nb.index`, and the
/// β_i found. Rows are calibrated in parallel; each is independent.
pub fn conditional_probabilities(
    nb: &Neighbors,
    perplexity: f64,
    threads: usize,
) -> (Vec<f64>, Vec<f64>) {
    let k = nb.k;
    let n = nb.index.len() / k.max(1);
    const ROWS: usize = 64;
    let chunks = parallel_map(threads, n.div_ceil(ROWS), &|t| {
        let (i0, i1) = (t * ROWS, ((t + 1) * ROWS).min(n));
        let mut p = vec![0.0; (i1 - i0) * k];
        let mut betas = Vec::with_capacity(i1 - i0);
        for i in i0..i1 {
            let row = &mut p[(i - i0) * k..(i - i0 + 1) * k];
            let (beta, _) = calibrate_point(&nb.dist2[i * k..(i + 1) * k], perplexity, row);
            betas.push(beta);
        }
        (p, betas)
    });
    let mut p = Vec::with_capacity(n * k);
    let mut betas = Vec::with_capacity(n);
    for (pc, bc) in chunks {
        p.extend(pc);
        betas.extend(bc);
    }
    (p, betas)
}

/// A sparse symmetric N × N matrix in compressed rows (CSR): row i holds
/// `col[row_start[i]..row_start[i+1]]` with values `val[…]`, columns ascending.
#[derive(Clone, Debug, PartialEq)]
pub struct SparseP {
    /// Number of points N.
    pub n: usize,
    /// Row offsets, length N + 1.
    pub row_start: Vec<usize>,
    /// Column of each stored entry.
    pub col: Vec<usize>,
    /// Value of each stored entry (p_ij > 0).
    pub val: Vec<f64>,
}

impl SparseP {
    /// The joint probabilities p_ij = (p_{j|i} + p_{i|j}) / 2N from
    /// conditionals laid out like `nb.index` (a pair found from one side only
    /// gets the other side's term as 0).
    pub fn symmetrize(nb: &Neighbors, p_cond: &[f64]) -> SparseP {
        let k = nb.k;
        let n = nb.index.len() / k.max(1);
        // Each conditional p_{j|i} lands in row i (column j) and row j (column i).
        let mut rows: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        for i in 0..n {
            for r in 0..k {
                let j = nb.index[i * k + r];
                let v = p_cond[i * k + r];
                rows[i].push((j, v));
                rows[j].push((i, v));
            }
        }
        let scale = 1.0 / (2.0 * n as f64);
        let mut row_start = Vec::with_capacity(n + 1);
        let mut col = Vec::new();
        let mut val = Vec::new();
        row_start.push(0);
        for mut row in rows {
            row.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
            let mut r = 0;
            while r < row.len() {
                let j = row[r].0;
                let mut v = row[r].1;
                // At most two entries per column: p_{j|i} and p_{i|j}.
                while r + 1 < row.len() && row[r + 1].0 == j {
                    r += 1;
                    v += row[r].1;
                }
                col.push(j);
                val.push(v * scale);
                r += 1;
            }
            row_start.push(col.len());
        }
        SparseP {
            n,
            row_start,
            col,
            val,
        }
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.val.len()
    }

    /// Σ p_ij (one, up to rounding).
    pub fn sum(&self) -> f64 {
        self.val.iter().sum()
    }

    /// Σ p_ij ln p_ij over the stored entries: the constant part of KL(P‖Q).
    pub fn sum_p_ln_p(&self) -> f64 {
        self.val
            .iter()
            .map(|&p| if p > 0.0 { p * p.ln() } else { 0.0 })
            .sum()
    }

    /// The dense N × N matrix (zeros where nothing is stored).
    pub fn to_dense(&self) -> Matrix<f64> {
        let mut m = Matrix::zeros(self.n, self.n);
        for i in 0..self.n {
            for e in self.row_start[i]..self.row_start[i + 1] {
                m[(i, self.col[e])] = self.val[e];
            }
        }
        m
    }
}
