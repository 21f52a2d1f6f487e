//! A small command-line parser: `--flag`, `--key value`, `--key=value`, `-k value`
//! and positional arguments. Every problem becomes a `CliError` naming the flag.
//!
//! Usage pattern, in every subcommand:
//! ```text
//! let mut a = Args::new("train", argv);
//! let hidden: usize = a.value("--hidden")?.unwrap_or(128);
//! let bidi = a.flag("--bidirectional");
//! a.finish()?;   // rejects anything not asked for
//! ```

use crate::linalg::pool::MAX_THREADS;
use std::fmt;
use std::str::FromStr;

/// An error for the user: printed as `error: …` and the process exits non-zero.
#[derive(Debug, Clone, PartialEq)]
pub struct CliError(pub String);

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CliError {}

impl From<String> for CliError {
    fn from(s: String) -> Self {
        CliError(s)
    }
}

impl From<crate::Error> for CliError {
    fn from(e: crate::Error) -> Self {
        CliError(e.to_string())
    }
}

impl From<&str> for CliError {
    fn from(s: &str) -> Self {
        CliError(s.to_string())
    }
}

/// Builds a `CliError` with `format!` syntax.
#[macro_export]
macro_rules! cli_err {
    ($($t:tt)*) => { $crate::cli::CliError(format!($($t)*)) };
}

/// The arguments of one subcommand, consumed as the subcommand asks for them.
#[derive(Debug)]
pub struct Args {
    command: String,
    items: Vec<String>,
    used: Vec<bool>,
}

impl Args {
    /// Wraps the arguments after the subcommand name.
    pub fn new(command: &str, items: Vec<String>) -> Args {
        let used = vec![false; items.len()];
        Args {
            command: command.to_string(),
            items,
            used,
        }
    }

    /// True if `-h` or `--help` is present.
    pub fn wants_help(&self) -> bool {
        self.items.iter().any(|s| s == "-h" || s == "--help")
    }

    /// True if the switch `name` is present (e.g. `--bidirectional`).
    pub fn flag(&mut self, name: &str) -> bool {
        let mut found = false;
        for i in 0..self.items.len() {
            if !self.used[i] && self.items[i] == name {
                self.used[i] = true;
                found = true;
            }
        }
        found
    }

