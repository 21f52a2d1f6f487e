//! `seqmodels sample`: draws text from a trained language model — the seed's
//! "sampling novel sequences": feed `<EOS>` (or a prime text), draw the next
//! token from the softmax, feed the draw back, until `<EOS>` or a length limit.

use std::collections::HashSet;

use super::args::{Args, CliError};
use crate::cli_err;
use crate::lm::train::lines_as_text;
use crate::lm::{Checkpoint, LanguageModel, SampleOptions};
use crate::models::Sampling;
use crate::rng::Rng;
use crate::text::corpus::{read_text, text_hash};
use crate::text::{Corpus, Level, Mode};

const HELP: &str = "\
seqmodels sample --checkpoint CKPT [-n N] [--temperature T] [--top-k K] [--top-p P]
                 [--greedy] [--prime TEXT] [--max-len N] [--seed S] [--data FILE]

Draws N samples from a language model saved by `seqmodels train`. Each sample
starts from <EOS> (line data, word models) and the prime text, then draws one
token at a time from softmax(z / T), feeding each draw back in, until <EOS> or
--max-len tokens.

  -n N             samples (default 10; 1 for a character stream)
  --temperature T  > 0; below 1 sharpens the distribution, above 1 flattens it;
                   0 means greedy (default 1)
  --top-k K        draw only among the K most likely tokens (default 0 = all)
  --top-p P        then only among the fewest most likely tokens whose
                   probabilities sum to at least P, 0 < P ≤ 1 (nucleus
                   sampling; default 1 = all)
  --greedy         always take the most likely token
  --prime TEXT     start every sample with this text
  --max-len N      most tokens generated per sample (default 40 for line data
                   and words, 500 for a character stream)
  --seed S         samples are reproducible from the seed (default 42)
  --data FILE      the training text, to mark samples found in it (default: the
                   file recorded in the checkpoint, if it is still the same)

For line data (e.g. names) every sample is marked `new`, `in training set`
or `held-out` (one of the lines held out from training).";

/// `seqmodels sample …`
pub fn run(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("sample", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let ckpt_path: String = a.required("--checkpoint")?;
    let n: Option<usize> = match a.value("-n")? {
        Some(n) => Some(n),
        None => a.value("--num")?,
    };
    let temperature: f64 = a.value_or("--temperature", 1.0)?;
    let top_k: usize = a.value_or("--top-k", 0)?;
    let top_p: f64 = a.value_or("--top-p", 1.0)?;
    let greedy = a.flag("--greedy");
    let prime: String = a.value_or("--prime", String::new())?;
    let max_len: Option<usize> = a.value("--max-len")?;
    let seed: u64 = a.value_or("--seed", 42)?;
    let data: Option<String> = a.value("--data")?;
    a.finish()?;
    if !(temperature.is_finite() && temperature >= 0.0) {
        return Err(cli_err!(
            "sample: --temperature {temperature}: expected a number ≥ 0"
        ));
    }
    if !(top_p > 0.0 && top_p <= 1.0) {
        return Err(cli_err!(
            "sample: --top-p {top_p}: expected a probability p with 0 < p ≤ 1"
        ));
    }
    if max_len == Some(0) {
        return Err(cli_err!("sample: --max-len must be at least 1"));
    }

    let ckpt = Checkpoint::read(&ckpt_path)?;
    let lm = &ckpt.lm;
    let line_data = lm.config.text.mode == Mode::Lines;
    let char_stream = !line_data && lm.config.text.level == Level::Char;
    let sampling = if greedy || temperature == 0.0 {
        Sampling::Greedy
    } else {
        Sampling::Sample {
            temperature,
            top_k,
            top_p,
        }
    };
    let opts = SampleOptions {
        sampling,
        max_len: max_len.unwrap_or(if char_stream { 500 } else { 40 }),
        prime,
    };
    // Fail on an unknown prime before printing anything.
    lm.encode_prime(&opts.prime)?;
    let marks = if line_data {
        known_lines(&ckpt, data.as_deref())
    } else {
        None
    };
    let mut rng = Rng::new(seed);
    let n = n.unwrap_or(if char_stream { 1 } else { 10 });
    for i in 0..n {
        let (_, text) = lm
            .sample(&opts, &mut rng)
            .map_err(|e| e.context(&ckpt_path))?;
        match &marks {
            Some((train, held)) => {
                let tag = if train.contains(&text) {
                    "in training set"
                } else if held.contains(&text) {
                    "held-out"
                } else {
                    "new"
                };
                println!("{text:<20} {tag}");
            }
            None if char_stream => {
                if i > 0 {
                    println!("\n----");
                }
                println!("{text}");
            }
            None => println!("{text}"),
        }
    }
    Ok(())
}

/// The training and held-out lines as text, rebuilt from the training file
/// (`data`, or the one recorded in the checkpoint) if its hash matches.
/// Prints a note and returns `None` if it cannot.
fn known_lines(
    ckpt: &Checkpoint,
    data: Option<&str>,
) -> Option<(HashSet<String>, HashSet<String>)> {
    let t = ckpt.train.as_ref()?;
    let path = data.unwrap_or(&t.state.data_source);
    let note = |why: String| {
        eprintln!("note: samples are not marked: {why}");
        None
    };
    let text = match read_text(path) {
        Ok(text) => text,
        Err(e) => return note(e.to_string()),
    };
    if text_hash(&text) != t.state.data_hash {
        return note(format!(
            "{path} is not the text the model was trained on (pass it with --data)"
        ));
    }
    let lm: &LanguageModel = &ckpt.lm;
    let corpus = match Corpus::with_vocab(&text, path, &lm.config.text, &lm.vocab) {
        Ok(c) => c,
        Err(e) => return note(e.to_string()),
    };
    let split = corpus.split(lm.config.text.mode, lm.config.holdout, lm.config.seed);
    Some((
        lines_as_text(lm, &split.train),
        lines_as_text(lm, &split.heldout),
    ))
}
