//! The sequence layer against the one-step cells, truncated BPTT against full
//! BPTT and against the gradient of the truncated loss, f32 against f64, and
//! the documented relation between the two GRU forms.

use seqmodels::checks::{random_instance, Shape};
use seqmodels::gradcheck::{check, well_conditioned, Param, MAX_DRAWS, THRESHOLD};
use seqmodels::linalg::MatRef;
use seqmodels::rng::Rng;
use seqmodels::rnn::*;
use seqmodels::Matrix;

fn bits(m: MatRef<f64>) -> Vec<u64> {
    (0..m.rows())
        .flat_map(|i| m.row(i).iter().map(|x| x.to_bits()).collect::<Vec<_>>())
        .collect()
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() / (1e-12 + x.abs().max(y.abs())))
        .fold(0.0, f64::max)
}

/// Runs the one-step cells in a loop, as the course draws the unrolled RNN,
/// and BPTT by calling the step backward from the last step to the first.
fn unrolled(
    p: &CellParams<f64>,
    x: &Matrix<f64>,
    s0: &State<f64>,
    dy: &Matrix<f64>,
) -> (Matrix<f64>, CellParams<f64>, Matrix<f64>, State<f64>) {
    let b = s0.h.rows();
    let hsz = p.hidden_size();
    let steps = x.rows() / b;
    let mut out = Matrix::zeros(steps * b, hsz);
    let mut h = s0.h.clone();
    let mut c = s0.c.clone();
    enum Step {
        R(RnnCellCache<f64>),
        G(GruCellCache<f64>),
        L(LstmCellCache<f64>),
    }
    let mut caches = Vec::new();
    for t in 0..steps {
        let xt = x.rows_range(t * b, (t + 1) * b);
        let (hn, step) = match p.kind {
            CellKind::Rnn(_) => {
                let (hn, cache) = rnn_cell_forward(p, xt, h.view());
                (hn, Step::R(cache))
            }
            CellKind::Gru(_) => {
                let (hn, cache) = gru_cell_forward(p, xt, h.view());
                (hn, Step::G(cache))
            }
            CellKind::Lstm => {
                let (hn, cn, cache) =
                    lstm_cell_forward(p, xt, h.view(), c.as_ref().unwrap().view());
                c = Some(cn);
                (hn, Step::L(cache))
            }
        };
        out.rows_range_mut(t * b, (t + 1) * b).data_mut()[..b * hsz].copy_from_slice(hn.as_slice());
        h = hn;
        caches.push(step);
    }
    let mut g = p.zeros_like();
    let mut dx = Matrix::zeros(x.rows(), x.cols());
    let mut dh = Matrix::zeros(b, hsz);
    let mut dc = Matrix::zeros(b, hsz);
    for t in (0..steps).rev() {
        dh.add_assign(&dy.rows_range(t * b, (t + 1) * b).to_matrix());
        let (dxt, dhp) = match &caches[t] {
            Step::R(cache) => rnn_cell_backward(p, cache, dh.view(), &mut g),
            Step::G(cache) => gru_cell_backward(p, cache, dh.view(), &mut g),
            Step::L(cache) => {
                let (dxt, dhp, dcp) = lstm_cell_backward(p, cache, dh.view(), dc.view(), &mut g);
                dc = dcp;
                (dxt, dhp)
            }
        };
        dx.rows_range_mut(t * b, (t + 1) * b).data_mut()[..dxt.len()]
            .copy_from_slice(dxt.as_slice());
        dh = dhp;
    }
    let ds0 = State {
        h: dh,
        c: p.kind.has_cell_state().then_some(dc),
    };
    (out, g, dx, ds0)
}

