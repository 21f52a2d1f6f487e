//! Corpora for learning word embeddings: a tokenizer for plain English text,
//! the vocabulary (words in frequency order), and line-by-line streaming of a
//! corpus file, whole or in byte-range shards (one per training thread).
//!
//! Where it sits in the seed: "learning word embeddings" starts from a large
//! unlabelled text. Memory stays proportional to the **vocabulary**, never to
//! the corpus: every pass re-reads the file one line at a time. Each line is
//! one sentence (as gensim's `LineSentence`); context windows never cross a
//! line break.

use crate::err;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufRead, BufReader, Cursor, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// FNV-1a, a tiny and fast hash for word lookups (std's SipHash is built to
/// resist attacks on servers, which a vocabulary does not need).
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// A `HashMap` keyed with FNV-1a.
pub type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Splits a line of plain English text into words and calls `f` with each.
///
/// A word is a maximal run of letters, digits, `_` and apostrophes, with
/// apostrophes trimmed from both ends (`don't` stays one word, `'quoted'`
/// loses its quotes). Everything else (spaces, punctuation, hyphens) separates
/// words. With `lowercase`, words are lower-cased (Unicode-aware, character by
/// character). `buf` is scratch space, so no word is allocated.
pub fn for_each_token(line: &str, lowercase: bool, buf: &mut String, mut f: impl FnMut(&str)) {
    fn emit(buf: &mut String, f: &mut impl FnMut(&str)) {
        let w = buf.trim_matches(|c| c == '\'' || c == '’');
        if !w.is_empty() {
            f(w);
        }
        buf.clear();
    }
    buf.clear();
    for ch in line.chars() {
        if ch.is_alphanumeric() || ch == '_' || ch == '\'' || ch == '’' {
            if lowercase && !ch.is_lowercase() {
                buf.extend(ch.to_lowercase());
            } else {
                buf.push(ch);
            }
        } else if !buf.is_empty() {
            emit(buf, &mut f);
        }
    }
    emit(buf, &mut f);
}

/// `for_each_token` collecting the words into `out` (cleared first).
pub fn tokenize(line: &str, lowercase: bool, out: &mut Vec<String>) {
    out.clear();
    let mut buf = String::new();
    for_each_token(line, lowercase, &mut buf, |w| out.push(w.to_string()));
}

/// Where a corpus comes from: a file (streamed), or text held in memory
/// (generated corpora and tests). Both are read through the same code.
#[derive(Clone, Debug)]
pub enum Corpus {
    /// A UTF-8 text file, one sentence per line.
    File(PathBuf),
    /// Text in memory, one sentence per line, with a name for messages.
    Text {
        /// Shown in error messages in place of a file name.
        name: String,
        /// The text.
        text: Arc<String>,
    },
}

impl Corpus {
    /// A corpus read from `path`.
    pub fn file(path: impl AsRef<Path>) -> Corpus {
        Corpus::File(path.as_ref().to_path_buf())
    }

    /// A corpus held in memory.
    pub fn text(name: &str, text: String) -> Corpus {
        Corpus::Text {
            name: name.to_string(),
            text: Arc::new(text),
        }
    }

    /// The name used in messages (the path, or the given name).
    pub fn name(&self) -> String {
        match self {
            Corpus::File(p) => p.display().to_string(),
            Corpus::Text { name, .. } => name.clone(),
        }
    }

    /// Size in bytes.
    pub fn len_bytes(&self) -> Result<u64> {
        match self {
            Corpus::File(p) => std::fs::metadata(p)
                .map(|m| m.len())
                .map_err(|e| Error::io(p, e)),
            Corpus::Text { text, .. } => Ok(text.len() as u64),
        }
    }

    fn open(&self) -> Result<Box<dyn ReadSeek>> {
        match self {
            Corpus::File(p) => {
                let f = File::open(p).map_err(|e| Error::io(p, e))?;
                Ok(Box::new(BufReader::with_capacity(1 << 16, f)))
            }
            Corpus::Text { text, .. } => Ok(Box::new(Cursor::new(ArcBytes(text.clone())))),
        }
    }

    /// Calls `f` with each line of shard `shard` of `shards` (without its line
    /// break). The corpus is cut into `shards` byte ranges of equal size, as
    /// word2vec.c does; a line belongs to the shard in which it starts, so
    /// every line is read by exactly one shard. Lines that are not UTF-8 are an
    /// error naming the byte offset (and the line number when `shards == 1`).
    pub fn for_each_line(
        &self,
        shard: usize,
        shards: usize,
        f: impl FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        assert!(
            shards > 0 && shard < shards,
            "for_each_line: shard {shard} of {shards}"
        );
        let len = self.len_bytes()?;
        let start = len * shard as u64 / shards as u64;
        let end = len * (shard as u64 + 1) / shards as u64;
        self.lines_in_range(start, end, shards == 1, f)
    }

