//! Optimisers and gradient clipping.
//!
//! Where they sit in the seed: exploding gradients are "handled by clipping"
//! (the course's `clip` clips every element to [−max, max]); the update rules
//! are the ones the course's earlier parts teach: gradient descent with
//! momentum, RMSProp and Adam, plus Adagrad (min-char-rnn's choice).
//!
//! For a parameter θ with gradient g, at step t = 1, 2, …:
//!
//! ```text
//! SGD:       θ ← θ − lr·g
//! momentum:  v ← μ·v + g;                    θ ← θ − lr·v                (PyTorch's form)
//! Adagrad:   G ← G + g²;                     θ ← θ − lr·g / (√G + ε)
//! RMSProp:   S ← ρ·S + (1 − ρ)·g²;           θ ← θ − lr·g / (√S + ε)
//! Adam:      m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²
//!            m̂ = m / (1 − β₁ᵗ);  v̂ = v / (1 − β₂ᵗ);  θ ← θ − lr·m̂ / (√v̂ + ε)
//! ```
//!
//! The optimiser works on a list of parameter tensors (flat slices) and keeps
//! one or two state tensors per parameter, in the same order, so its state
//! can be saved in a checkpoint and restored bit for bit.

use crate::err;
use crate::linalg::simd::vectorized;
use crate::linalg::Scalar;

/// Which update rule, with its hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimKind {
    /// Plain or momentum SGD (momentum 0 means plain).
    Sgd {
        /// μ.
        momentum: f64,
    },
    /// Adagrad.
    Adagrad {
        /// ε.
        eps: f64,
    },
    /// RMSProp.
    RmsProp {
        /// ρ, the decay of the squared-gradient average.
        decay: f64,
        /// ε.
        eps: f64,
    },
    /// Adam.
    Adam {
        /// β₁.
        beta1: f64,
        /// β₂.
        beta2: f64,
        /// ε.
        eps: f64,
    },
}

impl OptimKind {
    /// The name used on the command line and in checkpoints.
    pub fn name(&self) -> &'static str {
        match self {
            OptimKind::Sgd { .. } => "sgd",
            OptimKind::Adagrad { .. } => "adagrad",
            OptimKind::RmsProp { .. } => "rmsprop",
            OptimKind::Adam { .. } => "adam",
        }
    }

    /// The rule with its usual defaults: momentum 0 (`sgd`), ε = 1e-8
    /// (`adagrad`), ρ = 0.99, ε = 1e-8 (`rmsprop`), β = (0.9, 0.999), ε = 1e-8 (`adam`).
    pub fn parse(name: &str) -> crate::Result<OptimKind> {
        match name {
            "sgd" => Ok(OptimKind::Sgd { momentum: 0.0 }),
            "momentum" => Ok(OptimKind::Sgd { momentum: 0.9 }),
            "adagrad" => Ok(OptimKind::Adagrad { eps: 1e-8 }),
            "rmsprop" => Ok(OptimKind::RmsProp {
                decay: 0.99,
                eps: 1e-8,
            }),
            "adam" => Ok(OptimKind::Adam {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            }),
            other => Err(err!(
                "unknown optimizer {other:?}: expected sgd, momentum, adagrad, rmsprop or adam"
            )),
        }
    }

    /// How many state tensors the rule keeps per parameter.
    pub fn state_slots(&self) -> usize {
        match self {
            OptimKind::Sgd { momentum } if *momentum == 0.0 => 0,
            OptimKind::Adam { .. } => 2,
            _ => 1,
        }
    }
}

/// An optimiser with its state.
#[derive(Clone, Debug, PartialEq)]
pub struct Optimizer<T> {
    /// The rule.
    pub kind: OptimKind,
    /// The learning rate.
    pub lr: f64,
    /// Steps taken so far (t of Adam's bias correction).
    pub steps: u64,
    /// `state[slot][i]`: state tensor `slot` of parameter `i` (momentum v,
    /// accumulator G or S, or Adam's m and v), created on the first step.
    pub state: Vec<Vec<Vec<T>>>,
}