#[test]
fn sequence_layer_equals_the_unrolled_cells() {
    let mut rng = Rng::new(31);
    for kind in CellKind::ALL {
        let s = Shape::new(6, 3, 4, 5);
        let (p, x, s0) = random_instance(kind, s, &mut rng);
        let dy = Matrix::random_uniform(s.steps * s.batch, s.hidden, -1.0, 1.0, &mut rng);
        let (out_u, g_u, dx_u, ds0_u) = unrolled(&p, &x, &s0, &dy);
        let cache = sequence_forward(&p, x.view(), &s0, None);
        // Same arithmetic in the same order: the outputs agree bit for bit.
        assert_eq!(
            bits(cache.outputs()),
            bits(out_u.view()),
            "{}: outputs differ",
            kind.name()
        );
        let mut g = p.zeros_like();
        let (dx, ds0) = sequence_backward(&p, x.view(), &cache, dy.view(), None, &mut g);
        // The hoisted weight-gradient GEMMs sum over (t, b) in one pass instead
        // of step by step, so gradients agree to rounding, not bit for bit.
        for ((name, _, a), (_, _, b)) in g.named().into_iter().zip(g_u.named()) {
            let e = max_rel(a, b);
            assert!(e < 1e-12, "{}: {name} differs by {e:e}", kind.name());
        }
        assert!(max_rel(dx.as_slice(), dx_u.as_slice()) < 1e-12);
        assert!(max_rel(ds0.h.as_slice(), ds0_u.h.as_slice()) < 1e-12);
        if let (Some(a), Some(b)) = (ds0.c.as_ref(), ds0_u.c.as_ref()) {
            assert!(max_rel(a.as_slice(), b.as_slice()) < 1e-12);
        }
    }
}

#[test]
fn truncated_bptt_with_full_chunks_is_full_bptt_bit_for_bit() {
    let mut rng = Rng::new(32);
    for kind in CellKind::ALL {
        let s = Shape::new(7, 2, 3, 4);
        let (p, x, s0) = random_instance(kind, s, &mut rng);
        let dy = Matrix::random_uniform(s.steps * s.batch, s.hidden, -1.0, 1.0, &mut rng);
        let d_final = State {
            h: Matrix::random_uniform(s.batch, s.hidden, -1.0, 1.0, &mut rng),
            c: kind
                .has_cell_state()
                .then(|| Matrix::random_uniform(s.batch, s.hidden, -1.0, 1.0, &mut rng)),
        };
        let cache = sequence_forward(&p, x.view(), &s0, None);
        let mut g_full = p.zeros_like();
        let (dx_full, ds0_full) =
            sequence_backward(&p, x.view(), &cache, dy.view(), Some(&d_final), &mut g_full);
        for chunk in [s.steps, s.steps + 5] {
            let mut g = p.zeros_like();
            let r = tbptt(&p, x.view(), &s0, chunk, dy.view(), Some(&d_final), &mut g);
            assert_eq!(bits(r.outputs.view()), bits(cache.outputs()));
            assert_eq!(r.final_state, cache.final_state());
            assert_eq!(g, g_full, "{}: parameter gradients differ", kind.name());
            assert_eq!(bits(r.dx.view()), bits(dx_full.view()));
            assert_eq!(r.d_state0, ds0_full);
        }
    }
}

