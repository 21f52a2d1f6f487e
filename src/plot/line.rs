//! Line charts: several named series over a shared x axis, optionally with a
//! log-scale y axis. This is the chart for training curves: the loss of a
//! language model per step, or gradient norms that grow or vanish over
//! decades (the seed's topic 8, vanishing and exploding gradients).

use super::axis::{finite_range, Axis};
use super::chart::{colour, draw_frame, draw_legend, Swatch, Titles};
use super::svg::{num, Svg};

/// One named series of (x, y) points, drawn as one path in input order.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The name shown in the legend.
    pub name: String,
    /// The points; a NaN or infinite value (or y ≤ 0 on a log axis) is
    /// skipped and leaves a gap in the line.
    pub points: Vec<(f64, f64)>,
}

/// A line chart under construction.
///
/// ```
/// use seqmodels::plot::LineChart;
/// let mut c = LineChart::new("training loss").axis_titles("step", "loss").log_y(true);
/// c.add_series_y("lstm", &[2.3, 1.1, 0.4, 0.05]);
/// c.add_series_y("gru", &[2.3, 1.3, 0.6, 0.1]);
/// let svg = c.to_svg();
/// assert_eq!(svg.matches("<path").count(), 2);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LineChart {
    /// Title and axis titles.
    pub titles: Titles,
    /// The series; series `k` is drawn in `colour(k)`.
    pub series: Vec<Series>,
    /// Log10 scale for the y axis.
    pub log_y: bool,
    /// Width of the whole image, in pixels (default 720).
    pub width: f64,
    /// Height of the whole image, in pixels (default 480).
    pub height: f64,
    /// A fixed y range (lo, hi) instead of the data's, so that charts shown
    /// side by side share a scale; `None` (the default) fits the data.
    pub y_range: Option<(f64, f64)>,
}

impl LineChart {
    /// An empty chart with a title.
    pub fn new(title: &str) -> LineChart {
        LineChart {
            titles: Titles {
                title: title.to_string(),
                ..Titles::default()
            },
            series: Vec::new(),
            log_y: false,
            width: 720.0,
            height: 480.0,
            y_range: None,
        }
    }

    /// Sets the axis titles.
    pub fn axis_titles(mut self, x: &str, y: &str) -> LineChart {
        self.titles.x = x.to_string();
        self.titles.y = y.to_string();
        self
    }

    /// Chooses a log10 (true) or linear (false) y axis.
    pub fn log_y(mut self, log: bool) -> LineChart {
        self.log_y = log;
        self
    }

    /// Sets the image size in pixels.
    pub fn size(mut self, width: f64, height: f64) -> LineChart {
        self.width = width;
        self.height = height;
        self
    }

    /// Fixes the y axis to cover `[lo, hi]` (widened to nice ticks or whole
    /// decades as usual) whatever the data, e.g. to give two panels the same
    /// scale. Choose a range that covers the data: points outside it are drawn
    /// past the frame.
    pub fn y_range(mut self, lo: f64, hi: f64) -> LineChart {
        self.y_range = Some((lo, hi));
        self
    }

    /// Adds a series of (x, y) points.
    pub fn add_series(&mut self, name: &str, points: &[(f64, f64)]) {
        self.series.push(Series {
            name: name.to_string(),
            points: points.to_vec(),
        });
    }

    /// Adds a series whose x values are 0, 1, 2, … (e.g. one value per step).
    pub fn add_series_y(&mut self, name: &str, ys: &[f64]) {
        let points: Vec<(f64, f64)> = ys.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect();
        self.add_series(name, &points);
    }

    /// The chart as SVG text. The same chart always gives the same bytes.
    pub fn to_svg(&self) -> String {
        let log = self.log_y;
        let all = || self.series.iter().flat_map(|s| s.points.iter());
        // A point is drawable if x is finite and y fits the y axis.
        let ok = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && (!log || y > 0.0);
        let xr = finite_range(all().filter(|p| ok(p)).map(|p| p.0), false);
        let yr = match self.y_range {
            Some(r) => Some(r),
            None => finite_range(all().filter(|p| ok(p)).map(|p| p.1), log),
        };
        let x = match xr {
            Some((lo, hi)) => Axis::linear(lo, hi, 7, true),
            None => Axis::linear(0.0, 1.0, 7, true),
        };
        let y = match (yr, log) {
            (Some((lo, hi)), true) => Axis::log10(lo, hi),
            (None, true) => Axis::log10(1.0, 10.0),
            (Some((lo, hi)), false) => Axis::linear(lo, hi, 6, true),
            (None, false) => Axis::linear(0.0, 1.0, 6, true),
        };
        let names: Vec<String> = self.series.iter().map(|s| s.name.clone()).collect();
        let mut svg = Svg::new(self.width, self.height);
        let frame = draw_frame(
            &mut svg,
            self.width,
            self.height,
            &self.titles,
            x,
            y,
            &names,
            0.0,
        );
        svg.open_group("series");
        for (k, s) in self.series.iter().enumerate() {
            // Split the series into runs of drawable points.
            let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
            let mut run: Vec<(f64, f64)> = Vec::new();
            for p in &s.points {
                if ok(p) {
                    run.push((frame.px(p.0), frame.py(p.1)));
                } else if !run.is_empty() {
                    runs.push(std::mem::take(&mut run));
                }
            }
            if !run.is_empty() {
                runs.push(run);
            }
            if runs.is_empty() {
                continue;
            }
            svg.path(&runs, colour(k), 2.0);
            // A run of one point draws nothing as a path: mark it with a dot.
            for r in runs.iter().filter(|r| r.len() == 1) {
                svg.circle(r[0].0, r[0].1, 2.5, colour(k), 1.0);
            }
        }
        svg.close_group();
        draw_legend(&mut svg, &frame, &names, Swatch::Line);
        svg.finish()
    }

    /// Writes the SVG to `path`; the error names the path.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> crate::Result<()> {
        super::write_file(path.as_ref(), &self.to_svg())
    }
}

/// Several charts in one SVG image, laid out in a grid of `columns` columns
/// (row by row, in order), each in a cell as large as the largest chart.
/// Each chart is nested as its own `<svg>` element, so it looks exactly as
/// it does alone. The same charts always give the same bytes.
pub fn chart_grid(charts: &[LineChart], columns: usize) -> String {
    let cols = columns.clamp(1, charts.len().max(1));
    let rows = charts.len().div_ceil(cols).max(1);
    let cell_w = charts.iter().map(|c| c.width).fold(0.0, f64::max);
    let cell_h = charts.iter().map(|c| c.height).fold(0.0, f64::max);
    let (w, h) = (cell_w * cols as f64, cell_h * rows as f64);
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\">\n",
        w = num(w),
        h = num(h)
    ));
    for (k, c) in charts.iter().enumerate() {
        let (x, y) = ((k % cols) as f64 * cell_w, (k / cols) as f64 * cell_h);
        let doc = c.to_svg();
        // Drop the XML declaration and place the chart's root element.
        let body = doc.split_once('\n').map_or(doc.as_str(), |(_, rest)| rest);
        let body = body.replacen(
            "<svg ",
            &format!("<svg x=\"{}\" y=\"{}\" ", num(x), num(y)),
            1,
        );
        out.push_str(&body);
    }
    out.push_str("</svg>\n");
    out
}

/// Writes `chart_grid(charts, columns)` to `path`; the error names the path.
pub fn save_chart_grid(
    charts: &[LineChart],
    columns: usize,
    path: impl AsRef<std::path::Path>,
) -> crate::Result<()> {
    super::write_file(path.as_ref(), &chart_grid(charts, columns))
}
