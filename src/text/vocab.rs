//! The vocabulary: the list of tokens a model knows, token ↔ index.
//!
//! The seed's language model maps each word to a one-hot vector o_j, j an
//! index into a vocabulary of, say, 10,000 words, and replaces the words
//! outside it by `<UNK>`. Here:
//!
//! - the special tokens come first: `<EOS>` (index 0) whenever sequences have
//!   ends (line data, or word level), then `<UNK>` (word level, or any level
//!   with `min_count` > 1);
//! - then the tokens seen at least `min_count` times: characters in code-point
//!   order, words by falling count (ties in code-point order);
//! - a token outside the vocabulary maps to `<UNK>`; a character model without
//!   `<UNK>` reports it instead, with the character and where it occurs.
//!
//! `<EOS>` also serves as the start input of a line: the model reads `<EOS>` and
//! predicts the first character, as if a previous line had just ended.
//!
//! Checkpoints store the vocabulary as a JSON array of its tokens
//! ([`Vocab::to_json`]); [`Vocab::from_json`] checks it (unique, non-empty,
//! one character per token at char level, specials where they belong).

use std::collections::HashMap;

use super::tokenize::{Level, Mode, Piece, TextConfig, Token};
use crate::io::json::Json;
use crate::{err, Result};

/// The end-of-sequence token (also the start input of a line).
pub const EOS: &str = "<EOS>";
/// The unknown-token token.
pub const UNK: &str = "<UNK>";

/// Token ↔ index.
#[derive(Clone, Debug, PartialEq)]
pub struct Vocab {
    level: Level,
    tokens: Vec<String>,
    index: HashMap<String, usize>,
    eos: Option<usize>,
    unk: Option<usize>,
}

impl Vocab {
    /// Builds the vocabulary of tokenized text (see the module docs for the
    /// order). Errors if the text has no tokens.
    pub fn build(seqs: &[Vec<Token>], cfg: &TextConfig) -> Result<Vocab> {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for t in seqs.iter().flatten() {
            if let Piece::Text(s) = &t.piece {
                *counts.entry(s.as_str()).or_insert(0) += 1;
            }
        }
        if counts.is_empty() {
            return Err(err!("no tokens (the text is empty or blank)"));
        }
        let mut tokens = Vec::new();
        if cfg.mode == Mode::Lines || cfg.level == Level::Word {
            tokens.push(EOS.to_string());
        }
        if cfg.level == Level::Word || cfg.min_count > 1 {
            tokens.push(UNK.to_string());
        }
        let mut kept: Vec<(&str, usize)> = counts
            .into_iter()
            .filter(|&(_, c)| c >= cfg.min_count)
            .collect();
        match cfg.level {
            Level::Char => kept.sort_by(|a, b| a.0.cmp(b.0)),
            Level::Word => kept.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0))),
        }
        tokens.extend(kept.into_iter().map(|(s, _)| s.to_string()));
        Vocab::from_tokens(cfg.level, tokens)
    }

    /// A vocabulary from its token list, checked: no duplicates, no empty
    /// token, one character per non-special token at char level, `<EOS>` only
    /// at index 0 and `<UNK>` only right after the specials before it.
    pub fn from_tokens(level: Level, tokens: Vec<String>) -> Result<Vocab> {
        if tokens.is_empty() {
            return Err(err!("the vocabulary is empty"));
        }
        let mut index = HashMap::with_capacity(tokens.len());
        let (mut eos, mut unk) = (None, None);
        for (i, t) in tokens.iter().enumerate() {
            if t.is_empty() {
                return Err(err!("vocabulary token {i} is empty"));
            }
            if index.insert(t.clone(), i).is_some() {
                return Err(err!("vocabulary token {t:?} appears twice"));
            }
            if t == EOS {
                if i != 0 {
                    return Err(err!("vocabulary: {EOS} is token {i}, expected 0"));
                }
                eos = Some(i);
            } else if t == UNK {
                let expected = usize::from(eos.is_some());
                if i != expected {
                    return Err(err!("vocabulary: {UNK} is token {i}, expected {expected}"));
                }
                unk = Some(i);
            } else if level == Level::Char && t.chars().count() != 1 {
                return Err(err!(
                    "vocabulary token {i} {t:?} is not one character (the model is char level)"
                ));
            }
        }
        Ok(Vocab {
            level,
            tokens,
            index,
            eos,
            unk,
        })
    }

    /// V, the number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Never true: a vocabulary has at least one token.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Characters or words.
    pub fn level(&self) -> Level {
        self.level
    }

    /// The tokens, in index order.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// The token with index `id`.
    pub fn token(&self, id: usize) -> &str {
        &self.tokens[id]
    }

    /// The index of a token, if known.
    pub fn id(&self, token: &str) -> Option<usize> {
        self.index.get(token).copied()
    }

    /// The index of `<EOS>`, if the vocabulary has one.
    pub fn eos(&self) -> Option<usize> {
        self.eos
    }

    /// The index of `<UNK>`, if the vocabulary has one.
    pub fn unk(&self) -> Option<usize> {
        self.unk
    }

    /// The index of one token; `source` names the text in errors (with the
    /// token's line and column).
    pub fn encode(&self, tok: &Token, source: &str) -> Result<usize> {
        match &tok.piece {
            Piece::Eos => self.eos.ok_or_else(|| {
                err!(
                    "{source}: line {}: the text has sequence ends but the model's \
                     vocabulary has no {EOS}",
                    tok.line
                )
            }),
            Piece::Text(s) => match (self.id(s), self.unk) {
                (Some(id), _) => Ok(id),
                (None, Some(unk)) => Ok(unk),
                (None, None) => Err(err!(
                    "{source}: line {}, column {}: {} is not in the model's vocabulary of {} \
                     tokens, which has no {UNK}",
                    tok.line,
                    tok.col,
                    describe_token(s, self.level),
                    self.len()
                )),
            },
        }
    }

    /// Encodes tokenized sequences (see [`Vocab::encode`]).
    pub fn encode_all(&self, seqs: &[Vec<Token>], source: &str) -> Result<Vec<Vec<usize>>> {
        seqs.iter()
            .map(|s| s.iter().map(|t| self.encode(t, source)).collect())
            .collect()
    }

    /// Text of a token sequence: characters joined as they are; words joined
    /// by spaces, with no space before closing punctuation. `<EOS>` becomes a
    /// line break.
    pub fn decode(&self, ids: &[usize]) -> String {
        let mut out = String::new();
        for (k, &id) in ids.iter().enumerate() {
            let t = self.token(id);
            if Some(id) == self.eos {
                out.push('\n');
                continue;
            }
            if self.level == Level::Word && k > 0 && !out.ends_with('\n') {
                let glue = matches!(t, "." | "," | "!" | "?" | ";" | ":" | ")" | "'")
                    || out.ends_with('(');
                if !glue {
                    out.push(' ');
                }
            }
            out.push_str(t);
        }
        out
    }

    /// The token list as a JSON array (for checkpoints).
    pub fn to_json(&self) -> Json {
        Json::Arr(self.tokens.iter().map(|t| Json::str(t.as_str())).collect())
    }

    /// Reads [`Vocab::to_json`]'s output, checked as in [`Vocab::from_tokens`].
    pub fn from_json(level: Level, j: &Json) -> Result<Vocab> {
        let arr = j
            .as_array()
            .ok_or_else(|| err!("the vocabulary is not a JSON array of strings"))?;
        let mut tokens = Vec::with_capacity(arr.len());
        for (i, t) in arr.iter().enumerate() {
            let s = t
                .as_str()
                .ok_or_else(|| err!("vocabulary entry {i} is not a string"))?;
            tokens.push(s.to_string());
        }
        Vocab::from_tokens(level, tokens)
    }
}