#[test]
fn truncated_bptt_is_the_gradient_of_the_truncated_loss() {
    // T = 6 in chunks of 4 and 2: L = L₁(x⟨1..4⟩; s0) + L₂(x⟨5..6⟩; s⟨4⟩) where s⟨4⟩
    // is held constant in L₂. tbptt's gradients must be that loss's gradients.
    let mut rng = Rng::new(33);
    for kind in CellKind::ALL {
        let s = Shape::new(6, 2, 3, 3);
        let b = s.batch;
        let mut draws = 0;
        let (p, x, s0, dy, g, params, s4) = loop {
            draws += 1;
            let (p, x, s0) = random_instance(kind, s, &mut rng);
            let dy = Matrix::random_uniform(s.steps * b, s.hidden, -1.0, 1.0, &mut rng);
            let mut g = p.zeros_like();
            let r = tbptt(&p, x.view(), &s0, 4, dy.view(), None, &mut g);
            // The carried state, computed once with the unperturbed parameters.
            let s4 = sequence_forward(&p, x.rows_range(0, 4 * b), &s0, None).final_state();
            let row = |v: &[f64]| Matrix::from_vec(1, v.len(), v.to_vec());
            let params = vec![
                Param::new("weight_ih", p.weight_ih.clone(), g.weight_ih.clone()),
                Param::new("weight_hh", p.weight_hh.clone(), g.weight_hh.clone()),
                Param::new("bias_ih", row(&p.bias_ih), row(&g.bias_ih)),
                Param::new("bias_hh", row(&p.bias_hh), row(&g.bias_hh)),
                Param::new("x", x.clone(), r.dx.clone()),
                Param::new("h0", s0.h.clone(), r.d_state0.h.clone()),
            ];
            // Redraw near-zero gradients, as every check does (gradcheck::GRADIENT_FLOOR).
            if well_conditioned(&params) || draws >= MAX_DRAWS {
                break (p, x, s0, dy, g, params, s4);
            }
        };
        let rep = check(format!("tbptt {}", kind.name()), &params, THRESHOLD, |v| {
            let pv = CellParams {
                kind,
                weight_ih: v[0].clone(),
                weight_hh: v[1].clone(),
                bias_ih: v[2].as_slice().to_vec(),
                bias_hh: v[3].as_slice().to_vec(),
            };
            let s0v = State {
                h: v[5].clone(),
                c: s0.c.clone(),
            };
            let c1 = sequence_forward(&pv, v[4].rows_range(0, 4 * b), &s0v, None);
            let c2 = sequence_forward(&pv, v[4].rows_range(4 * b, 6 * b), &s4, None);
            c1.outputs()
                .to_matrix()
                .hadamard(&dy.rows_range(0, 4 * b).to_matrix())
                .sum()
                + c2.outputs()
                    .to_matrix()
                    .hadamard(&dy.rows_range(4 * b, 6 * b).to_matrix())
                    .sum()
        });
        print!("{rep}");
        rep.assert_passed();
        // And truncation really changes the gradient compared with full BPTT.
        let mut g_full = p.zeros_like();
        let cache = sequence_forward(&p, x.view(), &s0, None);
        sequence_backward(&p, x.view(), &cache, dy.view(), None, &mut g_full);
        assert_ne!(g.weight_hh, g_full.weight_hh);
    }
}

#[test]
fn f32_forward_tracks_f64_forward() {
    // Same parameters and inputs (rounded to f32). Tolerance: outputs are
    // bounded by 1 (tanh, σ) or stay O(1) (ReLU with these weights), and each
    // step adds a few f32 roundings (2⁻²⁴ ≈ 6e-8 relative) that the
    // contracting recurrence does not amplify: we measured at most 1.7e-7
    // over T = 20 and allow 1e-6 absolute.
    let mut rng = Rng::new(34);
    for kind in CellKind::ALL {
        for s in [Shape::new(20, 4, 16, 32), Shape::new(20, 1, 3, 1)] {
            let (p, x, s0) = random_instance(kind, s, &mut rng);
            let c64 = sequence_forward(&p, x.view(), &s0, None);
            let p32: CellParams<f32> = p.cast();
            let s32 = State {
                h: s0.h.cast::<f32>(),
                c: s0.c.as_ref().map(|c| c.cast::<f32>()),
            };
            let c32 = sequence_forward(&p32, x.cast::<f32>().view(), &s32, None);
            let o64 = c64.outputs().to_matrix();
            let o32 = c32.outputs().to_matrix().cast::<f64>();
            let mut worst: f64 = 0.0;
            for (a, b) in o64.as_slice().iter().zip(o32.as_slice()) {
                worst = worst.max((a - b).abs());
            }
            println!("{} {:?}: max |f32 − f64| = {worst:.2e}", kind.name(), s);
            assert!(
                worst < 1e-6,
                "{}: f32 drifts from f64 by {worst:e}",
                kind.name()
            );
        }
    }
}

