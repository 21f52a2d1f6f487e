//! The lowest layer of the plotting module: a string builder for SVG elements,
//! XML escaping, and the fixed-precision number format that makes the output
//! deterministic (the same chart always gives the same bytes).

use std::fmt::Write;

/// Formats a coordinate or size with two decimals, the precision every number
/// in our SVG uses. `-0.00` is written `0.00`, and a non-finite value (which
/// the charts never pass, but a caller might) is written `0.00`.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "0.00".to_string();
    }
    let s = format!("{v:.2}");
    if s == "-0.00" {
        "0.00".to_string()
    } else {
        s
    }
}

/// Escapes text for XML character data and attribute values: `&`, `<`, `>`,
/// `"` and `'` become entities; control characters that XML 1.0 forbids
/// (everything below U+0020 except tab, newline and carriage return) become
/// U+FFFD, so any label a user hands in still gives a well-formed file.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Text anchoring for `Svg::text`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// The text starts at x.
    Start,
    /// The text is centred on x.
    Middle,
    /// The text ends at x.
    End,
}

impl Anchor {
    fn as_str(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// An SVG document under construction. Elements are appended in call order,
/// one per line; `finish` closes the root element and returns the text.
pub struct Svg {
    buf: String,
}

impl Svg {
    /// Starts a document of `width × height` pixels with a white background.
    pub fn new(width: f64, height: f64) -> Svg {
        let mut buf = String::new();
        buf.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            buf,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">",
            w = num(width),
            h = num(height)
        );
        let _ = writeln!(
            buf,
            "<rect x=\"0.00\" y=\"0.00\" width=\"{}\" height=\"{}\" fill=\"white\"/>",
            num(width),
            num(height)
        );
        Svg { buf }
    }

    /// Opens a group `<g class="...">` (close it with `close_group`).
    pub fn open_group(&mut self, class: &str) {
        let _ = writeln!(self.buf, "<g class=\"{}\">", escape(class));
    }

    /// Closes the innermost open group.
    pub fn close_group(&mut self) {
        self.buf.push_str("</g>\n");
    }

    /// A straight line from (x1, y1) to (x2, y2).
    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, width: f64) {
        let _ = writeln!(
            self.buf,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"{}\"/>",
            num(x1),
            num(y1),
            num(x2),
            num(y2),
            escape(stroke),
            num(width)
        );
    }

    /// A filled rectangle with its top-left corner at (x, y); `stroke` may be
    /// `"none"`.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, stroke: &str) {
        let _ = writeln!(
            self.buf,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" stroke=\"{}\"/>",
            num(x),
            num(y),
            num(w),
            num(h),
            escape(fill),
            escape(stroke)
        );
    }

    /// A filled circle of radius `r` centred on (cx, cy).
    pub fn circle(&mut self, cx: f64, cy: f64, r: f64, fill: &str, opacity: f64) {
        let _ = writeln!(
            self.buf,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" fill-opacity=\"{}\"/>",
            num(cx),
            num(cy),
            num(r),
            escape(fill),
            num(opacity)
        );
    }

    /// A stroked, unfilled path through the given pieces: each inner slice is
    /// one run of connected points (`M` then `L`s), so gaps in a series (from
    /// skipped values) stay gaps while the series is still one `<path>`.
    pub fn path(&mut self, runs: &[Vec<(f64, f64)>], stroke: &str, width: f64) {
        let mut d = String::new();
        for run in runs {
            for (k, &(x, y)) in run.iter().enumerate() {
                if !d.is_empty() {
                    d.push(' ');
                }
                d.push(if k == 0 { 'M' } else { 'L' });
                d.push_str(&num(x));
                d.push(' ');
                d.push_str(&num(y));
            }
        }
        let _ = writeln!(
            self.buf,
            "<path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" \
             stroke-linejoin=\"round\"/>",
            escape(stroke),
            num(width)
        );
    }

    /// Text at (x, y) (the baseline), escaped. `rotate` turns it by that many
    /// degrees about (x, y) (−90 for a vertical axis title).
    pub fn text(&mut self, x: f64, y: f64, content: &str, anchor: Anchor, size: f64, rotate: f64) {
        let transform = if rotate != 0.0 {
            format!(
                " transform=\"rotate({} {} {})\"",
                num(rotate),
                num(x),
                num(y)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            self.buf,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" font-size=\"{}\"{transform}>{}</text>",
            num(x),
            num(y),
            anchor.as_str(),
            num(size),
            escape(content)
        );
    }

    /// Closes the document and returns its text.
    pub fn finish(mut self) -> String {
        self.buf.push_str("</svg>\n");
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_fixed_precision() {
        assert_eq!(num(1.0), "1.00");
        assert_eq!(num(-0.001), "0.00");
        assert_eq!(num(2.345678), "2.35");
        assert_eq!(num(f64::NAN), "0.00");
    }

    #[test]
    fn escaping_covers_markup_and_control_characters() {
        assert_eq!(escape("<b>&\"'"), "&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(escape("a\u{1}b"), "a\u{FFFD}b");
        assert_eq!(escape("plain"), "plain");
    }
}
