//! Gradient checks (f64, central differences, every element) of the
//! embedding methods: the embedding lookup, the word2vec pair update (skip-gram
//! with negative sampling, hierarchical softmax, CBOW), GloVe, the neural
//! language model and the averaging sentiment classifier.

use seqmodels::embeddings::glove::{glove_backward, glove_loss, GloveParams};
use seqmodels::embeddings::nplm::{nplm_backward, nplm_forward, Nplm};
use seqmodels::embeddings::sentiment::{
    avg_classifier_backward, avg_classifier_forward, AvgClassifier,
};
use seqmodels::embeddings::word2vec::{cbow_ns_loss, hs_loss, pair_update, sgns_loss};
use seqmodels::gradcheck::{check, table_header, Param, THRESHOLD};
use seqmodels::nn::{embedding_backward, embedding_forward, Embedding, Linear};
use seqmodels::rng::Rng;
use seqmodels::Matrix;

fn rows(m: &Matrix<f64>) -> Vec<&[f64]> {
    (0..m.rows()).map(|i| m.row(i)).collect()
}

#[test]
fn embedding_lookup_gradients() {
    let mut rng = Rng::new(1);
    for &(v, d, ids) in &[
        (1usize, 1usize, &[0usize, 0][..]),
        (7, 5, &[3, 0, 3, 6, 2][..]),
    ] {
        let emb = Embedding::<f64>::new(v, d, &mut rng);
        let r = Matrix::<f64>::random_uniform(ids.len(), d, -1.0, 1.0, &mut rng);
        // L = Σ R ⊙ lookup(E), so dout = R.
        let mut grad = Matrix::zeros(v, d);
        embedding_backward(ids, r.view(), &mut grad);
        let rep = check(
            format!("embedding V={v} D={d}"),
            &[Param::new("E", emb.weight.clone(), grad.clone())],
            THRESHOLD,
            |p| {
                let mut out = Matrix::zeros(ids.len(), d);
                embedding_forward(
                    &Embedding {
                        weight: p[0].clone(),
                    },
                    ids,
                    out.view_mut(),
                );
                out.hadamard(&r).sum()
            },
        );
        println!("{}\n{rep}", table_header());
        rep.assert_passed();
        // Rows not looked up get exactly nothing.
        for w in 0..v {
            if !ids.contains(&w) {
                assert!(grad.row(w).iter().all(|&g| g == 0.0));
            }
        }
    }
}

/// Runs `pair_update` with α = 1 over `outputs` (labels `ys`) and returns the
/// gradients it implies: ∂L/∂h = −dh and ∂L/∂u_k = u_k(before) − u_k(after).
fn implied_gradients(h: &[f64], outputs: &Matrix<f64>, ys: &[f64]) -> (Matrix<f64>, Matrix<f64>) {
    let d = h.len();
    let mut dh = vec![0.0; d];
    let mut du = Matrix::zeros(outputs.rows(), d);
    for k in 0..outputs.rows() {
        let mut u = outputs.row(k).to_vec();
        pair_update(h, &mut u, ys[k], 1.0, &mut dh);
        for j in 0..d {
            du.row_mut(k)[j] = outputs.row(k)[j] - u[j];
        }
    }
    let gh = Matrix::from_vec(1, d, dh.iter().map(|x| -x).collect());
    (gh, du)
}

#[test]
fn sgns_gradients() {
    let mut rng = Rng::new(2);
    for &(d, k) in &[(1usize, 1usize), (6, 5), (9, 3)] {
        let h = Matrix::<f64>::random_uniform(1, d, -1.0, 1.0, &mut rng);
        let outs = Matrix::<f64>::random_uniform(k + 1, d, -1.0, 1.0, &mut rng);
        let ys: Vec<f64> = (0..=k).map(|i| if i == 0 { 1.0 } else { 0.0 }).collect();
        let (gh, gu) = implied_gradients(h.row(0), &outs, &ys);
        let rep = check(
            format!("sgns D={d} K={k}"),
            &[
                Param::new("h (syn0 row)", h, gh),
                Param::new("u (syn1neg rows)", outs, gu),
            ],
            THRESHOLD,
            |p| sgns_loss(p[0].row(0), &rows(&p[1])),
        );
        println!("{}\n{rep}", table_header());
        rep.assert_passed();
    }
}

