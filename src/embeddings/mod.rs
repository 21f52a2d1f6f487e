//! Word embeddings: the second half of week 2 of the course.
//!
//! Where it sits in the seed: one-hot vectors (o₅₃₉₁) cannot say that
//! *orange* and *apple* are alike; featurized embeddings e_j = E·o_j can.
//! Embeddings learned on a large corpus transfer to small tasks; analogies
//! work by vector arithmetic (e_man − e_woman ≈ e_king − e_queen); similarity
//! is cosine or Euclidean in the full dimension. The course then learns E with
//! a neural language model, word2vec and GloVe, uses it for sentiment
//! classification, and removes gender bias from it.
//!
//! - [`corpus`]: tokenizer, vocabulary, streaming a corpus line by line.
//! - [`vectors`]: `WordVectors` — similarity, distance, 3CosAdd, 3CosMul, analogy.
//! - [`eval`]: analogy accuracy and word-pair correlation, as gensim computes them.
//! - [`formats`]: word2vec binary and text, GloVe text.
//! - [`nplm`]: the neural probabilistic language model (Bengio et al. 2003).
//! - [`word2vec`]: skip-gram and CBOW with negative sampling or hierarchical softmax.
//! - [`glove`]: GloVe (Pennington et al. 2014).
//! - [`debias`]: neutralize and equalize (Bolukbasi et al. 2016).
//! - [`sentiment`]: the averaging sentiment classifier over pre-trained vectors.
//! - [`reviews`]: a generator of short labelled reviews with negation.
//! - [`synthetic`]: a generated corpus with known analogies.

pub mod corpus;
pub mod debias;
pub mod eval;
pub mod formats;
pub mod glove;
pub mod nplm;
pub mod reviews;
pub mod sentiment;
pub mod synthetic;
pub mod vectors;
pub mod word2vec;

pub use corpus::{Corpus, Vocab};
pub use formats::{read_vectors, write_vectors, Format};
pub use vectors::WordVectors;