#[test]
fn gru_forms_agree_where_the_reset_gate_cannot_matter() {
    // With W_hn = 0 and b_hn = 0 the reset gate multiplies zero in both forms.
    // Then ResetBefore equals ResetAfter with the update-gate rows negated,
    // because σ(−a) = 1 − σ(a): Γu·c̃ + (1 − Γu)·c = (1 − z)·n + z·h with z = 1 − Γu.
    let mut rng = Rng::new(35);
    let s = Shape::new(5, 3, 4, 6);
    let h = s.hidden;
    let (mut after, x, s0) = random_instance(CellKind::Gru(GruVariant::ResetAfter), s, &mut rng);
    for i in 2 * h..3 * h {
        after.weight_hh.row_mut(i).iter_mut().for_each(|w| *w = 0.0);
        after.bias_hh[i] = 0.0;
    }
    let mut before = after.clone();
    before.kind = CellKind::Gru(GruVariant::ResetBefore);
    for i in h..2 * h {
        before
            .weight_ih
            .row_mut(i)
            .iter_mut()
            .for_each(|w| *w = -*w);
        before
            .weight_hh
            .row_mut(i)
            .iter_mut()
            .for_each(|w| *w = -*w);
        before.bias_ih[i] = -before.bias_ih[i];
        before.bias_hh[i] = -before.bias_hh[i];
    }
    let a = sequence_forward(&after, x.view(), &s0, None)
        .outputs()
        .to_matrix();
    let b = sequence_forward(&before, x.view(), &s0, None)
        .outputs()
        .to_matrix();
    // σ is computed to within 4 ulp (linalg::fastmath), so σ(−a) and 1 − σ(a)
    // agree to a few ulp; over 5 steps we measured 2.8e-13 (relative to
    // outputs that can be near 0) and allow 1e-12.
    let e = max_rel(a.as_slice(), b.as_slice());
    println!("max relative difference between the two forms: {e:.2e}");
    assert!(e < 1e-12, "{e:e}");
    // With the reset path live, the two forms are different models.
    let (full, _, _) = random_instance(CellKind::Gru(GruVariant::ResetAfter), s, &mut rng);
    let mut course = full.clone();
    course.kind = CellKind::Gru(GruVariant::ResetBefore);
    let a = sequence_forward(&full, x.view(), &s0, None)
        .outputs()
        .to_matrix();
    let b = sequence_forward(&course, x.view(), &s0, None)
        .outputs()
        .to_matrix();
    assert!(max_rel(a.as_slice(), b.as_slice()) > 1e-3);
}

#[test]
fn same_inputs_same_bits() {
    let mut rng = Rng::new(36);
    for kind in CellKind::ALL {
        let (p, x, s0) = random_instance(kind, Shape::new(5, 4, 6, 8), &mut rng);
        let a = sequence_forward(&p, x.view(), &s0, None);
        let b = sequence_forward(&p, x.view(), &s0, None);
        assert_eq!(bits(a.outputs()), bits(b.outputs()));
    }
}

#[test]
fn padded_batch_equals_each_sequence_run_alone() {
    // Sequences of lengths 5, 2 and 4 padded to T = 5 in one batch: outputs at
    // real positions and final states must equal running each alone.
    let mut rng = Rng::new(37);
    let lengths = [5usize, 2, 4];
    let (steps, b) = (5, lengths.len());
    for kind in CellKind::ALL {
        let (p, x, s0) = random_instance(kind, Shape::new(steps, b, 3, 4), &mut rng);
        let mut mask = vec![0.0; steps * b];
        for t in 0..steps {
            for (j, &len) in lengths.iter().enumerate() {
                mask[t * b + j] = if t < len { 1.0 } else { 0.0 };
            }
        }
        let batch = sequence_forward(&p, x.view(), &s0, Some(&mask));
        let fin = batch.final_state();
        for (j, &len) in lengths.iter().enumerate() {
            let xj = Matrix::from_fn(len, 3, |t, i| x.get(t * b + j, i));
            let sj = State {
                h: s0.h.rows_range(j, j + 1).to_matrix(),
                c: s0.c.as_ref().map(|c| c.rows_range(j, j + 1).to_matrix()),
            };
            let alone = sequence_forward(&p, xj.view(), &sj, None);
            for t in 0..len {
                let a = batch.outputs().row(t * b + j);
                let e = max_rel(a, alone.outputs().row(t));
                assert!(e < 1e-12, "{} seq {j} step {t}: {e:e}", kind.name());
            }
            let fa = alone.final_state();
            assert!(max_rel(fin.h.row(j), fa.h.row(0)) < 1e-12);
            if let (Some(c), Some(ca)) = (fin.c.as_ref(), fa.c.as_ref()) {
                assert!(max_rel(c.row(j), ca.row(0)) < 1e-12);
            }
        }
    }
}

