//! Losses: softmax cross-entropy (one of C classes per step) and sigmoid
//! binary cross-entropy (a 0/1 label per output), each with a mask so that
//! padded positions of shorter sequences in a batch contribute nothing.
//!
//! Both take *logits* z (the linear layer's output) and are computed stably:
//!
//! ```text
//! softmax CE:  L = log Σ_c e^{z_c} − z_y = (m + log Σ_c e^{z_c − m}) − z_y,   m = max_c z_c
//!              ∂L/∂z_c = p_c − [c = y],   p = softmax(z)
//! sigmoid BCE: L = max(z, 0) − z·y + log(1 + e^{−|z|})
//!              ∂L/∂z = σ(z) − y
//! ```
//!
//! Each returns the **sum** over unmasked rows (or elements) and the count, so
//! callers choose the reduction; the backward functions take the scale to apply
//! (1 for a sum, 1/count for a mean). Derivations: DERIVATIONS.md, "Losses".

use crate::linalg::simd::vectorized;
use crate::linalg::{MatMut, MatRef, Matrix, Scalar};

/// The result of a loss forward pass.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossSum {
    /// Σ of the per-row (or per-element) losses over unmasked positions, in f64.
    pub sum: f64,
    /// How many positions were counted.
    pub count: usize,
}

impl LossSum {
    /// sum / count (0 if nothing was counted).
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }
}

fn is_on<T: Scalar>(mask: Option<&[T]>, i: usize) -> bool {
    mask.is_none_or(|m| m[i] != T::ZERO)
}

/// Softmax cross-entropy of each row of `logits` (N, C) against `targets` (N).
/// Rows with `mask[i] == 0` are skipped. Writes the softmax probabilities into
/// `probs` (N, C) for the backward pass. Panics if a target is ≥ C (targets
/// come from a vocabulary, so that is a programming error).
pub fn softmax_cross_entropy_forward<T: Scalar>(
    logits: MatRef<T>,
    targets: &[usize],
    mask: Option<&[T]>,
    probs: &mut Matrix<T>,
) -> LossSum {
    let (n, c) = logits.shape();
    assert!(
        targets.len() == n,
        "softmax_cross_entropy: {n} rows but {} targets",
        targets.len()
    );
    assert!(
        probs.shape() == (n, c),
        "softmax_cross_entropy: probs {:?} vs logits ({n}, {c})",
        probs.shape()
    );
    let mut out = LossSum { sum: 0.0, count: 0 };
    // Under `vectorized`, with the exponentials in a loop of their own (no
    // running sum in it), so they run as wide vectors; the sum s then adds
    // them in order, as before.
    vectorized(
        #[inline(always)]
        || {
            for i in 0..n {
                let z = logits.row(i);
                let m = z
                    .iter()
                    .fold(T::from_f64(f64::NEG_INFINITY), |a, &b| a.max(b));
                let p = probs.row_mut(i);
                for (pc, &zc) in p.iter_mut().zip(z) {
                    *pc = (zc - m).fast_exp();
                }
                let mut s = T::ZERO;
                for &pc in p.iter() {
                    s += pc;
                }
                let inv = T::ONE / s;
                for pc in p.iter_mut() {
                    *pc *= inv;
                }
                if is_on(mask, i) {
                    let y = targets[i];
                    assert!(y < c, "softmax_cross_entropy: target {y} ≥ {c} classes");
                    let log_sum = m.to_f64() + s.to_f64().ln();
                    out.sum += log_sum - z[y].to_f64();
                    out.count += 1;
                }
            }
        },
    );
    out
}

/// Backward of `softmax_cross_entropy_forward` (DERIVATIONS.md, "Losses").
/// Overwrites `dlogits` (N, C) with `scale · (p − onehot(y))` on unmasked rows
/// and zeros on masked rows.
pub fn softmax_cross_entropy_backward<T: Scalar>(
    probs: &Matrix<T>,
    targets: &[usize],
    mask: Option<&[T]>,
    scale: T,
    mut dlogits: MatMut<T>,
) {
    let (n, _) = probs.shape();
    assert!(
        dlogits.shape() == probs.shape(),
        "softmax_cross_entropy_backward: shapes {:?} vs {:?}",
        dlogits.shape(),
        probs.shape()
    );
    for i in 0..n {
        let d = dlogits.row_mut(i);
        if is_on(mask, i) {
            for (dc, &pc) in d.iter_mut().zip(probs.row(i)) {
                *dc = scale * pc;
            }
            d[targets[i]] -= scale;
        } else {
            d.iter_mut().for_each(|x| *x = T::ZERO);
        }
    }
}

/// Sigmoid binary cross-entropy of every element of `logits` (N, K) against
/// `targets` (N, K) in [0, 1]. Rows with `mask[i] == 0` are skipped.
pub fn sigmoid_bce_forward<T: Scalar>(
    logits: MatRef<T>,
    targets: MatRef<T>,
    mask: Option<&[T]>,
) -> LossSum {
    assert!(
        logits.shape() == targets.shape(),
        "sigmoid_bce: logits {:?} vs targets {:?}",
        logits.shape(),
        targets.shape()
    );
    let mut out = LossSum { sum: 0.0, count: 0 };
    for i in 0..logits.rows() {
        if !is_on(mask, i) {
            continue;
        }
        for (&z, &y) in logits.row(i).iter().zip(targets.row(i)) {
            let (z, y) = (z.to_f64(), y.to_f64());
            out.sum += z.max(0.0) - z * y + (-z.abs()).exp().ln_1p();
            out.count += 1;
        }
    }
    out
}

/// Backward of `sigmoid_bce_forward` (DERIVATIONS.md, "Losses"). Overwrites
/// `dlogits` (N, K) with `scale · (σ(z) − y)` on unmasked rows, zeros elsewhere.
pub fn sigmoid_bce_backward<T: Scalar>(
    logits: MatRef<T>,
    targets: MatRef<T>,
    mask: Option<&[T]>,
    scale: T,
    mut dlogits: MatMut<T>,
) {
    assert!(
        dlogits.shape() == logits.shape(),
        "sigmoid_bce_backward: shapes {:?} vs {:?}",
        dlogits.shape(),
        logits.shape()
    );
    for i in 0..logits.rows() {
        let on = is_on(mask, i);
        let (z, y) = (logits.row(i), targets.row(i));
        for (j, d) in dlogits.row_mut(i).iter_mut().enumerate() {
            *d = if on {
                scale * (z[j].sigmoid() - y[j])
            } else {
                T::ZERO
            };
        }
    }
}
