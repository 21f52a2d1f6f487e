//! Debiasing word embeddings (Bolukbasi, Chang, Zou, Saligrama & Kalai 2016),
//! as in the course's assignment.
//!
//! Where it sits in the course: embeddings learned from text inherit its
//! biases (man : computer programmer :: woman : homemaker). The fix has three
//! steps:
//!
//! 1. **Identify the bias direction** g: either one pair, g = e_woman − e_man
//!    (the course), or the first principal component of the definitional
//!    pairs after centring each pair on its mean (the paper): for pairs
//!    (x_i, y_i) with μ_i = (x_i + y_i)/2, the top eigenvector of
//!    C = Σ_i [(x_i − μ_i)(x_i − μ_i)ᵀ + (y_i − μ_i)(y_i − μ_i)ᵀ].
//! 2. **Neutralize** a word that should be neutral (receptionist, doctor):
//!    remove its component along g,
//!    e_bias = (e·g / ‖g‖²) g,   e_debiased = e − e_bias.
//! 3. **Equalize** pairs that should differ only by the bias (actor,
//!    actress): make them symmetric about the plane ⟂ g. With unit vectors
//!    w₁, w₂, μ = (w₁ + w₂)/2, μ_B its projection on g and ν = μ − μ_B:
//!    w_i ← ν + √(1 − ‖ν‖²) · (w_iB − μ_B)/‖w_iB − μ_B‖
//!    (the paper's equation; the result has unit norm). The course's notebook
//!    divides by ‖(w_i − ν) − μ_B‖ instead, which gives unit norm only when
//!    the pair's orthogonal parts already agree; the paper's form is used here.
//!
//! Derivation of the projections: DERIVATIONS.md, "Debiasing"; tests:
//! `tests/embeddings.rs`, `neutralize_removes_the_bias_component` and
//! `equalize_makes_pairs_symmetric`.

use super::vectors::WordVectors;
use crate::err;
use crate::error::Result;

fn dotf(u: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(v).map(|(a, b)| a * b).sum()
}

fn to64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// The projection of `e` on `g`: (e·g / ‖g‖²) g.
pub fn project(e: &[f64], g: &[f64]) -> Vec<f64> {
    let gg = dotf(g, g);
    if gg == 0.0 {
        return vec![0.0; e.len()];
    }
    let s = dotf(e, g) / gg;
    g.iter().map(|x| s * x).collect()
}

/// g = e_a − e_b, e.g. `bias_direction_pair(wv, "woman", "man")`. An error
/// if it is the zero vector (the same word twice, or two equal vectors):
/// there is then no direction to neutralize along.
pub fn bias_direction_pair(wv: &WordVectors, a: &str, b: &str) -> Result<Vec<f64>> {
    let (x, y) = (wv.vector(a)?, wv.vector(b)?);
    let g: Vec<f64> = x
        .iter()
        .zip(y)
        .map(|(&p, &q)| p as f64 - q as f64)
        .collect();
    if g.iter().all(|&v| v == 0.0) {
        return Err(err!(
            "bias direction: e_{a} − e_{b} is the zero vector ({a:?} and {b:?} have the same vector)"
        ));
    }
    Ok(g)
}

/// The first principal component of the centred definitional pairs (unit
/// length), by power iteration on C from a fixed start; its sign is chosen so
/// that it points from the second word of the first pair to the first.
pub fn bias_direction_pca(wv: &WordVectors, pairs: &[(String, String)]) -> Result<Vec<f64>> {
    if pairs.is_empty() {
        return Err(err!("bias direction: no definitional pairs given"));
    }
    let d = wv.dim();
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (a, b) in pairs {
        let (x, y) = (to64(wv.vector(a)?), to64(wv.vector(b)?));
        let mu: Vec<f64> = x.iter().zip(&y).map(|(p, q)| (p + q) / 2.0).collect();
        rows.push(x.iter().zip(&mu).map(|(p, m)| p - m).collect());
        rows.push(y.iter().zip(&mu).map(|(p, m)| p - m).collect());
    }
    // C v = Σ_r r (r·v), never forming C.
    let first = &rows[0];
    let mut v: Vec<f64> = if dotf(first, first) > 0.0 {
        first.clone()
    } else {
        vec![1.0; d]
    };
    for _ in 0..1000 {
        let mut cv = vec![0.0; d];
        for r in &rows {
            let s = dotf(r, &v);
            for k in 0..d {
                cv[k] += s * r[k];
            }
        }
        let n = dotf(&cv, &cv).sqrt();
        if n == 0.0 {
            return Err(err!(
                "bias direction: the definitional pairs are all identical words"
            ));
        }
        cv.iter_mut().for_each(|x| *x /= n);
        let change: f64 = cv.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
        v = cv;
        if change < 1e-12 {
            break;
        }
    }
    if dotf(&v, first) < 0.0 {
        v.iter_mut().for_each(|x| *x = -*x);
    }
    Ok(v)
}

