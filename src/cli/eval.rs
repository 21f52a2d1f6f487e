//! `seqmodels eval`: loss, perplexity and bits per character of a trained
//! language model on a text — how surprised the model is by text it did not
//! train on.

use super::args::{Args, CliError};
use super::train::describe_eval;
use crate::cli_err;
use crate::io::json::{object, Json};
use crate::lm::{evaluate, Checkpoint};
use crate::text::corpus::read_text;
use crate::text::Corpus;

const HELP: &str = "\
seqmodels eval --checkpoint CKPT --data FILE [--split auto|all|heldout|train] [--json]

Scores FILE with the model: the mean cross-entropy of each next token (nats),
the perplexity e^loss, and for character models bits per character
(loss / ln 2; for line data each line end counts as a character).

  --split S   which part of FILE to score: all of it, or, when FILE is the
              model's training file, the held-out or the training part
              (rebuilt from the seed). auto (default): heldout for the
              training file, else all
  --json      print the figures as one JSON line as well

Characters or words the vocabulary lacks become <UNK>, or, for a character
model without <UNK>, an error naming the character, line and column.";

/// `seqmodels eval …`
pub fn run(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("eval", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let ckpt_path: String = a.required("--checkpoint")?;
    let data: String = a.required("--data")?;
    let split = a.choice("--split", &["auto", "all", "heldout", "train"], "auto")?;
    let json = a.flag("--json");
    a.finish()?;

    let ckpt = Checkpoint::read(&ckpt_path)?;
    let lm = &ckpt.lm;
    let text = read_text(&data)?;
    let corpus = Corpus::with_vocab(&text, &data, &lm.config.text, &lm.vocab)?;
    let is_training_file = ckpt
        .train
        .as_ref()
        .is_some_and(|t| t.state.data_hash == corpus.hash);
    let part = match (split.as_str(), is_training_file) {
        ("auto", true) => "heldout",
        ("auto", false) => "all",
        (s @ ("heldout" | "train"), false) => {
            return Err(cli_err!(
                "eval: --split {s} needs the model's training file, and {data} is not it"
            ))
        }
        (s, _) => s,
    };
    let c = &lm.config;
    let seqs = match part {
        "all" => corpus.seqs.clone(),
        "heldout" => corpus.split(c.text.mode, c.holdout, c.seed).heldout,
        _ => corpus.split(c.text.mode, c.holdout, c.seed).train,
    };
    if seqs.is_empty() {
        return Err(cli_err!(
            "eval: the {part} part of {data} is empty (the model was trained with --holdout {})",
            c.holdout
        ));
    }
    let r = evaluate(lm, &seqs).map_err(|e| cli_err!("eval: {ckpt_path} on {data}: {e}"))?;
    let what = match part {
        "all" => "all of it".to_string(),
        "heldout" => "the held-out part, rebuilt from the model's seed".to_string(),
        _ => "the training part, rebuilt from the model's seed".to_string(),
    };
    println!("{ckpt_path} on {data} ({what}):");
    println!("  {}", describe_eval(&r, c.text.mode));
    if json {
        let j = object(vec![
            ("name", Json::str("eval")),
            ("split", Json::str(part)),
            ("tokens", Json::int(r.tokens as i64)),
            ("loss", Json::num(r.loss)),
            ("perplexity", Json::num(r.perplexity)),
            (
                "bits_per_char",
                r.bits_per_char.map_or(Json::Null, Json::num),
            ),
        ]);
        println!("{}", j.to_json());
    }
    Ok(())
}
