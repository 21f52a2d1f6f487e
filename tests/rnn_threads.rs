//! Every cell gives the same bits on 1, 2 and 3 threads.
//!
//! At B·H ≥ 4096 the LSTM's gate passes (forward and backward) are split by
//! rows of the batch between the pool's threads, besides the GEMMs; so are,
//! above 2¹⁶ values and for every cell, the passes over the whole sequence
//! (the bias of Z_x, the bias gradients by blocks of columns, the copy into
//! [A_prev | X] and the weight-gradient sums). The shape here is above both
//! sizes for the GRU and the LSTM (the vanilla RNN, with one gate block,
//! stays below 2¹⁶ and checks its GEMMs' split), B = 16 does not divide by 3
//! (parts of 6, 6 and 4 rows), and a padding mask ends sequences inside
//! every part, so a part that read another part's rows, or the wrong
//! slice of the mask, would change the result.
//!
//! At batch 1 (the second shape) the LSTM computes X·W_ihᵀ + b_ih and
//! dX = ∂L/∂Z·W_ih on a second thread, block by block beside its time loops
//! (`sequence::inputs_beside_the_loop`): T = 21 steps make blocks of 8, 8
//! and 5, and the mask ends the sequence at step 17, inside the last block.

use seqmodels::linalg::{pool, Matrix};
use seqmodels::nn::Activation;
use seqmodels::rng::Rng;
use seqmodels::rnn::{
    sequence_backward, sequence_forward, CellKind, CellParams, GruVariant, State,
};

/// A state of shape (B, H) drawn from ±`r`, with a memory cell for the LSTM.
fn random_state(kind: CellKind, b: usize, h: usize, r: f64, rng: &mut Rng) -> State<f32> {
    let h_part = Matrix::random_uniform(b, h, -r, r, rng);
    let c = (kind == CellKind::Lstm).then(|| Matrix::random_uniform(b, h, -r, r, rng));
    State { h: h_part, c }
}

/// Every output of one forward and backward pass of a `kind` layer, as bits.
fn pass_bits(
    kind: CellKind,
    threads: usize,
    (t, b, i, h): (usize, usize, usize, usize),
) -> Vec<u32> {
    pool::set_threads(threads);
    let mut rng = Rng::new(11);
    let p = CellParams::<f32>::new(kind, i, h, &mut rng);
    let x = Matrix::<f32>::random_uniform(t * b, i, -1.0, 1.0, &mut rng);
    let state0 = random_state(kind, b, h, 0.5, &mut rng);
    // Sequence n has length 1 + n % 5: some end at every step, in every part
    // (at B = 1, length 17).
    let len = |n: usize| if b == 1 { 17 } else { 1 + n % 5 };
    let mut mask = vec![0.0f32; t * b];
    for step in 0..t {
        for n in 0..b {
            if step < len(n) {
                mask[step * b + n] = 1.0;
            }
        }
    }
    let dy = Matrix::<f32>::random_uniform(t * b, h, -1.0, 1.0, &mut rng);
    let d_final = random_state(kind, b, h, 1.0, &mut rng);
    let cache = sequence_forward(&p, x.view(), &state0, Some(&mask));
    let mut grads = p.zeros_like();
    let (dx, d0) = sequence_backward(&p, x.view(), &cache, dy.view(), Some(&d_final), &mut grads);
    let fin = cache.final_state();
    let mut out: Vec<f32> = cache.outputs().to_matrix().into_vec();
    for m in [
        Some(&fin.h),
        fin.c.as_ref(),
        Some(&dx),
        Some(&d0.h),
        d0.c.as_ref(),
    ]
    .into_iter()
    .flatten()
    {
        out.extend(m.as_slice());
    }
    for g in grads.tensors_mut() {
        out.extend(g.iter());
    }
    out.iter().map(|v| v.to_bits()).collect()
}

// The only test in this file, so changing the pool's setting disturbs no other test.
#[test]
fn every_cell_gives_the_same_bits_on_one_two_and_three_threads() {
    for kind in [
        CellKind::Rnn(Activation::Tanh),
        CellKind::Gru(GruVariant::ResetAfter),
        CellKind::Gru(GruVariant::ResetBefore),
        CellKind::Lstm,
    ] {
        for shape in [(5, 16, 7, 320), (21, 1, 7, 40)] {
            let one = pass_bits(kind, 1, shape);
            let name = kind.name();
            assert!(
                one.iter().any(|&v| v != 0),
                "{name} {shape:?}: a pass of zeros shows nothing"
            );
            let two = pass_bits(kind, 2, shape);
            assert_eq!(one, two, "{name} {shape:?}: 1 and 2 threads differ");
            let three = pass_bits(kind, 3, shape);
            assert_eq!(one, three, "{name} {shape:?}: 1 and 3 threads differ");
        }
    }
}
