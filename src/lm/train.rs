//! Training a language model, one step at a time.
//!
//! A step is the seed's recipe for one batch:
//!
//! ```text
//! forward (teacher forcing: the true previous token is fed in) → mean cross-entropy
//! → backward (BPTT, truncated at the chunk boundary for streams)
//! → clip (by value or by global norm) → optimizer update
//! ```
//!
//! For continuous text the final states of a chunk become the initial states
//! of the next one (truncated BPTT), and are reset to zero at the end of an
//! epoch. For lines every batch starts from zero states.
//!
//! A loss or gradient that is NaN or infinite stops training with an error
//! naming the step, before the update, so the model (and any checkpoint
//! saved earlier) keeps its last good values.
//!
//! # Resuming bit for bit
//! Everything a step depends on is in the checkpoint: the weights, the
//! optimizer's state tensors and step count, the data position (epoch, and
//! cursor = batches done in that epoch; each epoch's line order is a pure
//! function of the seed and the epoch number), and for streams the carried
//! states. The dropout masks (`--dropout`) come from a generator seeded by
//! the seed and the step number (`dropout_rng`). Nothing else is random
//! during training, and the GEMM gives the same bits for any thread count.
//! So N steps, a save, a load and N more steps give exactly the weights of
//! 2N steps in one run (tested in `tests/lm.rs`, with and without dropout).

use std::collections::HashSet;
use std::path::Path;

use super::checkpoint::{writer, Checkpoint};
use super::eval::{evaluate, EvalReport};
use super::{Clip, LanguageModel, LmConfig};
use crate::linalg::simd::vectorized;
use crate::linalg::Workspace;
use crate::models::{Generator, Parameters};
use crate::nn::Dropout;
use crate::optim::{clip_by_global_norm, clip_by_value, global_norm, Optimizer};
use crate::rng::Rng;
use crate::rnn::State;
use crate::text::{Corpus, LineBatches, Mode, StreamBatches, TokenBatch};
use crate::{err, Result};

/// Where training stands (saved in checkpoints).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrainState {
    /// Steps taken.
    pub step: u64,
    /// Epochs completed.
    pub epoch: u64,
    /// Batches (or chunks) done in the current epoch.
    pub cursor: u64,
    /// Real tokens trained on so far.
    pub tokens: u64,
    /// The training file, as given.
    pub data_source: String,
    /// Its FNV-1a hash (`text::corpus::text_hash`).
    pub data_hash: u64,
}

/// What one step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepInfo {
    /// The step's number (1 for the first).
    pub step: u64,
    /// The mean cross-entropy of the batch, in nats per token.
    pub loss: f64,
    /// Real tokens in the batch.
    pub tokens: usize,
    /// The global gradient norm before clipping.
    pub grad_norm: f64,
    /// True if this step finished an epoch.
    pub epoch_done: bool,
}

enum Batches {
    Lines(LineBatches),
    Stream(StreamBatches),
}

/// A model, its optimizer and its data, ready to take steps.
pub struct Trainer {
    /// The model being trained.
    pub lm: LanguageModel,
    /// The optimizer and its state.
    pub opt: Optimizer<f32>,
    /// Step and data position.
    pub state: TrainState,
    /// The held-out sequences.
    pub heldout: Vec<Vec<usize>>,
    grads: Generator<f32>,
    batches: Batches,
    carried: Option<Vec<State<f32>>>,
    train_tokens: usize,
    /// Buffers reused from step to step (the caches, ∂L/∂z, packed W_hh):
    /// without them every step allocates and clears them afresh.
    ws: Workspace<f32>,
}

impl Trainer {
    /// A fresh model for `text` (named `source` in messages): builds the
    /// vocabulary, splits off the held-out part, initialises the weights.
    pub fn new(config: LmConfig, text: &str, source: &str) -> Result<Trainer> {
        config.validate()?;
        let (vocab, corpus) = Corpus::build(text, source, &config.text)?;
        let lm = LanguageModel::new(config, vocab);
        let opt = Optimizer::new(lm.config.optim, lm.config.lr);
        let state = TrainState {
            step: 0,
            epoch: 0,
            cursor: 0,
            tokens: 0,
            data_source: source.to_string(),
            data_hash: corpus.hash,
        };
        Trainer::assemble(lm, &corpus, state, opt, None)
    }

