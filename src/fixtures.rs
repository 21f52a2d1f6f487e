//! Golden fixtures from PyTorch, and the code that checks seqmodels against
//! them: the porting kit's outside oracle.
//!
//! A fixture is one safetensors file describing one case — a recurrent stack
//! (`nn.RNN`, `nn.GRU`, `nn.LSTM`) with its parameters, inputs and upstream
//! gradients, or a full character language model — together with the values
//! torch computed: outputs, final states, and the gradient of every input,
//! initial state and parameter. The schema is in DERIVATIONS.md, "Porting and
//! fixtures"; `data/fixtures/make_fixtures.py` writes the committed set.
//!
//! `verify_file` runs the case through this crate (forward, then backward
//! with the given upstream gradients) and compares every expected tensor:
//! the max absolute error and the max of |a − b| / (1 + |b|), which passes at
//! ≤ 1e-10 for F64 fixtures and ≤ 1e-5 for F32. `seqmodels verify` and
//! `tests/fixtures.rs` both go through it.

use crate::err;
use crate::io::safetensors::{Dtype, SafeTensors};
use crate::linalg::{Matrix, Scalar};
use crate::models::{Generator, InputLayer, Parameters, SeqBatch};
use crate::nn::{Activation, Embedding};
use crate::rnn::{stack_backward, stack_forward, CellKind, GruVariant, StackedRnn, State};
use crate::{Error, Result};
use std::path::Path;

/// The comparison of one expected tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct FixtureRow {
    /// The tensor's name in the fixture (e.g. `output`, `grad.weight_hh_l0`).
    pub tensor: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// max |ours − torch|.
    pub max_abs: f64,
    /// max |ours − torch| / (1 + |torch|).
    pub max_rel: f64,
    /// `max_rel ≤ tolerance`.
    pub passed: bool,
}

/// The result of verifying one fixture.
#[derive(Clone, Debug, PartialEq)]
pub struct FixtureReport {
    /// Where the fixture came from.
    pub source: String,
    /// Its `mode` (rnn_tanh, rnn_relu, gru, lstm, char_lm).
    pub mode: String,
    /// "F32" or "F64".
    pub dtype: &'static str,
    /// The pass threshold on `max_rel`.
    pub tolerance: f64,
    /// One row per expected tensor.
    pub rows: Vec<FixtureRow>,
}

impl FixtureReport {
    /// True if every row passed.
    pub fn passed(&self) -> bool {
        self.rows.iter().all(|r| r.passed)
    }
}

/// The tolerance for a fixture dtype: 1e-10 (F64) or 1e-5 (F32).
pub fn tolerance(dtype: Dtype) -> f64 {
    if dtype == Dtype::F64 {
        1e-10
    } else {
        1e-5
    }
}

/// Reads and verifies one fixture file.
pub fn verify_file(path: impl AsRef<Path>) -> Result<FixtureReport> {
    let st = SafeTensors::read(path)?;
    verify(&st)
}

/// Verifies an already-parsed fixture.
pub fn verify(st: &SafeTensors) -> Result<FixtureReport> {
    let src = st.source().to_string();
    match st.meta("seqmodels.fixture") {
        Some("1") => {}
        Some(v) => return Err(err!("{src}: seqmodels.fixture = {v:?}, expected \"1\"")),
        None => {
            return Err(err!(
                "{src}: not a seqmodels fixture (no \"seqmodels.fixture\" in __metadata__)"
            ))
        }
    }
    let mode = st
        .meta("mode")
        .ok_or_else(|| err!("{src}: __metadata__ has no \"mode\""))?
        .to_string();
    // The dtype of the float tensors (one per file).
    let mut dtype = None;
    for t in st.tensors() {
        if t.dtype.is_float() {
            match dtype {
                None => dtype = Some(t.dtype),
                Some(d) if d == t.dtype => {}
                Some(d) => {
                    return Err(err!(
                    "{src}: tensor {:?} is {} but others are {} (a fixture has one float dtype)",
                    t.name,
                    t.dtype.name(),
                    d.name()
                ))
                }
            }
        }
    }
    let dtype = dtype.ok_or_else(|| err!("{src}: no float tensors"))?;
    let rows = match (mode.as_str(), dtype) {
        ("char_lm", Dtype::F32) => verify_char_lm::<f32>(st)?,
        ("char_lm", Dtype::F64) => verify_char_lm::<f64>(st)?,
        (_, Dtype::F32) => verify_stack::<f32>(st, &mode)?,
        (_, Dtype::F64) => verify_stack::<f64>(st, &mode)?,
        (_, d) => {
            return Err(err!(
                "{src}: float dtype {} is not supported (expected F32 or F64)",
                d.name()
            ))
        }
    };
    let tol = tolerance(dtype);
    Ok(FixtureReport {
        source: src,
        mode,
        dtype: dtype.name(),
        tolerance: tol,
        rows: rows
            .into_iter()
            .map(|(tensor, shape, max_abs, max_rel)| FixtureRow {
                tensor,
                shape,
                max_abs,
                max_rel,
                passed: max_rel <= tol,
            })
            .collect(),
    })
}