impl<T: Scalar> Optimizer<T> {
    /// A fresh optimiser.
    pub fn new(kind: OptimKind, lr: f64) -> Optimizer<T> {
        Optimizer {
            kind,
            lr,
            steps: 0,
            state: Vec::new(),
        }
    }

    /// Applies one update to every parameter tensor. `params[i]` and
    /// `grads[i]` must have the same length for all steps. Returns whether
    /// every updated value is finite (false: the update overflowed or met a
    /// NaN, and training has diverged). The check rides in the update's own
    /// loop (Adagrad's and RMSProp's are bound by the square root and the
    /// division); as a pass of its own after the update, over min-char-rnn's
    /// 15 627 parameters, it took 1.4% of a training step in `perf`.
    pub fn step(&mut self, params: &mut [&mut [T]], grads: &[&[T]]) -> bool {
        assert!(
            params.len() == grads.len(),
            "Optimizer::step: {} parameters, {} gradients",
            params.len(),
            grads.len()
        );
        if self.state.is_empty() {
            self.state = (0..self.kind.state_slots())
                .map(|_| grads.iter().map(|g| vec![T::ZERO; g.len()]).collect())
                .collect();
        }
        self.steps += 1;
        let lr = T::from_f64(self.lr);
        let mut non_finite = 0usize;
        for (i, (p, g)) in params.iter_mut().zip(grads).enumerate() {
            assert!(
                p.len() == g.len(),
                "Optimizer::step: tensor {i} has {} values, gradient {}",
                p.len(),
                g.len()
            );
            // Compiled for the widest vectors the CPU has; the operations
            // (no mul_add, correctly rounded sqrt and division) give the same
            // bits on every path.
            let (kind, state, steps) = (self.kind, &mut self.state, self.steps);
            vectorized(
                #[inline(always)]
                || {
                    let mut bad = 0u32; // non-finite results (a 32-bit count vectorizes)
                    match kind {
                        OptimKind::Sgd { momentum: 0.0 } => {
                            for (w, &d) in p.iter_mut().zip(g.iter()) {
                                *w -= lr * d;
                                bad += !w.is_finite() as u32;
                            }
                        }
                        OptimKind::Sgd { momentum } => {
                            let mu = T::from_f64(momentum);
                            let v = &mut state[0][i];
                            for ((w, &d), vj) in p.iter_mut().zip(g.iter()).zip(v.iter_mut()) {
                                *vj = mu * *vj + d;
                                *w -= lr * *vj;
                                bad += !w.is_finite() as u32;
                            }
                        }
                        OptimKind::Adagrad { eps } => {
                            let eps = T::from_f64(eps);
                            let acc = &mut state[0][i];
                            for ((w, &d), a) in p.iter_mut().zip(g.iter()).zip(acc.iter_mut()) {
                                *a += d * d;
                                *w -= lr * d / (a.sqrt() + eps);
                                bad += !w.is_finite() as u32;
                            }
                        }
                        OptimKind::RmsProp { decay, eps } => {
                            let (rho, eps) = (T::from_f64(decay), T::from_f64(eps));
                            let s = &mut state[0][i];
                            for ((w, &d), sj) in p.iter_mut().zip(g.iter()).zip(s.iter_mut()) {
                                *sj = rho * *sj + (T::ONE - rho) * d * d;
                                *w -= lr * d / (sj.sqrt() + eps);
                                bad += !w.is_finite() as u32;
                            }
                        }
                        OptimKind::Adam { beta1, beta2, eps } => {
                            let t = steps as f64;
                            let (b1, b2, eps) =
                                (T::from_f64(beta1), T::from_f64(beta2), T::from_f64(eps));
                            let c1 = T::from_f64(1.0 - beta1.powf(t));
                            let c2 = T::from_f64(1.0 - beta2.powf(t));
                            let (ms, vs) = state.split_at_mut(1);
                            let (m, v) = (&mut ms[0][i], &mut vs[0][i]);
                            for (((w, &d), mj), vj) in p
                                .iter_mut()
                                .zip(g.iter())
                                .zip(m.iter_mut())
                                .zip(v.iter_mut())
                            {
                                *mj = b1 * *mj + (T::ONE - b1) * d;
                                *vj = b2 * *vj + (T::ONE - b2) * d * d;
                                let m_hat = *mj / c1;
                                let v_hat = *vj / c2;
                                *w -= lr * m_hat / (v_hat.sqrt() + eps);
                                bad += !w.is_finite() as u32;
                            }
                        }
                    }
                    non_finite += bad as usize;
                },
            );
        }
        non_finite == 0
    }
}

