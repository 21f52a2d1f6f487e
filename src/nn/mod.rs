//! Neural-network building blocks shared by every model: the activations g(·),
//! the linear output layer (Wya, by), the losses, and the embedding matrix E.
//!
//! Where they sit in the seed: ŷ⟨t⟩ = g(Wya a⟨t⟩ + by) is the output of every
//! RNN type, and the losses (softmax over a vocabulary or over classes, a
//! sigmoid for 0/1 labels) are what backpropagation through time starts from.

pub mod activation;
pub mod dropout;
pub mod embedding;
pub mod linear;
pub mod loss;

pub use activation::Activation;
pub use dropout::{dropout_backward, dropout_forward, Dropout, Dropped};
pub use embedding::{embedding_backward, embedding_forward, Embedding, RowGrads};
pub use linear::{linear_backward, linear_forward, Linear};
pub use loss::{
    sigmoid_bce_backward, sigmoid_bce_forward, softmax_cross_entropy_backward,
    softmax_cross_entropy_forward, LossSum,
};
