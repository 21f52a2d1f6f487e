//! The gradient checks that `seqmodels gradcheck` prints and the tests assert.
//!
//! Each function builds a small random instance in f64, runs the analytic
//! backward pass, and compares every element of every gradient (parameters,
//! inputs and initial states) with central differences through
//! `gradcheck::check`. The loss weights every output step and the final
//! state by random coefficients, so every path through time is exercised.
//!
//! The traps DESIGN.md warns about are avoided on purpose: T ≥ 3, b_ih and
//! b_hh drawn independently (distinct and non-zero), no clipping inside the
//! checked loss, and for ReLU the inputs are redrawn until every
//! pre-activation is at least 1e-3 away from the kink at 0 (a central
//! difference across the kink would measure neither side's slope). Likewise
//! instances are redrawn until no analytic gradient element is non-zero but
//! below `gradcheck::GRADIENT_FLOOR` (relative error would then measure the
//! numerical noise floor, not the code); see `gradcheck::well_conditioned`.

use crate::gradcheck::{
    check, well_conditioned, well_conditioned_for, GradReport, Param, MAX_DRAWS, THRESHOLD,
};
use crate::linalg::{MatRef, Matrix, Workspace};
use crate::models::{
    Classifier, Generator, InputLayer, Inputs, OutputKind, Parameters, Seq2Seq, SeqBatch, Tagger,
};
use crate::nn::{Activation, Dropout};
use crate::rng::Rng;
use crate::rnn::{
    gru_cell_backward, gru_cell_forward, lstm_cell_backward, lstm_cell_forward, rnn_cell_backward,
    rnn_cell_forward, sequence_backward, sequence_forward, stack_backward, stack_forward, CellKind,
    CellParams, StackedRnn, State,
};

/// A shape for a recurrent check: T steps, batch B, input I, hidden H.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Sequence length T.
    pub steps: usize,
    /// Batch size B.
    pub batch: usize,
    /// Input width I.
    pub input: usize,
    /// Hidden width H.
    pub hidden: usize,
}

impl Shape {
    /// `(T, B, I, H)`.
    pub const fn new(steps: usize, batch: usize, input: usize, hidden: usize) -> Shape {
        Shape {
            steps,
            batch,
            input,
            hidden,
        }
    }
}

/// The shapes `seqmodels gradcheck` uses for every cell: B = 1 and H = 1
/// edge cases and odd sizes.
pub const CELL_SHAPES: [Shape; 3] = [
    Shape::new(3, 1, 1, 1),
    Shape::new(4, 3, 5, 7),
    Shape::new(5, 2, 4, 3),
];

fn row(v: &[f64]) -> Matrix<f64> {
    Matrix::from_vec(1, v.len(), v.to_vec())
}

/// Rebuilds cell parameters from the four checked tensors.
fn params_from(kind: CellKind, v: &[Matrix<f64>]) -> CellParams<f64> {
    CellParams {
        kind,
        weight_ih: v[0].clone(),
        weight_hh: v[1].clone(),
        bias_ih: v[2].as_slice().to_vec(),
        bias_hh: v[3].as_slice().to_vec(),
    }
}

/// min over all steps and units of |pre-activation| of a vanilla RNN run,
/// recomputed from the definition (used to keep ReLU away from its kink).
fn min_abs_preactivation(p: &CellParams<f64>, x: &Matrix<f64>, h0: &Matrix<f64>) -> f64 {
    let b = h0.rows();
    let steps = x.rows() / b;
    let mut h = h0.clone();
    let mut min = f64::INFINITY;
    for t in 0..steps {
        let xt = x.rows_range(t * b, (t + 1) * b).to_matrix();
        let mut z = Matrix::matmul(
            &xt,
            crate::linalg::Op::N,
            &p.weight_ih,
            crate::linalg::Op::T,
        );
        z.add_assign(&Matrix::matmul(
            &h,
            crate::linalg::Op::N,
            &p.weight_hh,
            crate::linalg::Op::T,
        ));
        for i in 0..b {
            for j in 0..z.cols() {
                let v = z.get(i, j) + p.bias_ih[j] + p.bias_hh[j];
                min = min.min(v.abs());
                z.set(i, j, v.max(0.0));
            }
        }
        h = z;
    }
    min
}

