//! The output layer ŷ⟨t⟩ = Wya a⟨t⟩ + by, in PyTorch's `nn.Linear` layout.
//!
//! With one example per row, a⟨t⟩ for a batch is A: (N, H), and the layer is
//!
//! ```text
//! Y = A · Wᵀ + b        W = Wya: (O, H),  b = by: (O)
//! ```
//!
//! Backward (DERIVATIONS.md, "Linear output layer"): for dY = ∂L/∂Y,
//!
//! ```text
//! dW += dYᵀ · A      db += Σ_rows dY      dA = dY · W
//! ```

use crate::linalg::{gemm, MatMut, MatRef, Matrix, Op, Scalar};
use crate::rng::Rng;

/// Weights of a linear layer. Also used, with the same shapes, to hold its gradients.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear<T> {
    /// W: (O, H).
    pub weight: Matrix<T>,
    /// b: (O).
    pub bias: Vec<T>,
}

impl<T: Scalar> Linear<T> {
    /// PyTorch's default initialisation: every weight and bias from
    /// U(−1/√H, 1/√H), weights first (row by row), then biases.
    pub fn new(inputs: usize, outputs: usize, rng: &mut Rng) -> Linear<T> {
        let k = 1.0 / (inputs.max(1) as f64).sqrt();
        let weight = Matrix::random_uniform(outputs, inputs, -k, k, rng);
        let bias = (0..outputs).map(|_| rng.uniform(-k, k)).collect();
        Linear { weight, bias }
    }

    /// All zeros with the given shape (a gradient buffer).
    pub fn zeros(inputs: usize, outputs: usize) -> Linear<T> {
        Linear {
            weight: Matrix::zeros(outputs, inputs),
            bias: vec![T::ZERO; outputs],
        }
    }

    /// H, the input width.
    pub fn inputs(&self) -> usize {
        self.weight.cols()
    }

    /// O, the output width.
    pub fn outputs(&self) -> usize {
        self.weight.rows()
    }

    /// Sets every element to zero.
    pub fn fill_zero(&mut self) {
        self.weight.fill_zero();
        self.bias.iter_mut().for_each(|b| *b = T::ZERO);
    }
}

/// Y = A · Wᵀ + b.
///
/// `a`: (N, H), `y`: (N, O), overwritten.
pub fn linear_forward<T: Scalar>(layer: &Linear<T>, a: MatRef<T>, mut y: MatMut<T>) {
    gemm(
        Op::N,
        Op::T,
        T::ONE,
        a,
        layer.weight.view(),
        T::ZERO,
        y.reborrow(),
    );
    for i in 0..y.rows() {
        for (v, &b) in y.row_mut(i).iter_mut().zip(&layer.bias) {
            *v += b;
        }
    }
}

/// Backward of `linear_forward` (DERIVATIONS.md, "Linear output layer").
///
/// `a`: (N, H), the forward input; `dy`: (N, O). Adds dW = dYᵀ·A and
/// db = Σ dY into `grads`; if `da` is given, (N, H), overwrites it with dY · W.
pub fn linear_backward<T: Scalar>(
    layer: &Linear<T>,
    a: MatRef<T>,
    dy: MatRef<T>,
    grads: &mut Linear<T>,
    da: Option<MatMut<T>>,
) {
    gemm(Op::T, Op::N, T::ONE, dy, a, T::ONE, grads.weight.view_mut());
    for i in 0..dy.rows() {
        for (g, &d) in grads.bias.iter_mut().zip(dy.row(i)) {
            *g += d;
        }
    }
    if let Some(da) = da {
        gemm(Op::N, Op::N, T::ONE, dy, layer.weight.view(), T::ZERO, da);
    }
}