/// A decimal metadata value.
fn meta_usize(st: &SafeTensors, key: &str) -> Result<usize> {
    let v = st
        .meta(key)
        .ok_or_else(|| err!("{}: __metadata__ has no {key:?}", st.source()))?;
    v.parse::<usize>().map_err(|_| {
        err!(
            "{}: __metadata__ {key} = {v:?}, expected a decimal number",
            st.source()
        )
    })
}

/// Checks that tensor `name` has exactly `shape`.
fn expect_shape(st: &SafeTensors, name: &str, shape: &[usize]) -> Result<()> {
    let info = st
        .info(name)
        .ok_or_else(|| err!("{}: missing tensor {name:?}", st.source()))?;
    if info.shape != shape {
        return Err(err!(
            "{}: tensor {name:?} has shape {:?}, expected {:?}",
            st.source(),
            info.shape,
            shape
        ));
    }
    Ok(())
}

/// Tensor `name` with exactly `shape`, flattened row-major into (rows, cols).
fn read<T: Scalar>(
    st: &SafeTensors,
    name: &str,
    shape: &[usize],
    rows: usize,
    cols: usize,
) -> Result<Matrix<T>> {
    expect_shape(st, name, shape)?;
    let v = st.to_f64_vec(name)?;
    Ok(Matrix::from_vec(
        rows,
        cols,
        v.into_iter().map(T::from_f64).collect(),
    ))
}

/// Compares ours (row-major) with the fixture's tensor `name`, which must
/// have exactly `shape`.
fn compare<T: Scalar>(
    st: &SafeTensors,
    name: &str,
    shape: &[usize],
    ours: &[T],
) -> Result<(String, Vec<usize>, f64, f64)> {
    expect_shape(st, name, shape)?;
    let theirs = st.to_f64_vec(name)?;
    debug_assert_eq!(theirs.len(), ours.len());
    let shape = shape.to_vec();
    let (mut max_abs, mut max_rel) = (0.0f64, 0.0f64);
    for (&a, &b) in ours.iter().zip(&theirs) {
        let d = (a.to_f64() - b).abs();
        // NaN anywhere must fail.
        let d = if d.is_nan() { f64::INFINITY } else { d };
        max_abs = max_abs.max(d);
        max_rel = max_rel.max(d / (1.0 + b.abs()));
    }
    Ok((name.to_string(), shape, max_abs, max_rel))
}

/// The cell a fixture mode names.
pub fn cell_for_mode(mode: &str) -> Option<CellKind> {
    match mode {
        "rnn_tanh" => Some(CellKind::Rnn(Activation::Tanh)),
        "rnn_relu" => Some(CellKind::Rnn(Activation::Relu)),
        "gru" => Some(CellKind::Gru(GruVariant::ResetAfter)),
        "lstm" => Some(CellKind::Lstm),
        _ => None,
    }
}

type Rows = Vec<(String, Vec<usize>, f64, f64)>;