/// A random instance: parameters, inputs x (T·B, I) and the initial state.
pub fn random_instance(
    kind: CellKind,
    s: Shape,
    rng: &mut Rng,
) -> (CellParams<f64>, Matrix<f64>, State<f64>) {
    loop {
        let p = CellParams::<f64>::new(kind, s.input, s.hidden, rng);
        let x = Matrix::random_uniform(s.steps * s.batch, s.input, -1.0, 1.0, rng);
        let h0 = Matrix::random_uniform(s.batch, s.hidden, -0.5, 0.5, rng);
        let c0 = kind
            .has_cell_state()
            .then(|| Matrix::random_uniform(s.batch, s.hidden, -0.5, 0.5, rng));
        if kind == CellKind::Rnn(Activation::Relu) && min_abs_preactivation(&p, &x, &h0) < 1e-3 {
            continue; // too close to ReLU's kink: draw again
        }
        return (p, x, State { h: h0, c: c0 });
    }
}

/// Σ a_i·b_i accumulated without rounding error in the sum: each product is
/// split exactly into a rounded part and its error (by FMA), and both are
/// added with Neumaier's compensated summation. The loss of a gradient check
/// is then rounded once, at the end, instead of once per term, so its
/// finite differences measure the network and not the summation.
#[derive(Default)]
struct Accurate {
    sum: f64,
    comp: f64,
}

impl Accurate {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
    }
    fn dot(&mut self, a: &Matrix<f64>, b: &Matrix<f64>) {
        for (&x, &y) in a.as_slice().iter().zip(b.as_slice()) {
            let p = x * y;
            self.add(p);
            self.add(x.mul_add(y, -p));
        }
    }
    fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

/// The loss L = Σ_t Σ R_y ⊙ a⟨t⟩ + Σ R_h ⊙ a⟨T⟩ (+ Σ R_c ⊙ c⟨T⟩) for fixed
/// random coefficients, evaluated by a fresh forward pass.
fn weighted_loss(
    p: &CellParams<f64>,
    x: MatRef<f64>,
    s0: &State<f64>,
    mask: Option<&[f64]>,
    ry: &Matrix<f64>,
    rf: &State<f64>,
) -> f64 {
    let cache = sequence_forward(p, x, s0, mask);
    let out = cache.outputs().to_matrix();
    let fin = cache.final_state();
    let mut acc = Accurate::default();
    acc.dot(&out, ry);
    acc.dot(&fin.h, &rf.h);
    if let (Some(c), Some(rc)) = (fin.c.as_ref(), rf.c.as_ref()) {
        acc.dot(c, rc);
    }
    acc.value()
}

/// Checks `sequence_backward` for one cell and shape: every element of
/// weight_ih, weight_hh, bias_ih, bias_hh, x, h0 (and c0).
pub fn sequence_check(kind: CellKind, s: Shape, seed: u64) -> GradReport {
    sequence_check_with(kind, s, seed, false)
}

/// A random padding mask (length T·B) for sequences of random lengths 1 … T;
/// row 0 always has the full length T.
pub fn random_mask(s: Shape, rng: &mut Rng) -> Vec<f64> {
    let lengths: Vec<usize> = (0..s.batch)
        .map(|b| {
            if b == 0 {
                s.steps
            } else {
                1 + rng.below(s.steps)
            }
        })
        .collect();
    let mut mask = vec![0.0; s.steps * s.batch];
    for t in 0..s.steps {
        for (b, &len) in lengths.iter().enumerate() {
            mask[t * s.batch + b] = if t < len { 1.0 } else { 0.0 };
        }
    }
    mask
}

/// `sequence_check`, optionally with a padding mask of random lengths (the
/// padded steps carry the state, so the final state is each sequence's own).
pub fn sequence_check_with(kind: CellKind, s: Shape, seed: u64, masked: bool) -> GradReport {
    let mut rng = Rng::new(seed);
    let mut draws = 0;
    loop {
        draws += 1;
        let (p, x, s0) = random_instance(kind, s, &mut rng);
        let mask = masked.then(|| random_mask(s, &mut rng));
        let ry = Matrix::random_uniform(s.steps * s.batch, s.hidden, -1.0, 1.0, &mut rng);
        let rf = State {
            h: Matrix::random_uniform(s.batch, s.hidden, -1.0, 1.0, &mut rng),
            c: kind
                .has_cell_state()
                .then(|| Matrix::random_uniform(s.batch, s.hidden, -1.0, 1.0, &mut rng)),
        };
        let cache = sequence_forward(&p, x.view(), &s0, mask.as_deref());
        let mut g = p.zeros_like();
        let (dx, ds0) = sequence_backward(&p, x.view(), &cache, ry.view(), Some(&rf), &mut g);
        let mut params = vec![
            Param::new("weight_ih", p.weight_ih.clone(), g.weight_ih.clone()),
            Param::new("weight_hh", p.weight_hh.clone(), g.weight_hh.clone()),
            Param::new("bias_ih", row(&p.bias_ih), row(&g.bias_ih)),
            Param::new("bias_hh", row(&p.bias_hh), row(&g.bias_hh)),
            Param::new("x", x.clone(), dx),
            Param::new("h0", s0.h.clone(), ds0.h.clone()),
        ];
        if let (Some(c0), Some(dc0)) = (s0.c.clone(), ds0.c.clone()) {
            params.push(Param::new("c0", c0, dc0));
        }
        if !well_conditioned(&params) && draws < MAX_DRAWS {
            continue;
        }
        let label = format!(
            "{}{} T={} B={} I={} H={}",
            kind.name(),
            if masked { " masked" } else { "" },
            s.steps,
            s.batch,
            s.input,
            s.hidden
        );
        return check(label, &params, THRESHOLD, |v| {
            let pv = params_from(kind, v);
            let st = State {
                h: v[5].clone(),
                c: v.get(6).cloned(),
            };
            weighted_loss(&pv, v[4].view(), &st, mask.as_deref(), &ry, &rf)
        });
    }
}

