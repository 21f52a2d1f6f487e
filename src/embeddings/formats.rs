//! Word-vector files: word2vec binary, word2vec text and GloVe text, read and
//! written, with the format detected on reading.
//!
//! Where it sits in the seed: embeddings "learned on a large corpus transfer
//! to a small task" — in practice they travel as files in these formats.
//!
//! ```text
//! word2vec binary:  "V D\n", then V records: word, ' ', D little-endian f32, '\n'
//!                   (word2vec.c writes the '\n'; gensim does not: both are read)
//! word2vec text:    "V D\n", then V lines: word v1 … vD
//! GloVe text:       no header; lines: word v1 … vD (D from the first line)
//! ```
//! Detection: a first line of exactly two whole numbers is a word2vec header;
//! the text after it is text if its first line splits into a word and D
//! numbers, else binary. Anything else is GloVe text. Every malformed file is
//! an error naming the file and the line (text) or byte offset (binary).

use super::vectors::WordVectors;
use crate::err;
use crate::error::{Error, Result};
use crate::Matrix;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

/// A word-vector file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// word2vec.c's binary format (`-binary 1`).
    W2vBinary,
    /// word2vec.c's text format (`-binary 0`).
    W2vText,
    /// GloVe's text format (no header).
    GloveText,
}

impl Format {
    /// The command-line name: `w2v-bin`, `w2v-txt` or `glove-txt`.
    pub fn name(self) -> &'static str {
        match self {
            Format::W2vBinary => "w2v-bin",
            Format::W2vText => "w2v-txt",
            Format::GloveText => "glove-txt",
        }
    }

    /// Parses a command-line name.
    pub fn from_name(s: &str) -> Option<Format> {
        match s {
            "w2v-bin" => Some(Format::W2vBinary),
            "w2v-txt" => Some(Format::W2vText),
            "glove-txt" => Some(Format::GloveText),
            _ => None,
        }
    }
}

/// Reads a vector file in any of the three formats.
pub fn read_vectors(path: impl AsRef<Path>) -> Result<(WordVectors, Format)> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_vectors(&bytes).map_err(|e| e.context(path.display()))
}

/// Parses the bytes of a vector file (see the module docs for detection).
pub fn parse_vectors(bytes: &[u8]) -> Result<(WordVectors, Format)> {
    let first_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let first = std::str::from_utf8(&bytes[..first_end])
        .map_err(|e| err!("line 1 (byte {}): invalid UTF-8", e.valid_up_to()))?;
    let fields: Vec<&str> = first.split_whitespace().collect();
    let header = if fields.len() == 2 {
        match (fields[0].parse::<usize>(), fields[1].parse::<usize>()) {
            (Ok(v), Ok(d)) => Some((v, d)),
            _ => None,
        }
    } else {
        None
    };
    let Some((v, d)) = header else {
        return parse_text(bytes, None).map(|wv| (wv, Format::GloveText));
    };
    if d == 0 {
        return Err(err!(
            "line 1: header {first:?}: the dimension must be at least 1"
        ));
    }
    let body = (first_end + 1).min(bytes.len());
    if looks_like_text(&bytes[body..], d) || v == 0 {
        parse_text(bytes, Some((v, d))).map(|wv| (wv, Format::W2vText))
    } else {
        parse_binary(bytes, body, v, d).map(|wv| (wv, Format::W2vBinary))
    }
}

fn looks_like_text(body: &[u8], d: usize) -> bool {
    let end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
    let Ok(line) = std::str::from_utf8(&body[..end]) else {
        return false;
    };
    let f: Vec<&str> = line.split_whitespace().collect();
    f.len() == d + 1 && f[1..].iter().all(|x| x.parse::<f32>().is_ok())
}

fn parse_binary(bytes: &[u8], start: usize, v: usize, d: usize) -> Result<WordVectors> {
    // Each record needs at least 4·D + 2 bytes (a one-byte word, a space, the
    // floats): refuse a header that promises more than the file holds before
    // allocating anything.
    let need = v.saturating_mul(4usize.saturating_mul(d).saturating_add(2));
    let have = bytes.len().saturating_sub(start);
    if need > have {
        return Err(err!(
            "header says {v} vectors of dimension {d} (at least {need} bytes) but only {have} bytes follow it: truncated file or wrong header"
        ));
    }
    let mut words = Vec::with_capacity(v);
    let mut data = Vec::with_capacity(v * d);
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(v);
    let mut p = start;
    for rec in 0..v {
        while p < bytes.len() && (bytes[p] == b'\n' || bytes[p] == b'\r') {
            p += 1;
        }
        let word_start = p;
        while p < bytes.len() && bytes[p] != b' ' {
            if bytes[p] == b'\n' || p - word_start > 100_000 {
                return Err(err!(
                    "byte {word_start}: record {} of {v}: expected a word followed by a space",
                    rec + 1
                ));
            }
            p += 1;
        }
        if p >= bytes.len() {
            return Err(err!(
                "byte {word_start}: file ends inside record {} of {v} (truncated, or the header's count is wrong)",
                rec + 1
            ));
        }
        let word = std::str::from_utf8(&bytes[word_start..p]).map_err(|e| {
            err!(
                "byte {}: record {} of {v}: word is not valid UTF-8",
                word_start + e.valid_up_to(),
                rec + 1
            )
        })?;
        if word.is_empty() {
            return Err(err!(
                "byte {word_start}: record {} of {v}: empty word",
                rec + 1
            ));
        }
        p += 1;
        if bytes.len() - p < 4 * d {
            return Err(err!(
                "byte {p}: vector of {word:?} (record {} of {v}) is truncated: {} of {} bytes",
                rec + 1,
                bytes.len() - p,
                4 * d
            ));
        }
        for k in 0..d {
            let o = p + 4 * k;
            let x = f32::from_le_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]);
            if !x.is_finite() {
                return Err(err!(
                    "byte {o}: vector of {word:?} holds a non-finite value ({x})"
                ));
            }
            data.push(x);
        }
        p += 4 * d;
        if let Some(prev) = seen.insert(word.to_string(), rec) {
            return Err(err!(
                "byte {word_start}: word {word:?} appears twice (records {} and {})",
                prev + 1,
                rec + 1
            ));
        }
        words.push(word.to_string());
    }
    while p < bytes.len() && bytes[p].is_ascii_whitespace() {
        p += 1;
    }
    if p < bytes.len() {
        return Err(err!(
            "byte {p}: data after the {v} vectors the header announced (header and body disagree)"
        ));
    }
    WordVectors::new(words, Matrix::from_vec(v, d, data))
}