/// `character 'é' (U+00E9)` or `word "zebra"`.
fn describe_token(s: &str, level: Level) -> String {
    match (level, s.chars().next()) {
        (Level::Char, Some(c)) if s.chars().count() == 1 => {
            format!("character {c:?} (U+{:04X})", c as u32)
        }
        _ => format!("token {s:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize::tokenize;

    fn cfg(level: Level, mode: Mode, min_count: usize) -> TextConfig {
        TextConfig {
            level,
            mode,
            lower: false,
            min_count,
        }
    }

    #[test]
    fn char_vocab_is_sorted_with_eos_first() {
        let c = cfg(Level::Char, Mode::Lines, 1);
        let v = Vocab::build(&tokenize("cab\nba\n", &c), &c).unwrap();
        assert_eq!(v.tokens(), [EOS, "a", "b", "c"]);
        assert_eq!((v.eos(), v.unk()), (Some(0), None));
        let c = cfg(Level::Char, Mode::Stream, 1);
        let v = Vocab::build(&tokenize("ba\n", &c), &c).unwrap();
        assert_eq!(v.tokens(), ["\n", "a", "b"]);
    }

    #[test]
    fn unknown_characters_are_errors_with_their_place() {
        let c = cfg(Level::Char, Mode::Lines, 1);
        let v = Vocab::build(&tokenize("ab\n", &c), &c).unwrap();
        let seqs = tokenize("ab\nbé\n", &c);
        let e = v.encode_all(&seqs, "x.txt").unwrap_err().to_string();
        assert!(e.contains("x.txt: line 2, column 2"), "{e}");
        assert!(e.contains("'é' (U+00E9)"), "{e}");
    }

    #[test]
    fn rare_words_become_unk() {
        let c = cfg(Level::Word, Mode::Stream, 2);
        let seqs = tokenize("a a b a c b", &c);
        let v = Vocab::build(&seqs, &c).unwrap();
        assert_eq!(v.tokens(), [EOS, UNK, "a", "b"]);
        let ids = v.encode_all(&seqs, "t").unwrap();
        assert_eq!(ids[0], [2, 2, 3, 2, 1, 3, 0]);
        assert_eq!(v.decode(&[2, 3, 1]), "a b <UNK>");
    }

    #[test]
    fn json_round_trip_and_checks() {
        let c = cfg(Level::Char, Mode::Lines, 1);
        let v = Vocab::build(&tokenize("xy\n", &c), &c).unwrap();
        assert_eq!(Vocab::from_json(Level::Char, &v.to_json()).unwrap(), v);
        for bad in [
            r#"["a","a"]"#,
            r#"["a",""]"#,
            r#"["ab"]"#,
            r#"["a","<EOS>"]"#,
            r#"[]"#,
            r#"[1]"#,
            r#"{}"#,
        ] {
            let j = Json::parse(bad).unwrap();
            assert!(Vocab::from_json(Level::Char, &j).is_err(), "{bad}");
        }
    }
}