/// Checks the one-step `*_cell_backward` of a cell: every element of the four
/// parameter tensors, x⟨t⟩, a⟨t−1⟩ (and c⟨t−1⟩), for L = Σ R_h ⊙ a⟨t⟩ (+ Σ R_c ⊙ c⟨t⟩).
/// `s.steps` is ignored (one step).
pub fn step_check(kind: CellKind, s: Shape, seed: u64) -> GradReport {
    let mut rng = Rng::new(seed);
    let one = Shape { steps: 1, ..s };
    let mut draws = 0;
    loop {
        draws += 1;
        let (p, x, s0) = random_instance(kind, one, &mut rng);
        let rh = Matrix::random_uniform(s.batch, s.hidden, -1.0, 1.0, &mut rng);
        let rc = Matrix::random_uniform(s.batch, s.hidden, -1.0, 1.0, &mut rng);
        let mut g = p.zeros_like();
        let (dx, dh0, dc0) = match kind {
            CellKind::Rnn(_) => {
                let (_, cache) = rnn_cell_forward(&p, x.view(), s0.h.view());
                let (dx, dh) = rnn_cell_backward(&p, &cache, rh.view(), &mut g);
                (dx, dh, None)
            }
            CellKind::Gru(_) => {
                let (_, cache) = gru_cell_forward(&p, x.view(), s0.h.view());
                let (dx, dh) = gru_cell_backward(&p, &cache, rh.view(), &mut g);
                (dx, dh, None)
            }
            CellKind::Lstm => {
                let (_, _, cache) = lstm_cell_forward(&p, x.view(), s0.h.view(), s0.cell().view());
                let (dx, dh, dc) = lstm_cell_backward(&p, &cache, rh.view(), rc.view(), &mut g);
                (dx, dh, Some(dc))
            }
        };
        let mut params = vec![
            Param::new("weight_ih", p.weight_ih.clone(), g.weight_ih.clone()),
            Param::new("weight_hh", p.weight_hh.clone(), g.weight_hh.clone()),
            Param::new("bias_ih", row(&p.bias_ih), row(&g.bias_ih)),
            Param::new("bias_hh", row(&p.bias_hh), row(&g.bias_hh)),
            Param::new("x", x.clone(), dx),
            Param::new("h_prev", s0.h.clone(), dh0),
        ];
        if let (Some(c0), Some(dc0)) = (s0.c.clone(), dc0) {
            params.push(Param::new("c_prev", c0, dc0));
        }
        if !well_conditioned(&params) && draws < MAX_DRAWS {
            continue;
        }
        let label = format!(
            "{} step B={} I={} H={}",
            kind.name(),
            s.batch,
            s.input,
            s.hidden
        );
        return check(label, &params, THRESHOLD, |v| {
            let pv = params_from(kind, v);
            let mut acc = Accurate::default();
            match kind {
                CellKind::Rnn(_) => {
                    acc.dot(&rnn_cell_forward(&pv, v[4].view(), v[5].view()).0, &rh)
                }
                CellKind::Gru(_) => {
                    acc.dot(&gru_cell_forward(&pv, v[4].view(), v[5].view()).0, &rh)
                }
                CellKind::Lstm => {
                    let (h, c, _) = lstm_cell_forward(&pv, v[4].view(), v[5].view(), v[6].view());
                    acc.dot(&h, &rh);
                    acc.dot(&c, &rc);
                }
            }
            acc.value()
        });
    }
}

