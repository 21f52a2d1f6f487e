//! Linear algebra: the numbers every model is made of.
//!
//! - `Scalar`: f32 or f64.
//! - `Matrix`, `MatRef`, `MatMut`: row-major storage and views.
//! - `gemm`: the packed, SIMD-dispatched matrix product, and `PackedB` for an
//!   operand packed once and reused (W_hh at every time step).
//! - `pool`: the persistent worker threads behind parallel kernels.
//!
//! Everything above this module (cells, models, embeddings, t-SNE) is written
//! in terms of these types; nothing else in the crate uses `unsafe`.

pub mod fastmath;
pub mod gemm;
mod matrix;
pub mod pool;
mod scalar;
pub mod simd;
mod workspace;

pub use gemm::{gemm, gemm_prepacked, gemm_tn_col_sums, Kernel, Op, PackedB};
pub use matrix::{assert_same_shape, MatMut, MatRef, Matrix};
pub use scalar::Scalar;
pub use workspace::Workspace;