    /// How many blocks of `block` bytes the corpus has (the last may be
    /// shorter), for [`Corpus::for_each_line_in_block`].
    pub fn block_count(&self, block: u64) -> Result<usize> {
        assert!(block > 0, "block_count: blocks of 0 bytes");
        Ok(self.len_bytes()?.div_ceil(block) as usize)
    }

    /// Calls `f` with each line that starts in block `index` (bytes
    /// `index·block .. (index+1)·block`), in order. Over all blocks in
    /// order, that is every line of the corpus once, in file order. Lines
    /// that are not UTF-8 are an error naming the byte offset.
    pub fn for_each_line_in_block(
        &self,
        index: usize,
        block: u64,
        f: impl FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        assert!(block > 0, "for_each_line_in_block: blocks of 0 bytes");
        let len = self.len_bytes()?;
        let start = (index as u64).saturating_mul(block).min(len);
        let end = start.saturating_add(block).min(len);
        self.lines_in_range(start, end, false, f)
    }

    /// The lines that start at bytes `start .. end`; `numbered`: name the line
    /// number in UTF-8 errors (only right when `start` is 0).
    fn lines_in_range(
        &self,
        start: u64,
        end: u64,
        numbered: bool,
        mut f: impl FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        let name = self.name();
        let io_err = |e: std::io::Error| err!("{name}: {e}");
        if start >= end {
            return Ok(());
        }
        let mut r = self.open()?;
        let mut pos = 0u64;
        if start > 0 {
            // Skip the tail of the line that started in the previous range:
            // back up one byte so a line starting exactly at `start` is kept.
            r.seek(SeekFrom::Start(start - 1)).map_err(io_err)?;
            let mut skip = Vec::new();
            let n = r.read_until(b'\n', &mut skip).map_err(io_err)?;
            pos = start - 1 + n as u64;
        }
        let mut buf = Vec::new();
        let mut line_no = 0usize;
        while pos < end {
            buf.clear();
            let n = r.read_until(b'\n', &mut buf).map_err(io_err)?;
            if n == 0 {
                break;
            }
            line_no += 1;
            let line_start = pos;
            pos += n as u64;
            while matches!(buf.last(), Some(b'\n') | Some(b'\r')) {
                buf.pop();
            }
            let line = std::str::from_utf8(&buf).map_err(|e| {
                let at = line_start + e.valid_up_to() as u64;
                if numbered {
                    err!("{name}: line {line_no} (byte {at}): invalid UTF-8")
                } else {
                    err!("{name}: byte {at}: invalid UTF-8")
                }
            })?;
            f(line)?;
        }
        Ok(())
    }
}

trait ReadSeek: BufRead + Seek {}
impl<T: BufRead + Seek> ReadSeek for T {}

/// Shared text as bytes, for `Cursor`.
struct ArcBytes(Arc<String>);
impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// The vocabulary: words in decreasing order of count (ties keep the order
/// of first appearance, as gensim does), their counts, and a lookup table.
#[derive(Clone, Debug, Default)]
pub struct Vocab {
    /// Words, most frequent first; a word's index is its id.
    pub words: Vec<String>,
    /// Count of each word in the corpus.
    pub counts: Vec<u64>,
    /// Word → id.
    pub index: FnvMap<String, u32>,
    /// Number of corpus tokens, counting only words kept in the vocabulary.
    pub total: u64,
    /// Number of corpus tokens, all words.
    pub raw_total: u64,
    /// Number of lines (sentences) read.
    pub lines: u64,
}

impl Vocab {
    /// Reads the whole corpus once and keeps words seen at least `min_count`
    /// times. Memory is one entry per distinct word.
    pub fn build(corpus: &Corpus, min_count: u64, lowercase: bool) -> Result<Vocab> {
        let mut counts: FnvMap<String, (u64, usize)> = FnvMap::default();
        let mut buf = String::new();
        let mut raw_total = 0u64;
        let mut lines = 0u64;
        corpus.for_each_line(0, 1, |line| {
            lines += 1;
            for_each_token(line, lowercase, &mut buf, |w| {
                raw_total += 1;
                if let Some(e) = counts.get_mut(w) {
                    e.0 += 1;
                } else {
                    let next = counts.len();
                    counts.insert(w.to_string(), (1, next));
                }
            });
            Ok(())
        })?;
        let mut entries: Vec<(String, u64, usize)> = counts
            .into_iter()
            .filter(|(_, (c, _))| *c >= min_count.max(1))
            .map(|(w, (c, first))| (w, c, first))
            .collect();
        entries.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
        if entries.len() > u32::MAX as usize {
            return Err(err!("{}: more than 2^32 distinct words", corpus.name()));
        }
        let mut v = Vocab {
            raw_total,
            lines,
            ..Vocab::default()
        };
        for (i, (w, c, _)) in entries.into_iter().enumerate() {
            v.index.insert(w.clone(), i as u32);
            v.words.push(w);
            v.counts.push(c);
            v.total += c;
        }
        Ok(v)
    }