/// Every cell (or one cell if `only` is given): the one-step check, the
/// sequence check at every shape of `CELL_SHAPES`, and a padded batch.
pub fn all_cell_checks(only: Option<CellKind>, seed: u64) -> Vec<GradReport> {
    let mut out = Vec::new();
    for (k, kind) in CellKind::ALL.into_iter().enumerate() {
        if only.is_some_and(|o| o != kind) {
            continue;
        }
        out.push(step_check(
            kind,
            CELL_SHAPES[1],
            seed.wrapping_add((k * 100 + 99) as u64),
        ));
        for (i, s) in CELL_SHAPES.into_iter().enumerate() {
            out.push(sequence_check(
                kind,
                s,
                seed.wrapping_add((k * 100 + i) as u64),
            ));
        }
        // Padded batches: sequences of different lengths, T = 6.
        let padded = Shape::new(6, 4, 3, 5);
        out.push(sequence_check_with(
            kind,
            padded,
            seed.wrapping_add((k * 100 + 50) as u64),
            true,
        ));
    }
    out
}

/// Checks `stack_backward` for an L-layer (optionally bidirectional) RNN:
/// every element of every layer's four tensors, x, and every initial state,
/// for L = Σ R_y ⊙ outputs + Σ R_h ⊙ h_n (+ Σ R_c ⊙ c_n), optionally with a
/// padding mask. `threshold` is 1e-7 for one layer and 1e-6 for stacks of two
/// or more (`STACK_THRESHOLD`): every extra layer adds roundoff to the loss,
/// raising the finite-difference noise floor.
pub fn stack_check(
    kind: CellKind,
    num_layers: usize,
    bidirectional: bool,
    s: Shape,
    seed: u64,
    masked: bool,
    threshold: f64,
) -> GradReport {
    let mut rng = Rng::new(seed);
    let d = if bidirectional { 2 } else { 1 };
    let mut draws = 0;
    loop {
        draws += 1;
        let p =
            StackedRnn::<f64>::new(kind, s.input, s.hidden, num_layers, bidirectional, &mut rng);
        let x = Matrix::random_uniform(s.steps * s.batch, s.input, -1.0, 1.0, &mut rng);
        let states: Vec<State<f64>> = (0..p.layers.len())
            .map(|_| State {
                h: Matrix::random_uniform(s.batch, s.hidden, -0.5, 0.5, &mut rng),
                c: kind
                    .has_cell_state()
                    .then(|| Matrix::random_uniform(s.batch, s.hidden, -0.5, 0.5, &mut rng)),
            })
            .collect();
        let mask = masked.then(|| random_mask(s, &mut rng));
        let ry = Matrix::random_uniform(s.steps * s.batch, d * s.hidden, -1.0, 1.0, &mut rng);
        let rf: Vec<State<f64>> = (0..p.layers.len())
            .map(|_| State {
                h: Matrix::random_uniform(s.batch, s.hidden, -1.0, 1.0, &mut rng),
                c: kind
                    .has_cell_state()
                    .then(|| Matrix::random_uniform(s.batch, s.hidden, -1.0, 1.0, &mut rng)),
            })
            .collect();
        if kind == CellKind::Rnn(Activation::Relu) {
            // The kink rule of `random_instance` is only implemented for one layer.
            panic!("stack_check: use tanh for stacked checks");
        }
        let cache = stack_forward(&p, x.view(), &states, mask.as_deref());
        let mut g = p.zeros_like();
        let (dx, ds) = stack_backward(&p, x.view(), &cache, ry.view(), Some(&rf), &mut g);
        let mut params = Vec::new();
        for ((name, shape, v), (_, _, gv)) in p.named_tensors().into_iter().zip(g.named_tensors()) {
            let (r, c) = if shape.len() == 2 {
                (shape[0], shape[1])
            } else {
                (1, shape[0])
            };
            params.push(Param::new(
                name,
                Matrix::from_vec(r, c, v.to_vec()),
                Matrix::from_vec(r, c, gv.to_vec()),
            ));
        }
        let n_weights = params.len();
        params.push(Param::new("x", x.clone(), dx));
        for (i, (s0, d0)) in states.iter().zip(&ds).enumerate() {
            params.push(Param::new(format!("h0[{i}]"), s0.h.clone(), d0.h.clone()));
            if let (Some(c0), Some(dc0)) = (s0.c.as_ref(), d0.c.as_ref()) {
                params.push(Param::new(format!("c0[{i}]"), c0.clone(), dc0.clone()));
            }
        }
        if !well_conditioned_for(&params, threshold) && draws < MAX_DRAWS {
            continue;
        }
        let label = format!(
            "{} L={num_layers}{}{} T={} B={} I={} H={}",
            kind.name(),
            if bidirectional { " bi" } else { "" },
            if masked { " masked" } else { "" },
            s.steps,
            s.batch,
            s.input,
            s.hidden
        );
        let has_c = kind.has_cell_state();
        return check(label, &params, threshold, |v| {
            let mut pv = p.clone();
            for (dst, src) in pv.tensors_mut().into_iter().zip(&v[..n_weights]) {
                dst.copy_from_slice(src.as_slice());
            }
            let mut k = n_weights + 1;
            let st: Vec<State<f64>> = (0..p.layers.len())
                .map(|_| {
                    let h = v[k].clone();
                    k += 1;
                    let c = has_c.then(|| {
                        k += 1;
                        v[k - 1].clone()
                    });
                    State { h, c }
                })
                .collect();
            let cache = stack_forward(&pv, v[n_weights].view(), &st, mask.as_deref());
            let mut acc = Accurate::default();
            acc.dot(&cache.outputs().to_matrix(), &ry);
            for (f, r) in cache.final_states().iter().zip(&rf) {
                acc.dot(&f.h, &r.h);
                if let (Some(c), Some(rc)) = (f.c.as_ref(), r.c.as_ref()) {
                    acc.dot(c, rc);
                }
            }
            acc.value()
        });
    }
}

