//! A corpus: a text file read, checked, tokenized and encoded with a
//! vocabulary, plus the seeded split into training and held-out parts.
//!
//! Reading treats the file as user input: a missing file, a file that is not
//! UTF-8 text (a binary file, with the byte offset of the first bad byte), and
//! a file without tokens are errors that name the file.

use super::tokenize::{tokenize, Mode, TextConfig};
use super::vocab::Vocab;
use crate::rng::Rng;
use crate::{err, Error, Result};

/// Reads a UTF-8 text file. Errors name the path: missing or unreadable, a
/// NUL byte or invalid UTF-8 (with the byte offset: "this looks like a
/// binary file").
pub fn read_text(path: &str) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    text_from_bytes(bytes, path)
}

/// Checks that `bytes` are text (UTF-8, no NUL byte) and returns them as a
/// string; `source` names them in errors.
pub fn text_from_bytes(bytes: Vec<u8>, source: &str) -> Result<String> {
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Err(err!(
            "{source}: byte {i} is 0 (NUL): this looks like a binary file, expected UTF-8 text"
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let i = e.utf8_error().valid_up_to();
        let b = e.as_bytes()[i];
        err!(
            "{source}: byte {i} (0x{b:02x}) is not valid UTF-8: this looks like a binary \
             file, expected UTF-8 text"
        )
    })
}

/// FNV-1a (64-bit) of a text: checkpoints record it to recognise the training
/// data again (resuming, marking samples that occur in the training set).
pub fn text_hash(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in text.as_bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// An encoded text: token ids, one sequence per line (`Mode::Lines`, each
/// ending with `<EOS>`) or a single stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Corpus {
    /// Where the text came from (a path), for messages.
    pub source: String,
    /// The sequences.
    pub seqs: Vec<Vec<usize>>,
    /// [`text_hash`] of the text.
    pub hash: u64,
}

/// Training and held-out sequences.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// Sequences to train on.
    pub train: Vec<Vec<usize>>,
    /// Sequences to evaluate on (may be empty).
    pub heldout: Vec<Vec<usize>>,
}

impl Corpus {
    /// Tokenizes `text` and builds its vocabulary. `source` names the text
    /// in errors.
    pub fn build(text: &str, source: &str, cfg: &TextConfig) -> Result<(Vocab, Corpus)> {
        let toks = tokenize(text, cfg);
        let vocab = Vocab::build(&toks, cfg).map_err(|e| e.context(source))?;
        let seqs = vocab.encode_all(&toks, source)?;
        let corpus = Corpus {
            source: source.to_string(),
            seqs,
            hash: text_hash(text),
        };
        Ok((vocab, corpus))
    }

    /// Tokenizes `text` and encodes it with an existing vocabulary (unknown
    /// tokens become `<UNK>`, or an error naming the token and its place).
    pub fn with_vocab(text: &str, source: &str, cfg: &TextConfig, vocab: &Vocab) -> Result<Corpus> {
        let toks = tokenize(text, cfg);
        if toks.iter().all(|s| s.is_empty()) {
            return Err(err!("{source}: no tokens (the text is empty or blank)"));
        }
        Ok(Corpus {
            source: source.to_string(),
            seqs: vocab.encode_all(&toks, source)?,
            hash: text_hash(text),
        })
    }

    /// The number of tokens.
    pub fn num_tokens(&self) -> usize {
        self.seqs.iter().map(|s| s.len()).sum()
    }

    /// Splits off a held-out fraction `holdout` ∈ [0, 1), drawn from `seed`:
    ///
    /// - lines: the lines are shuffled with `Rng::new(seed)` and the first
    ///   round(N·holdout) of them (at most N − 1) are held out; both parts keep
    ///   file order;
    /// - a stream of N tokens: one contiguous block of h = round(N·holdout)
    ///   tokens (at most N − 2), starting at `Rng::new(seed).below(N − h + 1)`,
    ///   is held out; the training stream is what comes before and after it,
    ///   joined.
    pub fn split(&self, mode: Mode, holdout: f64, seed: u64) -> Split {
        let mut rng = Rng::new(seed);
        let frac = if holdout.is_finite() {
            holdout.clamp(0.0, 1.0)
        } else {
            0.0
        };
        match mode {
            Mode::Lines => {
                let n = self.seqs.len();
                let held = ((n as f64 * frac).round() as usize).min(n.saturating_sub(1));
                let mut order: Vec<usize> = (0..n).collect();
                rng.shuffle(&mut order);
                let mut is_held = vec![false; n];
                for &i in &order[..held] {
                    is_held[i] = true;
                }
                let mut split = Split {
                    train: Vec::new(),
                    heldout: Vec::new(),
                };
                for (i, s) in self.seqs.iter().enumerate() {
                    if is_held[i] {
                        split.heldout.push(s.clone());
                    } else {
                        split.train.push(s.clone());
                    }
                }
                split
            }
            Mode::Stream => {
                let all: Vec<usize> = self.seqs.concat();
                let n = all.len();
                let h = ((n as f64 * frac).round() as usize).min(n.saturating_sub(2));
                if h == 0 {
                    return Split {
                        train: vec![all],
                        heldout: Vec::new(),
                    };
                }
                let start = rng.below(n - h + 1);
                let mut train = all[..start].to_vec();
                train.extend_from_slice(&all[start + h..]);
                Split {
                    train: vec![train],
                    heldout: vec![all[start..start + h].to_vec()],
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize::Level;

    #[test]
    fn binary_and_empty_input_are_errors() {
        let e = text_from_bytes(vec![b'a', 0, b'b'], "f.bin").unwrap_err();
        assert!(e.to_string().contains("f.bin: byte 1 is 0 (NUL)"), "{e}");
        let e = text_from_bytes(vec![b'a', 0xff], "g.bin").unwrap_err();
        assert!(e.to_string().contains("g.bin: byte 1 (0xff)"), "{e}");
        let cfg = TextConfig {
            level: Level::Char,
            mode: Mode::Lines,
            lower: false,
            min_count: 1,
        };
        let e = Corpus::build(" \n\n", "empty.txt", &cfg).unwrap_err();
        assert!(e.to_string().starts_with("empty.txt: no tokens"), "{e}");
    }

    #[test]
    fn splits_are_seeded_partitions() {
        let cfg = TextConfig {
            level: Level::Char,
            mode: Mode::Lines,
            lower: false,
            min_count: 1,
        };
        let text: String = (0..100).map(|i| format!("{}\n", i % 7)).collect();
        let (_, c) = Corpus::build(&text, "t", &cfg).unwrap();
        let a = c.split(Mode::Lines, 0.2, 5);
        assert_eq!((a.train.len(), a.heldout.len()), (80, 20));
        assert_eq!(a, c.split(Mode::Lines, 0.2, 5));
        assert_ne!(a, c.split(Mode::Lines, 0.2, 6));
        let s = c.split(Mode::Stream, 0.1, 5);
        assert_eq!(s.heldout[0].len(), 20); // 10% of 100 lines × (digit, <EOS>)
        assert_eq!(s.train[0].len() + s.heldout[0].len(), c.num_tokens());
    }
}
