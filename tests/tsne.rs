//! t-SNE: the exact gradient against finite differences, Barnes-Hut against
//! exact, perplexity calibration, trustworthiness, PCA, the quadtree, and
//! determinism across runs and thread counts.

use seqmodels::gradcheck::{check, table_header, Param, THRESHOLD};
use seqmodels::linalg::Matrix;
use seqmodels::rng::Rng;
use seqmodels::tsne::{
    conditional_probabilities, exact_gradient, gaussian_clusters, initial_map, jacobi_eigen,
    joint_probabilities, kl_divergence_exact, nearest_neighbors, pca, top_eigenvectors,
    trustworthiness, tsne, BarnesHut, Init, Method, QuadTree, TsneConfig, ENTROPY_TOLERANCE,
};

fn random(n: usize, d: usize, std: f64, seed: u64) -> Matrix<f64> {
    Matrix::random_normal(n, d, std, &mut Rng::new(seed))
}

#[test]
fn exact_gradient_matches_finite_differences() {
    // Small N, odd sizes; P from real perplexity calibration (all pairs).
    for (n, dim, perp, seed) in [(7usize, 5usize, 2.0, 1u64), (12, 3, 4.0, 2), (5, 1, 1.5, 3)] {
        let x = random(n, dim, 1.0, seed);
        let p = joint_probabilities(&x, perp, n - 1, 1).to_dense();
        let y = random(n, 2, 1.0, seed + 100);
        let mut grad = Matrix::zeros(n, 2);
        let kl = exact_gradient(&p, &y, 1.0, &mut grad, true, 1).unwrap();
        // The optimised KL and the plain-loop KL agree.
        let kl_plain = kl_divergence_exact(&p, &y);
        assert!((kl - kl_plain).abs() < 1e-12, "KL {kl} vs {kl_plain}");
        let report = check(
            format!("tsne exact N={n} D={dim} perp={perp}"),
            &[Param::new("y", y.clone(), grad)],
            THRESHOLD,
            |v| kl_divergence_exact(&p, &v[0]),
        );
        println!("{}\n{report}", table_header());
        report.assert_passed();
    }
}

#[test]
fn the_gradient_check_fails_on_a_wrong_gradient() {
    // The check must be able to fail: drop the factor 4 and it does.
    let n = 6;
    let x = random(n, 3, 1.0, 4);
    let p = joint_probabilities(&x, 2.0, n - 1, 1).to_dense();
    let y = random(n, 2, 1.0, 5);
    let mut grad = Matrix::zeros(n, 2);
    exact_gradient(&p, &y, 1.0, &mut grad, false, 1);
    grad.scale(0.25);
    let report = check("wrong", &[Param::new("y", y, grad)], THRESHOLD, |v| {
        kl_divergence_exact(&p, &v[0])
    });
    assert!(!report.passed());
}

#[test]
fn barnes_hut_with_theta_zero_equals_the_exact_gradient() {
    let n = 150;
    let (x, _) = gaussian_clusters(n, 10, 3, 1.0, 9);
    let p = joint_probabilities(&x, 10.0, 30, 1);
    let dense = p.to_dense();
    let y = random(n, 2, 3.0, 10);
    let mut g_exact = Matrix::zeros(n, 2);
    let mut g_bh = Matrix::zeros(n, 2);
    let kl_exact = exact_gradient(&dense, &y, 12.0, &mut g_exact, true, 1).unwrap();
    let kl_bh = BarnesHut::new()
        .gradient(&p, &y, 0.0, 12.0, &mut g_bh, true, 1)
        .unwrap();
    let scale = g_exact.max_abs();
    let mut worst = 0.0f64;
    for (a, b) in g_exact.as_slice().iter().zip(g_bh.as_slice()) {
        worst = worst.max((a - b).abs());
    }
    println!(
        "θ=0: max |g_exact − g_bh| = {worst:.3e} (max |g| = {scale:.3e}); KL {kl_exact} vs {kl_bh}"
    );
    assert!(worst <= 1e-12 * scale, "gradients differ by {worst}");
    assert!((kl_exact - kl_bh).abs() < 1e-12);
}

