//! The t-SNE objective and its gradient, exact and Barnes-Hut.
//!
//! With the Student-t kernel w_ij = 1 / (1 + ‖y_i − y_j‖²), Z = Σ_{k≠l} w_kl
//! and q_ij = w_ij / Z, t-SNE minimises (van der Maaten & Hinton 2008, eq. 2, 5)
//!
//! ```text
//! C = KL(P‖Q) = Σ_{i≠j} p_ij ln(p_ij / q_ij)
//! ∂C/∂y_i = 4 Σ_j (p_ij − q_ij) w_ij (y_i − y_j)
//!         = 4 [ Σ_j p_ij w_ij (y_i − y_j)  −  (1/Z) Σ_j w_ij² (y_i − y_j) ]
//!               attraction (sparse in P)      repulsion (all pairs)
//! ```
//!
//! Early exaggeration multiplies p_ij by α in the gradient (α = 12 for the
//! first 250 iterations). The KL we report always uses the true P.
//!
//! Since Σ p_ij = 1, KL = Σ p ln p − Σ p ln w + ln Z, which is how both
//! methods compute it: the first term is a constant of P.
//!
//! The Barnes-Hut method approximates the repulsion and Z with the quadtree
//! (`quadtree.rs`); the attraction is exact over the stored entries of P.
//!
//! Determinism: every per-point quantity is computed by one task in a fixed
//! order, and the sums over points (Z, KL) add per-point partial sums in
//! index order, so the results are the same bits for any thread count.

use super::affinity::SparseP;
use super::par::{parallel_chunks_mut, parallel_map};
use super::quadtree::QuadTree;
use crate::linalg::Matrix;

/// Points per parallel task.
const CHUNK: usize = 64;

/// Σ_j f(j) over j = 0 … n−1 with four interleaved partial sums (lane l
/// takes j ≡ l mod 4), added as (s0 + s1) + (s2 + s3) at the end. Plain float
/// sums do not vectorise; four independent lanes do, and the fixed order keeps
/// the result the same on every run.
#[inline(always)]
fn lane_sum2(n: usize, f: impl Fn(usize) -> (f64, f64)) -> (f64, f64) {
    let mut a = [0.0f64; 4];
    let mut b = [0.0f64; 4];
    let full = n / 4 * 4;
    let mut j = 0;
    while j < full {
        // Evaluate the four terms first, then add them: this lets the
        // compiler pair the divisions inside `f` into vector instructions.
        let t = [f(j), f(j + 1), f(j + 2), f(j + 3)];
        for l in 0..4 {
            a[l] += t[l].0;
            b[l] += t[l].1;
        }
        j += 4;
    }
    for j in full..n {
        let (u, v) = f(j);
        a[j % 4] += u;
        b[j % 4] += v;
    }
    ((a[0] + a[1]) + (a[2] + a[3]), (b[0] + b[1]) + (b[2] + b[3]))
}

/// KL(P‖Q) for a dense P: (N, N) and an embedding y: (N, 2), computed
/// directly with plain loops (no gradient, one thread). This is the function
/// the gradient check differentiates numerically; it shares no code with
/// `exact_gradient`.
pub fn kl_divergence_exact(p: &Matrix<f64>, y: &Matrix<f64>) -> f64 {
    let n = y.rows();
    assert_eq!(y.cols(), 2, "kl_divergence_exact: y must be (N, 2)");
    assert_eq!(p.shape(), (n, n), "kl_divergence_exact: p must be (N, N)");
    let w = |i: usize, j: usize| {
        let dx = y[(i, 0)] - y[(j, 0)];
        let dy = y[(i, 1)] - y[(j, 1)];
        1.0 / (1.0 + dx * dx + dy * dy)
    };
    let mut z = 0.0;
    for i in 0..n {
        for j in 0..n {
            if i != j {
                z += w(i, j);
            }
        }
    }
    let mut kl = 0.0;
    for i in 0..n {
        for j in 0..n {
            let pij = p[(i, j)];
            if i != j && pij > 0.0 {
                kl += pij * (pij / (w(i, j) / z)).ln();
            }
        }
    }
    kl
}

