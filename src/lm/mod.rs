//! The language model as a product: configuration, training with truncated
//! BPTT, checkpoints, sampling and evaluation — the seed's language-model
//! section end to end.
//!
//! The network is `models::Generator`: an optional embedding (`embed_dim` 0
//! means the seed's one-hot inputs) → a stacked RNN, GRU or LSTM → a linear
//! layer → softmax over the vocabulary. Training feeds the true previous
//! token and minimises the mean cross-entropy of the next one; sampling
//! draws from the softmax and feeds the draw back until `<EOS>` or a length
//! limit.
//!
//! - `mod.rs` — [`LmConfig`] (everything a checkpoint must remember) and
//!   [`LanguageModel`] (config + vocabulary + network), with sampling;
//! - `train.rs` — [`Trainer`]: one optimisation step at a time, bit-exact
//!   resuming, divergence (NaN/Inf) detection;
//! - `checkpoint.rs` — safetensors checkpoints with PyTorch names, validated
//!   on load;
//! - `eval.rs` — loss, perplexity and bits per character on held-out data.
//!
//! Models are trained and stored in f32.

pub mod checkpoint;
pub mod eval;
pub mod train;

pub use checkpoint::{Checkpoint, TrainCheckpoint};
pub use eval::{evaluate, EvalReport};
pub use train::{StepInfo, TrainState, Trainer};

use crate::io::json::{object, Json};
use crate::models::language_model::choose;
use crate::models::{Generator, InputLayer, Sampling};
use crate::optim::OptimKind;
use crate::rng::Rng;
use crate::rnn::CellKind;
use crate::text::{tokenize, Level, Mode, Piece, TextConfig, Vocab};
use crate::{err, Result};

/// The `format` value in a checkpoint's `__metadata__`.
pub const FORMAT: &str = "seqmodels-lm/1";

/// Largest hidden width, embedding width, layer count, batch and sequence
/// length accepted from flags or checkpoints (far above anything sensible on
/// a CPU; they keep a typo from asking for terabytes).
pub const MAX_WIDTH: usize = 1 << 14;
/// See [`MAX_WIDTH`].
pub const MAX_LAYERS: usize = 64;
/// See [`MAX_WIDTH`].
pub const MAX_BATCH_OR_SEQ: usize = 1 << 20;

/// Gradient clipping before each update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Clip {
    /// No clipping.
    None,
    /// Rescale all gradients together to global L2 norm at most this.
    Norm(f64),
    /// Clip every element to [−x, x] (the course's `clip`).
    Value(f64),
}

/// Everything that defines a language model and its training run.
#[derive(Clone, Debug, PartialEq)]
pub struct LmConfig {
    /// Tokenization.
    pub text: TextConfig,
    /// The recurrent cell.
    pub cell: CellKind,
    /// H.
    pub hidden: usize,
    /// L, stacked layers.
    pub layers: usize,
    /// E, the embedding width (0 = one-hot inputs).
    pub embed_dim: usize,
    /// V (filled in from the vocabulary).
    pub vocab_size: usize,
    /// T: chunk length for streams, the longest line (in steps) for lines.
    pub seq: usize,
    /// B: streams, or lines per batch.
    pub batch: usize,
    /// The update rule.
    pub optim: OptimKind,
    /// The learning rate.
    pub lr: f64,
    /// Clipping.
    pub clip: Clip,
    /// Seeds the weights, the split and the batch order.
    pub seed: u64,
    /// The held-out fraction of the data.
    pub holdout: f64,
    /// p of the dropout used in training (0 = none), between the recurrent
    /// layers and before the output layer (`Tagger::forward_train_ws`).
    /// Evaluation and sampling never drop.
    pub dropout: f64,
}

