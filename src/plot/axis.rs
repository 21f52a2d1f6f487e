//! Axes: the data range a chart shows, where its ticks go, and how tick values
//! are written.
//!
//! Linear axes use "nice numbers" (Heckbert, *Nice numbers for graph labels*,
//! Graphics Gems, 1990): the tick step is 1, 2 or 5 times a power of ten, and
//! the axis range is widened to whole steps, so ticks read 0, 0.5, 1.0, …
//! rather than 0.137, 0.274, …
//!
//! Log axes put ticks at powers of ten (every decade, or every few decades
//! when the data span many), the range widened to whole decades. A loss curve
//! from 2.3 down to 0.004 gets ticks at 0.001, 0.01, 0.1, 1 and 10.

/// One axis tick: its value in data units and its label.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    /// The value, in data units.
    pub value: f64,
    /// The text written beside the tick.
    pub label: String,
}

/// A mapping from data values to a pixel interval.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// Lower end of the shown range, in data units.
    pub lo: f64,
    /// Upper end of the shown range, in data units (`hi > lo`).
    pub hi: f64,
    /// True for a log10 axis (then `lo > 0`).
    pub log: bool,
    /// The labelled ticks, ascending.
    pub ticks: Vec<Tick>,
    /// Unlabelled minor ticks (2·10^k … 9·10^k on log axes with few decades).
    pub minor: Vec<f64>,
}

/// Heckbert's nice number: a value of the form {1, 2, 5, 10}·10^k close to
/// `x` (> 0); rounded to the nearest when `round`, otherwise the next above.
pub fn nice_number(x: f64, round: bool) -> f64 {
    let exp = x.log10().floor();
    let p = 10f64.powf(exp);
    let f = x / p;
    let nf = if round {
        if f < 1.5 {
            1.0
        } else if f < 3.0 {
            2.0
        } else if f < 7.0 {
            5.0
        } else {
            10.0
        }
    } else if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nf * p
}

/// The smallest and largest finite values (positive ones only when
/// `positive_only`), or `None` if there are none.
pub fn finite_range(values: impl Iterator<Item = f64>, positive_only: bool) -> Option<(f64, f64)> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in values {
        if v.is_finite() && (!positive_only || v > 0.0) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if lo <= hi {
        Some((lo, hi))
    } else {
        None
    }
}

