//! What every chart shares: the frame (title, plot area, axes with ticks and
//! titles, grid lines), the legend, and the colour palette. `Scatter` and
//! `LineChart` draw their marks inside the frame this module lays out.

use super::axis::Axis;
use super::svg::{Anchor, Svg};

/// Ten colours that stay distinguishable next to each other; group or series
/// `k` gets `PALETTE[k % 10]`.
pub const PALETTE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
];

/// The colour of group or series `k`.
pub fn colour(k: usize) -> &'static str {
    PALETTE[k % PALETTE.len()]
}

/// The texts around a chart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Titles {
    /// Shown above the plot area.
    pub title: String,
    /// Under the x axis.
    pub x: String,
    /// Beside the y axis (rotated).
    pub y: String,
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Swatch {
    /// A filled square (scatter groups).
    Square,
    /// A short line (line series).
    Line,
}

/// The pixel rectangle of the plot area and the two axes mapped onto it.
pub struct Frame {
    /// Left edge of the plot area, in pixels.
    pub left: f64,
    /// Top edge.
    pub top: f64,
    /// Width of the plot area.
    pub width: f64,
    /// Height of the plot area.
    pub height: f64,
    /// The horizontal axis.
    pub x: Axis,
    /// The vertical axis.
    pub y: Axis,
    /// Left edge of the legend column, in pixels.
    pub legend_x: f64,
}

impl Frame {
    /// Pixel column of data value `v` (which `x.accepts`).
    pub fn px(&self, v: f64) -> f64 {
        self.left + self.x.fraction(v) * self.width
    }

    /// Pixel row of data value `v` (which `y.accepts`); larger values are higher up.
    pub fn py(&self, v: f64) -> f64 {
        self.top + (1.0 - self.y.fraction(v)) * self.height
    }
}

/// Rough width of `text` at font size 12, in pixels (SVG has no text
/// metrics; 7 px per character is enough to size a margin).
fn text_width(text: &str) -> f64 {
    7.0 * text.chars().count() as f64
}

/// Lays out a `width × height` chart with a legend column for `legend`
/// names (none if empty) and `right_extra` more pixels on the right (room
/// for point labels), draws the title, grid, axes, ticks and axis titles,
/// and returns the frame to draw marks into.
pub fn draw_frame(
    svg: &mut Svg,
    width: f64,
    height: f64,
    titles: &Titles,
    x: Axis,
    y: Axis,
    legend: &[String],
    right_extra: f64,
) -> Frame {
    let widest_y_label = y
        .ticks
        .iter()
        .map(|t| text_width(&t.label))
        .fold(0.0, f64::max);
    let left = 30.0 + widest_y_label.clamp(14.0, 120.0);
    let right = right_extra
        + if legend.is_empty() {
            20.0
        } else {
            let widest = legend.iter().map(|s| text_width(s)).fold(0.0, f64::max);
            50.0 + widest.clamp(20.0, 200.0)
        };
    let top = if titles.title.is_empty() { 15.0 } else { 40.0 };
    let bottom = 55.0;
    let plot_width = (width - left - right).max(10.0);
    let frame = Frame {
        left,
        top,
        width: plot_width,
        height: (height - top - bottom).max(10.0),
        x,
        y,
        legend_x: left + plot_width + right_extra + 14.0,
    };
    let (l, t, w, h) = (frame.left, frame.top, frame.width, frame.height);

    if !titles.title.is_empty() {
        svg.text(l + w / 2.0, 24.0, &titles.title, Anchor::Middle, 16.0, 0.0);
    }

    // Grid lines at the labelled ticks, then the minor ticks, then the axes.
    svg.open_group("grid");
    for tk in &frame.x.ticks {
        let px = frame.px(tk.value);
        svg.line(px, t, px, t + h, "#e6e6e6", 1.0);
    }
    for tk in &frame.y.ticks {
        let py = frame.py(tk.value);
        svg.line(l, py, l + w, py, "#e6e6e6", 1.0);
    }
    svg.close_group();

    svg.open_group("axes");
    svg.rect(l, t, w, h, "none", "#444444");
    for tk in &frame.x.ticks {
        let px = frame.px(tk.value);
        svg.line(px, t + h, px, t + h + 5.0, "#444444", 1.0);
        svg.text(px, t + h + 18.0, &tk.label, Anchor::Middle, 11.0, 0.0);
    }
    for &m in &frame.x.minor {
        let px = frame.px(m);
        svg.line(px, t + h, px, t + h + 3.0, "#444444", 1.0);
    }
    for tk in &frame.y.ticks {
        let py = frame.py(tk.value);
        svg.line(l - 5.0, py, l, py, "#444444", 1.0);
        svg.text(l - 8.0, py + 4.0, &tk.label, Anchor::End, 11.0, 0.0);
    }
    for &m in &frame.y.minor {
        let py = frame.py(m);
        svg.line(l - 3.0, py, l, py, "#444444", 1.0);
    }
    if !titles.x.is_empty() {
        svg.text(
            l + w / 2.0,
            t + h + 40.0,
            &titles.x,
            Anchor::Middle,
            12.0,
            0.0,
        );
    }
    if !titles.y.is_empty() {
        let x = 14.0;
        let y = t + h / 2.0;
        svg.text(x, y, &titles.y, Anchor::Middle, 12.0, -90.0);
    }
    svg.close_group();
    frame
}

/// Draws the legend in the right margin: one swatch and name per entry, as
/// many as fit, then "… and K more".
pub fn draw_legend(svg: &mut Svg, frame: &Frame, names: &[String], swatch: Swatch) {
    if names.is_empty() {
        return;
    }
    let x = frame.legend_x;
    let row = 18.0;
    let fits = ((frame.height / row).floor() as usize).max(1);
    let shown = if names.len() > fits {
        fits.saturating_sub(1).max(1)
    } else {
        names.len()
    };
    svg.open_group("legend");
    for (k, name) in names.iter().take(shown).enumerate() {
        let y = frame.top + 8.0 + k as f64 * row;
        match swatch {
            Swatch::Square => svg.rect(x, y - 5.0, 10.0, 10.0, colour(k), "none"),
            Swatch::Line => svg.line(x, y, x + 16.0, y, colour(k), 2.5),
        }
        svg.text(x + 22.0, y + 4.0, name, Anchor::Start, 12.0, 0.0);
    }
    if shown < names.len() {
        let y = frame.top + 8.0 + shown as f64 * row;
        let more = format!("… and {} more", names.len() - shown);
        svg.text(x, y + 4.0, &more, Anchor::Start, 11.0, 0.0);
    }
    svg.close_group();
}
