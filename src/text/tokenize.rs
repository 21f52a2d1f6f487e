//! Tokenizers: text → tokens, each with the line and column it came from (so
//! an unknown token can be reported where it occurs).
//!
//! - **Character level**: one token per character. With line-structured data
//!   (`Mode::Lines`, e.g. one name per line) every line ends with `<EOS>`; with
//!   continuous text (`Mode::Stream`) the line break `\n` is an ordinary
//!   character and there is no `<EOS>` (as in min-char-rnn and char-rnn).
//! - **Word level**: a word is a run of letters and digits, with an apostrophe
//!   or hyphen allowed between two of them (`don't`, `well-known`); every
//!   other visible character (punctuation) is a token of its own. `<EOS>`
//!   follows a sentence end (`.`, `!`, `?`) and a line end in `Mode::Stream`,
//!   and ends each line in `Mode::Lines`.
//!
//! Lower-casing (`lower`) is optional at both levels. Carriage returns of
//! `\r\n` line ends are dropped; blank lines are skipped in `Mode::Lines`.

use crate::err;

/// Tokens are characters or words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// One token per character.
    Char,
    /// Words and punctuation.
    Word,
}

impl Level {
    /// `"char"` or `"word"`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Char => "char",
            Level::Word => "word",
        }
    }

    /// Parses `"char"` or `"word"`.
    pub fn parse(s: &str) -> crate::Result<Level> {
        match s {
            "char" => Ok(Level::Char),
            "word" => Ok(Level::Word),
            other => Err(err!("unknown level {other:?}: expected char or word")),
        }
    }
}

/// How the text is cut into training sequences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One sequence per non-blank line, ended by `<EOS>` (names, sentences).
    Lines,
    /// One continuous token stream (a book), trained in chunks with
    /// truncated BPTT.
    Stream,
}

impl Mode {
    /// `"lines"` or `"stream"`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Lines => "lines",
            Mode::Stream => "stream",
        }
    }

    /// Parses `"lines"` or `"stream"`.
    pub fn parse(s: &str) -> crate::Result<Mode> {
        match s {
            "lines" => Ok(Mode::Lines),
            "stream" => Ok(Mode::Stream),
            other => Err(err!("unknown mode {other:?}: expected lines or stream")),
        }
    }
}

/// Everything that decides how a text becomes tokens (saved in checkpoints).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextConfig {
    /// Characters or words.
    pub level: Level,
    /// Lines or one stream.
    pub mode: Mode,
    /// Lower-case the text first.
    pub lower: bool,
    /// Tokens seen fewer times than this map to `<UNK>` (1 keeps every token).
    pub min_count: usize,
}

/// A token: text, or the end-of-sequence marker.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Piece {
    /// A character or a word.
    Text(String),
    /// `<EOS>`.
    Eos,
}

/// A token and where it starts: line and column (in characters), from 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub piece: Piece,
    /// Line number, from 1.
    pub line: usize,
    /// Column in characters, from 1 (an `<EOS>` sits one past the line's end).
    pub col: usize,
}

/// Splits `text` into sequences of tokens: one per non-blank line in
/// `Mode::Lines`, a single one in `Mode::Stream` (empty if the text has no
/// tokens).
pub fn tokenize(text: &str, cfg: &TextConfig) -> Vec<Vec<Token>> {
    let mut out: Vec<Vec<Token>> = Vec::new();
    let mut stream: Vec<Token> = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    for (ln, raw) in lines.iter().enumerate() {
        let line_no = ln + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let n_chars = line.chars().count();
        let mut toks = match cfg.level {
            Level::Char => char_tokens(line, line_no, cfg.lower),
            Level::Word => word_tokens(line, line_no, cfg.lower),
        };
        let eos = Token {
            piece: Piece::Eos,
            line: line_no,
            col: n_chars + 1,
        };
        match cfg.mode {
            Mode::Lines => {
                if line.trim().is_empty() || toks.is_empty() {
                    continue;
                }
                if cfg.level == Level::Word && toks.last().map(|t| &t.piece) == Some(&Piece::Eos) {
                    // A sentence end already closed the line: one <EOS> is
                    // enough. Inner sentence ends are not sequence ends here.
                    toks.pop();
                }
                toks.retain(|t| t.piece != Piece::Eos);
                toks.push(eos);
                out.push(toks);
            }
            Mode::Stream => {
                stream.append(&mut toks);
                let is_last = ln + 1 == lines.len();
                match cfg.level {
                    // The line break is a character, except after the last line.
                    Level::Char if !is_last => stream.push(Token {
                        piece: Piece::Text("\n".to_string()),
                        line: line_no,
                        col: n_chars + 1,
                    }),
                    Level::Char => {}
                    Level::Word => {
                        let ended = stream.last().is_none_or(|t| t.piece == Piece::Eos);
                        if !ended && !line.trim().is_empty() {
                            stream.push(eos);
                        }
                    }
                }
            }
        }
    }
    if cfg.mode == Mode::Stream && !stream.is_empty() {
        out.push(stream);
    }
    out
}

