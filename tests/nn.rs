//! Gradient checks (f64, central differences, every element) of the building
//! blocks: the linear output layer and both losses, with masking.

use seqmodels::gradcheck::{check, table_header, Param, THRESHOLD};
use seqmodels::nn::*;
use seqmodels::rng::Rng;
use seqmodels::Matrix;

fn row_matrix(v: &[f64]) -> Matrix<f64> {
    Matrix::from_vec(1, v.len(), v.to_vec())
}

#[test]
fn linear_layer_gradients() {
    let mut rng = Rng::new(10);
    for &(n, h, o) in &[(1, 1, 1), (4, 5, 3), (7, 2, 9)] {
        let layer = Linear::<f64>::new(h, o, &mut rng);
        let a = Matrix::<f64>::random_uniform(n, h, -1.0, 1.0, &mut rng);
        let r = Matrix::<f64>::random_uniform(n, o, -1.0, 1.0, &mut rng);
        // L = Σ R ⊙ Y, so dY = R.
        let mut grads = Linear::zeros(h, o);
        let mut da = Matrix::zeros(n, h);
        linear_backward(&layer, a.view(), r.view(), &mut grads, Some(da.view_mut()));
        let params = [
            Param::new("a", a.clone(), da),
            Param::new("weight", layer.weight.clone(), grads.weight.clone()),
            Param::new("bias", row_matrix(&layer.bias), row_matrix(&grads.bias)),
        ];
        let rep = check(
            format!("linear N={n} H={h} O={o}"),
            &params,
            THRESHOLD,
            |v| {
                let l = Linear {
                    weight: v[1].clone(),
                    bias: v[2].as_slice().to_vec(),
                };
                let mut y = Matrix::zeros(n, o);
                linear_forward(&l, v[0].view(), y.view_mut());
                y.hadamard(&r).sum()
            },
        );
        println!("{}\n{rep}", table_header());
        rep.assert_passed();
    }
}

#[test]
fn softmax_cross_entropy_gradients_with_mask() {
    let mut rng = Rng::new(11);
    let (n, c) = (6, 5);
    let logits = Matrix::<f64>::random_uniform(n, c, -3.0, 3.0, &mut rng);
    let targets: Vec<usize> = (0..n).map(|_| rng.below(c)).collect();
    let mask = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0];
    let mut probs = Matrix::zeros(n, c);
    let out = softmax_cross_entropy_forward(logits.view(), &targets, Some(&mask), &mut probs);
    assert_eq!(out.count, 4);
    let mut d = Matrix::zeros(n, c);
    softmax_cross_entropy_backward(
        &probs,
        &targets,
        Some(&mask),
        1.0 / out.count as f64,
        d.view_mut(),
    );
    // Masked rows get exactly zero gradient.
    assert!(d.row(1).iter().chain(d.row(4)).all(|&x| x == 0.0));
    let rep = check(
        "softmax CE (mean, masked)",
        &[Param::new("logits", logits, d)],
        THRESHOLD,
        |v| {
            let mut p = Matrix::zeros(n, c);
            softmax_cross_entropy_forward(v[0].view(), &targets, Some(&mask), &mut p).mean()
        },
    );
    println!("{rep}");
    rep.assert_passed();
}

#[test]
fn softmax_cross_entropy_is_stable_for_huge_logits() {
    let logits = Matrix::from_vec(
        2,
        3,
        vec![1000.0f64, -1000.0, 0.0, -5000.0, -5000.0, -5000.0],
    );
    let mut p = Matrix::zeros(2, 3);
    let out = softmax_cross_entropy_forward(logits.view(), &[1, 2], None, &mut p);
    assert!(out.sum.is_finite() && p.all_finite());
    // Row 0: log-sum-exp ≈ 1000, so the loss of class 1 is ≈ 2000.
    assert!((out.sum - (2000.0 + 3f64.ln())).abs() < 1e-9, "{}", out.sum);
}

#[test]
fn sigmoid_bce_gradients_with_mask() {
    let mut rng = Rng::new(12);
    let (n, k) = (5, 3);
    let logits = Matrix::<f64>::random_uniform(n, k, -4.0, 4.0, &mut rng);
    let targets = Matrix::from_fn(n, k, |_, _| if rng.below(2) == 1 { 1.0 } else { 0.0 });
    let mask = [1.0, 1.0, 0.0, 1.0, 1.0];
    let mut d = Matrix::zeros(n, k);
    sigmoid_bce_backward(
        logits.view(),
        targets.view(),
        Some(&mask),
        1.0,
        d.view_mut(),
    );
    let rep = check(
        "sigmoid BCE (sum, masked)",
        &[Param::new("logits", logits, d)],
        THRESHOLD,
        |v| sigmoid_bce_forward(v[0].view(), targets.view(), Some(&mask)).sum,
    );
    println!("{rep}");
    rep.assert_passed();
    let big = Matrix::from_vec(1, 2, vec![800.0f64, -800.0]);
    let y = Matrix::from_vec(1, 2, vec![0.0, 1.0]);
    let out = sigmoid_bce_forward(big.view(), y.view(), None);
    assert!((out.sum - 1600.0).abs() < 1e-9, "{}", out.sum);
}