/// The relative-error threshold for stacks of two or more layers (DESIGN.md:
/// "deep stacks may need 1e-6").
pub const STACK_THRESHOLD: f64 = 1e-6;

/// The architecture checks `seqmodels gradcheck` lists: bidirectional ×
/// {RNN, GRU (both forms), LSTM} at 1e-7, then at `STACK_THRESHOLD`: a 3-layer
/// bidirectional LSTM, a 2-layer GRU, and a padded 2-layer bidirectional GRU.
pub fn architecture_checks(seed: u64) -> Vec<GradReport> {
    let s = Shape::new(4, 2, 3, 4);
    let mut out = Vec::new();
    for (i, name) in ["rnn", "gru", "gru-course", "lstm"].into_iter().enumerate() {
        let kind = CellKind::parse(name).expect("known cell");
        out.push(stack_check(
            kind,
            1,
            true,
            s,
            seed.wrapping_add(7000 + i as u64),
            false,
            THRESHOLD,
        ));
    }
    out.push(stack_check(
        CellKind::Lstm,
        3,
        true,
        Shape::new(3, 2, 3, 3),
        seed.wrapping_add(7100),
        false,
        STACK_THRESHOLD,
    ));
    out.push(stack_check(
        CellKind::parse("gru").expect("gru"),
        2,
        false,
        s,
        seed.wrapping_add(7200),
        false,
        STACK_THRESHOLD,
    ));
    out.push(stack_check(
        CellKind::parse("gru").expect("gru"),
        2,
        true,
        Shape::new(5, 3, 2, 3),
        seed.wrapping_add(7300),
        true,
        STACK_THRESHOLD,
    ));
    out
}

/// Checks a model's backward pass: every element of every parameter tensor,
/// plus the extra tensors in `extra` (dense inputs, initial states), whose
/// analytic gradients the caller supplies. `loss` evaluates the model with
/// the given parameter values and extra tensors. Returns `None` for an
/// instance that is not `well_conditioned`, unless `force` (the last draw).
fn model_check<M: Parameters<f64> + Clone>(
    label: String,
    model: &M,
    grads: &M,
    extra: Vec<Param>,
    force: bool,
    loss: impl Fn(&M, &[Matrix<f64>]) -> f64,
) -> Option<GradReport> {
    let mut params = Vec::new();
    for ((name, shape, v), (_, _, g)) in
        model.named_tensors().into_iter().zip(grads.named_tensors())
    {
        let (r, c) = if shape.len() == 2 {
            (shape[0], shape[1])
        } else {
            (1, shape[0])
        };
        params.push(Param::new(
            name,
            Matrix::from_vec(r, c, v.to_vec()),
            Matrix::from_vec(r, c, g.to_vec()),
        ));
    }
    let n = params.len();
    params.extend(extra);
    if !force && !well_conditioned_for(&params, MODEL_THRESHOLD) {
        return None;
    }
    Some(check(label, &params, MODEL_THRESHOLD, |v| {
        let mut m = model.clone();
        for (dst, src) in m.tensors_mut().into_iter().zip(&v[..n]) {
            dst.copy_from_slice(src.as_slice());
        }
        loss(&m, &v[n..])
    }))
}