impl LmConfig {
    /// Checks ranges; errors say which setting is wrong.
    pub fn validate(&self) -> Result<()> {
        let within = |name: &str, v: usize, lo: usize, hi: usize| {
            if v < lo || v > hi {
                Err(err!("{name} is {v}, expected {lo} to {hi}"))
            } else {
                Ok(())
            }
        };
        within("hidden", self.hidden, 1, MAX_WIDTH)?;
        within("layers", self.layers, 1, MAX_LAYERS)?;
        within("embed_dim", self.embed_dim, 0, MAX_WIDTH)?;
        within("seq", self.seq, 1, MAX_BATCH_OR_SEQ)?;
        within("batch", self.batch, 1, MAX_BATCH_OR_SEQ)?;
        within("min_count", self.text.min_count, 1, usize::MAX)?;
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(err!("lr is {}, expected a positive number", self.lr));
        }
        match self.clip {
            Clip::Norm(x) | Clip::Value(x) if !(x.is_finite() && x > 0.0) => {
                return Err(err!(
                    "the clipping threshold is {x}, expected a positive number"
                ))
            }
            _ => {}
        }
        if !(self.holdout.is_finite() && (0.0..=0.9).contains(&self.holdout)) {
            return Err(err!("holdout is {}, expected 0 to 0.9", self.holdout));
        }
        if !(self.dropout.is_finite() && (0.0..0.95).contains(&self.dropout)) {
            return Err(err!(
                "dropout is {}, expected 0 ≤ p < 0.95 (0 = none)",
                self.dropout
            ));
        }
        validate_optim(&self.optim)
    }

    /// The config as JSON (stored in checkpoints).
    pub fn to_json(&self) -> Json {
        let clip = match self.clip {
            Clip::None => object(vec![("kind", Json::str("none"))]),
            Clip::Norm(x) => object(vec![("kind", Json::str("norm")), ("max", Json::num(x))]),
            Clip::Value(x) => object(vec![("kind", Json::str("value")), ("max", Json::num(x))]),
        };
        object(vec![
            ("level", Json::str(self.text.level.name())),
            ("mode", Json::str(self.text.mode.name())),
            ("lower", Json::Bool(self.text.lower)),
            ("min_count", Json::int(self.text.min_count as i64)),
            ("cell", Json::str(self.cell.name())),
            ("hidden", Json::int(self.hidden as i64)),
            ("layers", Json::int(self.layers as i64)),
            ("embed_dim", Json::int(self.embed_dim as i64)),
            ("vocab_size", Json::int(self.vocab_size as i64)),
            ("seq", Json::int(self.seq as i64)),
            ("batch", Json::int(self.batch as i64)),
            ("optim", optim_to_json(&self.optim)),
            ("lr", Json::num(self.lr)),
            ("clip", clip),
            ("seed", Json::str(self.seed.to_string())),
            ("holdout", Json::num(self.holdout)),
            ("dropout", Json::num(self.dropout)),
            ("dtype", Json::str("f32")),
        ])
    }

    /// Reads and checks [`LmConfig::to_json`]'s output.
    pub fn from_json(j: &Json) -> Result<LmConfig> {
        let str_of = |k: &str| -> Result<&str> {
            j.get(k)
                .and_then(|v| v.as_str())
                .ok_or_else(|| err!("config: {k:?} is missing or not a string"))
        };
        let usize_of = |k: &str| -> Result<usize> {
            j.get(k)
                .and_then(|v| v.as_u64())
                .and_then(|v| usize::try_from(v).ok())
                .ok_or_else(|| err!("config: {k:?} is missing or not a whole number"))
        };
        let f64_of = |v: Option<&Json>, k: &str| -> Result<f64> {
            v.and_then(|v| v.as_f64())
                .ok_or_else(|| err!("config: {k:?} is missing or not a number"))
        };
        if j.as_object().is_none() {
            return Err(err!("config is not a JSON object"));
        }
        let dtype = str_of("dtype")?;
        if dtype != "f32" {
            return Err(err!("config: dtype {dtype:?}, expected \"f32\""));
        }
        let lower = match j.get("lower") {
            Some(Json::Bool(b)) => *b,
            _ => return Err(err!("config: \"lower\" is missing or not true/false")),
        };
        let clip_j = j
            .get("clip")
            .ok_or_else(|| err!("config: \"clip\" is missing"))?;
        let clip = match clip_j.get("kind").and_then(|k| k.as_str()) {
            Some("none") => Clip::None,
            Some("norm") => Clip::Norm(f64_of(clip_j.get("max"), "clip.max")?),
            Some("value") => Clip::Value(f64_of(clip_j.get("max"), "clip.max")?),
            _ => return Err(err!("config: clip.kind must be none, norm or value")),
        };
        let seed = str_of("seed")?
            .parse::<u64>()
            .map_err(|_| err!("config: \"seed\" is not a whole number"))?;
        let c = LmConfig {
            text: TextConfig {
                level: Level::parse(str_of("level")?).map_err(|e| e.context("config"))?,
                mode: Mode::parse(str_of("mode")?).map_err(|e| e.context("config"))?,
                lower,
                min_count: usize_of("min_count")?,
            },
            cell: CellKind::parse(str_of("cell")?).map_err(|e| e.context("config"))?,
            hidden: usize_of("hidden")?,
            layers: usize_of("layers")?,
            embed_dim: usize_of("embed_dim")?,
            vocab_size: usize_of("vocab_size")?,
            seq: usize_of("seq")?,
            batch: usize_of("batch")?,
            optim: optim_from_json(
                j.get("optim")
                    .ok_or_else(|| err!("config: \"optim\" is missing"))?,
            )?,
            lr: f64_of(j.get("lr"), "lr")?,
            clip,
            seed,
            holdout: f64_of(j.get("holdout"), "holdout")?,
            // Checkpoints written before dropout existed have no key: none.
            dropout: match j.get("dropout") {
                None => 0.0,
                v => f64_of(v, "dropout")?,
            },
        };
        c.validate().map_err(|e| e.context("config"))?;
        Ok(c)
    }

    /// The number of parameters this config describes, with overflow checked
    /// (so a hostile checkpoint cannot make us allocate before its tensors
    /// are checked): E: V·E; layer l: G·H·(I_l + H) + 2·G·H; head: V·H + V.
    pub fn num_params(&self) -> Option<usize> {
        let (v, h, g) = (self.vocab_size, self.hidden, self.cell.gates());
        let input = if self.embed_dim == 0 {
            v
        } else {
            self.embed_dim
        };
        let mut total = v.checked_mul(self.embed_dim)?;
        for l in 0..self.layers {
            let i = if l == 0 { input } else { h };
            let gh = g.checked_mul(h)?;
            let layer = gh
                .checked_mul(i.checked_add(h)?)?
                .checked_add(gh.checked_mul(2)?)?;
            total = total.checked_add(layer)?;
        }
        total.checked_add(v.checked_mul(h)?.checked_add(v)?)
    }
}

