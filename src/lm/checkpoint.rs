//! Language-model checkpoints in safetensors.
//!
//! # Contents
//! - **Model tensors**, named as the state_dict of a PyTorch module with
//!   children `embedding` (nn.Embedding; absent with one-hot inputs), `rnn`
//!   (nn.RNN / nn.GRU / nn.LSTM, `batch_first=False`) and `head` (nn.Linear):
//!   `embedding.weight` (V, E), `rnn.weight_ih_l0` (G·H, I), `rnn.weight_hh_l0`
//!   (G·H, H), `rnn.bias_ih_l0`, `rnn.bias_hh_l0` (G·H), … for every layer,
//!   `head.weight` (V, H), `head.bias` (V). All F32.
//! - **Optimizer state** under `optim.`, with PyTorch's names for it:
//!   `optim.momentum_buffer.<param>` (SGD with momentum), `optim.sum.<param>`
//!   (Adagrad), `optim.square_avg.<param>` (RMSProp), `optim.exp_avg.<param>`
//!   and `optim.exp_avg_sq.<param>` (Adam).
//! - **Carried states** of a stream run stopped mid-epoch: `train.h_n` and,
//!   for the LSTM, `train.c_n`, shaped (L, B, H) like torch's h_n and c_n.
//! - `__metadata__` (strings): `format` = `seqmodels-lm/1`; `config`, the
//!   [`LmConfig`] as JSON; `vocab`, the tokens as a JSON array; and for a
//!   training checkpoint `train`, a JSON object with the step, the data
//!   position (epoch, cursor), tokens seen, the optimizer's step count, and
//!   the training file's name and hash.
//!
//! In PyTorch: `sd = safetensors.torch.load_file(path)`, then
//! `model.load_state_dict({k: v for k, v in sd.items() if not
//! k.startswith(("optim.", "train."))}, strict=True)`.
//!
//! # Loading checks everything
//! A checkpoint is user input. Loading checks the safetensors structure (the
//! strict reader), the format tag, every config field and its range, the
//! vocabulary (against the config's V and level), the parameter count
//! against the bytes actually present *before* allocating the model, then
//! every expected tensor's presence, dtype (F32), shape and finiteness, that
//! no unexpected tensor is present, and the optimizer and carried state.
//! Every error starts with the file name and says what was wrong.

use std::collections::HashSet;
use std::path::Path;

use super::train::TrainState;
use super::{LanguageModel, LmConfig, FORMAT};
use crate::io::json::{object, Json};
use crate::io::safetensors::{Dtype, SafeTensors, SafeTensorsWriter};
use crate::linalg::Matrix;
use crate::models::Parameters;
use crate::optim::{OptimKind, Optimizer};
use crate::rnn::State;
use crate::text::Vocab;
use crate::{err, Result};

/// What resuming needs besides the model.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainCheckpoint {
    /// Step, data position, data identity.
    pub state: TrainState,
    /// The optimizer and its state tensors.
    pub opt: Optimizer<f32>,
    /// The states carried between stream chunks (stream runs stopped
    /// mid-epoch only), in h_n order.
    pub carried: Option<Vec<State<f32>>>,
}

/// A loaded checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The model.
    pub lm: LanguageModel,
    /// Training state, if the checkpoint was saved by training.
    pub train: Option<TrainCheckpoint>,
}

/// PyTorch's names for the optimizer's state tensors, one per slot of
/// `Optimizer::state`.
pub fn slot_names(kind: &OptimKind) -> &'static [&'static str] {
    match kind {
        OptimKind::Sgd { momentum } if *momentum == 0.0 => &[],
        OptimKind::Sgd { .. } => &["momentum_buffer"],
        OptimKind::Adagrad { .. } => &["sum"],
        OptimKind::RmsProp { .. } => &["square_avg"],
        OptimKind::Adam { .. } => &["exp_avg", "exp_avg_sq"],
    }
}

/// The training parts of a checkpoint, borrowed: state, optimizer, carried
/// states.
pub type TrainParts<'a> = (&'a TrainState, &'a Optimizer<f32>, Option<&'a [State<f32>]>);