/// Random initial states for every (layer, direction) of a stack, and their
/// `Param`s paired with the analytic gradients `ds`.
fn state_params(states: &[State<f64>], ds: &[State<f64>]) -> Vec<Param> {
    let mut out = Vec::new();
    for (i, (s, d)) in states.iter().zip(ds).enumerate() {
        out.push(Param::new(format!("h0[{i}]"), s.h.clone(), d.h.clone()));
        if let (Some(c), Some(dc)) = (s.c.as_ref(), d.c.as_ref()) {
            out.push(Param::new(format!("c0[{i}]"), c.clone(), dc.clone()));
        }
    }
    out
}

fn random_states(p: &StackedRnn<f64>, batch: usize, rng: &mut Rng) -> Vec<State<f64>> {
    (0..p.layers.len())
        .map(|_| State {
            h: Matrix::random_uniform(batch, p.hidden_size(), -0.5, 0.5, rng),
            c: p.kind
                .has_cell_state()
                .then(|| Matrix::random_uniform(batch, p.hidden_size(), -0.5, 0.5, rng)),
        })
        .collect()
}

/// Rebuilds states from the extra tensors `v[k..]` laid out as `state_params` does.
fn states_from(v: &[Matrix<f64>], count: usize, has_c: bool) -> Vec<State<f64>> {
    let mut k = 0;
    (0..count)
        .map(|_| {
            let h = v[k].clone();
            k += 1;
            let c = has_c.then(|| {
                k += 1;
                v[k - 1].clone()
            });
            State { h, c }
        })
        .collect()
}

/// Random token sequences of the given lengths over `vocab` tokens.
fn random_tokens(lengths: &[usize], vocab: usize, rng: &mut Rng) -> Vec<Vec<usize>> {
    lengths
        .iter()
        .map(|&l| (0..l).map(|_| rng.below(vocab)).collect())
        .collect()
}

/// Time-major targets for a padded batch (padding positions get token 0).
fn time_major(seqs: &[Vec<usize>], steps: usize) -> Vec<usize> {
    let b = seqs.len();
    let mut out = vec![0; steps * b];
    for (j, s) in seqs.iter().enumerate() {
        for (t, &y) in s.iter().enumerate() {
            out[t * b + j] = y;
        }
    }
    out
}

/// A language model's teacher-forced batch from token sequences: inputs
/// s[..n−1] (padded), time-major targets s[1..].
fn teacher_forced(seqs: &[Vec<usize>]) -> (SeqBatch<f64>, Vec<usize>) {
    let inputs: Vec<Vec<usize>> = seqs.iter().map(|s| s[..s.len() - 1].to_vec()).collect();
    let targets: Vec<Vec<usize>> = seqs.iter().map(|s| s[1..].to_vec()).collect();
    let batch = SeqBatch::<f64>::from_sequences(&inputs, 0);
    let y = time_major(&targets, batch.steps);
    (batch, y)
}

/// Draws instances until `make` returns a well-conditioned check (see
/// `gradcheck::GRADIENT_FLOOR`), at most `MAX_DRAWS` times.
fn draw_check(seed: u64, mut make: impl FnMut(&mut Rng, bool) -> Option<GradReport>) -> GradReport {
    let mut rng = Rng::new(seed);
    for draw in 1..=MAX_DRAWS {
        if let Some(rep) = make(&mut rng, draw == MAX_DRAWS) {
            return rep;
        }
    }
    unreachable!("the last draw is always checked")
}

/// The relative-error threshold for whole models. A model's loss is a mean
/// cross-entropy at the end of an input layer, a recurrent stack and a head;
/// its f64 roundoff gives the h = 1e-5 central difference an absolute noise
/// floor of ~1e-11 (measured: the error shrinks as h grows to 1e-4 and grows
/// tenfold as h shrinks to 1e-6, the signature of roundoff), while a tenth
/// of the gradient elements are below 1e-4. As for deep stacks, 1e-6.
pub const MODEL_THRESHOLD: f64 = 1e-6;