fn validate_optim(o: &OptimKind) -> Result<()> {
    let unit = |name: &str, x: f64| {
        if x.is_finite() && (0.0..1.0).contains(&x) {
            Ok(())
        } else {
            Err(err!("optimizer {name} is {x}, expected 0 ≤ {name} < 1"))
        }
    };
    let eps = |x: f64| {
        if x.is_finite() && x >= 0.0 {
            Ok(())
        } else {
            Err(err!("optimizer eps is {x}, expected a number ≥ 0"))
        }
    };
    match *o {
        OptimKind::Sgd { momentum } => unit("momentum", momentum),
        OptimKind::Adagrad { eps: e } => eps(e),
        OptimKind::RmsProp { decay, eps: e } => unit("decay", decay).and(eps(e)),
        OptimKind::Adam {
            beta1,
            beta2,
            eps: e,
        } => unit("beta1", beta1).and(unit("beta2", beta2)).and(eps(e)),
    }
}

fn optim_to_json(o: &OptimKind) -> Json {
    match *o {
        OptimKind::Sgd { momentum } => object(vec![
            ("name", Json::str("sgd")),
            ("momentum", Json::num(momentum)),
        ]),
        OptimKind::Adagrad { eps } => object(vec![
            ("name", Json::str("adagrad")),
            ("eps", Json::num(eps)),
        ]),
        OptimKind::RmsProp { decay, eps } => object(vec![
            ("name", Json::str("rmsprop")),
            ("decay", Json::num(decay)),
            ("eps", Json::num(eps)),
        ]),
        OptimKind::Adam { beta1, beta2, eps } => object(vec![
            ("name", Json::str("adam")),
            ("beta1", Json::num(beta1)),
            ("beta2", Json::num(beta2)),
            ("eps", Json::num(eps)),
        ]),
    }
}