fn verify_stack<T: Scalar>(st: &SafeTensors, mode: &str) -> Result<Rows> {
    let src = st.source();
    let kind = cell_for_mode(mode).ok_or_else(|| {
        err!("{src}: unknown mode {mode:?} (expected rnn_tanh, rnn_relu, gru, lstm or char_lm)")
    })?;
    let layers = meta_usize(st, "num_layers")?;
    let (input, hidden) = (
        meta_usize(st, "input_size")?,
        meta_usize(st, "hidden_size")?,
    );
    let (steps, batch) = (meta_usize(st, "seq_len")?, meta_usize(st, "batch")?);
    let bidirectional = match st.meta("bidirectional") {
        Some("true") => true,
        Some("false") => false,
        Some(v) => {
            return Err(err!(
                "{src}: bidirectional = {v:?}, expected \"true\" or \"false\""
            ))
        }
        None => return Err(err!("{src}: __metadata__ has no \"bidirectional\"")),
    };
    if layers == 0 || input == 0 || hidden == 0 || steps == 0 || batch == 0 {
        return Err(err!(
            "{src}: num_layers, input_size, hidden_size, seq_len and batch must be positive"
        ));
    }
    let sizes = layers
        .checked_mul(input + 2 * hidden)
        .and_then(|n| n.checked_mul(hidden))
        .and_then(|n| n.checked_mul(steps * batch + 8));
    if sizes.is_none_or(|n| n > 1 << 32) {
        return Err(err!("{src}: sizes in __metadata__ are too large"));
    }
    let d = if bidirectional { 2 } else { 1 };
    let g = kind.gates() * hidden;
    // Parameters, read by their torch names with their torch shapes.
    let mut p = StackedRnn::<T>::new(
        kind,
        input,
        hidden,
        layers,
        bidirectional,
        &mut crate::rng::Rng::new(0),
    );
    for (i, cell) in p.layers.iter_mut().enumerate() {
        let sfx = format!("_l{}{}", i / d, if i % d == 1 { "_reverse" } else { "" });
        let inp = if i < d { input } else { d * hidden };
        cell.weight_ih = read(st, &format!("weight_ih{sfx}"), &[g, inp], g, inp)?;
        cell.weight_hh = read(st, &format!("weight_hh{sfx}"), &[g, hidden], g, hidden)?;
        cell.bias_ih = read::<T>(st, &format!("bias_ih{sfx}"), &[g], 1, g)?.into_vec();
        cell.bias_hh = read::<T>(st, &format!("bias_hh{sfx}"), &[g], 1, g)?.into_vec();
    }
    let lstm = kind.has_cell_state();
    let x = read::<T>(st, "input", &[steps, batch, input], steps * batch, input)?;
    let ld = layers * d;
    let h0 = read::<T>(st, "h0", &[ld, batch, hidden], ld * batch, hidden)?;
    let c0 = if lstm {
        Some(read::<T>(
            st,
            "c0",
            &[ld, batch, hidden],
            ld * batch,
            hidden,
        )?)
    } else {
        None
    };
    let dy = read::<T>(
        st,
        "grad_output",
        &[steps, batch, d * hidden],
        steps * batch,
        d * hidden,
    )?;
    let dhn = read::<T>(st, "grad_h_n", &[ld, batch, hidden], ld * batch, hidden)?;
    let dcn = if lstm {
        Some(read::<T>(
            st,
            "grad_c_n",
            &[ld, batch, hidden],
            ld * batch,
            hidden,
        )?)
    } else {
        None
    };
    let states = |h: &Matrix<T>, c: Option<&Matrix<T>>| -> Vec<State<T>> {
        (0..ld)
            .map(|k| State {
                h: h.rows_range(k * batch, (k + 1) * batch).to_matrix(),
                c: c.map(|c| c.rows_range(k * batch, (k + 1) * batch).to_matrix()),
            })
            .collect()
    };
    let s0 = states(&h0, c0.as_ref());
    let d_final = states(&dhn, dcn.as_ref());
    // Forward and backward, exactly as `seqmodels` runs them.
    let cache = stack_forward(&p, x.view(), &s0, None);
    let mut grads = p.zeros_like();
    let (dx, ds0) = stack_backward(&p, x.view(), &cache, dy.view(), Some(&d_final), &mut grads);
    let stack_states = |s: &[State<T>], cell: bool| -> Vec<T> {
        s.iter()
            .flat_map(|st| {
                let m = if cell { st.cell() } else { &st.h };
                m.as_slice().to_vec()
            })
            .collect()
    };
    let fin = cache.final_states();
    let state_shape = [ld, batch, hidden];
    let mut rows = vec![
        compare(
            st,
            "output",
            &[steps, batch, d * hidden],
            cache.outputs().to_matrix().as_slice(),
        )?,
        compare(st, "h_n", &state_shape, &stack_states(&fin, false))?,
    ];
    if lstm {
        rows.push(compare(st, "c_n", &state_shape, &stack_states(&fin, true))?);
    }
    rows.push(compare(
        st,
        "grad.input",
        &[steps, batch, input],
        dx.as_slice(),
    )?);
    rows.push(compare(
        st,
        "grad.h0",
        &state_shape,
        &stack_states(&ds0, false),
    )?);
    if lstm {
        rows.push(compare(
            st,
            "grad.c0",
            &state_shape,
            &stack_states(&ds0, true),
        )?);
    }
    for (name, shape, v) in grads.named_tensors() {
        rows.push(compare(st, &format!("grad.{name}"), &shape, v)?);
    }
    Ok(rows)
}

