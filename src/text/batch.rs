//! Batches for the language model: what the seed's "true previous token fed
//! in" looks like for a whole batch at once. Every batch holds inputs
//! x⟨1…T⟩ and targets y⟨1…T⟩ = the next tokens, time-major (row t·B + b).
//!
//! - **Lines** (`LineBatches`): one sequence per line. The inputs are `<EOS>`
//!   (the start) followed by the line, the targets are the line followed by
//!   `<EOS>`: for "ann", inputs `<EOS> a n n`, targets `a n n <EOS>`. Shorter
//!   lines are padded and masked. Each epoch visits the training lines in a
//!   fresh order drawn from the seed and the epoch number, so a position
//!   (epoch, cursor) fixes every later batch (resuming needs nothing else).
//! - **Streams** (`StreamBatches`): continuous text cut into B equal streams,
//!   stream b starting at token b·⌊N/B⌋, read in chunks of T steps; chunk k
//!   feeds tokens k·T … k·T+T−1 of every stream and predicts the tokens one
//!   further on. The trainer carries the final states of chunk k into chunk
//!   k + 1 (truncated BPTT: gradients stop at the chunk boundary) and resets
//!   them to zero when an epoch ends.

use crate::linalg::Scalar;
use crate::models::{Inputs, SeqBatch};
use crate::rng::Rng;
use crate::{err, Result};

/// A batch of inputs with the targets to predict.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenBatch<T> {
    /// The input tokens (T steps, B sequences, real lengths).
    pub inputs: SeqBatch<T>,
    /// The next token at every (t, b), time-major; 0 at padded positions.
    pub targets: Vec<usize>,
    /// The number of real (unpadded) positions.
    pub tokens: usize,
}

/// Builds a padded batch from lines (each a token sequence ending with
/// `<EOS>`): inputs `start, s[0], …`, targets `s[0], s[1], …`, each cut to
/// at most `max_steps` steps.
pub fn line_batch<T: Scalar>(lines: &[&[usize]], start: usize, max_steps: usize) -> TokenBatch<T> {
    assert!(max_steps > 0, "line_batch: max_steps must be at least 1");
    let mut inputs: Vec<Vec<usize>> = Vec::with_capacity(lines.len());
    let mut targets: Vec<&[usize]> = Vec::with_capacity(lines.len());
    for s in lines {
        assert!(!s.is_empty(), "line_batch: an empty line");
        let len = s.len().min(max_steps);
        let mut x = Vec::with_capacity(len);
        x.push(start);
        x.extend_from_slice(&s[..len - 1]);
        inputs.push(x);
        targets.push(&s[..len]);
    }
    let batch = SeqBatch::from_sequences(&inputs, start);
    let b = batch.batch;
    let mut y = vec![0; batch.steps * b];
    for (j, s) in targets.iter().enumerate() {
        for (t, &id) in s.iter().enumerate() {
            y[t * b + j] = id;
        }
    }
    let tokens = batch.lengths.iter().sum();
    TokenBatch {
        inputs: batch,
        targets: y,
        tokens,
    }
}

/// Seeded batches of whole lines (see the module docs).
#[derive(Clone, Debug)]
pub struct LineBatches {
    lines: Vec<Vec<usize>>,
    batch: usize,
    max_steps: usize,
    start: usize,
    seed: u64,
    /// The visiting order of one epoch, cached.
    order: Option<(u64, Vec<usize>)>,
}

impl LineBatches {
    /// Batches of `batch` lines (all of them if there are fewer), each cut to
    /// `max_steps`; `start` is the start token (`<EOS>`). Errors if there are
    /// no lines.
    pub fn new(
        lines: Vec<Vec<usize>>,
        batch: usize,
        max_steps: usize,
        start: usize,
        seed: u64,
    ) -> Result<LineBatches> {
        if lines.is_empty() || lines.iter().any(|l| l.is_empty()) {
            return Err(err!("no training lines"));
        }
        if batch == 0 || max_steps == 0 {
            return Err(err!(
                "the batch size and sequence length must be at least 1"
            ));
        }
        Ok(LineBatches {
            lines,
            batch,
            max_steps,
            start,
            seed,
            order: None,
        })
    }

    /// The lines.
    pub fn lines(&self) -> &[Vec<usize>] {
        &self.lines
    }

    /// Lines per batch: `batch`, or all lines if there are fewer.
    pub fn batch_size(&self) -> usize {
        self.batch.min(self.lines.len())
    }

    /// Batches per epoch (a last partial batch is skipped).
    pub fn batches_per_epoch(&self) -> u64 {
        (self.lines.len() / self.batch_size()) as u64
    }

