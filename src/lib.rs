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
//! - [`rnn`]: the vanilla RNN, GRU (both forms) and LSTM, one step and whole
//!   sequences, with explicit BPTT and truncated BPTT.
//! - [`models`]: many-to-many tagger, many-to-one classifier, one-to-many
//!   generator (the language model), encoder–decoder.
//! - [`optim`]: SGD, momentum, Adagrad, RMSProp, Adam; clipping by value and by norm.
//! - [`text`]: tokenizers (character, word), the vocabulary with `<EOS>` and `<UNK>`,
//!   corpora and batches for the language models.
//! - [`lm`]: the language model as a product: training (truncated BPTT,
//!   checkpoints, resuming), sampling and evaluation.
//! - [`tasks`]: generated learning tasks (future context, long-range agreement,
//!   negation, date normalisation) and the training loops that learn them.
//! - [`embeddings`]: word vectors — E, the neural LM, word2vec, GloVe,
//!   analogies, evaluation, file formats, debiasing, sentiment transfer.
//! - [`experiments`]: vanishing and exploding gradients, measured on the
//!   agreement task and drawn (topic 8).
//! - [`gradcheck`]: central-difference gradient checks of every element.
//! - [`error`]: the error type for user input (files, flags, checkpoints).
//! - [`checks`]: the gradient checks `seqmodels gradcheck` prints and the tests assert.
//! - [`fixtures`]: PyTorch golden fixtures and `seqmodels verify` (the porting kit).
//! - [`io`]: file formats (JSON, safetensors) and atomic writes.
//! - [`tsne`]: t-SNE (exact and Barnes-Hut) for 2-D maps of embeddings.
//! - [`plot`]: SVG scatter plots and line charts, written by hand.
//! - [`cli`]: the `seqmodels` command line.
#![deny(missing_docs)]

pub mod checks;
pub mod cli;
pub mod embeddings;
pub mod error;
pub mod experiments;
pub mod fixtures;
pub mod gradcheck;
pub mod io;
pub mod linalg;
pub mod lm;
pub mod models;
pub mod nn;
pub mod optim;
pub mod plot;
pub mod rng;
pub mod rnn;
pub mod tasks;
pub mod text;
pub mod tsne;

pub use error::{Error, Result};
pub use linalg::{Matrix, Scalar};
