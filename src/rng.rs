//! A seeded random number generator, specified bit for bit so that a port in any
//! language reproduces every initial weight, shuffle and sample.
//!
//! Where it sits in the seed: the embedding matrix E and every weight matrix are
//! "randomly initialised"; sampling a name from a trained language model draws
//! from a softmax. Both need a generator, and a reference implementation needs
//! one that others can reproduce exactly.
//!
//! # Algorithm
//! The generator is **xoshiro256\*\*** (Blackman and Vigna, 2018), with its 256-bit
//! state filled from the 64-bit seed by **SplitMix64**. All arithmetic is on
//! unsigned 64-bit integers and wraps.
//!
//! Seeding (`Rng::new(seed)`), four times, for `s[0]`, `s[1]`, `s[2]`, `s[3]`:
//! ```text
//! x  = x + 0x9E3779B97F4A7C15          (x starts at seed)
//! z  = x
//! z  = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
//! z  = (z ^ (z >> 27)) * 0x94D049BB133111EB
//! s[i] = z ^ (z >> 31)
//! ```
//! One step (`next_u64`):
//! ```text
//! result = rotl(s[1] * 5, 7) * 9
//! t = s[1] << 17
//! s[2] ^= s[0];  s[3] ^= s[1];  s[1] ^= s[2];  s[0] ^= s[3]
//! s[2] ^= t;     s[3] = rotl(s[3], 45)
//! ```
//! The first four outputs of `Rng::new(42).next_u64()` are
//! `0x15780b2e0c2ec716`, `0x6104d9866d113a7e`, `0xae17533239e499a1`,
//! `0xecb8ad4703b360a1`. They, and the other values quoted here, come from an
//! independent Python implementation, `data/reference/rng_reference.py`, and
//! `tests/rng.rs` checks them.
//!
//! # Derived draws
//! - `next_f64()` = `(next_u64() >> 11) · 2⁻⁵³`, in [0, 1). The first value for
//!   seed 42 is `0.08386297105988216`.
//! - `uniform(lo, hi)` = `lo + (hi − lo) · next_f64()`, computed in f64 and then
//!   rounded to the target type, so f32 and f64 models from one seed hold the same
//!   weights up to rounding.
//! - `below(n)`: let `zone = ⌊(2⁶⁴ − 1) / n⌋ · n`; draw `x = next_u64()` until
//!   `x < zone`; return `x mod n`. Unbiased.
//! - `normal()`: Marsaglia's polar method. Draw `u = 2·next_f64() − 1`,
//!   `v = 2·next_f64() − 1` until `0 < s = u² + v² < 1`; return `u · √(−2 ln s / s)`.
//!   The second value `v · …` is discarded, so no hidden state exists. This is
//!   bit-exact wherever `ln` is correctly rounded for the arguments met (glibc's is).
//! - `categorical(p)`: `r = next_f64() · Σp`; return the first `i` whose running
//!   sum (added left to right in f64) exceeds `r`; if rounding leaves none, the
//!   last `i` with `p[i] > 0`.
//! - `shuffle(xs)`: Fisher–Yates from the back: for `i = n−1 … 1`,
//!   `j = below(i + 1)`, swap `xs[i]` and `xs[j]`.
//! - `fork()`: `Rng::new(next_u64())`, an independent stream for a worker.

use crate::linalg::Scalar;

/// xoshiro256** seeded by SplitMix64. See the module docs for the exact algorithm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole future is fixed by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut s = [0u64; 4];
        for slot in s.iter_mut() {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            *slot = z ^ (z >> 31);
        }
        Rng { s }
    }

    /// The raw state, for checkpoints.
    pub fn state(&self) -> [u64; 4] {
        self.s
    }

    /// Rebuilds a generator from a saved state. An all-zero state is invalid
    /// for xoshiro (it would stay zero), so it is replaced by `Rng::new(0)`.
    pub fn from_state(s: [u64; 4]) -> Rng {
        if s == [0; 4] {
            Rng::new(0)
        } else {
            Rng { s }
        }
    }

    /// Next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 random bits.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [lo, hi), computed in f64 and rounded to `T`.
    #[inline]
    pub fn uniform<T: Scalar>(&mut self, lo: f64, hi: f64) -> T {
        T::from_f64(lo + (hi - lo) * self.next_f64())
    }

    /// Uniform integer in [0, n), unbiased. Panics if `n == 0` (a programming error).
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Rng::below(0)");
        let n = n as u64;
        let zone = (u64::MAX / n) * n;
        loop {
            let x = self.next_u64();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }

    /// Standard normal N(0, 1), by Marsaglia's polar method.
    pub fn normal(&mut self) -> f64 {
        loop {
            let u = 2.0 * self.next_f64() - 1.0;
            let v = 2.0 * self.next_f64() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                return u * (-2.0 * s.ln() / s).sqrt();
            }
        }
    }

    /// Draws index `i` with probability `p[i] / Σp`. The weights need not sum
    /// to one but must be non-negative with a positive sum (a programming error
    /// otherwise).
    pub fn categorical<T: Scalar>(&mut self, p: &[T]) -> usize {
        let total: f64 = p.iter().map(|x| x.to_f64()).sum();
        assert!(
            total > 0.0 && total.is_finite(),
            "Rng::categorical: weights sum to {total}"
        );
        let r = self.next_f64() * total;
        let mut acc = 0.0;
        let mut last_positive = 0;
        for (i, &pi) in p.iter().enumerate() {
            let pi = pi.to_f64();
            if pi > 0.0 {
                last_positive = i;
            }
            acc += pi;
            if acc > r {
                return i;
            }
        }
        last_positive
    }

    /// Shuffles in place (Fisher–Yates, from the back).
    pub fn shuffle<X>(&mut self, xs: &mut [X]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }

    /// An independent generator seeded from this one's next output.
    pub fn fork(&mut self) -> Rng {
        Rng::new(self.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_roughly_uniform() {
        let mut r = Rng::new(7);
        let mut counts = [0usize; 10];
        for _ in 0..100_000 {
            counts[r.below(10)] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "bucket count {c}");
        }
    }

    #[test]
    fn normal_has_unit_moments() {
        let mut r = Rng::new(3);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }

    #[test]
    fn categorical_follows_weights() {
        let mut r = Rng::new(11);
        let p = [0.0f64, 1.0, 3.0, 0.0];
        let mut counts = [0usize; 4];
        for _ in 0..40_000 {
            counts[r.categorical(&p)] += 1;
        }
        assert_eq!(counts[0] + counts[3], 0, "zero-weight index drawn");
        let frac = counts[2] as f64 / 40_000.0;
        assert!((frac - 0.75).abs() < 0.01, "P(2) = {frac}");
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut r = Rng::new(5);
        let mut xs: Vec<usize> = (0..100).collect();
        r.shuffle(&mut xs);
        assert_ne!(xs, (0..100).collect::<Vec<_>>());
        xs.sort();
        assert_eq!(xs, (0..100).collect::<Vec<_>>());
    }
}
