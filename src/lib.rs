//! # seqmodels
//!
//! A from-scratch reference implementation, in Rust with no dependencies, of the
//! sequence models of Andrew Ng's *Sequence Models* course (weeks 1–2): the
//! vanilla RNN, GRU and LSTM with explicit backpropagation through time, the RNN
//! architectures built from them, language models, and word embeddings.
//!
//! The modules, in the order the seed meets them:
//! - [`linalg`]: Scalar, Matrix, the packed SIMD GEMM and the worker pool.
//! - [`rng`]: the seeded generator, specified bit for bit.
//! - [`gradcheck`]: central-difference gradient checks of every element.
//! - [`error`]: the error type for user input (files, flags, checkpoints).
//! - [`io`]: file formats (JSON).
//! - [`tsne`]: t-SNE (exact and Barnes-Hut) for 2-D maps of embeddings.
//! - [`plot`]: SVG scatter plots and line charts, written by hand.
//! - [`cli`]: the `seqmodels` command line.
#![deny(missing_docs)]

pub mod cli;
pub mod error;
pub mod gradcheck;
pub mod io;
pub mod linalg;
pub mod plot;
pub mod rng;
pub mod tsne;

pub use error::{Error, Result};
pub use linalg::{Matrix, Scalar};