    /// Continues the run saved in `ckpt` (named `ckpt_name` in messages) on
    /// `text`, which must be the same training text (its hash is checked).
    pub fn resume(ckpt: Checkpoint, ckpt_name: &str, text: &str, source: &str) -> Result<Trainer> {
        let Checkpoint { lm, train } = ckpt;
        let t = train.ok_or_else(|| {
            err!("{ckpt_name}: the checkpoint has no training state, so it cannot be resumed")
        })?;
        let corpus = Corpus::with_vocab(text, source, &lm.config.text, &lm.vocab)?;
        if corpus.hash != t.state.data_hash {
            return Err(err!(
                "{source} is not the text {ckpt_name} was trained on (that was {:?}, with hash \
                 {:016x}; this file has hash {:016x}); resume with the same file",
                t.state.data_source,
                t.state.data_hash,
                corpus.hash
            ));
        }
        let mut state = t.state;
        state.data_source = source.to_string();
        let trainer = Trainer::assemble(lm, &corpus, state, t.opt, t.carried)?;
        let per_epoch = trainer.batches_per_epoch();
        if trainer.state.cursor >= per_epoch {
            return Err(err!(
                "{ckpt_name}: data position {} is past the {per_epoch} batches of an epoch",
                trainer.state.cursor
            ));
        }
        let wants_carried = trainer.lm.config.text.mode == Mode::Stream && trainer.state.cursor > 0;
        if wants_carried != trainer.carried.is_some() {
            return Err(err!(
                "{ckpt_name}: the carried states (train.h_n) are {} but the data position \
                 needs them {}",
                if trainer.carried.is_some() {
                    "present"
                } else {
                    "missing"
                },
                if wants_carried { "present" } else { "absent" },
            ));
        }
        Ok(trainer)
    }

    fn assemble(
        lm: LanguageModel,
        corpus: &Corpus,
        state: TrainState,
        opt: Optimizer<f32>,
        carried: Option<Vec<State<f32>>>,
    ) -> Result<Trainer> {
        let c = &lm.config;
        let split = corpus.split(c.text.mode, c.holdout, c.seed);
        let train_tokens = split.train.iter().map(|s| s.len()).sum();
        let batches = match c.text.mode {
            Mode::Lines => Batches::Lines(LineBatches::new(
                split.train,
                c.batch,
                c.seq,
                lm.start_token(),
                c.seed,
            )?),
            Mode::Stream => Batches::Stream(
                StreamBatches::new(split.train.concat(), c.batch, c.seq, false)
                    .map_err(|e| e.context(format!("{} (training part)", corpus.source)))?,
            ),
        };
        let grads = lm.net.zeros_like();
        Ok(Trainer {
            lm,
            opt,
            state,
            heldout: split.heldout,
            grads,
            batches,
            carried,
            train_tokens,
            ws: Workspace::new(),
        })
    }

    /// Batches (lines) or chunks (streams) in one epoch.
    pub fn batches_per_epoch(&self) -> u64 {
        match &self.batches {
            Batches::Lines(b) => b.batches_per_epoch(),
            Batches::Stream(b) => b.chunks_per_epoch(),
        }
    }

    /// The number of training tokens.
    pub fn train_tokens(&self) -> usize {
        self.train_tokens
    }

    /// The number of training lines (0 for a stream).
    pub fn training_lines_count(&self) -> usize {
        match &self.batches {
            Batches::Lines(b) => b.lines().len(),
            Batches::Stream(_) => 0,
        }
    }

