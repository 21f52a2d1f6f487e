//! The vanishing- and exploding-gradient experiments (`seqmodels::experiments`,
//! the seed's topic 8): the per-step state gradient against central
//! differences, what each picture shows, and determinism. Run with
//! `cargo test --release --test experiments -- --nocapture` to see the figures.

use seqmodels::experiments::{
    exploding, gradient_by_distance, loss_from_state, probe_sentences, spectral_radius, state_at,
    state_gradient, vanishing, ExplodingConfig, VanishingConfig, RATIO_DISTANCES,
};
use seqmodels::linalg::Matrix;
use seqmodels::models::{Classifier, InputLayer};
use seqmodels::rng::Rng;
use seqmodels::rnn::{CellKind, State};
use seqmodels::tasks::agreement;
use seqmodels::tasks::train::{agreement_config, run_agreement, set_forget_bias, DEFAULT_SEED};

fn cell(name: &str) -> CellKind {
    CellKind::parse(name).unwrap()
}

/// A fresh agreement classifier (one layer, H = 16, embeddings of 8).
fn model(kind: CellKind, seed: u64) -> Classifier<f32> {
    let mut rng = Rng::new(seed);
    let input = InputLayer::for_vocab(agreement::vocab().len(), 8, &mut rng);
    let mut m = Classifier::new(input, kind, 16, 1, false, 2, &mut rng);
    set_forget_bias(&mut m.encoder.rnn, 1.0);
    m
}

/// `s + eps·v` for a state and a direction of the same shapes.
fn shifted(s: &State<f32>, v: &State<f32>, eps: f64) -> State<f32> {
    let add = |a: &Matrix<f32>, d: &Matrix<f32>| {
        let mut out = a.clone();
        out.axpy(eps as f32, d);
        out
    };
    State {
        h: add(&s.h, &v.h),
        c: s.c.as_ref().map(|c| add(c, v.c.as_ref().unwrap())),
    }
}

/// ∂L/∂a⟨t⟩ from `state_gradient` against a central difference of
/// `loss_from_state` along the gradient's own direction v = g/‖g‖: the
/// directional derivative must be ‖g‖. In f32, with ε = 1e-2, the
/// difference is good to about 1e-4 when ‖g‖ is not tiny (we check t with
/// ‖g‖ > 1e-4 and allow 1e-3). Covers d = T − t = 0 (the head's gradient),
/// 1 and 5 for the RNN (whose gradient at d = 10 is already too small for
/// an f32 difference), and 0, 1 and 10 for the LSTM (h and c together).
/// Then checks that the prefix state and the suffix run compose to the
/// whole sentence at every t (an off-by-one between the state and the step
/// would change the loss).
#[test]
fn state_gradient_matches_central_differences() {
    let (seqs, labels) = probe_sentences(&mut Rng::new(5), 8, 12);
    let steps = seqs[0].len();
    for (kind, distances) in [(cell("rnn"), [0, 1, 5]), (CellKind::Lstm, [0, 1, 10])] {
        let m = model(kind, 9);
        for d in distances {
            let t = steps - d;
            let g = state_gradient(&m, &seqs, &labels, t);
            let norm = (g.h.norm_sq() + g.c.as_ref().map_or(0.0, |c| c.norm_sq())).sqrt();
            assert!(
                norm > 1e-4,
                "{} d={d}: gradient {norm:e} too small to check",
                kind.name()
            );
            let mut v = g.clone();
            v.h.scale((1.0 / norm) as f32);
            if let Some(c) = &mut v.c {
                c.scale((1.0 / norm) as f32);
            }
            let a = state_at(&m, &seqs, t);
            let eps = 1e-2;
            let up = loss_from_state(&m, &seqs, &labels, t, &shifted(&a, &v, eps));
            let down = loss_from_state(&m, &seqs, &labels, t, &shifted(&a, &v, -eps));
            let numeric = (up - down) / (2.0 * eps);
            let rel = (numeric - norm).abs() / norm;
            println!(
                "{} d = {d:2}: ‖∂L/∂a⟨t⟩‖ = {norm:.6e}, central difference {numeric:.6e}, \
                 relative error {rel:.1e}",
                kind.name()
            );
            assert!(rel < 1e-3, "{} d={d}: relative error {rel:e}", kind.name());
        }
        // a⟨t⟩ from the prefix, then the suffix from a⟨t⟩: the loss of the
        // whole sentence, whatever t (the same operations in the same order,
        // so the same bits; a split one token off reads one token less or
        // twice, and the test fails).
        let full = loss_from_state(&m, &seqs, &labels, 0, &state_at(&m, &seqs, 0));
        for t in 1..=steps {
            let split = loss_from_state(&m, &seqs, &labels, t, &state_at(&m, &seqs, t));
            assert!((full - split).abs() < 1e-12, "t={t}: {full} vs {split}");
        }
        // The profile's d = 0 entry is the mean per-sentence norm of the head's gradient.
        let (h, c) = gradient_by_distance(&m, &seqs, &labels);
        assert_eq!(h.len(), steps + 1);
        assert_eq!(c.is_some(), kind == CellKind::Lstm);
        assert!(h.iter().all(|x| x.is_finite() && *x > 0.0), "{h:?}");
    }
}