/// The exact gradient of KL(P‖Q) with P scaled by `exaggeration` (α), for a
/// dense symmetric P: (N, N) with zero diagonal and y: (N, 2). Writes
/// ∂C/∂y into `grad: (N, 2)` and returns KL(P‖Q) of the true P if `want_kl`.
/// O(N²) time.
///
/// The loops run over all j including j = i: there w_ii = 1 exactly and
/// y_i − y_i = 0, so the gradient term vanishes and z_i subtracts the 1.
pub fn exact_gradient(
    p: &Matrix<f64>,
    y: &Matrix<f64>,
    exaggeration: f64,
    grad: &mut Matrix<f64>,
    want_kl: bool,
    threads: usize,
) -> Option<f64> {
    let n = y.rows();
    assert_eq!(y.cols(), 2, "exact_gradient: y must be (N, 2)");
    assert_eq!(p.shape(), (n, n), "exact_gradient: p must be (N, N)");
    assert_eq!(grad.shape(), (n, 2), "exact_gradient: grad must be (N, 2)");
    // Coordinates as two arrays, so the inner loops read them in order.
    let xs: Vec<f64> = (0..n).map(|i| y[(i, 0)]).collect();
    let ys: Vec<f64> = (0..n).map(|i| y[(i, 1)]).collect();
    let (xs, ys) = (&xs[..], &ys[..]);
    let w = |xi: f64, yi: f64, j: usize| {
        let dx = xi - xs[j];
        let dy = yi - ys[j];
        1.0 / (1.0 + dx * dx + dy * dy)
    };
    // Z = Σ_i z_i, z_i = Σ_{j≠i} w_ij.
    let z_parts = parallel_map(threads, n.div_ceil(CHUNK), &|t| {
        (t * CHUNK..((t + 1) * CHUNK).min(n))
            .map(|i| lane_sum2(n, |j| (w(xs[i], ys[i], j), 0.0)).0 - 1.0)
            .collect::<Vec<f64>>()
    });
    let z: f64 = z_parts.iter().flatten().sum();
    let inv_z = 1.0 / z;
    // Each task writes the gradient rows of its own points and returns its
    // points' Σ_j p_ij ln(p_ij / w_ij) for the KL.
    let kl_parts = parallel_chunks_mut(threads, grad.as_mut_slice(), 2 * CHUNK, &|t, g| {
        let mut kl_part = 0.0;
        for (r, i) in (t * CHUNK..).take(g.len() / 2).enumerate() {
            let (xi, yi) = (xs[i], ys[i]);
            let prow = p.row(i);
            // Σ_j (α p_ij − w_ij / Z) w_ij (y_i − y_j)
            let (gx, gy) = lane_sum2(n, |j| {
                let wij = w(xi, yi, j);
                let m = (exaggeration * prow[j] - wij * inv_z) * wij;
                (m * (xi - xs[j]), m * (yi - ys[j]))
            });
            g[2 * r] = 4.0 * gx;
            g[2 * r + 1] = 4.0 * gy;
            if want_kl {
                for j in 0..n {
                    if j != i && prow[j] > 0.0 {
                        kl_part += prow[j] * (prow[j] / w(xi, yi, j)).ln();
                    }
                }
            }
        }
        kl_part
    });
    if want_kl {
        // KL = Σ p ln(p / w) + ln Z · Σ p
        let p_sum: f64 = p.as_slice().iter().sum();
        Some(kl_parts.iter().sum::<f64>() + z.ln() * p_sum)
    } else {
        None
    }
}

/// Scratch buffers for the Barnes-Hut gradient, reused across iterations.
#[derive(Clone, Debug, Default)]
pub struct BarnesHut {
    /// The quadtree over the current embedding.
    pub tree: QuadTree,
    /// Per point: repulsion (fx, fy), z_i, attraction (ax, ay), and
    /// Σ_j p_ij ln w_ij (for the KL), six numbers per point.
    per_point: Vec<f64>,
}

impl BarnesHut {
    /// Empty buffers.
    pub fn new() -> BarnesHut {
        BarnesHut::default()
    }

    /// The Barnes-Hut gradient of KL(P‖Q) with P scaled by `exaggeration`,
    /// for sparse symmetric P and y: (N, 2), with accuracy `theta` (θ = 0 is
    /// exact). Writes ∂C/∂y into `grad: (N, 2)` and returns the KL of the
    /// true P (with the approximate Z) if `want_kl`. O(N log N) per call.
    pub fn gradient(
        &mut self,
        p: &SparseP,
        y: &Matrix<f64>,
        theta: f64,
        exaggeration: f64,
        grad: &mut Matrix<f64>,
        want_kl: bool,
        threads: usize,
    ) -> Option<f64> {
        let n = y.rows();
        assert_eq!(y.cols(), 2, "barnes_hut: y must be (N, 2)");
        assert_eq!(p.n, n, "barnes_hut: P is for {} points, y has {n}", p.n);
        assert_eq!(grad.shape(), (n, 2), "barnes_hut: grad must be (N, 2)");
        let ys = y.as_slice();
        self.tree.build(ys);
        let tree = &self.tree;
        let theta2 = theta * theta;
        const F: usize = 6;
        self.per_point.clear();
        self.per_point.resize(F * n, 0.0);
        parallel_chunks_mut(threads, &mut self.per_point, F * CHUNK, &|t, out| {
            let mut stack = Vec::with_capacity(64);
            for (r, i) in (t * CHUNK..).take(out.len() / F).enumerate() {
                let (xi, yi) = (ys[2 * i], ys[2 * i + 1]);
                let (fx, fy, zi) = tree.repulsion(i, xi, yi, theta2, ys, &mut stack);
                // Attraction over row i of P: Σ_j p_ij w_ij (y_i − y_j).
                let (mut ax, mut ay, mut p_ln_w) = (0.0, 0.0, 0.0);
                for e in p.row_start[i]..p.row_start[i + 1] {
                    let j = p.col[e];
                    let dx = xi - ys[2 * j];
                    let dy = yi - ys[2 * j + 1];
                    let w = 1.0 / (1.0 + dx * dx + dy * dy);
                    let pw = p.val[e] * w;
                    ax += pw * dx;
                    ay += pw * dy;
                    if want_kl {
                        p_ln_w += p.val[e] * w.ln();
                    }
                }
                out[F * r..F * r + F].copy_from_slice(&[fx, fy, zi, ax, ay, p_ln_w]);
            }
        });
        let pp = &self.per_point;
        let mut z = 0.0;
        for i in 0..n {
            z += pp[F * i + 2];
        }
        let inv_z = 1.0 / z;
        let g = grad.as_mut_slice();
        for i in 0..n {
            let q = &pp[F * i..F * i + F];
            g[2 * i] = 4.0 * (exaggeration * q[3] - q[0] * inv_z);
            g[2 * i + 1] = 4.0 * (exaggeration * q[4] - q[1] * inv_z);
        }
        if want_kl {
            let mut p_ln_w = 0.0;
            for i in 0..n {
                p_ln_w += pp[F * i + 5];
            }
            Some(p.sum_p_ln_p() - p_ln_w + z.ln() * p.sum())
        } else {
            None
        }
    }
}
