//! Plotting: scatter plots and line charts written as SVG by hand (the crate
//! has no dependencies, and SVG is text).
//!
//! Where it sits in the course: word embeddings are shown as a 2-D map made
//! by t-SNE (the seed's topic 12) — a [`Scatter`] of labelled points, one
//! colour per group. Training curves (loss per step, gradient norms that
//! explode or vanish, topic 8) are [`LineChart`]s, with a log y axis when the
//! values span decades.
//!
//! Layers, bottom up:
//! - `svg`: an element writer, XML escaping, fixed-precision numbers;
//! - `axis`: data ranges, nice linear ticks, power-of-ten log ticks;
//! - `chart`: the frame (title, grid, axes, axis titles), legend, palette;
//! - `scatter`, `line`: the two chart types.
//!
//! Output is deterministic: the same chart gives the same bytes (every number
//! is written with two decimals, elements in input order). Degenerate input
//! (one point, all-equal values, NaN/Inf values) draws without panicking;
//! non-finite values are skipped.

pub mod axis;
pub mod chart;
mod line;
mod scatter;
pub mod svg;

pub use chart::{colour, Titles, PALETTE};
pub use line::{chart_grid, save_chart_grid, LineChart, Series};
pub use scatter::{Scatter, ScatterPoint};

/// Writes `text` to `path`, with an error that names the path.
fn write_file(path: &std::path::Path, text: &str) -> crate::Result<()> {
    std::fs::write(path, text).map_err(|e| crate::Error::io(path, e))
}
