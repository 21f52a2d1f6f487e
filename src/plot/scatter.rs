//! Scatter plots: one circle per point, coloured by group, with an optional
//! text label beside each point. This is how a t-SNE map of word vectors is
//! drawn (the seed's topic 12): words as labelled points, similar words close.

use super::axis::{finite_range, Axis};
use super::chart::{colour, draw_frame, draw_legend, Swatch, Titles};
use super::svg::{Anchor, Svg};

/// One point of a scatter plot.
#[derive(Clone, Debug, PartialEq)]
pub struct ScatterPoint {
    /// Horizontal position, in data units.
    pub x: f64,
    /// Vertical position, in data units.
    pub y: f64,
    /// Index into `Scatter::groups`, or `None` for the unnamed default group.
    pub group: Option<usize>,
    /// Text drawn beside the point, if any.
    pub label: Option<String>,
}

/// A scatter plot under construction.
///
/// ```
/// use seqmodels::plot::Scatter;
/// let mut s = Scatter::new("t-SNE of word vectors").axis_titles("t-SNE 1", "t-SNE 2");
/// s.add(0.5, 1.0, Some("animals"), Some("cat"));
/// s.add(0.7, 1.1, Some("animals"), Some("dog"));
/// s.add(-2.0, 0.3, Some("fruit"), Some("apple"));
/// let svg = s.to_svg();
/// assert_eq!(svg.matches("<circle").count(), 3);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Scatter {
    /// Title and axis titles.
    pub titles: Titles,
    /// Group names, in order of first use; group `k` is drawn in `colour(k)`.
    pub groups: Vec<String>,
    /// The points, drawn in order (later points on top).
    pub points: Vec<ScatterPoint>,
    /// Width of the whole image, in pixels (default 720).
    pub width: f64,
    /// Height of the whole image, in pixels (default 540).
    pub height: f64,
    /// Circle radius, in pixels (default 3).
    pub radius: f64,
}

impl Scatter {
    /// An empty scatter plot with a title.
    pub fn new(title: &str) -> Scatter {
        Scatter {
            titles: Titles {
                title: title.to_string(),
                ..Titles::default()
            },
            groups: Vec::new(),
            points: Vec::new(),
            width: 720.0,
            height: 540.0,
            radius: 3.0,
        }
    }

    /// Sets the axis titles.
    pub fn axis_titles(mut self, x: &str, y: &str) -> Scatter {
        self.titles.x = x.to_string();
        self.titles.y = y.to_string();
        self
    }

    /// Sets the image size in pixels.
    pub fn size(mut self, width: f64, height: f64) -> Scatter {
        self.width = width;
        self.height = height;
        self
    }

    /// The index of group `name`, added if new.
    pub fn group(&mut self, name: &str) -> usize {
        match self.groups.iter().position(|g| g == name) {
            Some(k) => k,
            None => {
                self.groups.push(name.to_string());
                self.groups.len() - 1
            }
        }
    }

    /// Adds a point in group `group` (by name; `None` for no group) with an
    /// optional text label. Points with a NaN or infinite coordinate are
    /// kept but not drawn.
    pub fn add(&mut self, x: f64, y: f64, group: Option<&str>, label: Option<&str>) {
        let group = group.map(|g| self.group(g));
        self.points.push(ScatterPoint {
            x,
            y,
            group,
            label: label.map(str::to_string),
        });
    }

    /// Number of points that will be drawn (both coordinates finite).
    pub fn drawable(&self) -> usize {
        self.points
            .iter()
            .filter(|p| p.x.is_finite() && p.y.is_finite())
            .count()
    }

    /// The chart as SVG text. The same plot always gives the same bytes.
    pub fn to_svg(&self) -> String {
        let shown = || {
            self.points
                .iter()
                .filter(|p| p.x.is_finite() && p.y.is_finite())
        };
        // Pad the data range by 5% so no circle sits on the frame.
        let axis = |r: Option<(f64, f64)>| {
            let (lo, hi) = r.unwrap_or((0.0, 1.0));
            let pad = 0.05 * (hi - lo);
            Axis::linear(lo - pad, hi + pad, 6, false)
        };
        let x = axis(finite_range(shown().map(|p| p.x), false));
        let y = axis(finite_range(shown().map(|p| p.y), false));
        // Room on the right for the labels of the rightmost points.
        let label_room = shown()
            .filter_map(|p| p.label.as_ref())
            .map(|l| 5.0 * l.chars().count() as f64 + self.radius + 4.0)
            .fold(0.0, f64::max)
            .min(120.0);
        let mut svg = Svg::new(self.width, self.height);
        let frame = draw_frame(
            &mut svg,
            self.width,
            self.height,
            &self.titles,
            x,
            y,
            &self.groups,
            label_room,
        );
        svg.open_group("points");
        for p in shown() {
            let c = colour(p.group.unwrap_or(0));
            svg.circle(frame.px(p.x), frame.py(p.y), self.radius, c, 0.8);
        }
        svg.close_group();
        if shown().any(|p| p.label.is_some()) {
            svg.open_group("labels");
            for p in shown() {
                if let Some(text) = &p.label {
                    let (px, py) = (frame.px(p.x), frame.py(p.y));
                    svg.text(
                        px + self.radius + 2.0,
                        py - 2.0,
                        text,
                        Anchor::Start,
                        9.0,
                        0.0,
                    );
                }
            }
            svg.close_group();
        }
        draw_legend(&mut svg, &frame, &self.groups, Swatch::Square);
        svg.finish()
    }

    /// Writes the SVG to `path`; the error names the path.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> crate::Result<()> {
        super::write_file(path.as_ref(), &self.to_svg())
    }
}
