//! Evaluation: how well a language model predicts text it was not trained on.
//!
//! With N predicted tokens and p(y⟨t⟩) the probability the model gave to the
//! true next token:
//!
//! ```text
//! loss        = −(1/N) Σ ln p(y⟨t⟩)      nats per token (the mean cross-entropy)
//! perplexity  = e^loss                   "as unsure as a uniform choice among this many"
//! bits/char   = loss / ln 2              char models: the compressed size per character
//! ```
//!
//! For line data every line is scored from its start (`<EOS>`) to its `<EOS>`,
//! so the line end counts as one character. Continuous text is scored as up
//! to 8 parallel streams in chunks of T with the state carried across
//! chunks; only the first token of each stream is not predicted.

use super::LanguageModel;
use crate::models::{Inputs, SeqBatch};
use crate::nn::LossSum;
use crate::rnn::State;
use crate::text::{batch::line_batch, Level, Mode, StreamBatches, TokenBatch};
use crate::{err, Result};

/// Held-out figures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvalReport {
    /// Mean cross-entropy, nats per token.
    pub loss: f64,
    /// Tokens predicted.
    pub tokens: usize,
    /// e^loss.
    pub perplexity: f64,
    /// loss / ln 2, for character models.
    pub bits_per_char: Option<f64>,
}

impl EvalReport {
    fn from_sum(l: LossSum, level: Level) -> EvalReport {
        let loss = l.mean();
        EvalReport {
            loss,
            tokens: l.count,
            perplexity: loss.exp(),
            bits_per_char: (level == Level::Char).then(|| loss / std::f64::consts::LN_2),
        }
    }
}

/// Largest number of (padded) positions scored in one forward pass.
const EVAL_POSITIONS: usize = 8192;
/// Streams for continuous text.
const EVAL_STREAMS: usize = 8;

/// Scores `seqs` (lines ending with `<EOS>`, or one stream) with `lm`.
/// Errors if there is nothing to predict.
pub fn evaluate(lm: &LanguageModel, seqs: &[Vec<usize>]) -> Result<EvalReport> {
    let mut total = LossSum { sum: 0.0, count: 0 };
    let mut add = |l: LossSum| accumulate(&mut total, l);
    match lm.config.text.mode {
        Mode::Lines => {
            let start = lm.start_token();
            let mut i = 0;
            while i < seqs.len() {
                if seqs[i].len() > EVAL_POSITIONS {
                    // A very long line: one sequence, in chunks, state carried.
                    let mut x = vec![start];
                    x.extend_from_slice(&seqs[i][..seqs[i].len() - 1]);
                    add(score_one(lm, &x, &seqs[i]));
                    i += 1;
                    continue;
                }
                // As many lines as fit in EVAL_POSITIONS padded positions.
                let mut j = i;
                let mut longest = 0;
                while j < seqs.len() {
                    let l = longest.max(seqs[j].len());
                    if l > EVAL_POSITIONS || (j > i && l * (j - i + 1) > EVAL_POSITIONS) {
                        break;
                    }
                    longest = l;
                    j += 1;
                }
                let lines: Vec<&[usize]> = seqs[i..j].iter().map(|s| s.as_slice()).collect();
                let b: TokenBatch<f32> = line_batch(&lines, start, usize::MAX);
                let cache = lm.net.forward(&b.inputs, None);
                add(lm.net.loss(&cache, &b.targets));
                i = j;
            }
        }
        Mode::Stream => {
            let data: Vec<usize> = seqs.concat();
            if data.len() >= 2 {
                let streams = (data.len() / 2).clamp(1, EVAL_STREAMS);
                add(score_streams(lm, data, streams));
            }
        }
    }
    if total.count == 0 {
        return Err(err!("nothing to evaluate: fewer than two tokens"));
    }
    if !total.sum.is_finite() {
        return Err(err!(
            "the loss is {}: the model's outputs overflow (its weights are too large to be \
             a trained model)",
            total.sum
        ));
    }
    Ok(EvalReport::from_sum(total, lm.config.text.level))
}

/// Adds a loss into a total.
fn accumulate(total: &mut LossSum, l: LossSum) {
    total.sum += l.sum;
    total.count += l.count;
}

/// Scores `data` cut into `streams` streams, each predicting its own next
/// tokens, in chunks of T with the state carried.
fn score_streams(lm: &LanguageModel, data: Vec<usize>, streams: usize) -> LossSum {
    let mut total = LossSum { sum: 0.0, count: 0 };
    let t = lm.config.seq.clamp(1, EVAL_POSITIONS);
    let Ok(sb) = StreamBatches::new(data, streams, t, true) else {
        return total;
    };
    let mut states: Option<Vec<State<f32>>> = None;
    for k in 0..sb.chunks_per_epoch() {
        let b: TokenBatch<f32> = sb.get(k);
        let cache = lm.net.forward(&b.inputs, states.as_deref());
        accumulate(&mut total, lm.net.loss(&cache, &b.targets));
        states = Some(cache.enc.rnn.final_states());
    }
    total
}

/// Scores one long sequence: `inputs` predict `targets` (same length), in
/// chunks of T with the state carried.
fn score_one(lm: &LanguageModel, inputs: &[usize], targets: &[usize]) -> LossSum {
    let mut total = LossSum { sum: 0.0, count: 0 };
    let t = lm.config.seq.clamp(1, EVAL_POSITIONS);
    let mut states: Option<Vec<State<f32>>> = None;
    for (xs, ys) in inputs.chunks(t).zip(targets.chunks(t)) {
        let batch = SeqBatch {
            steps: xs.len(),
            batch: 1,
            inputs: Inputs::Ids(xs.to_vec()),
            lengths: vec![xs.len()],
        };
        let cache = lm.net.forward(&batch, states.as_deref());
        accumulate(&mut total, lm.net.loss(&cache, ys));
        states = Some(cache.enc.rnn.final_states());
    }
    total
}
