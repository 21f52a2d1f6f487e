//! Text for the language models: tokenizers, the vocabulary, corpora and
//! batches.
//!
//! Where it sits in the seed: the language-model section says "tokenize, add
//! `<EOS>`, map each token to a one-hot vector (an index into the vocabulary),
//! replace unknown words by `<UNK>`", and notes that character-level models work
//! the same way with characters as tokens. This module is that pipeline:
//!
//! - `tokenize.rs` — character level (one token per character) and word level
//!   (optional lower-casing, punctuation split off, `<EOS>` at sentence ends);
//! - `vocab.rs` — the vocabulary (token ↔ index), with `<EOS>`, `<UNK>`,
//!   `min_count`, and errors that say which token is unknown and where;
//! - `corpus.rs` — reading a file (missing, binary or empty files are errors),
//!   line-structured data (one sequence per line, such as names) or one
//!   continuous stream, and the seeded train / held-out split;
//! - `batch.rs` — batches: padded and masked lines, or B parallel streams cut
//!   into chunks of T steps for truncated BPTT.

pub mod batch;
pub mod corpus;
pub mod tokenize;
pub mod vocab;

pub use batch::{LineBatches, StreamBatches, TokenBatch};
pub use corpus::{read_text, Corpus, Split};
pub use tokenize::{tokenize, Level, Mode, Piece, TextConfig, Token};
pub use vocab::{Vocab, EOS, UNK};
