//! Reading and writing files: JSON (for headers, metadata and benchmark
//! records). Every reader returns an error naming what it expected and where.

pub mod json;