/// The `*_ws` functions (buffers from a `Workspace`) give the same bits as the
/// plain ones: with a workspace that earlier passes of other shapes have left
/// full of buffers of every size, and with one that holds only NaN buffers
/// (`Workspace::take` does not clear memory, so this shows that every element
/// is written before it is read).
#[test]
fn workspace_reuse_gives_the_same_bits() {
    use seqmodels::linalg::Workspace;
    use seqmodels::nn::Activation;
    let kinds = [
        CellKind::Rnn(Activation::Tanh),
        CellKind::Rnn(Activation::Relu),
        CellKind::Gru(GruVariant::ResetAfter),
        CellKind::Gru(GruVariant::ResetBefore),
        CellKind::Lstm,
    ];
    let mut rng = Rng::new(7);
    for kind in kinds {
        for bidirectional in [false, true] {
            let (i, h, layers) = (5, 7, 2);
            let p = StackedRnn::<f64>::new(kind, i, h, layers, bidirectional, &mut rng);
            let mut ws = Workspace::new();
            // Dirty the workspace: passes at other lengths and batch sizes,
            // their caches and gradients handed back.
            for (steps, b) in [(9, 4), (2, 1), (5, 3)] {
                let x = Matrix::<f64>::random_uniform(steps * b, i, -1.0, 1.0, &mut rng);
                let dy = Matrix::random_uniform(steps * b, p.output_size(), -1.0, 1.0, &mut rng);
                let mut g = p.zeros_like();
                let cache = stack_forward_ws(&p, x.view(), &p.zero_states(b), None, &mut ws);
                let (dx, _) =
                    stack_backward_ws(&p, x.view(), &cache, dy.view(), None, &mut g, &mut ws);
                ws.keep(dx);
                cache.recycle(&mut ws);
            }
            assert!(!ws.is_empty());
            let mut nan_ws = Workspace::new();
            for _ in 0..64 {
                nan_ws.keep(Matrix::filled(64, 64, f64::NAN));
            }
            let (steps, b) = (4, 3);
            let x = Matrix::<f64>::random_uniform(steps * b, i, -1.0, 1.0, &mut rng);
            let dy = Matrix::random_uniform(steps * b, p.output_size(), -1.0, 1.0, &mut rng);
            let mask: Vec<f64> = (0..steps * b)
                .map(|k| if k / b >= 2 + k % b { 0.0 } else { 1.0 })
                .collect();
            let mut s0 = p.zero_states(b);
            for s in s0.iter_mut() {
                s.h = Matrix::random_uniform(b, h, -0.5, 0.5, &mut rng);
                if let Some(c) = s.c.as_mut() {
                    *c = Matrix::random_uniform(b, h, -0.5, 0.5, &mut rng);
                }
            }
            for case in 0..4 {
                let m = if case % 2 == 1 { Some(&mask[..]) } else { None };
                let ws = if case < 2 { &mut ws } else { &mut nan_ws };
                let mut g_plain = p.zeros_like();
                let c_plain = stack_forward(&p, x.view(), &s0, m);
                let (dx_plain, ds_plain) =
                    stack_backward(&p, x.view(), &c_plain, dy.view(), None, &mut g_plain);
                let mut g_ws = p.zeros_like();
                let c_ws = stack_forward_ws(&p, x.view(), &s0, m, ws);
                let (dx_ws, ds_ws) =
                    stack_backward_ws(&p, x.view(), &c_ws, dy.view(), None, &mut g_ws, ws);
                let what = format!(
                    "{} bidirectional={bidirectional} mask={}",
                    kind.name(),
                    m.is_some()
                );
                assert_eq!(
                    bits(c_plain.outputs()),
                    bits(c_ws.outputs()),
                    "outputs, {what}"
                );
                assert_eq!(bits(dx_plain.view()), bits(dx_ws.view()), "dx, {what}");
                for (a, b) in ds_plain.iter().zip(&ds_ws) {
                    assert_eq!(bits(a.h.view()), bits(b.h.view()), "dh0, {what}");
                    if let (Some(ca), Some(cb)) = (&a.c, &b.c) {
                        assert_eq!(bits(ca.view()), bits(cb.view()), "dc0, {what}");
                    }
                }
                for ((name, _, a), (_, _, b)) in g_plain
                    .named_tensors()
                    .into_iter()
                    .zip(g_ws.named_tensors())
                {
                    let ab: Vec<u64> = a.iter().map(|v| v.to_bits()).collect();
                    let bb: Vec<u64> = b.iter().map(|v| v.to_bits()).collect();
                    assert_eq!(ab, bb, "{name}, {what}");
                }
                ws.keep(dx_ws);
                c_ws.recycle(ws);
            }
        }
    }
}