/// The course's `clip`: every gradient element into [−max, max]. Returns how
/// many elements were clipped. NaN stays NaN (so divergence is still seen).
pub fn clip_by_value<T: Scalar>(grads: &mut [&mut [T]], max: f64) -> usize {
    let (hi, lo) = (T::from_f64(max), T::from_f64(-max));
    let mut clipped = 0;
    for g in grads.iter_mut() {
        // Written as selects between values and a 32-bit count per chunk, so
        // that it compiles to vector compares and blends. (Selecting between
        // references, with a 64-bit count, compiled to a scalar loop.) The
        // two compares are counted apart (they never both hold): counting
        // `over | under` made LLVM OR the AVX-512 mask registers and keep
        // them on the stack: 1.09 µs instead of 0.64 for 15 527 values of
        // f32, about min-char-rnn's gradients (an AMD EPYC Zen 5).
        vectorized(
            #[inline(always)]
            || {
                let (hi, lo) = (hi, lo);
                for chunk in g.chunks_mut(4096) {
                    let mut n = 0u32;
                    for x in chunk.iter_mut() {
                        let v = *x;
                        let (over, under) = (v > hi, v < lo);
                        n += over as u32 + under as u32;
                        // Two selects on values (a NaN stays NaN).
                        let v = if over { hi } else { v };
                        *x = if under { lo } else { v };
                    }
                    clipped += n as usize;
                }
            },
        );
    }
    clipped
}

/// The global L2 norm of all gradients together, accumulated in f64.
///
/// Summation order (for porting bit for bit): within each tensor, element i
/// is added to partial sum i mod 8; the eight partial sums are then added in
/// order 0..8, and the tensors' results in order. Eight independent sums let
/// the loop run as vector adds instead of one long dependent chain.
pub fn global_norm<T: Scalar>(grads: &[&[T]]) -> f64 {
    let mut total = 0.0;
    for g in grads {
        let mut sum = 0.0;
        vectorized(
            #[inline(always)]
            || {
                let mut lanes = [0.0f64; 8];
                let mut chunks = g.chunks_exact(8);
                for c in &mut chunks {
                    for (l, x) in lanes.iter_mut().zip(c) {
                        *l += x.to_f64() * x.to_f64();
                    }
                }
                for (l, x) in lanes.iter_mut().zip(chunks.remainder()) {
                    *l += x.to_f64() * x.to_f64();
                }
                sum = lanes.iter().sum::<f64>();
            },
        );
        total += sum;
    }
    total.sqrt()
}