fn optim_from_json(j: &Json) -> Result<OptimKind> {
    let num = |k: &str| {
        j.get(k)
            .and_then(|v| v.as_f64())
            .ok_or_else(|| err!("config: optim.{k} is missing or not a number"))
    };
    let o = match j.get("name").and_then(|n| n.as_str()) {
        Some("sgd") => OptimKind::Sgd {
            momentum: num("momentum")?,
        },
        Some("adagrad") => OptimKind::Adagrad { eps: num("eps")? },
        Some("rmsprop") => OptimKind::RmsProp {
            decay: num("decay")?,
            eps: num("eps")?,
        },
        Some("adam") => OptimKind::Adam {
            beta1: num("beta1")?,
            beta2: num("beta2")?,
            eps: num("eps")?,
        },
        _ => {
            return Err(err!(
                "config: optim.name must be sgd, adagrad, rmsprop or adam"
            ))
        }
    };
    validate_optim(&o).map_err(|e| e.context("config"))?;
    Ok(o)
}

/// How `LanguageModel::sample` draws.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleOptions {
    /// Greedy or a (tempered, top-k) draw.
    pub sampling: Sampling,
    /// Stop after this many generated tokens (if no `<EOS>` came first).
    pub max_len: usize,
    /// Text the sample starts with (fed to the model, then continued).
    pub prime: String,
}

/// A trained (or fresh) language model: config, vocabulary and network.
#[derive(Clone, Debug, PartialEq)]
pub struct LanguageModel {
    /// Architecture, tokenization and training settings.
    pub config: LmConfig,
    /// The tokens.
    pub vocab: Vocab,
    /// Embedding or one-hot → stacked RNN → linear → softmax.
    pub net: Generator<f32>,
}

impl LanguageModel {
    /// A freshly initialised model for `vocab` (sets `config.vocab_size`).
    /// The embedding, then the recurrent layers, then the head are drawn
    /// from `Rng::new(config.seed)`.
    pub fn new(mut config: LmConfig, vocab: Vocab) -> LanguageModel {
        config.vocab_size = vocab.len();
        let mut rng = Rng::new(config.seed);
        let input = InputLayer::for_vocab(vocab.len(), config.embed_dim, &mut rng);
        let net = Generator::new(
            input,
            config.cell,
            config.hidden,
            config.layers,
            vocab.len(),
            &mut rng,
        );
        LanguageModel { config, vocab, net }
    }

    /// The token a sequence starts from: `<EOS>` for lines and word streams;
    /// for a character stream, `\n` if known, else token 0.
    pub fn start_token(&self) -> usize {
        match (self.config.text.mode, self.vocab.eos()) {
            (Mode::Lines, Some(e)) => e,
            (_, Some(e)) if self.config.text.level == Level::Word => e,
            _ => self.vocab.id("\n").unwrap_or(0),
        }
    }

    /// The tokens of a prime text (tokenized like the training data, with no
    /// `<EOS>` at the end). Errors name `--prime` and the unknown token.
    pub fn encode_prime(&self, prime: &str) -> Result<Vec<usize>> {
        let mut cfg = self.config.text.clone();
        cfg.mode = Mode::Stream;
        let mut toks: Vec<_> = tokenize(prime, &cfg).into_iter().flatten().collect();
        while toks.last().is_some_and(|t| t.piece == Piece::Eos) {
            toks.pop();
        }
        toks.iter()
            .map(|t| self.vocab.encode(t, "--prime"))
            .collect()
    }