/// What the picture shows: the vanilla RNN's gradient fades with distance
/// far faster than the LSTM's, both at initialisation and after training on
/// the agreement task (500 steps, the recipe of `tests/learning_agreement.rs`),
/// on seeds 1 to 5 (the picture's is 1).
///
/// At initialisation the thresholds are what the mechanism predicts, not
/// fitted figures, and every seed must meet them: the RNN's Jacobian
/// diag(1 − a²)·W_aa has norm about ρ(W_aa) ≈ 0.6 (PyTorch's init), so 30
/// steps leave ~0.6³⁰ ≈ 2e-7 or less, while the LSTM's cell path keeps
/// Γf ≈ σ(2) ≈ 0.88 per step (the recipe's forget bias), 0.88³⁰ ≈ 2e-2 —
/// five orders of magnitude apart; we ask for three, and for less than a
/// millionth left of the RNN's.
///
/// After training, training decides, and no single seed is safe: the LSTM
/// learns the task on every seed and the RNN on none, but an RNN left at
/// chance can sit where its gradient fades slowly (on seed 4 it keeps 2e-4
/// at d = 30, the LSTM 9e-5). Here seeds 1–5 put the
/// trained RNN's ratio at d = 30 below the LSTM's by 6.5, 3.6, 1.1, −0.3 and
/// 11.7 orders of magnitude; with the f32 exp polynomial on fused
/// multiply-adds (a change tried and not kept, nineteenth session) by −3.4,
/// 3.6, 1.4, 1.2 and 3.7. So we ask for one order on a majority of the seeds,
/// and on seed 1, whose figures the README prints and draws, for what it
/// states of them (one order, and less than a millionth left of the RNN's):
/// a change that moves those has to redraw the picture.
#[test]
fn rnn_gradient_vanishes_faster_than_lstm() {
    let mut fading_after_training = 0;
    for seed in 1..=5 {
        let mut cfg = VanishingConfig::new(seed);
        cfg.cells = vec![cell("rnn"), CellKind::Lstm];
        let r = vanishing(&cfg, &mut |_, _, _| {}).unwrap();
        println!("seed {seed}:");
        print!("{}", r.table());
        assert_eq!(r.steps, agreement::MAX_CLAUSE + 5);
        let (rnn, lstm) = (&r.profiles[0], &r.profiles[1]);
        for (a, b) in [(&rnn.0, &lstm.0), (&rnn.1, &lstm.1)] {
            for &d in &RATIO_DISTANCES {
                assert!(
                    a.ratio(d).is_finite() && a.ratio(d) > 0.0,
                    "seed {seed} d={d}"
                );
                assert!(
                    b.ratio(d).is_finite() && b.ratio(d) > 0.0,
                    "seed {seed} d={d}"
                );
            }
        }
        let (a, b) = (&rnn.0, &lstm.0);
        let r30 = a.ratio(30);
        assert!(
            r30 * 1e3 < b.ratio(30),
            "seed {seed}, init: RNN ratio at d = 30 {r30:e}, LSTM {:e}",
            b.ratio(30)
        );
        assert!(
            r30 * 1e3 < b.cell_ratio(30).unwrap(),
            "seed {seed}, init: RNN ratio at d = 30 {r30:e}, LSTM cell {:e}",
            b.cell_ratio(30).unwrap()
        );
        assert!(
            r30 < 1e-6,
            "seed {seed}, init: RNN ratio at d = 30 is {r30:e}"
        );
        // Training made the LSTM learn the task and left the RNN at chance.
        assert!(
            lstm.1.accuracy > 0.95,
            "seed {seed}: LSTM accuracy {}",
            lstm.1.accuracy
        );
        assert!(
            rnn.1.accuracy < 0.6,
            "seed {seed}: RNN accuracy {}",
            rnn.1.accuracy
        );
        let (a, b) = (&rnn.1, &lstm.1);
        let r30 = a.ratio(30);
        if r30 * 1e1 < b.ratio(30) && r30 * 1e1 < b.cell_ratio(30).unwrap() {
            fading_after_training += 1;
        }
        if seed == DEFAULT_SEED {
            // The README's table and picture: there the trained RNN keeps
            // less than a millionth at d = 30, an order below the LSTM's.
            assert!(
                r30 * 1e1 < b.ratio(30) && r30 * 1e1 < b.cell_ratio(30).unwrap(),
                "seed {seed}, trained: RNN ratio at d = 30 {r30:e}, LSTM {:e}, cell {:e}",
                b.ratio(30),
                b.cell_ratio(30).unwrap()
            );
            assert!(
                r30 < 1e-6,
                "seed {seed}, trained: RNN ratio at d = 30 is {r30:e}"
            );
            // Two panels, three lines each (RNN a, LSTM a, LSTM c).
            let charts = r.charts();
            assert_eq!(charts.len(), 2);
            assert!(charts.iter().all(|c| c.series.len() == 3 && c.log_y));
        }
    }
    assert!(
        fading_after_training >= 3,
        "after training the RNN's gradient faded faster on {fading_after_training} of 5 seeds"
    );
}