/// Builds the checkpoint file of `lm`, with the training parts if given.
pub fn writer(lm: &LanguageModel, train: Option<TrainParts<'_>>) -> SafeTensorsWriter {
    let mut w = SafeTensorsWriter::new();
    w.metadata("format", FORMAT)
        .metadata("config", &lm.config.to_json().to_json())
        .metadata("vocab", &lm.vocab.to_json().to_json());
    let named = lm.net.named_tensors();
    for (name, shape, data) in &named {
        w.tensor(name, shape, data);
    }
    if let Some((s, opt, carried)) = train {
        let meta = object(vec![
            ("step", Json::int(s.step as i64)),
            ("epoch", Json::int(s.epoch as i64)),
            ("cursor", Json::int(s.cursor as i64)),
            ("tokens", Json::int(s.tokens as i64)),
            ("optim_steps", Json::int(opt.steps as i64)),
            ("data", Json::str(s.data_source.as_str())),
            ("data_hash", Json::str(format!("{:016x}", s.data_hash))),
        ]);
        w.metadata("train", &meta.to_json());
        for (slot, slot_name) in slot_names(&opt.kind).iter().enumerate() {
            if let Some(tensors) = opt.state.get(slot) {
                for ((name, shape, _), values) in named.iter().zip(tensors) {
                    w.tensor(&format!("optim.{slot_name}.{name}"), shape, values);
                }
            }
        }
        if let Some(states) = carried {
            let (b, h) = states[0].h.shape();
            let shape = [states.len(), b, h];
            let hs: Vec<f32> = states
                .iter()
                .flat_map(|s| s.h.as_slice())
                .copied()
                .collect();
            w.tensor("train.h_n", &shape, &hs);
            if states[0].c.is_some() {
                let cs: Vec<f32> = states
                    .iter()
                    .flat_map(|s| s.cell().as_slice())
                    .copied()
                    .collect();
                w.tensor("train.c_n", &shape, &cs);
            }
        }
    }
    w
}