    /// Draws one sample: the prime's tokens, then generated ones up to
    /// `<EOS>` (not included) or `max_len`. Returns (generated token ids
    /// including the prime's, text).
    pub fn sample(&self, opts: &SampleOptions, rng: &mut Rng) -> Result<(Vec<usize>, String)> {
        let prime = self.encode_prime(&opts.prime)?;
        let start = self.start_token();
        let starts_fresh = self.config.text.mode == Mode::Lines
            || self.config.text.level == Level::Word
            || prime.is_empty();
        let mut prefix = Vec::with_capacity(prime.len() + 1);
        if starts_fresh {
            prefix.push(start);
        }
        prefix.extend_from_slice(&prime);
        // The generation loop of `Generator::generate`, written out so that
        // logits that overflowed (a checkpoint with huge weights) are an
        // error rather than a draw from NaN probabilities.
        let eos = self.vocab.eos();
        let mut states = self.net.net.encoder.rnn.zero_states(1);
        let mut logits = None;
        for &tok in &prefix {
            let (l, s) = self.net.step(&[tok], &states);
            logits = Some(l);
            states = s;
        }
        let mut out = Vec::new();
        while let Some(l) = logits.take() {
            if out.len() >= opts.max_len {
                break;
            }
            if !l.all_finite() {
                return Err(err!(
                    "the model's outputs overflow (infinite or NaN logits after {} tokens): \
                     its weights are too large to be a trained model",
                    prefix.len() + out.len()
                ));
            }
            let next = choose(l.row(0), opts.sampling, rng);
            if Some(next) == eos {
                break;
            }
            out.push(next);
            let (l, s) = self.net.step(&[next], &states);
            logits = Some(l);
            states = s;
        }
        let mut ids = prime;
        ids.extend(out);
        let text = self.vocab.decode(&ids);
        Ok((ids, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn tiny_config() -> LmConfig {
        LmConfig {
            text: TextConfig {
                level: Level::Char,
                mode: Mode::Lines,
                lower: true,
                min_count: 1,
            },
            cell: CellKind::Lstm,
            hidden: 8,
            layers: 2,
            embed_dim: 4,
            vocab_size: 0,
            seq: 16,
            batch: 4,
            optim: OptimKind::parse("adam").unwrap(),
            lr: 0.01,
            clip: Clip::Norm(5.0),
            seed: 3,
            holdout: 0.1,
            dropout: 0.0,
        }
    }

    #[test]
    fn config_json_round_trip_and_checks() {
        let mut c = tiny_config();
        c.vocab_size = 11;
        c.dropout = 0.25;
        let j = c.to_json();
        assert_eq!(LmConfig::from_json(&j).unwrap(), c);
        // Checkpoints from before dropout existed have no "dropout": none.
        let old = Json::parse(&j.to_json().replace("\"dropout\":0.25,", "")).unwrap();
        assert!(old.get("dropout").is_none());
        let read = LmConfig::from_json(&old).unwrap();
        assert_eq!(read.dropout, 0.0);
        assert_eq!(
            LmConfig {
                dropout: 0.25,
                ..read
            },
            c
        );
        for (from, to) in [
            ("\"hidden\":8", "\"hidden\":0"),
            ("\"hidden\":8", "\"hidden\":-8"),
            ("\"lr\":0.01", "\"lr\":-1"),
            ("\"cell\":\"lstm\"", "\"cell\":\"lstn\""),
            ("\"dtype\":\"f32\"", "\"dtype\":\"f64\""),
            ("\"beta1\":0.9", "\"beta1\":1.5"),
            ("\"dropout\":0.25", "\"dropout\":1"),
            ("\"dropout\":0.25", "\"dropout\":\"x\""),
        ] {
            let text = j.to_json();
            assert!(text.contains(from), "{from} not in {text}");
            let bad = Json::parse(&text.replace(from, to)).unwrap();
            assert!(LmConfig::from_json(&bad).is_err(), "{to} accepted");
        }
    }

    #[test]
    fn parameter_count_matches_the_network() {
        use crate::models::Parameters;
        let (v, _) = crate::text::Corpus::build("abc\nba\n", "t", &tiny_config().text).unwrap();
        for (cell, e) in [("lstm", 4), ("gru", 0), ("rnn", 3)] {
            let mut c = tiny_config();
            c.cell = CellKind::parse(cell).unwrap();
            c.embed_dim = e;
            let lm = LanguageModel::new(c, v.clone());
            assert_eq!(lm.config.num_params(), Some(lm.net.num_values()), "{cell}");
        }
    }
}