fn parse_text(bytes: &[u8], header: Option<(usize, usize)>) -> Result<WordVectors> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        err!("line {line} (byte {at}): invalid UTF-8")
    })?;
    let mut lines = text.lines().enumerate();
    let mut dim = header.map(|h| h.1);
    if header.is_some() {
        lines.next();
    }
    let mut words = Vec::new();
    let mut data: Vec<f32> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut blank_at: Option<usize> = None;
    for (i, line) in lines {
        let ln = i + 1;
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            blank_at.get_or_insert(ln);
            continue;
        }
        if let Some(b) = blank_at {
            return Err(err!("line {b}: blank line inside the vectors"));
        }
        if let Some((v, _)) = header {
            if words.len() == v {
                return Err(err!(
                    "line {ln}: more vectors than the {v} the header announced (header and body disagree)"
                ));
            }
        }
        let d = *dim.get_or_insert(f.len() - 1);
        if d == 0 {
            return Err(err!("line {ln}: a word with no numbers after it"));
        }
        if f.len() != d + 1 {
            return Err(err!(
                "line {ln}: expected a word and {d} numbers, found {} fields",
                f.len()
            ));
        }
        for tok in &f[1..] {
            match tok.parse::<f32>() {
                Ok(x) if x.is_finite() => data.push(x),
                _ => {
                    return Err(err!(
                        "line {ln}: {tok:?} (in the vector of {:?}) is not a finite number",
                        f[0]
                    ))
                }
            }
        }
        if let Some(prev) = seen.insert(f[0].to_string(), ln) {
            return Err(err!(
                "line {ln}: word {:?} appears twice (lines {prev} and {ln})",
                f[0]
            ));
        }
        words.push(f[0].to_string());
    }
    if let Some((v, _)) = header {
        if words.len() != v {
            return Err(err!(
                "the header announced {v} vectors but the file holds {} (truncated, or header and body disagree)",
                words.len()
            ));
        }
    }
    let d = dim.unwrap_or(0);
    if words.is_empty() && header.is_none() {
        return Err(err!("no vectors found (empty file?)"));
    }
    let n = words.len();
    WordVectors::new(words, Matrix::from_vec(n, d, data))
}

/// Writes `wv` to `path` in `format`: first to `path.tmp`, then renamed over
/// `path`, so an interrupted write never leaves half a file under its name.
pub fn write_vectors(wv: &WordVectors, path: impl AsRef<Path>, format: Format) -> Result<()> {
    let path = path.as_ref();
    let bytes = vectors_to_bytes(wv, format)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| Error::io(path, e))
}

/// The bytes of `wv` in `format`. Words that are empty or contain white
/// space cannot be written (readers split on it): an error names the word.
pub fn vectors_to_bytes(wv: &WordVectors, format: Format) -> Result<Vec<u8>> {
    let (v, d) = wv.matrix().shape();
    let mut out = Vec::with_capacity(v * (4 * d + 16));
    if format != Format::GloveText {
        out.extend_from_slice(format!("{v} {d}\n").as_bytes());
    }
    for (i, w) in wv.words().iter().enumerate() {
        if w.is_empty() || w.chars().any(char::is_whitespace) {
            return Err(err!(
                "word {w:?} (entry {}) is empty or contains white space",
                i + 1
            ));
        }
        out.extend_from_slice(w.as_bytes());
        let row = wv.matrix().row(i);
        match format {
            Format::W2vBinary => {
                out.push(b' ');
                for &x in row {
                    out.extend_from_slice(&x.to_le_bytes());
                }
            }
            Format::W2vText | Format::GloveText => {
                for &x in row {
                    // Rust's `{}` prints the shortest text that reads back to the same f32.
                    out.extend_from_slice(format!(" {x}").as_bytes());
                }
            }
        }
        out.push(b'\n');
    }
    Ok(out)
}