/// The trained models of the experiment are those of `run_agreement` (and so
/// of `seqmodels demo agreement`) for the same seed: same held-out accuracy,
/// to the bit, after a short run.
#[test]
fn vanishing_trains_the_demo_models() {
    let mut cfg = VanishingConfig::new(3);
    cfg.cells = vec![cell("rnn")];
    cfg.steps = 30;
    cfg.probes = 4;
    let r = vanishing(&cfg, &mut |_, _, _| {}).unwrap();
    let mut tc = agreement_config(cell("rnn"));
    tc.steps = 30;
    let o = run_agreement(3, &tc, &mut |_, _| {}).unwrap();
    println!(
        "after 30 steps: experiment {}, run_agreement {}",
        r.profiles[0].1.accuracy, o.accuracy
    );
    assert_eq!(r.profiles[0].1.accuracy.to_bits(), o.accuracy.to_bits());
}

/// What the exploding picture shows: the ReLU RNN with ρ(W_aa) = 3 and no
/// clipping diverges within a few steps (its gradient norm growing by many
/// orders of magnitude), while the same start clipped by value or by norm
/// stays finite and learns the (short-clause) agreement task. On seeds 1–10
/// the unclipped run diverged on 9, at step 2 or 3; the clipped ones learned
/// (held-out accuracy ≥ 0.95) on all ten with 300 steps.
#[test]
fn unclipped_run_diverges_clipped_runs_learn() {
    let cfg = ExplodingConfig::new(DEFAULT_SEED);
    let r = exploding(&cfg).unwrap();
    print!("{}", r.table());
    assert!((r.radius_after - cfg.radius).abs() < 0.05 * cfg.radius);
    let none = &r.runs[0];
    // All three start from the same weights and batch: the same first step.
    for run in &r.runs[1..] {
        assert_eq!(run.losses[0].to_bits(), none.losses[0].to_bits());
        assert_eq!(run.grad_norms[0].to_bits(), none.grad_norms[0].to_bits());
    }
    let (step, why) = none
        .diverged
        .clone()
        .expect("the unclipped run should diverge");
    println!("unclipped: diverged at step {step} ({why})");
    assert!(step <= 20, "diverged only at step {step}");
    let largest = none.grad_norms.iter().cloned().fold(0.0, f64::max);
    assert!(
        largest > 1e3 * none.grad_norms[0],
        "gradient norm grew from {:e} to only {largest:e}",
        none.grad_norms[0]
    );
    for run in &r.runs[1..] {
        assert!(
            run.diverged.is_none(),
            "{}: {:?}",
            run.clipping.name(),
            run.diverged
        );
        assert_eq!(run.losses.len(), cfg.steps);
        assert!(run
            .losses
            .iter()
            .chain(&run.grad_norms)
            .all(|x| x.is_finite()));
        let acc = run.accuracy.unwrap();
        assert!(
            acc >= 0.95,
            "{}: held-out accuracy {acc}",
            run.clipping.name()
        );
    }
    // The chart: two panels, three lines each, the unclipped one ending at
    // its divergence and saying so.
    let charts = r.charts();
    assert_eq!(charts.len(), 2);
    assert!(charts[0].series[0]
        .name
        .contains(&format!("diverged at step {step}")));
    assert_eq!(charts[0].series[0].points.len(), none.grad_norms.len());
    // Same seed, same figures.
    assert_eq!(exploding(&cfg).unwrap(), r);
}

#[test]
fn spectral_radius_of_known_matrices() {
    let mut rng = Rng::new(1);
    // Diagonal: the largest |entry|.
    let mut d = Matrix::<f32>::zeros(4, 4);
    for (i, v) in [0.5, -3.0, 2.0, 1.0].iter().enumerate() {
        d.set(i, i, *v);
    }
    let r = spectral_radius(&d, 1000, &mut rng);
    assert!((r - 3.0).abs() < 1e-3, "{r}");
    // A scaled rotation: eigenvalues ±2i, which plain power iteration
    // cannot settle on; the growth rate is still 2.
    let rot = Matrix::<f32>::from_vec(2, 2, vec![0.0, -2.0, 2.0, 0.0]);
    let r = spectral_radius(&rot, 1000, &mut rng);
    assert!((r - 2.0).abs() < 1e-3, "{r}");
    // A nilpotent matrix has radius 0.
    let n = Matrix::<f32>::from_vec(2, 2, vec![0.0, 1.0, 0.0, 0.0]);
    assert_eq!(spectral_radius(&n, 10, &mut rng), 0.0);
}
