//! One-hot token inputs skip ∂L/∂x: the backward pass of an encoder whose
//! input layer is one-hot must give exactly the parameter gradients of the
//! same encoder fed the same one-hot vectors as dense features (which does
//! form ∂L/∂x), for every cell, one and two layers, uni- and bidirectional,
//! with padding.

use seqmodels::linalg::{Matrix, Workspace};
use seqmodels::models::{InputLayer, Inputs, SeqBatch, SeqEncoder};
use seqmodels::nn::Activation;
use seqmodels::rng::Rng;
use seqmodels::rnn::{CellKind, GruVariant};

#[test]
fn one_hot_inputs_give_the_dense_parameter_gradients_without_dx() {
    let (vocab, hidden) = (7, 5);
    let kinds = [
        CellKind::Rnn(Activation::Tanh),
        CellKind::Gru(GruVariant::ResetAfter),
        CellKind::Gru(GruVariant::ResetBefore),
        CellKind::Lstm,
    ];
    let mut rng = Rng::new(11);
    for kind in kinds {
        for layers in [1, 2] {
            for bidirectional in [false, true] {
                // Three sequences of lengths 4, 2 and 3: padded and masked.
                let seqs: Vec<Vec<usize>> = [4, 2, 3]
                    .iter()
                    .map(|&len| (0..len).map(|_| rng.below(vocab)).collect())
                    .collect();
                let ids_batch = SeqBatch::<f64>::from_sequences(&seqs, 0);
                let Inputs::Ids(ids) = &ids_batch.inputs else {
                    panic!("token batch")
                };
                let mut onehot = Matrix::<f64>::zeros(ids.len(), vocab);
                for (n, &id) in ids.iter().enumerate() {
                    onehot.set(n, id, 1.0);
                }
                let dense_batch = SeqBatch {
                    steps: ids_batch.steps,
                    batch: ids_batch.batch,
                    inputs: Inputs::Dense(onehot),
                    lengths: ids_batch.lengths.clone(),
                };
                let enc = SeqEncoder::<f64>::new(
                    InputLayer::OneHot(vocab),
                    kind,
                    hidden,
                    layers,
                    bidirectional,
                    &mut rng,
                );
                let dense = SeqEncoder {
                    input: InputLayer::Dense(vocab),
                    rnn: enc.rnn.clone(),
                };
                let dirs = if bidirectional { 2 } else { 1 };
                let dy =
                    Matrix::<f64>::random_uniform(ids.len(), dirs * hidden, -1.0, 1.0, &mut rng);
                let what = format!("{kind:?}, {layers} layer(s), bidirectional {bidirectional}");

                let mut ws = Workspace::new();
                let cache = enc.forward_ws(&ids_batch, None, &mut ws);
                let mut g = enc.zeros_like();
                let out = enc.backward_ws(&ids_batch, &cache, dy.view(), None, &mut g, &mut ws);
                assert!(out.dx.is_none(), "{what}: one-hot inputs have no ∂L/∂x");

                let dcache = dense.forward_ws(&dense_batch, None, &mut ws);
                assert_eq!(
                    cache.rnn.outputs().to_matrix(),
                    dcache.rnn.outputs().to_matrix(),
                    "{what}: outputs"
                );
                let mut dg = dense.zeros_like();
                let dout =
                    dense.backward_ws(&dense_batch, &dcache, dy.view(), None, &mut dg, &mut ws);
                let dx = dout.dx.expect("dense inputs return ∂L/∂x");
                assert_eq!(dx.shape(), (ids.len(), vocab), "{what}: dense ∂L/∂x");
                assert!(
                    dx.as_slice().iter().any(|&v| v != 0.0),
                    "{what}: ∂L/∂x is not all zero"
                );

                let (a, b) = (g.rnn.tensors(), dg.rnn.tensors());
                assert_eq!(a.len(), b.len());
                for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                    assert!(
                        x.iter()
                            .zip(y.iter())
                            .all(|(p, q)| p.to_bits() == q.to_bits()),
                        "{what}: parameter tensor {i} differs"
                    );
                }
                for (s, d) in out.d_states0.iter().zip(&dout.d_states0) {
                    assert_eq!(s.h, d.h, "{what}: ∂L/∂h0");
                }
            }
        }
    }
}

/// The cache switch itself: the stack's backward returns an empty ∂L/∂x of
/// the input's width.
#[test]
fn skipped_input_gradient_is_empty() {
    let mut rng = Rng::new(3);
    let enc = SeqEncoder::<f64>::new(InputLayer::OneHot(6), CellKind::Lstm, 4, 2, false, &mut rng);
    let batch = SeqBatch::<f64>::from_sequences(&[vec![1, 2, 3], vec![4, 5, 0]], 0);
    let cache = enc.forward(&batch, None);
    let dy = Matrix::<f64>::filled(6, 4, 0.5);
    let mut g = enc.rnn.zeros_like();
    let (dx, _) = seqmodels::rnn::stack_backward(
        &enc.rnn,
        cache.x.view(),
        &cache.rnn,
        dy.view(),
        None,
        &mut g,
    );
    assert_eq!(dx.shape(), (0, 6));
}

/// `Tagger::loss_and_backward_ws` (one softmax for both, as a training step
/// uses it) gives the loss of `loss` and the gradients of `backward`, bit for
/// bit, for both output kinds.
#[test]
fn loss_and_backward_in_one_pass_equal_the_two_calls() {
    use seqmodels::models::{OutputKind, Parameters, Tagger};
    let mut rng = Rng::new(8);
    for output in [OutputKind::Softmax, OutputKind::Sigmoid] {
        let net = Tagger::<f64>::new(
            InputLayer::OneHot(5),
            CellKind::Lstm,
            4,
            1,
            false,
            3,
            output,
            &mut rng,
        );
        let batch = SeqBatch::<f64>::from_sequences(&[vec![1, 2, 3], vec![4, 0]], 0);
        let targets: Vec<usize> = (0..6).map(|i| i % 2).collect();
        let mut ws = Workspace::new();
        let cache = net.forward_ws(&batch, None, &mut ws);
        let loss = net.loss(&cache, &targets);
        let mut g1 = net.zeros_like();
        net.backward_ws(&batch, &cache, &targets, &mut g1, &mut ws);
        let mut g2 = net.zeros_like();
        let (loss2, _) = net.loss_and_backward_ws(&batch, &cache, &targets, &mut g2, &mut ws);
        assert_eq!(loss.sum.to_bits(), loss2.sum.to_bits(), "{output:?}: loss");
        assert_eq!(loss.count, loss2.count, "{output:?}: count");
        assert!(loss.sum != 0.0);
        let (a, b) = (g1.tensors(), g2.tensors());
        for (x, y) in a.iter().zip(&b) {
            assert!(
                x.iter()
                    .zip(y.iter())
                    .all(|(p, q)| p.to_bits() == q.to_bits()),
                "{output:?}: gradients differ"
            );
        }
    }
}