#[test]
fn barnes_hut_kl_is_within_5_percent_of_exact_at_n_500() {
    let n = 500;
    let (x, _) = gaussian_clusters(n, 50, 5, 1.0, 11);
    // A real map: a short Barnes-Hut run.
    let cfg = TsneConfig {
        method: Method::BarnesHut,
        iterations: 300,
        threads: 1,
        ..TsneConfig::default()
    };
    let map = tsne(&x, &cfg).unwrap();
    // The same sparse P (90 neighbours) for both.
    let p = joint_probabilities(&x, 30.0, 90, 1);
    let kl_exact = kl_divergence_exact(&p.to_dense(), &map.y);
    let mut g_bh = Matrix::zeros(n, 2);
    let mut g_exact = Matrix::zeros(n, 2);
    let kl_bh = BarnesHut::new()
        .gradient(&p, &map.y, 0.5, 1.0, &mut g_bh, true, 1)
        .unwrap();
    exact_gradient(&p.to_dense(), &map.y, 1.0, &mut g_exact, false, 1);
    let rel = (kl_bh - kl_exact).abs() / kl_exact;
    let mut diff = g_bh.clone();
    diff.sub_assign(&g_exact);
    let g_rel = (diff.norm_sq() / g_exact.norm_sq()).sqrt();
    println!(
        "N=500 θ=0.5: KL Barnes-Hut {kl_bh:.6}, exact {kl_exact:.6}, relative difference {rel:.2e}; \
         gradient relative error {g_rel:.2e}"
    );
    assert!(rel < 0.05, "Barnes-Hut KL {kl_bh} vs exact {kl_exact}");
}

#[test]
fn perplexity_calibration_hits_the_target_entropy_for_every_point() {
    let (x, _) = gaussian_clusters(400, 50, 4, 1.0, 12);
    for (perp, k) in [(30.0, 90), (5.0, 15), (30.0, 399)] {
        let nb = nearest_neighbors(&x, k, 2);
        let (p, betas) = conditional_probabilities(&nb, perp, 2);
        let target = f64::log2(perp);
        let mut worst = 0.0f64;
        for i in 0..400 {
            let row = &p[i * k..(i + 1) * k];
            let h: f64 = -row
                .iter()
                .filter(|&&v| v > 0.0)
                .map(|&v| v * v.log2())
                .sum::<f64>();
            let sum: f64 = row.iter().sum();
            assert!((sum - 1.0).abs() < 1e-12, "row {i} sums to {sum}");
            assert!(betas[i] > 0.0 && betas[i].is_finite());
            worst = worst.max((h - target).abs());
        }
        println!("perplexity {perp}, k = {k}: max |H − log2 perp| = {worst:.2e} bits");
        assert!(worst < ENTROPY_TOLERANCE, "entropy off by {worst}");
    }
    // The joint P is symmetric and sums to one.
    let p = joint_probabilities(&x, 30.0, 90, 1);
    assert!((p.sum() - 1.0).abs() < 1e-12);
    let d = p.to_dense();
    for i in 0..400 {
        assert_eq!(d[(i, i)], 0.0);
        for j in 0..i {
            assert_eq!(d[(i, j)], d[(j, i)]);
        }
    }
}

#[test]
fn nearest_neighbors_match_brute_force() {
    let x = random(97, 7, 1.0, 13);
    let nb = nearest_neighbors(&x, 9, 2);
    for i in 0..97 {
        let mut all: Vec<(f64, usize)> = (0..97)
            .filter(|&j| j != i)
            .map(|j| {
                let d: f64 = (0..7).map(|c| (x[(i, c)] - x[(j, c)]).powi(2)).sum();
                (d, j)
            })
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        for r in 0..9 {
            assert_eq!(nb.index[i * 9 + r], all[r].1, "point {i} rank {r}");
            assert!((nb.dist2[i * 9 + r] - all[r].0).abs() < 1e-12 * (1.0 + all[r].0));
        }
    }
}

#[test]
fn clustered_data_is_mapped_trustworthily() {
    let (x, _) = gaussian_clusters(500, 50, 5, 1.0, 1);
    let cfg = TsneConfig {
        method: Method::BarnesHut,
        ..TsneConfig::default()
    };
    let mut reports = 0;
    let map = seqmodels::tsne::tsne_with_progress(&x, &cfg, &mut |_| reports += 1).unwrap();
    assert_eq!(reports, 20, "KL reported every 50 of 1000 iterations");
    assert_eq!(map.trace.len(), 20);
    let t = trustworthiness(&x, &map.y, 10).unwrap();
    let t_start = trustworthiness(&x, &initial_map(&x, Init::Pca, 42, 1), 10).unwrap();
    let kl_start = map.trace[0].1;
    println!(
        "N=500 D=50 C=5: trustworthiness(10) {t:.4} (PCA start {t_start:.4}); KL {:.4} at 50 → {:.4}",
        kl_start, map.kl
    );
    assert!(t >= 0.95, "trustworthiness {t}");
    assert!(map.kl < kl_start, "KL did not fall");
}

