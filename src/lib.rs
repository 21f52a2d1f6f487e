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
//! - [`nn`]: activations, the linear output layer (Wya, by) and the losses.
//! - [`embeddings`]: word vectors — E, the neural LM, word2vec, GloVe,
//!   analogies, evaluation, file formats, debiasing, sentiment transfer.
//! - [`gradcheck`]: central-difference gradient checks of every element.
//! - [`error`]: the error type for user input (files, flags, checkpoints).
//! - [`io`]: file formats (JSON).
//! - [`cli`]: the `seqmodels` command line.
#![deny(missing_docs)]

pub mod cli;
pub mod embeddings;
pub mod error;
pub mod gradcheck;
pub mod io;
pub mod linalg;
pub mod nn;
pub mod rng;

pub use error::{Error, Result};
pub use linalg::{Matrix, Scalar};