/// The model checks `seqmodels gradcheck` lists: the tagger (softmax with
/// dense inputs and a bidirectional GRU over a padded batch; sigmoid with
/// one-hot inputs and an LSTM), the classifier (embedding, bidirectional LSTM,
/// padded), the generator (embedding, LSTM; and two GRU layers trained with
/// dropout, the masks held fixed) and the encoder–decoder
/// (embeddings, bidirectional LSTM encoder, Tx ≠ Ty, padded). Every parameter,
/// the dense inputs and the initial states are checked.
pub fn model_checks(seed: u64) -> Vec<GradReport> {
    let mut out = Vec::new();
    // Tagger, softmax, dense inputs (so ∂L/∂x is checked), BiGRU, padded.
    out.push(draw_check(seed.wrapping_add(8000), |rng, last| {
        let (t, b, f, c) = (5, 3, 3, 4);
        let lengths = [5, 2, 4];
        let m = Tagger::<f64>::new(
            InputLayer::Dense(f),
            CellKind::parse("gru").ok()?,
            4,
            1,
            true,
            c,
            OutputKind::Softmax,
            rng,
        );
        let x = Matrix::random_uniform(t * b, f, -1.0, 1.0, rng);
        let batch = SeqBatch {
            steps: t,
            batch: b,
            inputs: Inputs::Dense(x.clone()),
            lengths: lengths.to_vec(),
        };
        let y: Vec<usize> = (0..t * b).map(|_| rng.below(c)).collect();
        let s0 = random_states(&m.encoder.rnn, b, rng);
        let cache = m.forward(&batch, Some(&s0));
        let mut g = m.zeros_like();
        let ig = m.backward(&batch, &cache, &y, &mut g);
        let mut extra = vec![Param::new("x", x, ig.dx?)];
        extra.extend(state_params(&s0, &ig.d_states0));
        model_check(
            "tagger softmax gru bi dense padded".into(),
            &m,
            &g,
            extra,
            last,
            |mm, v| {
                let bt = SeqBatch {
                    steps: t,
                    batch: b,
                    inputs: Inputs::Dense(v[0].clone()),
                    lengths: lengths.to_vec(),
                };
                let st = states_from(&v[1..], 2, false);
                mm.loss(&mm.forward(&bt, Some(&st)), &y).mean()
            },
        )
    }));
    // Tagger, sigmoid, one-hot inputs, LSTM.
    out.push(draw_check(seed.wrapping_add(8100), |rng, last| {
        let (t, b, v) = (4, 2, 5);
        let m = Tagger::<f64>::new(
            InputLayer::OneHot(v),
            CellKind::Lstm,
            3,
            1,
            false,
            1,
            OutputKind::Sigmoid,
            rng,
        );
        let seqs = random_tokens(&[4, 4], v, rng);
        let batch = SeqBatch::<f64>::from_sequences(&seqs, 0);
        let y: Vec<usize> = (0..t * b).map(|_| rng.below(2)).collect();
        let s0 = random_states(&m.encoder.rnn, b, rng);
        let cache = m.forward(&batch, Some(&s0));
        let mut g = m.zeros_like();
        let ig = m.backward(&batch, &cache, &y, &mut g);
        let extra = state_params(&s0, &ig.d_states0);
        model_check(
            "tagger sigmoid lstm one-hot".into(),
            &m,
            &g,
            extra,
            last,
            |mm, vv| {
                let st = states_from(vv, 1, true);
                mm.loss(&mm.forward(&batch, Some(&st)), &y).mean()
            },
        )
    }));
    // Classifier, embedding, BiLSTM, padded, three classes.
    out.push(draw_check(seed.wrapping_add(8200), |rng, last| {
        let (v, c) = (7, 3);
        let m = Classifier::<f64>::new(
            InputLayer::Embedding(crate::nn::Embedding::new(v, 3, rng)),
            CellKind::Lstm,
            3,
            1,
            true,
            c,
            rng,
        );
        let seqs = random_tokens(&[4, 2, 3], v, rng);
        let batch = SeqBatch::<f64>::from_sequences(&seqs, 0);
        let labels: Vec<usize> = (0..3).map(|_| rng.below(c)).collect();
        let s0 = random_states(&m.encoder.rnn, 3, rng);
        let cache = m.forward(&batch, Some(&s0));
        let mut g = m.zeros_like();
        let ig = m.backward(&batch, &cache, &labels, &mut g);
        let extra = state_params(&s0, &ig.d_states0);
        model_check(
            "classifier lstm bi embedding padded".into(),
            &m,
            &g,
            extra,
            last,
            |mm, vv| {
                let st = states_from(vv, 2, true);
                mm.loss(&mm.forward(&batch, Some(&st)), &labels).mean()
            },
        )
    }));
    // Generator (language model), embedding, LSTM, teacher forcing.
    out.push(draw_check(seed.wrapping_add(8300), |rng, last| {
        let v = 6;
        let m = Generator::<f64>::new(
            InputLayer::Embedding(crate::nn::Embedding::new(v, 3, rng)),
            CellKind::Lstm,
            4,
            1,
            v,
            rng,
        );
        let (batch, y) = teacher_forced(&random_tokens(&[5, 3], v, rng));
        let s0 = random_states(&m.net.encoder.rnn, 2, rng);
        let cache = m.forward(&batch, Some(&s0));
        let mut g = m.zeros_like();
        let ig = m.backward(&batch, &cache, &y, &mut g);
        let extra = state_params(&s0, &ig.d_states0);
        model_check(
            "generator lstm embedding padded".into(),
            &m,
            &g,
            extra,
            last,
            |mm, vv| {
                let st = states_from(vv, 1, true);
                mm.loss(&mm.forward(&batch, Some(&st)), &y).mean()
            },
        )
    }));
    // Generator trained with dropout (the language model's `--dropout`):
    // two GRU layers, so the embedded inputs, the layer boundary and the
    // head's input are all dropped. The masks are constants of the pass: the
    // loss is re-evaluated with a generator reseeded to draw the same masks.
    out.push(draw_check(seed.wrapping_add(8350), |rng, last| {
        let v = 4;
        let m = Generator::<f64>::new(
            InputLayer::Embedding(crate::nn::Embedding::new(v, 3, rng)),
            CellKind::parse("gru").ok()?,
            3,
            2,
            v,
            rng,
        );
        let (batch, y) = teacher_forced(&random_tokens(&[5, 3], v, rng));
        let s0 = random_states(&m.net.encoder.rnn, 2, rng);
        let mask_seed = rng.next_u64();
        let forward = |mm: &Generator<f64>, st: &[State<f64>]| {
            let mut mask_rng = Rng::new(mask_seed);
            let mut d = Dropout {
                p: 0.25,
                rng: &mut mask_rng,
            };
            mm.forward_train_ws(&batch, Some(st), Some(&mut d), &mut Workspace::new())
        };
        let cache = forward(&m, &s0);
        let dropped = cache.head_in.as_ref()?.mask.as_slice();
        // Some units dropped and some kept, or the check would not test dropout.
        if !(dropped.contains(&0.0) && dropped.iter().any(|&x| x != 0.0)) {
            return None;
        }
        let mut g = m.zeros_like();
        let ig = m.backward(&batch, &cache, &y, &mut g);
        let extra = state_params(&s0, &ig.d_states0);
        model_check(
            "generator gru 2 layers dropout 0.25 padded".into(),
            &m,
            &g,
            extra,
            last,
            |mm, vv| {
                let st = states_from(vv, 2, false);
                mm.loss(&forward(mm, &st), &y).mean()
            },
        )
    }));
    // Encoder–decoder: BiLSTM encoder over padded sources, Tx ≠ Ty.
    out.push(draw_check(seed.wrapping_add(8400), |rng, last| {
        let (vs, vt) = (6, 5);
        let m = Seq2Seq::<f64>::new(
            InputLayer::Embedding(crate::nn::Embedding::new(vs, 3, rng)),
            InputLayer::Embedding(crate::nn::Embedding::new(vt, 3, rng)),
            CellKind::Lstm,
            2,
            1,
            true,
            vt,
            rng,
        );
        let src = SeqBatch::<f64>::from_sequences(&random_tokens(&[5, 3], vs, rng), 0);
        let tgt = random_tokens(&[3, 2], vt, rng);
        let tgt_in: Vec<Vec<usize>> = tgt
            .iter()
            .map(|s| [vec![0], s[..s.len() - 1].to_vec()].concat())
            .collect();
        let tgt_batch = SeqBatch::<f64>::from_sequences(&tgt_in, 0);
        let y = time_major(&tgt, tgt_batch.steps);
        let s0 = random_states(&m.encoder.rnn, 2, rng);
        let cache = m.forward(&src, &tgt_batch, Some(&s0));
        let mut g = m.zeros_like();
        let ig = m.backward(&src, &tgt_batch, &cache, &y, &mut g);
        let extra = state_params(&s0, &ig.d_states0);
        model_check(
            "seq2seq lstm bi-encoder padded".into(),
            &m,
            &g,
            extra,
            last,
            |mm, vv| {
                let st = states_from(vv, 2, true);
                mm.loss(&mm.forward(&src, &tgt_batch, Some(&st)), &y).mean()
            },
        )
    }));
    out
}
