//! Inverted dropout (Srivastava et al. 2014), a regulariser for training: each
//! unit of an activation matrix is kept with probability 1 − p and scaled by
//! 1/(1 − p), or set to zero. At test time nothing is dropped and nothing is
//! scaled, because the scaling already made the expected value of every unit
//! during training equal to the unit itself.
//!
//! ```text
//! m_ij = 1/(1 − p) with probability 1 − p, else 0      (drawn once per pass)
//! Y    = X ⊙ m                                          forward
//! dX   = dY ⊙ m                                         backward
//! ```
//!
//! The mask m is a constant of the pass, so the backward pass is the
//! element-wise product with the same mask (DERIVATIONS.md, "Dropout").
//! Where it is used: the language model's `--dropout`, on embedded inputs
//! x⟨t⟩ = E·o_id, on the input of every recurrent layer above the first
//! (PyTorch's `nn.LSTM(dropout=p)`) and on the input of the output layer
//! (char-rnn's `-dropout` covers the last two).

use crate::linalg::{MatRef, Matrix, Scalar};
use crate::rng::Rng;

/// Dropout for one training pass: the drop probability and the generator
/// the masks are drawn from.
pub struct Dropout<'a> {
    /// p, the probability that a unit is dropped: 0 ≤ p < 1.
    pub p: f64,
    /// Draws the masks, one `next_f64` per unit, row by row.
    pub rng: &'a mut Rng,
}

/// One dropped activation matrix and the mask that dropped it.
#[derive(Clone, Debug)]
pub struct Dropped<T> {
    /// m: 0 or 1/(1 − p) per unit, (N, H).
    pub mask: Matrix<T>,
    /// Y = X ⊙ m, (N, H): what the next layer reads.
    pub out: Matrix<T>,
}

/// Draws a mask for an (rows, cols) activation: unit (i, j) is dropped
/// (m = 0) when the generator's next `next_f64()` is below p, and kept
/// (m = 1/(1 − p)) otherwise. Units are drawn row by row.
pub fn dropout_mask<T: Scalar>(rows: usize, cols: usize, d: &mut Dropout) -> Matrix<T> {
    assert!(
        (0.0..1.0).contains(&d.p),
        "dropout: p = {}, expected 0 ≤ p < 1",
        d.p
    );
    let keep = T::from_f64(1.0 / (1.0 - d.p));
    // next_f64() is (u >> 11)·2⁻⁵³ for the next 64 bits u, so next_f64() ≥ p
    // exactly when the integer u >> 11 ≥ ⌈p·2⁵³⌉ (p·2⁵³ is exact in f64):
    // the same test without the conversion.
    let threshold = (d.p * (1u64 << 53) as f64).ceil() as u64;
    // A local copy of the generator (written back below) and a collect of
    // known length keep the loop in registers: with `d.rng` and `push`, the
    // generator's state went through memory at every draw.
    let mut rng = d.rng.clone();
    let mask: Vec<T> = (0..rows * cols)
        .map(|_| {
            if (rng.next_u64() >> 11) >= threshold {
                keep
            } else {
                T::ZERO
            }
        })
        .collect();
    *d.rng = rng;
    Matrix::from_vec(rows, cols, mask)
}

/// Forward: draws a mask and returns it with Y = X ⊙ m.      X: (N, H)
pub fn dropout_forward<T: Scalar>(x: MatRef<T>, d: &mut Dropout) -> Dropped<T> {
    let mask = dropout_mask::<T>(x.rows(), x.cols(), d);
    let mut out = Vec::with_capacity(x.rows() * x.cols());
    for i in 0..x.rows() {
        out.extend(x.row(i).iter().zip(mask.row(i)).map(|(&xv, &mv)| xv * mv));
    }
    let out = Matrix::from_vec(x.rows(), x.cols(), out);
    Dropped { mask, out }
}

/// Backward: dX = dY ⊙ m, in place on `dy`.                  dY: (N, H)
pub fn dropout_backward<T: Scalar>(dy: &mut Matrix<T>, mask: &Matrix<T>) {
    dy.mul_assign(mask);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mask_keeps_about_one_minus_p_and_scales_by_its_inverse() {
        let mut rng = Rng::new(7);
        let mut d = Dropout {
            p: 0.3,
            rng: &mut rng,
        };
        let m = dropout_mask::<f64>(200, 500, &mut d);
        let kept = m.as_slice().iter().filter(|&&v| v != 0.0).count();
        // 100,000 Bernoulli(0.7) draws: the standard deviation of the kept
        // fraction is √(0.7·0.3/1e5) ≈ 0.0014, so 0.01 is seven of them.
        let frac = kept as f64 / m.len() as f64;
        assert!((frac - 0.7).abs() < 0.01, "kept fraction {frac}");
        for &v in m.as_slice() {
            assert!(v == 0.0 || v == 1.0 / 0.7, "mask value {v}");
        }
        // E[m] = 1: the layer's expected output is its input.
        let mean = m.sum() / m.len() as f64;
        assert!((mean - 1.0).abs() < 0.015, "mean of the mask {mean}");
    }

    #[test]
    fn the_integer_test_is_the_float_test() {
        // The mask's integer comparison must keep exactly the units for
        // which next_f64() ≥ p, for awkward p as well.
        for p in [0.1, 0.25, 0.3, 0.5, 1.0 / 3.0, 0.9] {
            let mut a = Rng::new(11);
            let mut b = Rng::new(11);
            let m = dropout_mask::<f64>(1, 5000, &mut Dropout { p, rng: &mut a });
            for &v in m.as_slice() {
                assert_eq!(v != 0.0, b.next_f64() >= p, "p = {p}");
            }
        }
    }

    #[test]
    fn p_zero_keeps_everything_and_the_backward_uses_the_same_mask() {
        let x = Matrix::<f64>::from_fn(3, 4, |i, j| (i * 4 + j) as f64 - 5.0);
        let mut rng = Rng::new(1);
        let none = dropout_forward(
            x.view(),
            &mut Dropout {
                p: 0.0,
                rng: &mut rng,
            },
        );
        assert_eq!(none.out, x);
        let half = dropout_forward(
            x.view(),
            &mut Dropout {
                p: 0.5,
                rng: &mut rng,
            },
        );
        let mut dy = Matrix::<f64>::filled(3, 4, 1.0);
        dropout_backward(&mut dy, &half.mask);
        for i in 0..3 {
            for j in 0..4 {
                let m = half.mask.get(i, j);
                assert!(m == 0.0 || m == 2.0);
                assert_eq!(half.out.get(i, j), x.get(i, j) * m);
                assert_eq!(dy.get(i, j), m);
            }
        }
    }
}