#[test]
fn same_seed_same_bits_for_any_thread_count() {
    let (x, _) = gaussian_clusters(300, 20, 4, 1.0, 14);
    for method in [Method::BarnesHut, Method::Exact] {
        let run = |threads: usize, init: Init, seed: u64| {
            let cfg = TsneConfig {
                method,
                iterations: 120,
                threads,
                init,
                seed,
                ..TsneConfig::default()
            };
            tsne(&x, &cfg).unwrap()
        };
        let a = run(1, Init::Pca, 42);
        for threads in [1, 2, 3] {
            let b = run(threads, Init::Pca, 42);
            let same =
                a.y.as_slice()
                    .iter()
                    .zip(b.y.as_slice())
                    .all(|(u, v)| u.to_bits() == v.to_bits());
            assert!(same, "{method:?}: {threads} threads changed the map");
            assert_eq!(a.kl.to_bits(), b.kl.to_bits());
        }
        // The seed matters (random start): a different seed, a different map.
        let r1 = run(2, Init::Random, 1);
        let r2 = run(2, Init::Random, 2);
        assert_ne!(r1.y, r2.y, "{method:?}: the seed is ignored");
        assert_eq!(run(1, Init::Random, 1).y, r1.y);
    }
}

/// Trustworthiness straight from its definition, with full rankings.
fn trustworthiness_reference(x: &Matrix<f64>, y: &Matrix<f64>, k: usize) -> f64 {
    let n = x.rows();
    let dist = |m: &Matrix<f64>, i: usize, j: usize| -> f64 {
        (0..m.cols()).map(|c| (m[(i, c)] - m[(j, c)]).powi(2)).sum()
    };
    let mut total = 0.0;
    for i in 0..n {
        let order = |m: &Matrix<f64>| {
            let mut o: Vec<usize> = (0..n).filter(|&j| j != i).collect();
            o.sort_by(|&a, &b| dist(m, i, a).total_cmp(&dist(m, i, b)).then(a.cmp(&b)));
            o
        };
        let in_order = order(x);
        let out_order = order(y);
        for &j in &out_order[..k] {
            let rank = in_order.iter().position(|&l| l == j).unwrap() + 1;
            total += (rank as f64 - k as f64).max(0.0);
        }
    }
    let (n, k) = (n as f64, k as f64);
    1.0 - 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)) * total
}

#[test]
fn trustworthiness_matches_its_definition_and_sanity_values() {
    let x = random(80, 6, 1.0, 15);
    let y = random(80, 2, 1.0, 16);
    for k in [1, 5, 12] {
        let ours = trustworthiness(&x, &y, k).unwrap();
        let reference = trustworthiness_reference(&x, &y, k);
        assert!(
            (ours - reference).abs() < 1e-12,
            "k={k}: {ours} vs {reference}"
        );
    }
    // A perfect embedding scores 1; a random one about 0.5.
    let x2 = random(300, 2, 1.0, 17);
    assert_eq!(trustworthiness(&x2, &x2, 10).unwrap(), 1.0);
    let (xc, _) = gaussian_clusters(300, 50, 5, 1.0, 18);
    let t_random = trustworthiness(&xc, &random(300, 2, 1.0, 19), 10).unwrap();
    println!("trustworthiness of a random map: {t_random:.4}");
    assert!(t_random < 0.6, "random map scored {t_random}");
    // Bad k and shapes are errors, not panics.
    assert!(trustworthiness(&x2, &x2, 0).is_err());
    assert!(trustworthiness(&x2, &x2, 150).is_err());
    assert!(trustworthiness(&x, &x2, 5).is_err());
}

#[test]
fn quadtree_holds_every_point_and_theta_zero_is_brute_force() {
    let mut y: Vec<f64> = random(200, 2, 2.0, 20).into_vec();
    // Duplicates and a point on a cell boundary.
    y[20] = y[0];
    y[21] = y[1];
    y[40] = y[0];
    y[41] = y[1];
    let mut tree = QuadTree::new();
    tree.build(&y);
    tree.check(&y).unwrap();
    let n = 200;
    let mut stack = Vec::new();
    for i in [0, 10, 57, 199] {
        let (fx, fy, z) = tree.repulsion(i, y[2 * i], y[2 * i + 1], 0.0, &y, &mut stack);
        let (mut bx, mut by, mut bz) = (0.0, 0.0, 0.0);
        for j in 0..n {
            if j != i {
                let dx = y[2 * i] - y[2 * j];
                let dy = y[2 * i + 1] - y[2 * j + 1];
                let w = 1.0 / (1.0 + dx * dx + dy * dy);
                bz += w;
                bx += w * w * dx;
                by += w * w * dy;
            }
        }
        assert!((z - bz).abs() < 1e-12 * bz && (fx - bx).abs() < 1e-12 && (fy - by).abs() < 1e-12);
    }
    // All points identical: one chained leaf, no endless splitting.
    let same = vec![1.5; 2 * 50];
    tree.build(&same);
    tree.check(&same).unwrap();
    assert_eq!(tree.len(), 1);
}