#[test]
fn hs_gradients() {
    let mut rng = Rng::new(3);
    let d = 7;
    let code = [1u8, 0, 0, 1, 1];
    let h = Matrix::<f64>::random_uniform(1, d, -1.0, 1.0, &mut rng);
    let nodes = Matrix::<f64>::random_uniform(code.len(), d, -1.0, 1.0, &mut rng);
    let ys: Vec<f64> = code.iter().map(|&c| 1.0 - c as f64).collect();
    let (gh, gu) = implied_gradients(h.row(0), &nodes, &ys);
    let rep = check(
        "hierarchical softmax D=7 depth=5",
        &[
            Param::new("h (syn0 row)", h, gh),
            Param::new("u (syn1 rows)", nodes, gu),
        ],
        THRESHOLD,
        |p| hs_loss(p[0].row(0), &rows(&p[1]), &code),
    );
    println!("{}\n{rep}", table_header());
    rep.assert_passed();
}

#[test]
fn cbow_gradients() {
    let mut rng = Rng::new(4);
    let (d, m, k) = (5, 4, 3);
    let ctx = Matrix::<f64>::random_uniform(m, d, -1.0, 1.0, &mut rng);
    let outs = Matrix::<f64>::random_uniform(k + 1, d, -1.0, 1.0, &mut rng);
    let mut h = vec![0.0; d];
    for i in 0..m {
        for j in 0..d {
            h[j] += ctx.row(i)[j] / m as f64;
        }
    }
    let ys: Vec<f64> = (0..=k).map(|i| if i == 0 { 1.0 } else { 0.0 }).collect();
    let (gh, gu) = implied_gradients(&h, &outs, &ys);
    // ∂L/∂c_i = ∂L/∂h / m for every context row (the trainer, like word2vec.c,
    // applies m times this; DERIVATIONS.md explains).
    let gc = Matrix::from_fn(m, d, |_, j| gh.row(0)[j] / m as f64);
    let rep = check(
        "cbow D=5 context=4 K=3",
        &[
            Param::new("context rows", ctx, gc),
            Param::new("u (syn1neg rows)", outs, gu),
        ],
        THRESHOLD,
        |p| cbow_ns_loss(&rows(&p[0]), &rows(&p[1])),
    );
    println!("{}\n{rep}", table_header());
    rep.assert_passed();
}

#[test]
fn glove_gradients() {
    let mut rng = Rng::new(5);
    let (v, d) = (5, 3);
    let p = GloveParams::<f64> {
        w: Matrix::random_uniform(v, d, -0.5, 0.5, &mut rng),
        wt: Matrix::random_uniform(v, d, -0.5, 0.5, &mut rng),
        b: (0..v).map(|_| rng.uniform(-0.5, 0.5)).collect(),
        bt: (0..v).map(|_| rng.uniform(-0.5, 0.5)).collect(),
    };
    // Counts below and above x_max (so both branches of f), and an i = j
    // entry. x_max is small here so that log X, and with it the loss, stays
    // near 1: the round-off of central differences grows with the loss.
    let entries = vec![
        (0u32, 1u32, 3.5),
        (1, 0, 3.5),
        (2, 2, 0.5),
        (3, 4, 3.0),
        (4, 1, 1.0),
        (0, 4, 1.5),
    ];
    let (x_max, power) = (2.5, 0.75);
    let mut g = p.zeros_like();
    glove_backward(&p, &entries, x_max, power, &mut g);
    let vecm = |x: &[f64]| Matrix::from_vec(1, x.len(), x.to_vec());
    let params = [
        Param::new("W", p.w.clone(), g.w.clone()),
        Param::new("W~", p.wt.clone(), g.wt.clone()),
        Param::new("b", vecm(&p.b), vecm(&g.b)),
        Param::new("b~", vecm(&p.bt), vecm(&g.bt)),
    ];
    let rep = check("glove V=5 D=3", &params, THRESHOLD, |q| {
        let pp = GloveParams {
            w: q[0].clone(),
            wt: q[1].clone(),
            b: q[2].as_slice().to_vec(),
            bt: q[3].as_slice().to_vec(),
        };
        glove_loss(&pp, &entries, x_max, power)
    });
    println!("{}\n{rep}", table_header());
    rep.assert_passed();
}