    /// A vocabulary from explicit words and counts (already in the order wanted).
    pub fn from_counts(words: Vec<String>, counts: Vec<u64>) -> Vocab {
        assert_eq!(words.len(), counts.len(), "Vocab::from_counts");
        let mut index = FnvMap::default();
        for (i, w) in words.iter().enumerate() {
            index.insert(w.clone(), i as u32);
        }
        let total = counts.iter().sum();
        Vocab {
            words,
            counts,
            index,
            total,
            raw_total: total,
            lines: 0,
        }
    }

    /// Number of words V.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True if no word was kept.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The id of `w`, if it is in the vocabulary.
    pub fn id(&self, w: &str) -> Option<u32> {
        self.index.get(w).copied()
    }

    /// Tokenizes `line` and puts the ids of its in-vocabulary words in `ids`
    /// (cleared first). `buf` is scratch space.
    pub fn encode_line(&self, line: &str, lowercase: bool, buf: &mut String, ids: &mut Vec<u32>) {
        ids.clear();
        for_each_token(line, lowercase, buf, |w| {
            if let Some(&i) = self.index.get(w) {
                ids.push(i);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_handles_english_text() {
        let mut out = Vec::new();
        tokenize(
            "I want a glass of Orange juice -- don't 'quote' me, twenty-one.",
            true,
            &mut out,
        );
        assert_eq!(
            out,
            [
                "i", "want", "a", "glass", "of", "orange", "juice", "don't", "quote", "me",
                "twenty", "one"
            ]
        );
        tokenize("Orange", false, &mut out);
        assert_eq!(out, ["Orange"]);
    }

    /// 57 distinct short lines: the text, the corpus over it, and its lines.
    fn numbered_lines() -> (String, Corpus, Vec<String>) {
        let text: String = (0..57)
            .map(|i| format!("line {i} {}\n", "x".repeat(i % 7)))
            .collect();
        let c = Corpus::text("t", text.clone());
        let whole = text.lines().map(String::from).collect();
        (text, c, whole)
    }

    #[test]
    fn shards_cover_every_line_once() {
        let (_, c, whole) = numbered_lines();
        for shards in 1..6 {
            let mut got = Vec::new();
            for s in 0..shards {
                c.for_each_line(s, shards, |l| {
                    got.push(l.to_string());
                    Ok(())
                })
                .unwrap();
            }
            assert_eq!(got, whole, "{shards} shards");
        }
    }

    #[test]
    fn blocks_in_order_give_every_line_once_in_order() {
        let (text, c, whole) = numbered_lines();
        // From one byte (most blocks then start mid-line and hold no line
        // start) to more than the whole text.
        for block in [1u64, 7, 16, 64, 100, 1 << 20] {
            let n = c.block_count(block).unwrap();
            assert_eq!(n as u64, (text.len() as u64).div_ceil(block));
            let mut got = Vec::new();
            for b in 0..n + 2 {
                c.for_each_line_in_block(b, block, |l| {
                    got.push(l.to_string());
                    Ok(())
                })
                .unwrap();
            }
            assert_eq!(got, whole, "blocks of {block}");
        }
        // Block 1 of 100 bytes starts with the first line starting at byte
        // 100 or later.
        let mut first = None;
        c.for_each_line_in_block(1, 100, |l| {
            first.get_or_insert(l.to_string());
            Ok(())
        })
        .unwrap();
        let mut at = 0;
        let want = whole
            .iter()
            .find(|l| {
                let s = at;
                at += l.len() + 1;
                s >= 100
            })
            .unwrap();
        assert_eq!(first.as_ref(), Some(want));
    }

    #[test]
    fn vocab_is_in_frequency_order_with_min_count() {
        let c = Corpus::text("t", "b a b c\nc b d\n".to_string());
        let v = Vocab::build(&c, 2, false).unwrap();
        assert_eq!(v.words, ["b", "c"]);
        assert_eq!(v.counts, [3, 2]);
        assert_eq!((v.total, v.raw_total, v.lines), (5, 7, 2));
    }

    #[test]
    fn bad_utf8_names_line_and_byte() {
        let dir = std::env::temp_dir().join(format!("seqm_corpus_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("bad.txt");
        std::fs::write(&p, b"ok line\nbad \xff here\n").unwrap();
        let e = Vocab::build(&Corpus::file(&p), 1, false).unwrap_err();
        assert!(
            e.message().contains("line 2") && e.message().contains("byte 12"),
            "{e}"
        );
    }
}