/// Neutralize: e − (e·g/‖g‖²) g. The result has no component along g and the
/// same component orthogonal to g as `e`.
pub fn neutralize(e: &[f64], g: &[f64]) -> Vec<f64> {
    let p = project(e, g);
    e.iter().zip(&p).map(|(x, y)| x - y).collect()
}

/// Equalize a pair (the paper's equation, see the module docs). The inputs
/// are scaled to unit length first; the outputs have unit length, the same
/// component orthogonal to g, and opposite components along g.
pub fn equalize(w1: &[f64], w2: &[f64], g: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let unit = |v: &[f64]| {
        let n = dotf(v, v).sqrt();
        v.iter()
            .map(|x| if n > 0.0 { x / n } else { *x })
            .collect::<Vec<f64>>()
    };
    let (w1, w2) = (unit(w1), unit(w2));
    let mu: Vec<f64> = w1.iter().zip(&w2).map(|(a, b)| (a + b) / 2.0).collect();
    let mu_b = project(&mu, g);
    let nu: Vec<f64> = mu.iter().zip(&mu_b).map(|(a, b)| a - b).collect();
    let scale = (1.0 - dotf(&nu, &nu)).abs().sqrt();
    let fix = |w: &[f64]| -> Vec<f64> {
        let wb = project(w, g);
        let dir: Vec<f64> = wb.iter().zip(&mu_b).map(|(a, b)| a - b).collect();
        let n = dotf(&dir, &dir).sqrt();
        nu.iter()
            .zip(&dir)
            .map(|(v, d)| v + if n > 0.0 { scale * d / n } else { 0.0 })
            .collect()
    };
    (fix(&w1), fix(&w2))
}

/// Applies neutralize to `neutral` words and equalize to `equalize_pairs`
/// of `wv`, in place. Unknown words are an error naming them.
pub fn debias(
    wv: &mut WordVectors,
    g: &[f64],
    neutral: &[String],
    equalize_pairs: &[(String, String)],
) -> Result<()> {
    let mut missing = Vec::new();
    for w in neutral
        .iter()
        .chain(equalize_pairs.iter().flat_map(|(a, b)| [a, b]))
    {
        if wv.index_of(w).is_none() {
            missing.push(format!("{w:?}"));
        }
    }
    if !missing.is_empty() {
        return Err(err!("not in the vocabulary: {}", missing.join(", ")));
    }
    let ids: Vec<usize> = neutral.iter().map(|w| wv.index_of(w).unwrap()).collect();
    let pairs: Vec<(usize, usize)> = equalize_pairs
        .iter()
        .map(|(a, b)| (wv.index_of(a).unwrap(), wv.index_of(b).unwrap()))
        .collect();
    let m = wv.matrix_mut();
    for i in ids {
        let e = neutralize(&to64(m.row(i)), g);
        m.row_mut(i)
            .iter_mut()
            .zip(&e)
            .for_each(|(x, &y)| *x = y as f32);
    }
    for (a, b) in pairs {
        let (e1, e2) = equalize(&to64(m.row(a)), &to64(m.row(b)), g);
        m.row_mut(a)
            .iter_mut()
            .zip(&e1)
            .for_each(|(x, &y)| *x = y as f32);
        m.row_mut(b)
            .iter_mut()
            .zip(&e2)
            .for_each(|(x, &y)| *x = y as f32);
    }
    Ok(())
}