#[test]
fn pca_finds_the_principal_axes() {
    // Jacobi on a matrix with known eigenvalues: Q diag(5, 2, 1) Qᵀ.
    let c = (0.3f64).cos();
    let s = (0.3f64).sin();
    let q = Matrix::from_vec(3, 3, vec![c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0]);
    let d = Matrix::from_vec(3, 3, vec![5.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 1.0]);
    let a = Matrix::matmul(
        &Matrix::matmul(&q, seqmodels::linalg::Op::N, &d, seqmodels::linalg::Op::N),
        seqmodels::linalg::Op::N,
        &q,
        seqmodels::linalg::Op::T,
    );
    let (vals, _) = jacobi_eigen(&a);
    for (v, want) in vals.iter().zip([5.0, 2.0, 1.0]) {
        assert!((v - want).abs() < 1e-12, "{vals:?}");
    }
    // Subspace iteration agrees with Jacobi on a random 30 × 30 covariance.
    let b = random(60, 30, 1.0, 21);
    let cov = Matrix::matmul(&b, seqmodels::linalg::Op::T, &b, seqmodels::linalg::Op::N);
    let (all, _) = jacobi_eigen(&cov);
    let (top, _) = top_eigenvectors(&cov, 2, 7, 1);
    for c in 0..2 {
        assert!(
            (top[c] - all[c]).abs() < 1e-9 * all[0],
            "{top:?} vs {:?}",
            &all[..2]
        );
    }
    // Data stretched along u = (1, 2, 2)/3 (std 5) and v ⟂ u (std 2): the
    // first PC lies along u, the second along v.
    let mut rng = Rng::new(22);
    let u = [1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0];
    let v = [2.0 / 3.0, 1.0 / 3.0, -2.0 / 3.0];
    let x = Matrix::from_fn(400, 3, |_, _| 0.0);
    let mut x = x;
    for i in 0..400 {
        let (a, b) = (5.0 * rng.normal(), 2.0 * rng.normal());
        for c in 0..3 {
            x[(i, c)] = 10.0 + a * u[c] + b * v[c] + 0.1 * rng.normal();
        }
    }
    let scores = pca(&x, 2, 1, 1);
    for (col, axis) in [(0, u), (1, v)] {
        // Correlate the scores with the projection on the true axis.
        let proj: Vec<f64> = (0..400)
            .map(|i| (0..3).map(|c| (x[(i, c)] - 10.0) * axis[c]).sum())
            .collect();
        let sc: Vec<f64> = (0..400).map(|i| scores[(i, col)]).collect();
        let dot: f64 = proj.iter().zip(&sc).map(|(a, b)| a * b).sum();
        let na: f64 = proj.iter().map(|a| a * a).sum::<f64>().sqrt();
        let nb: f64 = sc.iter().map(|a| a * a).sum::<f64>().sqrt();
        let corr = (dot / (na * nb)).abs();
        assert!(corr > 0.99, "component {col}: correlation {corr}");
    }
    // The start is scaled to std 1e-4 on the first coordinate.
    let y0 = initial_map(&x, Init::Pca, 1, 1);
    let mean: f64 = (0..400).map(|i| y0[(i, 0)]).sum::<f64>() / 400.0;
    let std = ((0..400).map(|i| (y0[(i, 0)] - mean).powi(2)).sum::<f64>() / 400.0).sqrt();
    assert!((std - 1e-4).abs() < 1e-12, "std {std}");
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let x = random(20, 3, 1.0, 23);
    let e = tsne(&x, &TsneConfig::default()).unwrap_err();
    assert!(e.to_string().contains("too few"), "{e}");
    let mut bad = random(40, 3, 1.0, 24);
    bad[(7, 2)] = f64::NAN;
    let cfg = TsneConfig {
        perplexity: 5.0,
        ..TsneConfig::default()
    };
    let e = tsne(&bad, &cfg).unwrap_err();
    assert!(e.to_string().contains("point 8 coordinate 3"), "{e}");
    for cfg in [
        TsneConfig {
            perplexity: f64::NAN,
            ..TsneConfig::default()
        },
        TsneConfig {
            perplexity: 0.5,
            ..TsneConfig::default()
        },
        TsneConfig {
            perplexity: 5.0,
            theta: -1.0,
            ..TsneConfig::default()
        },
        TsneConfig {
            perplexity: 5.0,
            learning_rate: Some(0.0),
            ..TsneConfig::default()
        },
    ] {
        assert!(tsne(&random(40, 3, 1.0, 25), &cfg).is_err(), "{cfg:?}");
    }
    // Identical points do not panic either.
    let same = Matrix::<f64>::filled(40, 3, 2.0);
    let cfg = TsneConfig {
        perplexity: 5.0,
        iterations: 50,
        ..TsneConfig::default()
    };
    let map = tsne(&same, &cfg).unwrap();
    assert!(map.y.all_finite());
}