/// One token per character (several if lower-casing expands one).
fn char_tokens(line: &str, line_no: usize, lower: bool) -> Vec<Token> {
    let mut out = Vec::new();
    for (c, ch) in line.chars().enumerate() {
        let col = c + 1;
        if lower {
            for lc in ch.to_lowercase() {
                out.push(Token {
                    piece: Piece::Text(lc.to_string()),
                    line: line_no,
                    col,
                });
            }
        } else {
            out.push(Token {
                piece: Piece::Text(ch.to_string()),
                line: line_no,
                col,
            });
        }
    }
    out
}

/// True for the tokens that end a sentence.
pub fn is_sentence_end(tok: &str) -> bool {
    matches!(tok, "." | "!" | "?")
}

/// Words and punctuation, with `<EOS>` after each sentence end.
fn word_tokens(line: &str, line_no: usize, lower: bool) -> Vec<Token> {
    let chars: Vec<char> = line.chars().collect();
    let n = chars.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        if c.is_whitespace() || c.is_control() {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        if c.is_alphanumeric() {
            while j < n
                && (chars[j].is_alphanumeric()
                    || ((chars[j] == '\'' || chars[j] == '-')
                        && j + 1 < n
                        && chars[j + 1].is_alphanumeric()))
            {
                j += 1;
            }
        }
        let word: String = chars[i..j].iter().collect();
        let word = if lower { word.to_lowercase() } else { word };
        let end = is_sentence_end(&word);
        out.push(Token {
            piece: Piece::Text(word),
            line: line_no,
            col: i + 1,
        });
        if end {
            out.push(Token {
                piece: Piece::Eos,
                line: line_no,
                col: j + 1,
            });
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(seq: &[Token]) -> Vec<String> {
        seq.iter()
            .map(|t| match &t.piece {
                Piece::Text(s) => s.clone(),
                Piece::Eos => "<EOS>".to_string(),
            })
            .collect()
    }

    fn cfg(level: Level, mode: Mode, lower: bool) -> TextConfig {
        TextConfig {
            level,
            mode,
            lower,
            min_count: 1,
        }
    }

    #[test]
    fn char_lines_end_with_eos_and_skip_blank_lines() {
        let seqs = tokenize("ab\r\n\nC\n", &cfg(Level::Char, Mode::Lines, true));
        assert_eq!(seqs.len(), 2);
        assert_eq!(texts(&seqs[0]), ["a", "b", "<EOS>"]);
        assert_eq!(texts(&seqs[1]), ["c", "<EOS>"]);
        assert_eq!((seqs[1][0].line, seqs[1][0].col), (3, 1));
        assert_eq!((seqs[0][2].line, seqs[0][2].col), (1, 3));
    }

    #[test]
    fn char_stream_keeps_line_breaks() {
        let seqs = tokenize("ab\nc\n", &cfg(Level::Char, Mode::Stream, false));
        assert_eq!(texts(&seqs[0]), ["a", "b", "\n", "c", "\n"]);
        let seqs = tokenize("ab\nc", &cfg(Level::Char, Mode::Stream, false));
        assert_eq!(texts(&seqs[0]), ["a", "b", "\n", "c"]);
    }

    #[test]
    fn words_split_punctuation_and_end_sentences() {
        let seqs = tokenize(
            "The cat's well-known, isn't it? Yes.\nno end",
            &cfg(Level::Word, Mode::Stream, true),
        );
        assert_eq!(
            texts(&seqs[0]),
            [
                "the",
                "cat's",
                "well-known",
                ",",
                "isn't",
                "it",
                "?",
                "<EOS>",
                "yes",
                ".",
                "<EOS>",
                "no",
                "end",
                "<EOS>"
            ]
        );
        let seqs = tokenize("A b. C d!\n\nx\n", &cfg(Level::Word, Mode::Lines, false));
        assert_eq!(texts(&seqs[0]), ["A", "b", ".", "C", "d", "!", "<EOS>"]);
        assert_eq!(texts(&seqs[1]), ["x", "<EOS>"]);
        assert_eq!((seqs[1][0].line, seqs[1][0].col), (3, 1));
    }
}
