//! The embedding layer: the matrix E and its lookup e_j = E·o_j.
//!
//! Where it sits in the seed: "embedding matrix E (300 × 10k), E·o_j = e_j,
//! randomly initialised". The course writes E as (D, V), one word per
//! **column**, and multiplies it by the one-hot vector o_j. Here E is stored as
//! (V, D), one word per **row** (PyTorch's `nn.Embedding` layout), which is the
//! same matrix transposed: the course's E is `Op::T` of ours, and
//!
//! ```text
//! e_j = E_course · o_j = (E_ours)ᵀ · o_j = row j of E_ours
//! ```
//!
//! so the product with a one-hot vector is never formed: the forward pass
//! copies rows (a lookup), and `tests/embeddings.rs`
//! (`one_hot_product_equals_lookup`) checks that the GEMM with every o_j gives
//! the same numbers.
//!
//! Backward (DERIVATIONS.md, "Embedding lookup"): the lookup `out[n] = E[ids[n]]`
//! has `∂L/∂E[v] = Σ_{n : ids[n] = v} ∂L/∂out[n]`. Only the rows of words that
//! were looked up receive a gradient, so the backward adds into those rows
//! only (a dense buffer that is mostly zeros), or collects them as a sparse
//! list of rows ([`RowGrads`]).
//!
//! **Sparse (row-wise) optimizer updates.** With V = 10 000 words and a batch
//! that uses 50 of them, updating all of E would touch 200 times more memory
//! than needed. A row-wise update visits only the rows in [`RowGrads`]:
//! SGD does `E[v] −= η·g_v`; row-wise Adagrad keeps one accumulator per element
//! (or per row) and updates `G[v] += g_v²`, `E[v] −= η·g_v/√(G[v] + ε)` for the
//! rows present. Rows absent from a batch are unchanged — which for SGD is
//! exactly what a dense update with a zero gradient does, and for Adagrad
//! too (its step is zero when g = 0). Momentum and Adam are different: a
//! dense update keeps moving rows whose gradient is zero, a "lazy" sparse one
//! does not (PyTorch's `SparseAdam` is the lazy form).

use crate::linalg::{MatMut, MatRef, Matrix, Scalar};
use crate::rng::Rng;

/// The embedding matrix E: (V, D), one word per row.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedding<T> {
    /// E: (V, D).
    pub weight: Matrix<T>,
}

impl<T: Scalar> Embedding<T> {
    /// PyTorch's `nn.Embedding` initialisation: every element from N(0, 1).
    pub fn new(vocab: usize, dim: usize, rng: &mut Rng) -> Embedding<T> {
        Embedding {
            weight: Matrix::random_normal(vocab, dim, 1.0, rng),
        }
    }

    /// word2vec's initialisation: every element from U(−0.5/D, 0.5/D).
    pub fn new_word2vec(vocab: usize, dim: usize, rng: &mut Rng) -> Embedding<T> {
        let h = 0.5 / dim.max(1) as f64;
        Embedding {
            weight: Matrix::random_uniform(vocab, dim, -h, h, rng),
        }
    }

    /// V, the number of words.
    pub fn vocab_size(&self) -> usize {
        self.weight.rows()
    }

    /// D, the embedding dimension.
    pub fn dim(&self) -> usize {
        self.weight.cols()
    }

    /// The course's (D, V) view as a new matrix (one word per column).
    pub fn course_view(&self) -> Matrix<T> {
        self.weight.transpose()
    }
}

/// Lookup: row n of `out` (N, D) ← `E[ids[n]]`. Panics on an id ≥ V (ids come
/// from a vocabulary, so that is a programming error).
pub fn embedding_forward<T: Scalar>(emb: &Embedding<T>, ids: &[usize], mut out: MatMut<T>) {
    assert_eq!(
        out.rows(),
        ids.len(),
        "embedding_forward: {} ids",
        ids.len()
    );
    assert_eq!(out.cols(), emb.dim(), "embedding_forward: out width");
    for (n, &id) in ids.iter().enumerate() {
        out.row_mut(n).copy_from_slice(emb.weight.row(id));
    }
}

/// Backward of `embedding_forward` (DERIVATIONS.md, "Embedding lookup"): for
/// `dout` (N, D) = ∂L/∂out, adds `dout[n]` into `grad[ids[n]]` (grad: (V, D)).
/// Only the rows in `ids` are touched; a repeated id accumulates.
pub fn embedding_backward<T: Scalar>(ids: &[usize], dout: MatRef<T>, grad: &mut Matrix<T>) {
    assert_eq!(
        dout.rows(),
        ids.len(),
        "embedding_backward: {} ids",
        ids.len()
    );
    assert_eq!(dout.cols(), grad.cols(), "embedding_backward: width");
    for (n, &id) in ids.iter().enumerate() {
        for (g, &d) in grad.row_mut(id).iter_mut().zip(dout.row(n)) {
            *g += d;
        }
    }
}

/// A sparse gradient of E: the distinct rows that received a gradient, in
/// order of first appearance, and their summed gradients.
#[derive(Clone, Debug, PartialEq)]
pub struct RowGrads<T> {
    /// Distinct row ids.
    pub rows: Vec<usize>,
    /// Gradient of each row: (rows.len(), D).
    pub grads: Matrix<T>,
}

impl<T: Scalar> RowGrads<T> {
    /// The sparse form of `embedding_backward`: sums the rows of `dout` (N, D)
    /// by id.
    pub fn from_lookup(ids: &[usize], dout: MatRef<T>) -> RowGrads<T> {
        assert_eq!(dout.rows(), ids.len(), "RowGrads::from_lookup");
        let mut rows: Vec<usize> = Vec::new();
        let mut slot = std::collections::HashMap::new();
        for &id in ids {
            slot.entry(id).or_insert_with(|| {
                rows.push(id);
                rows.len() - 1
            });
        }
        let mut grads = Matrix::zeros(rows.len(), dout.cols());
        for (n, id) in ids.iter().enumerate() {
            let r = slot[id];
            for (g, &d) in grads.row_mut(r).iter_mut().zip(dout.row(n)) {
                *g += d;
            }
        }
        RowGrads { rows, grads }
    }

    /// Row-wise SGD: `E[v] −= lr · g_v` for the rows present only.
    pub fn sgd_update(&self, weight: &mut Matrix<T>, lr: T) {
        for (r, &v) in self.rows.iter().enumerate() {
            for (w, &g) in weight.row_mut(v).iter_mut().zip(self.grads.row(r)) {
                *w -= lr * g;
            }
        }
    }

    /// Row-wise Adagrad with one accumulator per element, `sum_sq`: (V, D):
    /// `G[v] += g²`, `E[v] −= lr · g / (√G[v] + eps)`, for the rows present only.
    pub fn adagrad_update(&self, weight: &mut Matrix<T>, sum_sq: &mut Matrix<T>, lr: T, eps: T) {
        for (r, &v) in self.rows.iter().enumerate() {
            let g = self.grads.row(r);
            let acc = sum_sq.row_mut(v);
            let w = weight.row_mut(v);
            for k in 0..g.len() {
                acc[k] += g[k] * g[k];
                w[k] -= lr * g[k] / (acc[k].sqrt() + eps);
            }
        }
    }
}
