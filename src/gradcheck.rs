//! Gradient checking: compare a backward pass with central differences of the
//! loss, on every element of every tensor.
//!
//! Where it sits in the seed: backpropagation through time is derived by hand
//! (DERIVATIONS.md). This module is how we know the derivation and the code
//! agree. For each element θ of each tensor,
//!
//! ```text
//! n = (L(θ + h) − L(θ − h)) / (2h),      h = 1e-5, in f64
//! rel = |a − n| / max(1e-8, |a| + |n|)   a = the analytic gradient
//! ```
//!
//! and a tensor passes when its largest `rel` is below the threshold (1e-7 for
//! a single layer; deep stacks may need 1e-6, and say so where they use it).
//!
//! Relative error is meaningless for elements whose true gradient is near
//! zero (the numerical side has an absolute noise floor of ~1e-11), so the
//! checks draw random instances until every non-zero analytic element is at
//! least `GRADIENT_FLOOR` in magnitude — the same idea as keeping ReLU
//! pre-activations away from their kink. See `well_conditioned`.
//!
//! The harness returns data (`GradReport`) so tests assert on it and the CLI
//! prints it as a table.

use crate::Matrix;
use std::fmt;

/// The finite-difference step.
pub const H: f64 = 1e-5;

/// The default pass threshold for the maximum relative error.
pub const THRESHOLD: f64 = 1e-7;

/// The smallest non-zero analytic gradient element the checks accept in a
/// random instance (see `well_conditioned`).
///
/// Why: in f64 with h = 1e-5, evaluating the loss twice carries roundoff of a
/// few ulps of the loss's terms, so the numerical derivative has an absolute
/// noise floor of about 1e-11 to 3e-11 for the small networks checked here
/// (measured: the absolute error of large, correct gradient elements). For an
/// element whose true gradient is 1e-9, |a − n| / (|a| + |n|) then measures
/// that noise, not the backward pass. 3e-4 keeps the noise below 1e-7 relative
/// with a margin.
pub const GRADIENT_FLOOR: f64 = 3e-4;

/// True if every analytic gradient element is either exactly zero or at least
/// `GRADIENT_FLOOR` in magnitude. Checks draw random instances until this
/// holds (up to a fixed number of tries, after which they check the last draw
/// anyway, so a gradient that is systematically tiny still gets checked).
/// Exact zeros are allowed: a unit that never affects the loss (a dead ReLU,
/// a masked position) leaves the loss bit-identical under perturbation, so
/// both sides are exactly 0.
pub fn well_conditioned(params: &[Param]) -> bool {
    well_conditioned_for(params, THRESHOLD)
}

/// `well_conditioned` for a check with another threshold: the floor scales
/// inversely with it (a check at 1e-6, used for deep stacks, needs elements
/// of only 3e-5 to keep the noise below its threshold).
pub fn well_conditioned_for(params: &[Param], threshold: f64) -> bool {
    let floor = GRADIENT_FLOOR * THRESHOLD / threshold;
    params.iter().all(|p| {
        p.analytic
            .as_slice()
            .iter()
            .all(|&a| a == 0.0 || a.abs() >= floor)
    })
}

/// How many random instances a check draws at most while looking for a
/// `well_conditioned` one.
pub const MAX_DRAWS: usize = 2000;

/// One named tensor: its value and the gradient the backward pass computed.
#[derive(Clone, Debug)]
pub struct Param {
    /// Name shown in the report, e.g. `weight_hh` or `x`.
    pub name: String,
    /// The tensor's value at which the gradient is checked.
    pub value: Matrix<f64>,
    /// ∂L/∂value from the backward pass (same shape as `value`).
    pub analytic: Matrix<f64>,
}

impl Param {
    /// A named tensor with its analytic gradient.
    pub fn new(name: impl Into<String>, value: Matrix<f64>, analytic: Matrix<f64>) -> Param {
        let name = name.into();
        crate::linalg::assert_same_shape(
            &format!("gradcheck::Param {name}"),
            value.shape(),
            analytic.shape(),
        );
        Param {
            name,
            value,
            analytic,
        }
    }
}