    /// Takes one step (see the module docs). A NaN or infinite loss or
    /// gradient is an error naming the step; the model is then unchanged.
    pub fn step(&mut self) -> Result<StepInfo> {
        let step = self.state.step + 1;
        let batch: TokenBatch<f32> = match &mut self.batches {
            Batches::Lines(b) => b.get(self.state.epoch, self.state.cursor),
            Batches::Stream(b) => b.get(self.state.cursor),
        };
        let net = &self.lm.net;
        self.grads.fill_zero();
        // Dropout masks come from a generator that is a pure function of the
        // seed and the step, so a resumed run draws the same masks.
        let mut mask_rng = dropout_rng(self.lm.config.seed, step);
        let mut dropout = Dropout {
            p: self.lm.config.dropout,
            rng: &mut mask_rng,
        };
        let dropout = (self.lm.config.dropout > 0.0).then_some(&mut dropout);
        let cache = net.forward_train_ws(
            &batch.inputs,
            self.carried.as_deref(),
            dropout,
            &mut self.ws,
        );
        // The loss and its gradients in one pass (one softmax). A non-finite
        // loss stops here, before the update.
        let (loss, _) = net.loss_and_backward_ws(
            &batch.inputs,
            &cache,
            &batch.targets,
            &mut self.grads,
            &mut self.ws,
        );
        let loss = loss.mean();
        if !loss.is_finite() {
            return Err(err!(
                "step {step}: the loss is {loss}: training diverged (try a smaller --lr or \
                 clipping); the model was not updated"
            ));
        }
        let grad_norm = match self.lm.config.clip {
            Clip::Norm(max) => clip_by_global_norm(&mut self.grads.tensors_mut(), max),
            Clip::Value(max) => {
                let norm = global_norm(&self.grads.tensors());
                clip_by_value(&mut self.grads.tensors_mut(), max);
                norm
            }
            Clip::None => global_norm(&self.grads.tensors()),
        };
        if !grad_norm.is_finite() {
            return Err(err!(
                "step {step}: the gradient norm is {grad_norm}: training diverged (try a \
                 smaller --lr or clipping); the model was not updated"
            ));
        }
        let all_finite = self
            .opt
            .step(&mut self.lm.net.tensors_mut(), &self.grads.tensors());
        if !all_finite {
            // The update says some value is not finite; find which tensor.
            let name = self
                .non_finite_parameter()
                .unwrap_or_else(|| "a parameter".to_string());
            return Err(err!(
                "step {step}: the update made {name} overflow (infinite or NaN): training \
                 diverged (try a smaller --lr or clipping)"
            ));
        }

        self.state.step = step;
        self.state.tokens += batch.tokens as u64;
        self.state.cursor += 1;
        let epoch_done = self.state.cursor >= self.batches_per_epoch();
        if epoch_done {
            self.state.epoch += 1;
            self.state.cursor = 0;
            self.carried = None;
        } else if self.lm.config.text.mode == Mode::Stream {
            self.carried = Some(cache.enc.rnn.final_states());
        }
        cache.enc.rnn.recycle(&mut self.ws);
        Ok(StepInfo {
            step,
            loss,
            tokens: batch.tokens,
            grad_norm,
            epoch_done,
        })
    }

    /// The name of the first parameter tensor holding an infinite or NaN
    /// value, if any. A pass without early exit (it vectorizes) checks every
    /// element first; names are built only when something is wrong.
    fn non_finite_parameter(&self) -> Option<String> {
        let all_finite = self.lm.net.tensors().iter().all(|v| {
            let mut bad = 0u32;
            vectorized(
                #[inline(always)]
                || {
                    let mut n = 0u32;
                    for x in v.iter() {
                        n += (!x.is_finite()) as u32;
                    }
                    bad = n;
                },
            );
            bad == 0
        });
        if all_finite {
            return None;
        }
        self.lm
            .net
            .named_tensors()
            .into_iter()
            .find(|(_, _, v)| v.iter().any(|x| !x.is_finite()))
            .map(|(name, _, _)| name)
    }

    /// Everything needed to resume, as a checkpoint file's bytes.
    pub fn checkpoint_bytes(&self) -> Vec<u8> {
        let parts = (&self.state, &self.opt, self.carried.as_deref());
        writer(&self.lm, Some(parts)).to_bytes()
    }

    /// Saves a checkpoint atomically: an interrupted save leaves any earlier
    /// file at `path` intact. Creates the folder if needed.
    /// Refuses (with an error) to save parameters that are not all finite,
    /// so a saved checkpoint is always a good one.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        if let Some(name) = self.non_finite_parameter() {
            return Err(err!(
                "step {}: parameter {name} is not finite: training diverged; {} was not written",
                self.state.step,
                path.display()
            ));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| err!("{}: cannot create the folder: {e}", dir.display()))?;
        }
        crate::io::atomic::write_atomic(path, &self.checkpoint_bytes())
    }

    /// Loss, perplexity and bits per character on the held-out part, if
    /// there is one.
    pub fn evaluate_heldout(&self) -> Option<EvalReport> {
        if self.heldout.is_empty() {
            return None;
        }
        evaluate(&self.lm, &self.heldout).ok()
    }

    /// The training lines as text (line data only; empty for streams), to
    /// mark samples that merely repeat the training set.
    pub fn training_lines(&self) -> HashSet<String> {
        match &self.batches {
            Batches::Lines(b) => lines_as_text(&self.lm, b.lines()),
            Batches::Stream(_) => HashSet::new(),
        }
    }
}

/// The generator of step `step`'s dropout masks.
pub fn dropout_rng(seed: u64, step: u64) -> Rng {
    Rng::new(seed ^ step.wrapping_mul(0x9FB2_1C65_1E98_DF25).rotate_left(17))
}

/// Decodes lines (each ending with `<EOS>`) to their text.
pub fn lines_as_text(lm: &LanguageModel, lines: &[Vec<usize>]) -> HashSet<String> {
    lines
        .iter()
        .map(|l| {
            let body = match l.split_last() {
                Some((&last, rest)) if Some(last) == lm.vocab.eos() => rest,
                _ => l.as_slice(),
            };
            lm.vocab.decode(body)
        })
        .collect()
}