    /// The raw text of `name`'s value, from `name VALUE` or `name=VALUE`. The
    /// last occurrence wins. A flag given without a value is an error.
    pub fn raw(&mut self, name: &str) -> Result<Option<String>, CliError> {
        let mut out = None;
        let mut i = 0;
        while i < self.items.len() {
            if self.used[i] {
                i += 1;
                continue;
            }
            let item = &self.items[i];
            if item == name {
                if i + 1 >= self.items.len() {
                    return Err(cli_err!("{}: {name} needs a value", self.command));
                }
                self.used[i] = true;
                self.used[i + 1] = true;
                out = Some(self.items[i + 1].clone());
                i += 2;
                continue;
            }
            if let Some(v) = item
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix('='))
            {
                out = Some(v.to_string());
                self.used[i] = true;
            }
            i += 1;
        }
        Ok(out)
    }

    /// The value of `name` parsed as `T`, or `None` if absent. A value that
    /// does not parse is an error naming the flag and the value.
    pub fn value<T: FromStr>(&mut self, name: &str) -> Result<Option<T>, CliError> {
        match self.raw(name)? {
            None => Ok(None),
            Some(s) => s.parse::<T>().map(Some).map_err(|_| {
                cli_err!(
                    "{}: {name} {s:?}: expected {}",
                    self.command,
                    type_hint::<T>()
                )
            }),
        }
    }

    /// `--threads N` if given: a whole number from 1 to `pool::MAX_THREADS`,
    /// checked here, before any thread is started.
    pub fn threads(&mut self) -> Result<Option<usize>, CliError> {
        match self.value::<usize>("--threads")? {
            Some(n) if !(1..=MAX_THREADS).contains(&n) => Err(cli_err!(
                "{}: --threads {n}: must be between 1 and {MAX_THREADS}",
                self.command
            )),
            n => Ok(n),
        }
    }

    /// `value(name)`, or `default` if absent.
    pub fn value_or<T: FromStr>(&mut self, name: &str, default: T) -> Result<T, CliError> {
        Ok(self.value(name)?.unwrap_or(default))
    }

    /// A value that must be present.
    pub fn required<T: FromStr>(&mut self, name: &str) -> Result<T, CliError> {
        self.value(name)?
            .ok_or_else(|| cli_err!("{}: {name} is required", self.command))
    }

    /// A value that must be one of `choices`.
    pub fn choice(
        &mut self,
        name: &str,
        choices: &[&str],
        default: &str,
    ) -> Result<String, CliError> {
        let v = self.raw(name)?.unwrap_or_else(|| default.to_string());
        if choices.contains(&v.as_str()) {
            Ok(v)
        } else {
            Err(cli_err!(
                "{}: {name} {v:?}: expected one of {}",
                self.command,
                choices.join(", ")
            ))
        }
    }

    /// The remaining arguments that do not start with `-` (call after all
    /// flags and values have been taken).
    pub fn positional(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for i in 0..self.items.len() {
            let is_flag = self.items[i].starts_with('-') && self.items[i].len() > 1;
            if !self.used[i] && !is_flag {
                self.used[i] = true;
                out.push(self.items[i].clone());
            }
        }
        out
    }

    /// Fails on any argument that no call above has taken, naming it.
    pub fn finish(self) -> Result<(), CliError> {
        for (i, item) in self.items.iter().enumerate() {
            if !self.used[i] && item != "-h" && item != "--help" {
                return Err(cli_err!(
                    "{}: unknown argument {item:?} (see `seqmodels {} --help`)",
                    self.command,
                    self.command
                ));
            }
        }
        Ok(())
    }
}

fn type_hint<T>() -> &'static str {
    let n = std::any::type_name::<T>();
    if n.contains("usize") || n.contains("u64") || n.contains("u32") {
        "a whole number ≥ 0"
    } else if n.contains("i64") || n.contains("i32") {
        "a whole number"
    } else if n.contains("f64") || n.contains("f32") {
        "a number"
    } else {
        "a valid value"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Args {
        Args::new("t", s.split_whitespace().map(String::from).collect())
    }

    #[test]
    fn values_flags_and_positionals() {
        let mut a = args("--hidden 64 --lr=0.5 --bidirectional file.txt");
        assert_eq!(a.value::<usize>("--hidden").unwrap(), Some(64));
        assert_eq!(a.value::<f64>("--lr").unwrap(), Some(0.5));
        assert!(a.flag("--bidirectional"));
        assert!(!a.flag("--missing"));
        assert_eq!(a.positional(), vec!["file.txt"]);
        a.finish().unwrap();
    }

    #[test]
    fn errors_name_the_flag() {
        let mut a = args("--hidden ten");
        let e = a.value::<usize>("--hidden").unwrap_err();
        assert!(e.0.contains("--hidden") && e.0.contains("ten"), "{e}");
        let mut a = args("--hidden");
        assert!(a
            .value::<usize>("--hidden")
            .unwrap_err()
            .0
            .contains("needs a value"));
        let a = args("--bogus 3");
        assert!(a.finish().unwrap_err().0.contains("--bogus"));
        let mut a = args("--cell xyz");
        assert!(a
            .choice("--cell", &["rnn", "lstm"], "lstm")
            .unwrap_err()
            .0
            .contains("rnn, lstm"));
    }

    #[test]
    fn negative_numbers_are_values() {
        let mut a = args("--shift -3");
        assert_eq!(a.value::<i64>("--shift").unwrap(), Some(-3));
        a.finish().unwrap();
    }
}