impl Checkpoint {
    /// The checkpoint as safetensors bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        writer(&self.lm, self.train_parts()).to_bytes()
    }

    fn train_parts(&self) -> Option<TrainParts<'_>> {
        self.train
            .as_ref()
            .map(|t| (&t.state, &t.opt, t.carried.as_deref()))
    }

    /// Writes the checkpoint atomically (temporary file, fsync, rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        writer(&self.lm, self.train_parts()).write_atomic(path)
    }

    /// Reads and checks a checkpoint file (see the module docs).
    pub fn read(path: impl AsRef<Path>) -> Result<Checkpoint> {
        let st = SafeTensors::read(path)?;
        Checkpoint::from_safetensors(&st).map_err(|e| e.context(st.source()))
    }

    /// Checks and loads a checkpoint held in memory; `source` names it in
    /// errors.
    pub fn from_bytes(bytes: Vec<u8>, source: &str) -> Result<Checkpoint> {
        let st = SafeTensors::from_bytes(bytes, source)?;
        Checkpoint::from_safetensors(&st).map_err(|e| e.context(source))
    }

    fn from_safetensors(st: &SafeTensors) -> Result<Checkpoint> {
        match st.meta("format") {
            Some(FORMAT) => {}
            Some(other) => {
                return Err(err!(
                    "format {other:?} is not supported (expected {FORMAT:?})"
                ))
            }
            None => {
                return Err(err!(
                    "not a seqmodels language-model checkpoint (no \"format\" in __metadata__)"
                ))
            }
        }
        let meta_json = |key: &str| -> Result<Json> {
            let text = st
                .meta(key)
                .ok_or_else(|| err!("__metadata__ has no {key:?}"))?;
            Json::parse(text).map_err(|e| err!("__metadata__ {key:?}: {e}"))
        };
        let config = LmConfig::from_json(&meta_json("config")?)?;
        let vocab = Vocab::from_json(config.text.level, &meta_json("vocab")?)
            .map_err(|e| e.context("__metadata__ \"vocab\""))?;
        if vocab.len() != config.vocab_size {
            return Err(err!(
                "the vocabulary has {} tokens but the config says vocab_size {}",
                vocab.len(),
                config.vocab_size
            ));
        }
        // Compare the size the config implies with the bytes present before
        // allocating anything of that size.
        let params = config
            .num_params()
            .filter(|&n| n <= st.data_len() / 4)
            .ok_or_else(|| {
                err!(
                    "the config describes more parameters than the file's {} bytes of \
                     tensor data can hold",
                    st.data_len()
                )
            })?;
        let mut lm = LanguageModel::new(config.clone(), vocab);
        debug_assert_eq!(params, lm.net.num_values());

        let shapes: Vec<(String, Vec<usize>)> = lm
            .net
            .named_tensors()
            .into_iter()
            .map(|(n, s, _)| (n, s))
            .collect();
        let mut expected: HashSet<String> = shapes.iter().map(|(n, _)| n.clone()).collect();
        for ((name, shape), dst) in shapes.iter().zip(lm.net.tensors_mut()) {
            dst.copy_from_slice(&read_f32(st, name, shape)?);
        }

        let train = match st.meta("train") {
            None => None,
            Some(_) => {
                let tj = meta_json("train")?;
                let (state, optim_steps) = parse_train(&tj)?;
                let mut opt = Optimizer::new(config.optim, config.lr);
                opt.steps = optim_steps;
                let slots = slot_names(&config.optim);
                if optim_steps > 0 {
                    for slot_name in slots {
                        let mut tensors = Vec::with_capacity(shapes.len());
                        for (name, shape) in &shapes {
                            let full = format!("optim.{slot_name}.{name}");
                            let v = read_f32(st, &full, shape)?;
                            if matches!(*slot_name, "sum" | "square_avg" | "exp_avg_sq") {
                                if let Some(i) = v.iter().position(|&x| x < 0.0) {
                                    return Err(err!(
                                        "tensor {full:?} element {i} is negative, but it \
                                         accumulates squares"
                                    ));
                                }
                            }
                            expected.insert(full);
                            tensors.push(v);
                        }
                        opt.state.push(tensors);
                    }
                }
                let carried = if st.info("train.h_n").is_some() {
                    let (l, b, h) = (config.layers, config.batch, config.hidden);
                    let shape = [l, b, h];
                    let hs = read_f32(st, "train.h_n", &shape)?;
                    expected.insert("train.h_n".to_string());
                    let cs = if config.cell.has_cell_state() {
                        expected.insert("train.c_n".to_string());
                        Some(read_f32(st, "train.c_n", &shape)?)
                    } else {
                        None
                    };
                    let states = (0..l)
                        .map(|k| State {
                            h: Matrix::from_vec(b, h, hs[k * b * h..(k + 1) * b * h].to_vec()),
                            c: cs.as_ref().map(|c| {
                                Matrix::from_vec(b, h, c[k * b * h..(k + 1) * b * h].to_vec())
                            }),
                        })
                        .collect();
                    Some(states)
                } else {
                    None
                };
                Some(TrainCheckpoint {
                    state,
                    opt,
                    carried,
                })
            }
        };
        if let Some(extra) = st.names().find(|n| !expected.contains(*n)) {
            return Err(err!(
                "unexpected tensor {extra:?} (not part of a {} model with this config and \
                 optimizer)",
                config.cell.name()
            ));
        }
        Ok(Checkpoint { lm, train })
    }
}

/// Reads tensor `name`, which must be F32 of exactly `shape` with finite
/// values.
fn read_f32(st: &SafeTensors, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
    let info = st
        .info(name)
        .ok_or_else(|| err!("tensor {name:?} is missing"))?;
    if info.dtype != Dtype::F32 {
        return Err(err!(
            "tensor {name:?} has dtype {}, expected F32",
            info.dtype.name()
        ));
    }
    if info.shape != shape {
        return Err(err!(
            "tensor {name:?} has shape {:?}, expected {shape:?} from the config",
            info.shape
        ));
    }
    let bytes = st.data(name)?;
    let mut out = Vec::with_capacity(bytes.len() / 4);
    for (i, b) in bytes.chunks_exact(4).enumerate() {
        let x = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if !x.is_finite() {
            return Err(err!(
                "tensor {name:?} element {i} is {x}, expected a finite number"
            ));
        }
        out.push(x);
    }
    Ok(out)
}

/// Parses the `train` metadata: the state and the optimizer's step count.
fn parse_train(j: &Json) -> Result<(TrainState, u64)> {
    let int = |k: &str| {
        j.get(k)
            .and_then(|v| v.as_u64())
            .ok_or_else(|| err!("__metadata__ \"train\": {k:?} is missing or not a whole number"))
    };
    let s = |k: &str| {
        j.get(k)
            .and_then(|v| v.as_str())
            .ok_or_else(|| err!("__metadata__ \"train\": {k:?} is missing or not a string"))
    };
    let hash_text = s("data_hash")?;
    let data_hash = u64::from_str_radix(hash_text, 16)
        .ok()
        .filter(|_| hash_text.len() == 16)
        .ok_or_else(|| {
            err!("__metadata__ \"train\": data_hash {hash_text:?} is not 16 hex digits")
        })?;
    let state = TrainState {
        step: int("step")?,
        epoch: int("epoch")?,
        cursor: int("cursor")?,
        tokens: int("tokens")?,
        data_source: s("data")?.to_string(),
        data_hash,
    };
    Ok((state, int("optim_steps")?))
}