/// The result for one tensor.
#[derive(Clone, Debug)]
pub struct TensorReport {
    /// The tensor's name.
    pub name: String,
    /// Its shape.
    pub shape: (usize, usize),
    /// Number of elements checked (all of them).
    pub checked: usize,
    /// Largest relative error over the elements.
    pub max_rel: f64,
    /// Largest absolute error |a − n|.
    pub max_abs: f64,
    /// Row-major index of the element with the largest relative error.
    pub worst: usize,
    /// Analytic and numerical values at `worst`.
    pub worst_values: (f64, f64),
    /// `max_rel < threshold`.
    pub passed: bool,
}

/// The result for a set of tensors.
#[derive(Clone, Debug)]
pub struct GradReport {
    /// A label for the whole check (e.g. `lstm T=4 B=3 I=5 H=7`).
    pub label: String,
    /// The threshold used.
    pub threshold: f64,
    /// One entry per tensor, in the order given.
    pub tensors: Vec<TensorReport>,
}

impl GradReport {
    /// True if every tensor passed.
    pub fn passed(&self) -> bool {
        self.tensors.iter().all(|t| t.passed)
    }

    /// The largest relative error over all tensors.
    pub fn max_rel(&self) -> f64 {
        self.tensors.iter().map(|t| t.max_rel).fold(0.0, f64::max)
    }

    /// Panics with the whole table if any tensor failed (for tests).
    #[track_caller]
    pub fn assert_passed(&self) {
        assert!(self.passed(), "gradient check failed:\n{self}");
    }
}

impl fmt::Display for GradReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.tensors {
            writeln!(
                f,
                "{:<36} {:<22} {:>9} {:>9.2e} {:>9.2e} {:>6.0e}  {}",
                self.label,
                t.name,
                format!("({}, {})", t.shape.0, t.shape.1),
                t.max_rel,
                t.max_abs,
                self.threshold,
                if t.passed { "pass" } else { "FAIL" }
            )?;
        }
        Ok(())
    }
}

/// The header matching `GradReport`'s Display rows.
pub fn table_header() -> String {
    format!(
        "{:<36} {:<22} {:>9} {:>9} {:>9} {:>6}  {}",
        "check", "tensor", "shape", "max rel", "max abs", "tol", "result"
    )
}

/// Relative error as defined in the module docs.
#[inline]
pub fn relative_error(a: f64, n: f64) -> f64 {
    (a - n).abs() / f64::max(1e-8, a.abs() + n.abs())
}