#[test]
fn nplm_gradients() {
    let mut rng = Rng::new(6);
    let (v, d, n, h, b) = (7, 3, 3, 5, 4);
    let mut m = Nplm::<f64>::new(v, d, n, h, &mut rng);
    m.emb.weight = Matrix::random_uniform(v, d, -1.0, 1.0, &mut rng);
    // A repeated word inside one window and across windows.
    let ctx = vec![1, 1, 4, 0, 6, 2, 3, 1, 5, 6, 6, 0];
    let tgt = vec![2, 5, 0, 3];
    let (_, cache) = nplm_forward(&m, &ctx, &tgt);
    let mut g = m.zero_grads();
    nplm_backward(&m, &cache, &tgt, 1.0 / b as f64, &mut g);
    let vecm = |x: &[f64]| Matrix::from_vec(1, x.len(), x.to_vec());
    let params = [
        Param::new("E", m.emb.weight.clone(), g.emb.clone()),
        Param::new(
            "H (hidden W)",
            m.hidden.weight.clone(),
            g.hidden.weight.clone(),
        ),
        Param::new("d (hidden b)", vecm(&m.hidden.bias), vecm(&g.hidden.bias)),
        Param::new("U (output W)", m.out.weight.clone(), g.out.weight.clone()),
        Param::new("b (output b)", vecm(&m.out.bias), vecm(&g.out.bias)),
    ];
    let rep = check(
        format!("nplm V={v} D={d} n={n} H={h} B={b}"),
        &params,
        THRESHOLD,
        |q| {
            let mm = Nplm {
                emb: Embedding {
                    weight: q[0].clone(),
                },
                hidden: Linear {
                    weight: q[1].clone(),
                    bias: q[2].as_slice().to_vec(),
                },
                out: Linear {
                    weight: q[3].clone(),
                    bias: q[4].as_slice().to_vec(),
                },
                context: n,
            };
            nplm_forward(&mm, &ctx, &tgt).0.mean()
        },
    );
    println!("{}\n{rep}", table_header());
    rep.assert_passed();
}

#[test]
fn averaging_classifier_gradients() {
    let mut rng = Rng::new(7);
    let (v, d, c) = (6, 4, 3);
    let emb = Matrix::<f64>::random_uniform(v, d, -1.0, 1.0, &mut rng);
    let m = AvgClassifier::new(emb, c, &mut rng);
    let docs = vec![vec![0, 2, 2], vec![5], vec![], vec![1, 3, 4, 1, 0]];
    let labels = vec![2, 0, 1, 1];
    let (_, cache) = avg_classifier_forward(&m, &docs, &labels);
    let mut g = m.zero_grads();
    avg_classifier_backward(&m, &cache, &labels, 0.25, true, &mut g);
    let vecm = |x: &[f64]| Matrix::from_vec(1, x.len(), x.to_vec());
    let params = [
        Param::new("E", m.emb.weight.clone(), g.emb.clone()),
        Param::new("W", m.linear.weight.clone(), g.linear.weight.clone()),
        Param::new("b", vecm(&m.linear.bias), vecm(&g.linear.bias)),
    ];
    let rep = check(
        "averaging classifier V=6 D=4 C=3",
        &params,
        THRESHOLD,
        |q| {
            let mm = AvgClassifier {
                emb: Embedding {
                    weight: q[0].clone(),
                },
                linear: Linear {
                    weight: q[1].clone(),
                    bias: q[2].as_slice().to_vec(),
                },
            };
            avg_classifier_forward(&mm, &docs, &labels).0.mean()
        },
    );
    println!("{}\n{rep}", table_header());
    rep.assert_passed();
    // Frozen E: no gradient reaches it.
    let mut g2 = m.zero_grads();
    avg_classifier_backward(&m, &cache, &labels, 0.25, false, &mut g2);
    assert_eq!(g2.emb.max_abs(), 0.0);
    assert_eq!(g2.linear.weight, g.linear.weight);
}
