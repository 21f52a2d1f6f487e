//! Reading and writing files: JSON (for headers, metadata and benchmark
//! records), safetensors (for checkpoints and PyTorch fixtures) and atomic
//! file replacement (so an interrupted save loses nothing). Every reader
//! returns an error naming the file, what it expected and where.

pub mod atomic;
pub mod json;
pub mod safetensors;