/// Checks every element of every tensor in `params` against central
/// differences of `loss`, which is called with the current values of all the
/// tensors (in the order given) and must return the scalar loss.
pub fn check(
    label: impl Into<String>,
    params: &[Param],
    threshold: f64,
    mut loss: impl FnMut(&[Matrix<f64>]) -> f64,
) -> GradReport {
    let mut values: Vec<Matrix<f64>> = params.iter().map(|p| p.value.clone()).collect();
    let mut tensors = Vec::with_capacity(params.len());
    for (t, p) in params.iter().enumerate() {
        let mut rep = TensorReport {
            name: p.name.clone(),
            shape: p.value.shape(),
            checked: 0,
            max_rel: 0.0,
            max_abs: 0.0,
            worst: 0,
            worst_values: (0.0, 0.0),
            passed: true,
        };
        for idx in 0..p.value.len() {
            let orig = values[t].as_slice()[idx];
            values[t].as_mut_slice()[idx] = orig + H;
            let lp = loss(&values);
            values[t].as_mut_slice()[idx] = orig - H;
            let lm = loss(&values);
            values[t].as_mut_slice()[idx] = orig;
            let n = (lp - lm) / (2.0 * H);
            let a = p.analytic.as_slice()[idx];
            let rel = relative_error(a, n);
            // A NaN anywhere must fail: count it as an infinite error.
            let rel = if rel.is_nan() { f64::INFINITY } else { rel };
            if rel > rep.max_rel {
                rep.max_rel = rel;
                rep.worst = idx;
                rep.worst_values = (a, n);
            }
            rep.max_abs = rep.max_abs.max((a - n).abs());
            rep.checked += 1;
        }
        rep.passed = rep.max_rel < threshold;
        tensors.push(rep);
    }
    GradReport {
        label: label.into(),
        threshold,
        tensors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// L(x, W) = Σ_i sin(x_i) · (W x)_i², a function with a known gradient.
    fn loss(x: &Matrix<f64>, w: &Matrix<f64>) -> f64 {
        let n = x.len();
        let mut l = 0.0;
        for i in 0..n {
            let wx: f64 = (0..n).map(|j| w.get(i, j) * x.as_slice()[j]).sum();
            l += x.as_slice()[i].sin() * wx * wx;
        }
        l
    }

    fn grads(x: &Matrix<f64>, w: &Matrix<f64>) -> (Matrix<f64>, Matrix<f64>) {
        let n = x.len();
        let xs = x.as_slice();
        let wx: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| w.get(i, j) * xs[j]).sum())
            .collect();
        let mut gx = Matrix::zeros(1, n);
        let mut gw = Matrix::zeros(n, n);
        for i in 0..n {
            // ∂/∂x_i of sin(x_i) · (Wx)_i²
            gx.as_mut_slice()[i] += xs[i].cos() * wx[i] * wx[i];
            // ∂/∂(Wx)_i = 2 sin(x_i) (Wx)_i, then through W and x.
            let d = 2.0 * xs[i].sin() * wx[i];
            for j in 0..n {
                gw.set(i, j, d * xs[j]);
                gx.as_mut_slice()[j] += d * w.get(i, j);
            }
        }
        (gx, gw)
    }

    fn setup() -> (Matrix<f64>, Matrix<f64>) {
        let mut rng = crate::rng::Rng::new(1);
        (
            Matrix::random_uniform(1, 5, -1.0, 1.0, &mut rng),
            Matrix::random_uniform(5, 5, -1.0, 1.0, &mut rng),
        )
    }

    #[test]
    fn passes_on_a_correct_gradient() {
        let (x, w) = setup();
        let (gx, gw) = grads(&x, &w);
        let params = [Param::new("x", x, gx), Param::new("W", w, gw)];
        let rep = check("known", &params, THRESHOLD, |v| loss(&v[0], &v[1]));
        println!("{}\n{rep}", table_header());
        rep.assert_passed();
        assert_eq!(rep.tensors[0].checked + rep.tensors[1].checked, 30);
        assert!(rep.max_rel() < 1e-8, "max rel {}", rep.max_rel());
    }

    #[test]
    fn fails_on_a_wrong_gradient() {
        let (x, w) = setup();
        let (gx, mut gw) = grads(&x, &w);
        // The classic transposition bug: use ∂L/∂Wᵀ instead of ∂L/∂W.
        gw = gw.transpose();
        let params = [
            Param::new("x", x.clone(), gx.clone()),
            Param::new("W", w.clone(), gw),
        ];
        let rep = check("transposed", &params, THRESHOLD, |v| loss(&v[0], &v[1]));
        assert!(rep.tensors[0].passed, "x was correct");
        assert!(
            !rep.tensors[1].passed,
            "a transposed W gradient must fail:\n{rep}"
        );
        assert!(!rep.passed());

        // A single element off by 1e-4 relative is caught too.
        let (gx2, gw2) = grads(&x, &w);
        let mut gx_bad = gx2.clone();
        gx_bad.as_mut_slice()[3] *= 1.0 + 1e-4;
        let params = [Param::new("x", x, gx_bad), Param::new("W", w, gw2)];
        let rep = check("one element", &params, THRESHOLD, |v| loss(&v[0], &v[1]));
        assert!(!rep.tensors[0].passed && rep.tensors[0].worst == 3, "{rep}");
    }

    #[test]
    fn nan_fails() {
        let x = Matrix::from_vec(1, 1, vec![1.0]);
        let params = [Param::new("x", x, Matrix::from_vec(1, 1, vec![f64::NAN]))];
        let rep = check("nan", &params, THRESHOLD, |v| v[0].as_slice()[0] * 2.0);
        assert!(!rep.passed());
    }
}