/// Writes a tick value with `decimals` digits after the point, or in
/// exponent form when the value is very large or the step very small.
fn linear_label(v: f64, step: f64, decimals: usize) -> String {
    let s = if v != 0.0 && (v.abs() >= 1e6 || step < 1e-5) {
        // Enough significant digits to tell neighbouring ticks apart.
        let sig = ((v.abs().log10().floor() - step.log10().floor()).max(0.0) as usize).min(12);
        format!("{v:.sig$e}")
    } else {
        format!("{v:.decimals$}")
    };
    // "-0.0" reads badly; ticks at zero are plain "0".
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Writes 10^e: plainly for −4 ≤ e ≤ 5 (0.001, 1, 10000), else as `1e-7`.
pub fn power_of_ten_label(e: i32) -> String {
    if (0..=5).contains(&e) {
        format!("{}", 10u64.pow(e as u32))
    } else if (-4..0).contains(&e) {
        format!("{:.*}", (-e) as usize, 10f64.powi(e))
    } else {
        format!("1e{e}")
    }
}

impl Axis {
    /// A linear axis covering `[lo, hi]` with about `target` ticks (at least
    /// 2). With `extend`, the range is widened to whole tick steps (ticks at
    /// both ends, as a loss curve wants); without it, the range stays as given
    /// and only the ticks inside it are labelled (a scatter plot wastes no
    /// space). Degenerate input gets a sensible range: `lo == hi` is widened
    /// by 10% of its size (or by 0.5 around 0), and a non-finite or reversed
    /// pair gives the range [0, 1].
    pub fn linear(lo: f64, hi: f64, target: usize, extend: bool) -> Axis {
        let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() && lo <= hi {
            (lo, hi)
        } else {
            (0.0, 1.0)
        };
        if hi - lo <= f64::EPSILON * lo.abs().max(hi.abs()) {
            let half = if lo == 0.0 { 0.5 } else { 0.1 * lo.abs() };
            lo -= half;
            hi += half;
        }
        let range = hi - lo;
        let target = target.max(2);
        let mut step = nice_number(range / (target - 1) as f64, true);
        let (mut k_lo, mut k_hi) = (0.0, 0.0);
        for _ in 0..4 {
            if extend {
                k_lo = (lo / step).floor();
                k_hi = (hi / step).ceil();
            } else {
                k_lo = (lo / step).ceil();
                k_hi = (hi / step).floor();
            }
            if k_hi - k_lo >= 1.0 || !step.is_finite() {
                break;
            }
            // Fewer than two ticks inside the range: halve the step.
            step /= 2.0;
        }
        if !(step.is_finite() && step > 0.0 && k_lo.is_finite() && k_hi.is_finite())
            || k_hi - k_lo > 100.0
            || k_hi <= k_lo
        {
            // Values too extreme for nice steps: label just the two ends.
            return Axis {
                lo,
                hi,
                log: false,
                ticks: vec![
                    Tick {
                        value: lo,
                        label: format!("{lo:.3e}"),
                    },
                    Tick {
                        value: hi,
                        label: format!("{hi:.3e}"),
                    },
                ],
                minor: Vec::new(),
            };
        }
        let decimals = (-step.log10().floor()).clamp(0.0, 10.0) as usize;
        let mut ticks = Vec::new();
        let mut k = k_lo;
        while k <= k_hi {
            let v = k * step;
            ticks.push(Tick {
                value: v,
                label: linear_label(v, step, decimals),
            });
            k += 1.0;
        }
        let (lo, hi) = if extend {
            (k_lo * step, k_hi * step)
        } else {
            (lo, hi)
        };
        Axis {
            lo,
            hi,
            log: false,
            ticks,
            minor: Vec::new(),
        }
    }

    /// A log10 axis covering `[lo, hi]` (both > 0), widened to whole decades,
    /// with a labelled tick at every decade (every few decades beyond 10).
    /// Non-positive or non-finite input gives the range [1, 10].
    pub fn log10(lo: f64, hi: f64) -> Axis {
        let (lo, hi) = if lo.is_finite() && hi.is_finite() && lo > 0.0 && lo <= hi {
            (lo, hi)
        } else {
            (1.0, 10.0)
        };
        // Clamp to the exponents f64 can show, so 10^e below never over/underflows.
        let mut e_lo = (lo.log10().floor() as i32).clamp(-300, 300);
        let mut e_hi = (hi.log10().ceil() as i32).clamp(-300, 300);
        // Guard against log10 rounding: 10^e_lo must not exceed lo, etc.
        if 10f64.powi(e_lo) > lo {
            e_lo -= 1;
        }
        if 10f64.powi(e_hi) < hi {
            e_hi += 1;
        }
        if e_hi <= e_lo {
            e_hi = e_lo + 1;
        }
        let decades = (e_hi - e_lo) as usize;
        let every = decades.div_ceil(10).max(1) as i32;
        let mut ticks = Vec::new();
        let mut minor = Vec::new();
        let mut e = e_lo;
        while e <= e_hi {
            if (e - e_lo) % every == 0 {
                ticks.push(Tick {
                    value: 10f64.powi(e),
                    label: power_of_ten_label(e),
                });
            }
            if decades <= 6 && e < e_hi {
                for m in 2..10 {
                    minor.push(m as f64 * 10f64.powi(e));
                }
            }
            e += 1;
        }
        Axis {
            lo: 10f64.powi(e_lo),
            hi: 10f64.powi(e_hi),
            log: true,
            ticks,
            minor,
        }
    }

    /// Where `v` falls along the axis, as a fraction: 0 at `lo`, 1 at `hi`.
    /// Callers skip values that are not finite (or not positive on a log axis).
    pub fn fraction(&self, v: f64) -> f64 {
        if self.log {
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    /// True if `v` can be drawn on this axis.
    pub fn accepts(&self, v: f64) -> bool {
        v.is_finite() && (!self.log || v > 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(a: &Axis) -> Vec<&str> {
        a.ticks.iter().map(|t| t.label.as_str()).collect()
    }

    #[test]
    fn linear_ticks_are_round() {
        let a = Axis::linear(0.137, 0.91, 6, true);
        assert_eq!(labels(&a), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        assert_eq!((a.lo, a.hi), (0.0, 1.0));
        let a = Axis::linear(-37.0, 112.0, 5, true);
        assert_eq!(labels(&a), ["-50", "0", "50", "100", "150"]);
    }

    #[test]
    fn degenerate_linear_ranges() {
        let a = Axis::linear(-1.04, 21.84, 6, false);
        assert_eq!(labels(&a), ["0", "5", "10", "15", "20"]);
        assert_eq!((a.lo, a.hi), (-1.04, 21.84));
        let a = Axis::linear(3.0, 3.0, 5, true);
        assert!(a.lo < 3.0 && a.hi > 3.0 && a.ticks.len() >= 2, "{a:?}");
        let a = Axis::linear(0.0, 0.0, 5, false);
        assert!(a.lo < 0.0 && a.hi > 0.0);
        let a = Axis::linear(f64::NAN, 1.0, 5, true);
        assert_eq!((a.lo, a.hi), (0.0, 1.0));
        let a = Axis::linear(-1e308, 1e308, 5, true);
        assert!(a.ticks.len() >= 2);
    }

    #[test]
    fn log_ticks_are_powers_of_ten() {
        let a = Axis::log10(0.004, 2.3);
        assert_eq!(labels(&a), ["0.001", "0.01", "0.1", "1", "10"]);
        assert_eq!(a.minor.len(), 4 * 8);
        let a = Axis::log10(5.0, 5.0);
        assert_eq!(labels(&a), ["1", "10"]);
        let a = Axis::log10(1e-30, 1e30);
        assert!(a.ticks.len() <= 11, "{:?}", labels(&a));
        assert_eq!(a.ticks[0].label, "1e-30");
    }
}
