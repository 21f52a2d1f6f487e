//! `Scalar`: the one trait that lets every kernel and model run in `f32` or `f64`.
//!
//! The seed writes its equations over the reals. Code has to pick a float width:
//! `f32` for speed, `f64` for gradient checks (central differences need the extra
//! digits). Everything in the crate is generic over this trait, so the same
//! source line runs in both.

use super::fastmath;
use super::gemm::GemmScalar;
use std::fmt::{Debug, Display};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A floating-point element type: implemented for `f32` and `f64` only.
///
/// The methods are thin wrappers over the inherent float methods, so that
/// generic code can call them. `mul_add` is a fused multiply-add: it compiles to
/// one instruction only inside a function compiled with the `fma` target
/// feature (see `linalg::gemm`). Elsewhere prefer `a * b + c`.
pub trait Scalar:
    Copy
    + Send
    + Sync
    + Default
    + Debug
    + Display
    + PartialEq
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + GemmScalar
    + 'static
{
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Machine epsilon of the type.
    const EPSILON: Self;
    /// The dtype name used in files and JSON output: `"f32"` or `"f64"`.
    const DTYPE: &'static str;
    /// Size in bytes.
    const BYTES: usize;

    /// Converts from `f64`, rounding to nearest for `f32`.
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` (exact for both types).
    fn to_f64(self) -> f64;
    /// Converts from `usize` (rounded for large values).
    fn from_usize(n: usize) -> Self;
    /// e^x.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// x^p for a float p.
    fn powf(self, p: Self) -> Self;
    /// Larger of two values (NaN-ignoring, as `f64::max`).
    fn max(self, other: Self) -> Self;
    /// Smaller of two values (NaN-ignoring, as `f64::min`).
    fn min(self, other: Self) -> Self;
    /// `self * a + b` with one rounding. Fast only under the `fma` target feature.
    fn mul_add(self, a: Self, b: Self) -> Self;
    /// True unless NaN or ±Inf.
    fn is_finite(self) -> bool;
    /// Writes the little-endian bytes of `self` into `out` (`out.len() == BYTES`).
    fn write_le(self, out: &mut [u8]);
    /// Reads a value from `BYTES` little-endian bytes.
    fn read_le(bytes: &[u8]) -> Self;
    /// e^x by `linalg::fastmath` (branch-free, vectorises; ≤ 2 ulp in f32, ≤ 4 ulp in f64).
    fn fast_exp(self) -> Self;
    /// tanh x by `linalg::fastmath` (≤ 2 ulp in f32, ≤ 4 ulp in f64).
    fn fast_tanh(self) -> Self;
    /// σ(x) by `linalg::fastmath` (≤ 2 ulp in f32, ≤ 4 ulp in f64).
    fn fast_sigmoid(self) -> Self;

    /// The logistic sigmoid σ(x) = 1 / (1 + e^(−x)), written so that it never
    /// overflows: for x < 0 it uses e^x / (1 + e^x).
    #[inline]
    fn sigmoid(self) -> Self {
        if self >= Self::ZERO {
            Self::ONE / (Self::ONE + (-self).exp())
        } else {
            let e = self.exp();
            e / (Self::ONE + e)
        }
    }
}

macro_rules! impl_scalar {
    ($t:ty, $name:expr, $exp:ident, $tanh:ident, $sigmoid:ident) => {
        impl Scalar for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const EPSILON: Self = <$t>::EPSILON;
            const DTYPE: &'static str = $name;
            const BYTES: usize = std::mem::size_of::<$t>();

            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_usize(n: usize) -> Self {
                n as $t
            }
            #[inline(always)]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn powf(self, p: Self) -> Self {
                <$t>::powf(self, p)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                <$t>::min(self, other)
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                <$t>::mul_add(self, a, b)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline(always)]
            fn write_le(self, out: &mut [u8]) {
                out.copy_from_slice(&self.to_le_bytes());
            }
            #[inline(always)]
            fn fast_exp(self) -> Self {
                fastmath::$exp(self)
            }
            #[inline(always)]
            fn fast_tanh(self) -> Self {
                fastmath::$tanh(self)
            }
            #[inline(always)]
            fn fast_sigmoid(self) -> Self {
                fastmath::$sigmoid(self)
            }
            #[inline(always)]
            fn read_le(bytes: &[u8]) -> Self {
                let mut b = [0u8; std::mem::size_of::<$t>()];
                b.copy_from_slice(bytes);
                <$t>::from_le_bytes(b)
            }
        }
    };
}

impl_scalar!(f32, "f32", exp_f32, tanh_f32, sigmoid_f32);
impl_scalar!(f64, "f64", exp_f64, tanh_f64, sigmoid_f64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_is_stable_and_symmetric() {
        for &x in &[-800.0f64, -30.0, -1.0, 0.0, 1.0, 30.0, 800.0] {
            let s = x.sigmoid();
            assert!(s.is_finite() && (0.0..=1.0).contains(&s), "σ({x}) = {s}");
            assert!(
                (s + (-x).sigmoid() - 1.0).abs() < 1e-15,
                "σ(x)+σ(−x) ≠ 1 at {x}"
            );
        }
        assert_eq!(0.0f32.sigmoid(), 0.5);
    }

    #[test]
    fn le_bytes_round_trip() {
        let mut b = [0u8; 4];
        1.5f32.write_le(&mut b);
        assert_eq!(f32::read_le(&b), 1.5);
        let mut b = [0u8; 8];
        (-2.25f64).write_le(&mut b);
        assert_eq!(f64::read_le(&b), -2.25);
    }
}
