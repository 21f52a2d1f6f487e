//! Principal component analysis, for t-SNE's initial embedding.
//!
//! The reference implementations start from the first two principal
//! components of the centred data, scaled so the first coordinate has
//! standard deviation 1e-4. That start is deterministic and already puts
//! far-apart clusters apart, which random starts do not.
//!
//! Method: form the covariance C = X̄ᵀX̄ / (N − 1) of the centred data X̄ (or
//! the Gram matrix X̄X̄ᵀ when there are more dimensions than points), then
//! find its top eigenvectors by subspace iteration: start from a seeded random
//! block V of a few more columns than wanted, repeat V ← orth(C·V), and finish
//! with a Rayleigh–Ritz step, the eigen-decomposition of the small matrix
//! VᵀCV by Jacobi rotations. Each eigenvector's sign is fixed so its
//! largest-magnitude entry is positive.

use crate::linalg::gemm::gemm_with;
use crate::linalg::{Kernel, Matrix, Op};
use crate::rng::Rng;

/// Eigenvalues (descending) and eigenvectors (columns, same order) of a
/// small symmetric matrix `a: (m, m)` by cyclic Jacobi rotations.
pub fn jacobi_eigen(a: &Matrix<f64>) -> (Vec<f64>, Matrix<f64>) {
    let m = a.rows();
    assert_eq!(a.shape(), (m, m), "jacobi_eigen: square matrix expected");
    let mut a = a.clone();
    let mut v = Matrix::<f64>::identity(m);
    for _sweep in 0..100 {
        let off: f64 = (0..m)
            .flat_map(|i| (0..m).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[(i, j)] * a[(i, j)])
            .sum();
        let total: f64 = a.as_slice().iter().map(|x| x * x).sum();
        if off <= 1e-30 * total || off == 0.0 {
            break;
        }
        for p in 0..m {
            for q in p + 1..m {
                let apq = a[(p, q)];
                if apq == 0.0 {
                    continue;
                }
                // The rotation that zeroes a_pq: θ = (a_qq − a_pp) / (2 a_pq),
                // t = sign(θ) / (|θ| + √(θ² + 1)), c = 1/√(t² + 1), s = t·c.
                let theta = (a[(q, q)] - a[(p, p)]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // A ← Jᵀ A J, applied to columns p, q and then rows p, q.
                for k in 0..m {
                    let (akp, akq) = (a[(k, p)], a[(k, q)]);
                    a[(k, p)] = c * akp - s * akq;
                    a[(k, q)] = s * akp + c * akq;
                }
                for k in 0..m {
                    let (apk, aqk) = (a[(p, k)], a[(q, k)]);
                    a[(p, k)] = c * apk - s * aqk;
                    a[(q, k)] = s * apk + c * aqk;
                }
                for k in 0..m {
                    let (vkp, vkq) = (v[(k, p)], v[(k, q)]);
                    v[(k, p)] = c * vkp - s * vkq;
                    v[(k, q)] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| a[(j, j)].total_cmp(&a[(i, i)]).then(i.cmp(&j)));
    let values = order.iter().map(|&i| a[(i, i)]).collect();
    let vectors = Matrix::from_fn(m, m, |r, c| v[(r, order[c])]);
    (values, vectors)
}

/// Orthonormalises the columns of `v: (m, p)` in place by modified
/// Gram–Schmidt. A column that becomes (numerically) zero is left zero.
fn orthonormalize(v: &mut Matrix<f64>) {
    let (m, p) = v.shape();
    for c in 0..p {
        for prev in 0..c {
            let dot: f64 = (0..m).map(|r| v[(r, c)] * v[(r, prev)]).sum();
            for r in 0..m {
                v[(r, c)] -= dot * v[(r, prev)];
            }
        }
        let norm: f64 = (0..m).map(|r| v[(r, c)] * v[(r, c)]).sum::<f64>().sqrt();
        let inv = if norm > 1e-300 { 1.0 / norm } else { 0.0 };
        for r in 0..m {
            v[(r, c)] *= inv;
        }
    }
}

/// The top `k` eigenpairs of a symmetric positive semi-definite `s: (m, m)`,
/// by subspace iteration from a `seed`ed random start. Returns eigenvalues
/// (descending) and eigenvectors as the columns of an (m, k) matrix.
pub fn top_eigenvectors(
    s: &Matrix<f64>,
    k: usize,
    seed: u64,
    threads: usize,
) -> (Vec<f64>, Matrix<f64>) {
    let m = s.rows();
    let k = k.min(m);
    let p = (k + 8).min(m);
    let mut rng = Rng::new(seed);
    let mut v = Matrix::<f64>::random_normal(m, p, 1.0, &mut rng);
    orthonormalize(&mut v);
    let mut sv = Matrix::<f64>::zeros(m, p);
    let mut prev: Vec<f64> = vec![f64::NAN; k];
    for _iter in 0..500 {
        gemm_with(
            Kernel::active(),
            threads,
            Op::N,
            Op::N,
            1.0,
            s.view(),
            v.view(),
            0.0,
            sv.view_mut(),
        );
        // Rayleigh quotients of the current columns, to test convergence.
        let ritz: Vec<f64> = (0..k)
            .map(|c| (0..m).map(|r| v[(r, c)] * sv[(r, c)]).sum())
            .collect();
        v.copy_from(&sv);
        orthonormalize(&mut v);
        let scale = ritz.first().map_or(0.0, |x: &f64| x.abs()).max(1e-300);
        let settled = ritz
            .iter()
            .zip(&prev)
            .all(|(a, b)| (a - b).abs() <= 1e-13 * scale);
        prev = ritz;
        if settled {
            break;
        }
    }
    // Rayleigh–Ritz: T = Vᵀ S V (p, p), T = U Λ Uᵀ, eigenvectors V·U.
    gemm_with(
        Kernel::active(),
        threads,
        Op::N,
        Op::N,
        1.0,
        s.view(),
        v.view(),
        0.0,
        sv.view_mut(),
    );
    let mut t = Matrix::<f64>::zeros(p, p);
    gemm_with(
        Kernel::active(),
        threads,
        Op::T,
        Op::N,
        1.0,
        v.view(),
        sv.view(),
        0.0,
        t.view_mut(),
    );
    // Symmetrise away rounding before Jacobi.
    let t = Matrix::from_fn(p, p, |i, j| 0.5 * (t[(i, j)] + t[(j, i)]));
    let (values, u) = jacobi_eigen(&t);
    let mut vecs = Matrix::<f64>::zeros(m, k);
    for c in 0..k {
        for r in 0..m {
            vecs[(r, c)] = (0..p).map(|l| v[(r, l)] * u[(l, c)]).sum();
        }
        // Sign: the largest-magnitude entry positive (first one on ties).
        let mut best = 0;
        for r in 1..m {
            if vecs[(r, c)].abs() > vecs[(best, c)].abs() {
                best = r;
            }
        }
        if vecs[(best, c)] < 0.0 {
            for r in 0..m {
                vecs[(r, c)] = -vecs[(r, c)];
            }
        }
    }
    (values[..k].to_vec(), vecs)
}

/// The scores of the first `k` principal components of `x: (N, D)`,
/// an (N, k) matrix whose columns have decreasing variance.
pub fn pca(x: &Matrix<f64>, k: usize, seed: u64, threads: usize) -> Matrix<f64> {
    let (n, d) = x.shape();
    let mut xc = x.clone();
    for c in 0..d {
        let mean: f64 = (0..n).map(|r| x[(r, c)]).sum::<f64>() / n as f64;
        for r in 0..n {
            xc[(r, c)] -= mean;
        }
    }
    let k = k.min(d).min(n);
    let mut scores = Matrix::<f64>::zeros(n, k);
    if d <= n {
        // Covariance (D, D); its eigenvectors are the principal axes.
        let mut cov = Matrix::<f64>::zeros(d, d);
        let denom = (n.max(2) - 1) as f64;
        gemm_with(
            Kernel::active(),
            threads,
            Op::T,
            Op::N,
            1.0 / denom,
            xc.view(),
            xc.view(),
            0.0,
            cov.view_mut(),
        );
        let (_, axes) = top_eigenvectors(&cov, k, seed, threads);
        gemm_with(
            Kernel::active(),
            threads,
            Op::N,
            Op::N,
            1.0,
            xc.view(),
            axes.view(),
            0.0,
            scores.view_mut(),
        );
    } else {
        // Gram (N, N): its eigenvectors u_c give the scores u_c · √λ_c.
        let mut gram = Matrix::<f64>::zeros(n, n);
        gemm_with(
            Kernel::active(),
            threads,
            Op::N,
            Op::T,
            1.0,
            xc.view(),
            xc.view(),
            0.0,
            gram.view_mut(),
        );
        let (values, u) = top_eigenvectors(&gram, k, seed, threads);
        for c in 0..k {
            let s = values[c].max(0.0).sqrt();
            for r in 0..n {
                scores[(r, c)] = u[(r, c)] * s;
            }
        }
    }
    scores
}