    /// The order in which epoch `epoch` visits the lines: a Fisher–Yates
    /// shuffle by `Rng::new(seed ^ (epoch + 1)·0x9E3779B97F4A7C15)`.
    pub fn epoch_order(&self, epoch: u64) -> Vec<usize> {
        let mut rng = Rng::new(self.seed ^ (epoch + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut order: Vec<usize> = (0..self.lines.len()).collect();
        rng.shuffle(&mut order);
        order
    }

    /// The batch at position (epoch, cursor), where cursor counts batches
    /// within the epoch. The caller advances the position.
    pub fn get<T: Scalar>(&mut self, epoch: u64, cursor: u64) -> TokenBatch<T> {
        if self.order.as_ref().map(|(e, _)| *e) != Some(epoch) {
            self.order = Some((epoch, self.epoch_order(epoch)));
        }
        let b = self.batch_size();
        let order = &self.order.as_ref().expect("order was just set").1;
        let first = (cursor as usize % self.batches_per_epoch() as usize) * b;
        let chosen: Vec<&[usize]> = order[first..first + b]
            .iter()
            .map(|&i| self.lines[i].as_slice())
            .collect();
        line_batch(&chosen, self.start, self.max_steps)
    }
}

/// B parallel streams of one token sequence, in chunks of T (see the module
/// docs).
#[derive(Clone, Debug)]
pub struct StreamBatches {
    data: Vec<usize>,
    batch: usize,
    steps: usize,
    stream_len: usize,
    keep_tail: bool,
}

impl StreamBatches {
    /// `batch` streams read `steps` tokens at a time. With `keep_tail` the
    /// last chunk of an epoch may be shorter (for evaluation, so every token
    /// but the first of each stream is predicted); without it only full
    /// chunks are used (training). Errors if the data is too short for one
    /// chunk.
    pub fn new(
        data: Vec<usize>,
        batch: usize,
        steps: usize,
        keep_tail: bool,
    ) -> Result<StreamBatches> {
        if batch == 0 || steps == 0 {
            return Err(err!(
                "the batch size and sequence length must be at least 1"
            ));
        }
        let stream_len = data.len() / batch;
        let need = if keep_tail { 2 } else { steps + 1 };
        if stream_len < need {
            return Err(err!(
                "{} tokens are too few for {batch} streams of {steps} steps: need at least {}",
                data.len(),
                batch * need
            ));
        }
        Ok(StreamBatches {
            data,
            batch,
            steps,
            stream_len,
            keep_tail,
        })
    }

    /// Chunks per epoch.
    pub fn chunks_per_epoch(&self) -> u64 {
        let predictions = self.stream_len - 1;
        if self.keep_tail {
            predictions.div_ceil(self.steps) as u64
        } else {
            (predictions / self.steps) as u64
        }
    }

    /// B, the number of streams.
    pub fn batch_size(&self) -> usize {
        self.batch
    }

    /// Chunk `k` (< `chunks_per_epoch`) of every stream.
    pub fn get<T: Scalar>(&self, k: u64) -> TokenBatch<T> {
        let (b, t0) = (self.batch, k as usize * self.steps);
        let steps = self.steps.min(self.stream_len - 1 - t0);
        let mut x = vec![0; steps * b];
        let mut y = vec![0; steps * b];
        for s in 0..b {
            let base = s * self.stream_len + t0;
            for t in 0..steps {
                x[t * b + s] = self.data[base + t];
                y[t * b + s] = self.data[base + t + 1];
            }
        }
        TokenBatch {
            inputs: SeqBatch {
                steps,
                batch: b,
                inputs: Inputs::Ids(x),
                lengths: vec![steps; b],
            },
            targets: y,
            tokens: steps * b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_shifted_padded_and_masked() {
        // EOS = 0; lines "12" and "3", each ending with EOS.
        let b: TokenBatch<f32> = line_batch(&[&[1, 2, 0], &[3, 0]], 0, 100);
        assert_eq!(b.inputs.steps, 3);
        assert_eq!(b.inputs.inputs, Inputs::Ids(vec![0, 0, 1, 3, 2, 0]));
        assert_eq!(b.targets, vec![1, 3, 2, 0, 0, 0]);
        assert_eq!(b.inputs.lengths, vec![3, 2]);
        assert_eq!(b.inputs.mask().unwrap(), vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.0]);
        assert_eq!(b.tokens, 5);
        let cut: TokenBatch<f32> = line_batch(&[&[1, 2, 0]], 0, 2);
        assert_eq!(cut.targets, vec![1, 2]);
    }

    #[test]
    fn epochs_visit_every_line_once() {
        let lines: Vec<Vec<usize>> = (1..=10).map(|i| vec![i, 0]).collect();
        let mut lb = LineBatches::new(lines, 3, 10, 0, 7).unwrap();
        assert_eq!(lb.batches_per_epoch(), 3);
        let mut seen = Vec::new();
        for c in 0..3 {
            let b: TokenBatch<f32> = lb.get(0, c);
            seen.extend(b.targets.iter().take(3).copied());
        }
        let mut order = lb.epoch_order(0);
        order.truncate(9);
        assert_eq!(seen, order.iter().map(|i| i + 1).collect::<Vec<_>>());
        assert_ne!(lb.epoch_order(0), lb.epoch_order(1));
    }

    #[test]
    fn streams_cut_into_chunks() {
        // 2 streams of 5 tokens: [0..5) and [5..10); T = 2 → 2 chunks.
        let sb = StreamBatches::new((0..11).collect(), 2, 2, false).unwrap();
        assert_eq!(sb.chunks_per_epoch(), 2);
        let c: TokenBatch<f32> = sb.get(1);
        assert_eq!(c.inputs.inputs, Inputs::Ids(vec![2, 7, 3, 8]));
        assert_eq!(c.targets, vec![3, 8, 4, 9]);
        let tail = StreamBatches::new((0..10).collect(), 2, 3, true).unwrap();
        assert_eq!(tail.chunks_per_epoch(), 2);
        let c: TokenBatch<f32> = tail.get(1);
        assert_eq!((c.inputs.steps, c.targets.clone()), (1, vec![4, 9]));
        assert!(StreamBatches::new((0..5).collect(), 2, 3, false).is_err());
    }
}
