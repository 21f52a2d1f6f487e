//! Element-wise non-linearities g(·) and their derivatives.
//!
//! The seed: a⟨t⟩ = g(Waa a⟨t−1⟩ + Wax x⟨t⟩ + ba) with g = tanh or ReLU, and the
//! gates Γ = σ(…) of the GRU and LSTM. Backward passes need g′, which for these
//! three is cheapest in terms of the *output* y = g(z):
//!
//! ```text
//! tanh:    y = tanh z                 dy/dz = 1 − y²
//! sigmoid: y = σ(z) = 1/(1 + e^−z)    dy/dz = y (1 − y)
//! ReLU:    y = max(0, z)              dy/dz = 1 if y > 0 else 0
//! ```
//!
//! ReLU's derivative at exactly z = 0 is taken as 0 (as PyTorch does).

use crate::linalg::Scalar;

/// Which g(·) a vanilla RNN uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// g = tanh (the course's default).
    Tanh,
    /// g = max(0, ·).
    Relu,
}

impl Activation {
    /// g(z).
    #[inline]
    pub fn apply<T: Scalar>(self, z: T) -> T {
        match self {
            Activation::Tanh => z.fast_tanh(),
            Activation::Relu => z.max(T::ZERO),
        }
    }

    /// g′(z) written in terms of y = g(z).
    #[inline]
    pub fn derivative_from_output<T: Scalar>(self, y: T) -> T {
        match self {
            Activation::Tanh => T::ONE - y * y,
            Activation::Relu => {
                if y > T::ZERO {
                    T::ONE
                } else {
                    T::ZERO
                }
            }
        }
    }

    /// The name used on the command line and in fixtures (`tanh` / `relu`).
    pub fn name(self) -> &'static str {
        match self {
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
        }
    }
}

/// σ′ in terms of y = σ(z).
#[inline]
pub fn sigmoid_derivative_from_output<T: Scalar>(y: T) -> T {
    y * (T::ONE - y)
}

/// tanh′ in terms of y = tanh(z).
#[inline]
pub fn tanh_derivative_from_output<T: Scalar>(y: T) -> T {
    T::ONE - y * y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_finite_differences() {
        let h = 1e-6;
        for &z in &[-2.0f64, -0.3, 0.4, 1.7] {
            let num = ((z + h).tanh() - (z - h).tanh()) / (2.0 * h);
            assert!((tanh_derivative_from_output(z.tanh()) - num).abs() < 1e-9);
            let num = ((z + h).sigmoid() - (z - h).sigmoid()) / (2.0 * h);
            assert!((sigmoid_derivative_from_output(z.sigmoid()) - num).abs() < 1e-9);
            let y = Activation::Relu.apply(z);
            let want = if z > 0.0 { 1.0 } else { 0.0 };
            assert_eq!(Activation::Relu.derivative_from_output(y), want);
        }
    }
}