fn verify_char_lm<T: Scalar>(st: &SafeTensors) -> Result<Rows> {
    let src = st.source();
    if st.meta("cell") != Some("lstm") {
        return Err(err!(
            "{src}: char_lm fixtures use cell = \"lstm\", found {:?}",
            st.meta("cell")
        ));
    }
    let (vocab, embed) = (meta_usize(st, "vocab_size")?, meta_usize(st, "embed_dim")?);
    let (hidden, layers) = (
        meta_usize(st, "hidden_size")?,
        meta_usize(st, "num_layers")?,
    );
    let (steps, batch) = (meta_usize(st, "seq_len")?, meta_usize(st, "batch")?);
    if [vocab, embed, hidden, layers, steps, batch].contains(&0) {
        return Err(err!("{src}: sizes in __metadata__ must be positive"));
    }
    if vocab
        .saturating_mul(embed.max(hidden))
        .saturating_mul(steps * batch)
        > 1 << 32
    {
        return Err(err!("{src}: sizes in __metadata__ are too large"));
    }
    let mut rng = crate::rng::Rng::new(0);
    let input = InputLayer::Embedding(Embedding::<T>::new(vocab, embed, &mut rng));
    let mut model = Generator::<T>::new(input, CellKind::Lstm, hidden, layers, vocab, &mut rng);
    // Every parameter by its torch name and shape.
    let names: Vec<(String, Vec<usize>)> = model
        .named_tensors()
        .into_iter()
        .map(|(n, s, _)| (n, s))
        .collect();
    for ((name, shape), dst) in names.iter().zip(model.tensors_mut()) {
        expect_shape(st, name, shape)?;
        let v = st.to_f64_vec(name)?;
        for (d, s) in dst.iter_mut().zip(v) {
            *d = T::from_f64(s);
        }
    }
    let ids = token_ids(st, "input_ids", steps, batch, vocab)?;
    let targets = token_ids(st, "targets", steps, batch, vocab)?;
    let b = SeqBatch {
        steps,
        batch,
        inputs: crate::models::Inputs::Ids(ids),
        lengths: vec![steps; batch],
    };
    let cache = model.forward(&b, None);
    let loss = model.loss(&cache, &targets);
    let mut grads = model.zeros_like();
    model.backward(&b, &cache, &targets, &mut grads);
    let mut rows = vec![
        compare(
            st,
            "logits",
            &[steps, batch, vocab],
            cache.logits.as_slice(),
        )?,
        compare(st, "loss", &[], &[T::from_f64(loss.mean())])?,
    ];
    for (name, shape, v) in grads.named_tensors() {
        rows.push(compare(st, &format!("grad.{name}"), &shape, v)?);
    }
    Ok(rows)
}

/// Integer token ids of shape (T, B), each below `vocab`.
fn token_ids(
    st: &SafeTensors,
    name: &str,
    steps: usize,
    batch: usize,
    vocab: usize,
) -> Result<Vec<usize>> {
    expect_shape(st, name, &[steps, batch])?;
    st.to_i64_vec(name)?
        .into_iter()
        .map(|v| {
            usize::try_from(v)
                .ok()
                .filter(|&u| u < vocab)
                .ok_or_else(|| {
                    err!(
                        "{}: {name} holds {v}, outside a vocabulary of {vocab}",
                        st.source()
                    )
                })
        })
        .collect::<std::result::Result<Vec<_>, Error>>()
}
