//! The crate's error type for everything a user hands in: files, flags,
//! checkpoints, corpora. Each message names what was wrong and where (a file
//! and line, a byte offset, a flag), so the command line can print it as is.

use std::fmt;

/// An error with a message that names its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    message: String,
}

/// `Result` with the crate's error.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with the given message.
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefixes the message with where it happened, e.g. a file name:
    /// `"names.txt: line 3: …"`.
    pub fn context(self, place: impl fmt::Display) -> Error {
        Error {
            message: format!("{place}: {}", self.message),
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl AsRef<std::path::Path>, e: std::io::Error) -> Error {
        Error::new(format!("{}: {e}", path.as_ref().display()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Builds an `Error` with `format!` syntax.
#[macro_export]
macro_rules! err {
    ($($t:tt)*) => { $crate::error::Error::new(format!($($t)*)) };
}

impl From<crate::io::json::JsonError> for Error {
    fn from(e: crate::io::json::JsonError) -> Error {
        Error::new(e.to_string())
    }
}