/// Builds a language model from a PyTorch state_dict saved with
/// `safetensors.torch.save_file(model.state_dict(), path)` (module children
/// `embedding`, `rnn`, `head`), given the config and vocabulary it was trained
/// with. Like `load_state_dict(strict=True)`: every tensor the config implies
/// must be present with exactly its shape, and no other tensor may be. Float
/// dtypes are converted to f32; values must be finite.
pub fn import_torch(st: &SafeTensors, config: LmConfig, vocab: Vocab) -> Result<LanguageModel> {
    config.validate()?;
    let mut cfg = config;
    cfg.vocab_size = vocab.len();
    let params = cfg
        .num_params()
        .filter(|&n| n <= st.data_len())
        .ok_or_else(|| {
            err!(
                "{}: the config describes more parameters than the file holds",
                st.source()
            )
        })?;
    let mut lm = LanguageModel::new(cfg, vocab);
    debug_assert_eq!(params, lm.net.num_values());
    let shapes: Vec<(String, Vec<usize>)> = lm
        .net
        .named_tensors()
        .into_iter()
        .map(|(n, s, _)| (n, s))
        .collect();
    for ((name, shape), dst) in shapes.iter().zip(lm.net.tensors_mut()) {
        let info = st.info(name).ok_or_else(|| {
            err!(
                "{}: tensor {name:?} is missing (the config needs it)",
                st.source()
            )
        })?;
        if info.shape != *shape {
            return Err(err!(
                "{}: tensor {name:?} has shape {:?}, expected {shape:?} from the config",
                st.source(),
                info.shape
            ));
        }
        let v = st.to_f64_vec(name)?;
        for (i, (d, x)) in dst.iter_mut().zip(v).enumerate() {
            let y = x as f32;
            if !y.is_finite() {
                return Err(err!(
                    "{}: tensor {name:?} element {i} is {x}, expected a finite f32",
                    st.source()
                ));
            }
            *d = y;
        }
    }
    if let Some(extra) = st.names().find(|n| !shapes.iter().any(|(s, _)| s == n)) {
        return Err(err!(
            "{}: unexpected tensor {extra:?} (not part of a {} model with this config)",
            st.source(),
            lm.config.cell.name()
        ));
    }
    Ok(lm)
}

/// The config and vocabulary for `import_torch`, from either a seqmodels
/// checkpoint (its `__metadata__`) or a JSON file `{"config": …, "vocab": […]}`
/// in the same form as that metadata.
pub fn read_config(path: &Path) -> Result<(LmConfig, Vocab)> {
    let bytes = std::fs::read(path).map_err(|e| crate::Error::io(path, e))?;
    let name = path.display().to_string();
    let (config_json, vocab_json) =
        if bytes.starts_with(b"{") || bytes.first().is_some_and(|b| b.is_ascii_whitespace()) {
            let text = std::str::from_utf8(&bytes).map_err(|_| err!("{name}: not UTF-8 JSON"))?;
            let j = Json::parse(text).map_err(|e| err!("{name}: {e}"))?;
            let c = j
                .get("config")
                .cloned()
                .ok_or_else(|| err!("{name}: no \"config\" key"))?;
            let v = j
                .get("vocab")
                .cloned()
                .ok_or_else(|| err!("{name}: no \"vocab\" key"))?;
            (c, v)
        } else {
            let st = SafeTensors::from_bytes(bytes, &name)?;
            let get = |k: &str| -> Result<Json> {
                let t = st
                    .meta(k)
                    .ok_or_else(|| err!("{name}: __metadata__ has no {k:?}"))?;
                Json::parse(t).map_err(|e| err!("{name}: __metadata__ {k:?}: {e}"))
            };
            (get("config")?, get("vocab")?)
        };
    let config = LmConfig::from_json(&config_json).map_err(|e| e.context(&name))?;
    let vocab = Vocab::from_json(config.text.level, &vocab_json).map_err(|e| e.context(&name))?;
    Ok((config, vocab))
}