/// Rescales all gradients together so their global L2 norm is at most `max`
/// (Pascanu et al. 2013). Returns the norm before clipping. A NaN or infinite
/// norm leaves the gradients unchanged (the caller should stop: training has
/// diverged).
pub fn clip_by_global_norm<T: Scalar>(grads: &mut [&mut [T]], max: f64) -> f64 {
    let norm = {
        let views: Vec<&[T]> = grads.iter().map(|g| &**g).collect();
        global_norm(&views)
    };
    if norm.is_finite() && norm > max {
        let s = T::from_f64(max / norm);
        for g in grads.iter_mut() {
            for x in g.iter_mut() {
                *x *= s;
            }
        }
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One parameter [1, −2], gradients [0.5, −1] then [0.1, 0.2]; the
    /// expected values are worked out by hand from the formulas in the module
    /// docs (each line of arithmetic is in the comments).
    fn two_steps(kind: OptimKind, lr: f64) -> Vec<f64> {
        let mut opt = Optimizer::<f64>::new(kind, lr);
        let mut w = vec![1.0, -2.0];
        opt.step(&mut [&mut w], &[&[0.5, -1.0]]);
        opt.step(&mut [&mut w], &[&[0.1, 0.2]]);
        w
    }

    fn close(a: &[f64], b: &[f64]) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }

    /// `step` reports an update that leaves a value infinite or NaN, for
    /// every rule, and only then.
    #[test]
    fn step_reports_non_finite_results() {
        let kinds = [
            OptimKind::Sgd { momentum: 0.0 },
            OptimKind::Sgd { momentum: 0.9 },
            OptimKind::Adagrad { eps: 1e-8 },
            OptimKind::RmsProp {
                decay: 0.99,
                eps: 1e-8,
            },
            OptimKind::Adam {
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            },
        ];
        for kind in kinds {
            let mut opt = Optimizer::<f32>::new(kind, 0.1);
            // Ten values, so that the bad one is not the first lane.
            let (mut w, mut v) = (vec![1.0f32; 10], vec![2.0f32; 3]);
            let (g, h) = (vec![0.5f32; 10], vec![0.25f32; 3]);
            assert!(opt.step(&mut [&mut w, &mut v], &[&g, &h]), "{kind:?}");
            w[7] = f32::INFINITY;
            assert!(!opt.step(&mut [&mut w, &mut v], &[&g, &h]), "{kind:?}");
            w[7] = 1.0;
            v[2] = f32::NAN;
            assert!(!opt.step(&mut [&mut w, &mut v], &[&g, &h]), "{kind:?}");
        }
    }

    #[test]
    fn sgd() {
        // w = 1 − 0.1·0.5 − 0.1·0.1 = 0.94;  −2 + 0.1·1 − 0.1·0.2 = −1.92
        close(
            &two_steps(OptimKind::Sgd { momentum: 0.0 }, 0.1),
            &[0.94, -1.92],
        );
    }

    #[test]
    fn momentum() {
        // v1 = g1 = [0.5, −1];  w1 = [0.95, −1.9]
        // v2 = 0.9·v1 + g2 = [0.55, −0.7];  w2 = [0.95 − 0.055, −1.9 + 0.07] = [0.895, −1.83]
        close(
            &two_steps(OptimKind::Sgd { momentum: 0.9 }, 0.1),
            &[0.895, -1.83],
        );
    }

    #[test]
    fn adagrad() {
        // G1 = [0.25, 1];  w1 = [1 − 0.1·0.5/0.5, −2 + 0.1·1/1] = [0.9, −1.9]
        // G2 = [0.26, 1.04];  w2 = [0.9 − 0.1·0.1/√0.26, −1.9 − 0.1·0.2/√1.04]
        let e = [0.9 - 0.01 / 0.26f64.sqrt(), -1.9 - 0.02 / 1.04f64.sqrt()];
        close(&two_steps(OptimKind::Adagrad { eps: 0.0 }, 0.1), &e);
    }

    #[test]
    fn rmsprop() {
        // S1 = 0.1·g1² = [0.025, 0.1];  w1 = [1 − 0.01·0.5/√0.025, −2 + 0.01·1/√0.1]
        // S2 = 0.9·S1 + 0.1·g2² = [0.0235, 0.094]
        let w1 = [1.0 - 0.005 / 0.025f64.sqrt(), -2.0 + 0.01 / 0.1f64.sqrt()];
        let e = [
            w1[0] - 0.001 / 0.0235f64.sqrt(),
            w1[1] - 0.002 / 0.094f64.sqrt(),
        ];
        close(
            &two_steps(
                OptimKind::RmsProp {
                    decay: 0.9,
                    eps: 0.0,
                },
                0.01,
            ),
            &e,
        );
    }

    #[test]
    fn adam() {
        // t=1: m = 0.1·g1, v = 0.001·g1²; m̂ = g1, v̂ = g1²  ⇒ w1 = w0 − lr·sign(g1)
        //      = [1 − 0.01, −2 + 0.01]
        // t=2: m = 0.9·0.1·g1 + 0.1·g2 = [0.055, −0.07]; v = 0.999·0.001·g1² + 0.001·g2²
        //      = [0.00025975, 0.00103900]; m̂ = m/0.19, v̂ = v/0.001999
        let m = [0.055, -0.07];
        let v = [
            0.999 * 0.001 * 0.25 + 0.001 * 0.01,
            0.999 * 0.001 * 1.0 + 0.001 * 0.04,
        ];
        let w1 = [0.99, -1.99];
        let e: Vec<f64> = (0..2)
            .map(|j| w1[j] - 0.01 * (m[j] / 0.19) / ((v[j] / (1.0 - 0.999f64 * 0.999)).sqrt()))
            .collect();
        close(
            &two_steps(
                OptimKind::Adam {
                    beta1: 0.9,
                    beta2: 0.999,
                    eps: 0.0,
                },
                0.01,
            ),
            &e,
        );
    }

    #[test]
    fn clipping() {
        let mut a = vec![3.0, -7.0, 0.5];
        let mut b = vec![-0.2];
        assert_eq!(clip_by_value(&mut [&mut a, &mut b], 1.0), 2);
        assert_eq!(a, vec![1.0, -1.0, 0.5]);
        let mut a = vec![3.0, 4.0];
        let mut b = vec![12.0];
        let n = clip_by_global_norm(&mut [&mut a, &mut b], 6.5);
        assert_eq!(n, 13.0);
        close(&[a[0], a[1], b[0]], &[1.5, 2.0, 6.0]);
        // Below the limit nothing changes.
        let mut c = vec![0.3, 0.4];
        assert_eq!(clip_by_global_norm(&mut [&mut c], 1.0), 0.5);
        assert_eq!(c, vec![0.3, 0.4]);
    }

    /// The eight-lane sum of `global_norm` against a plain sequential sum, on
    /// lengths around the lane count (remainders 0 … 7), in f32 and f64; and
    /// NaN passing through `clip_by_value` unclipped and uncounted.
    #[test]
    fn norm_lanes_and_nan() {
        for n in [0usize, 1, 7, 8, 9, 15, 16, 17, 100, 1001] {
            let a: Vec<f64> = (0..n).map(|i| ((i * 37 % 11) as f64 - 5.0) * 0.3).collect();
            let b: Vec<f32> = a.iter().map(|&x| x as f32).collect();
            let plain64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
            let plain32 = b
                .iter()
                .map(|&x| (x as f64) * (x as f64))
                .sum::<f64>()
                .sqrt();
            let (n64, n32) = (global_norm(&[&a[..], &a[..]]), global_norm(&[&b[..]]));
            assert!(
                (n64 - plain64 * 2f64.sqrt()).abs() <= 1e-12 * (1.0 + plain64),
                "n = {n}"
            );
            assert!((n32 - plain32).abs() <= 1e-12 * (1.0 + plain32), "n = {n}");
        }
        let mut g = vec![f32::NAN, 9.0, -9.0, 0.5];
        assert_eq!(clip_by_value(&mut [&mut g], 1.0), 2);
        assert!(g[0].is_nan());
        assert_eq!(&g[1..], &[1.0, -1.0, 0.5]);
        assert!(global_norm(&[&g[..]]).is_nan());
    }
}
