//! The SVG writer: well-formed output (balanced tags, escaped text), the
//! expected marks (one circle per point, one path per series, legend entries,
//! tick labels, log ticks at powers of ten), determinism, and degenerate input.

use seqmodels::plot::{chart_grid, LineChart, Scatter};

/// A tiny well-formedness checker: every `<tag …>` is closed by `</tag>` in
/// nesting order, `<tag …/>` closes itself, the text between tags holds no
/// `<` or `>`, and every `&` starts one of the five XML entities. Returns the
/// list of element names opened, in order, so tests can count them.
fn check_well_formed(svg: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut opened = Vec::new();
    let mut rest = svg;
    // The XML declaration, if present, comes first.
    if let Some(r) = rest.strip_prefix("<?xml") {
        let end = r.find("?>").expect("unterminated XML declaration");
        rest = &r[end + 2..];
    }
    loop {
        let lt = match rest.find('<') {
            Some(i) => i,
            None => {
                check_text(rest);
                break;
            }
        };
        check_text(&rest[..lt]);
        let gt = rest[lt..].find('>').expect("unterminated tag") + lt;
        let inner = &rest[lt + 1..gt];
        assert!(!inner.contains('<'), "'<' inside a tag: <{inner}>");
        if let Some(name) = inner.strip_prefix('/') {
            let top = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(top, name.trim(), "</{name}> closes <{top}>");
        } else {
            let self_closing = inner.ends_with('/');
            let body = inner.trim_end_matches('/');
            let name: String = body.chars().take_while(|c| !c.is_whitespace()).collect();
            assert!(!name.is_empty(), "empty tag name");
            // Attribute values are quoted and hold no raw '&' or quotes.
            check_attributes(body);
            opened.push(name.clone());
            if !self_closing {
                stack.push(name);
            }
        }
        rest = &rest[gt + 1..];
    }
    assert!(stack.is_empty(), "unclosed tags: {stack:?}");
    assert_eq!(opened.first().map(String::as_str), Some("svg"));
    opened
}

fn check_entities(text: &str) {
    for (i, _) in text.match_indices('&') {
        let after = &text[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| after.starts_with(e)),
            "bare '&' in {text:?}"
        );
    }
}

fn check_text(text: &str) {
    assert!(!text.contains('>'), "'>' in text {text:?}");
    check_entities(text);
}

fn check_attributes(body: &str) {
    // Every attribute is name="value" with an even count of quotes.
    assert_eq!(
        body.matches('"').count() % 2,
        0,
        "unbalanced quotes in <{body}>"
    );
    check_entities(body);
}

fn count(svg: &str, needle: &str) -> usize {
    svg.matches(needle).count()
}

fn group<'a>(svg: &'a str, class: &str) -> &'a str {
    let open = format!("<g class=\"{class}\">");
    let start = svg
        .find(&open)
        .unwrap_or_else(|| panic!("no group {class}"));
    let end = svg[start..].find("</g>").unwrap() + start;
    &svg[start..end]
}

#[test]
fn the_checker_rejects_broken_markup() {
    // The checker itself must be able to fail.
    for bad in [
        "<svg><g></svg>",
        "<svg>a < b</svg>",
        "<svg>fish & chips</svg>",
        "<svg><text>x</g></svg>",
        "<svg><rect x=\"1/></svg>",
    ] {
        let r = std::panic::catch_unwind(|| check_well_formed(bad));
        assert!(r.is_err(), "accepted {bad:?}");
    }
    check_well_formed("<svg><g><rect x=\"1\"/>t &amp; u</g></svg>");
}

#[test]
fn scatter_has_one_circle_per_point_labels_and_legend() {
    let mut s = Scatter::new("clusters <b>&\"'").axis_titles("x <axis>", "y & axis");
    let mut n = 0;
    for g in 0..3 {
        for i in 0..7 {
            let x = g as f64 * 10.0 + i as f64 * 0.3;
            let y = (i as f64).sin();
            s.add(
                x,
                y,
                Some(&format!("group {g} <b>&\"'")),
                Some(&format!("p{g}.{i} <b>&\"'")),
            );
            n += 1;
        }
    }
    let svg = s.to_svg();
    let tags = check_well_formed(&svg);
    assert_eq!(tags.iter().filter(|t| *t == "circle").count(), n);
    // Escaped text, never raw: title, axis titles, labels, legend.
    let esc = "&lt;b&gt;&amp;&quot;&apos;";
    assert!(svg.contains(&format!("clusters {esc}")));
    assert!(svg.contains("x &lt;axis&gt;") && svg.contains("y &amp; axis"));
    assert!(!svg.contains("<b>"));
    assert_eq!(count(group(&svg, "labels"), "<text"), n);
    assert!(svg.contains(&format!(">p2.6 {esc}</text>")));
    let legend = group(&svg, "legend");
    for g in 0..3 {
        assert!(
            legend.contains(&format!(">group {g} {esc}</text>")),
            "legend {g}"
        );
    }
    assert_eq!(count(legend, "<rect"), 3);
    // Three groups, three colours among the circles.
    let points = group(&svg, "points");
    for c in ["#1f77b4", "#ff7f0e", "#2ca02c"] {
        assert_eq!(count(points, &format!("fill=\"{c}\"")), 7, "colour {c}");
    }
    // Nice tick labels on x: data run 0..20.8 padded, so 0, 5, 10, 15, 20 are ticks.
    let axes = group(&svg, "axes");
    for t in ["0", "5", "10", "15", "20"] {
        assert!(axes.contains(&format!(">{t}</text>")), "x tick {t}");
    }
}

#[test]
fn line_chart_has_one_path_per_series_and_a_legend() {
    let mut c = LineChart::new("loss").axis_titles("step", "loss");
    let names = ["rnn", "gru", "lstm <fast>"];
    for (k, name) in names.iter().enumerate() {
        let ys: Vec<f64> = (0..50)
            .map(|t| 3.0 / (1.0 + t as f64 * (k + 1) as f64))
            .collect();
        c.add_series_y(name, &ys);
    }
    let svg = c.to_svg();
    let tags = check_well_formed(&svg);
    assert_eq!(tags.iter().filter(|t| *t == "path").count(), 3);
    let legend = group(&svg, "legend");
    assert_eq!(count(legend, "<line"), 3);
    assert!(legend.contains(">rnn</text>") && legend.contains(">lstm &lt;fast&gt;</text>"));
    // y runs 0.02 .. 3: ticks 0.0, 0.5, …, 3.0; x runs 0 .. 49: ticks at 0, 10, … 50.
    let axes = group(&svg, "axes");
    for t in ["0.0", "1.0", "2.0", "3.0", "0", "10", "50"] {
        assert!(axes.contains(&format!(">{t}</text>")), "tick {t}");
    }
}

#[test]
fn log_axis_ticks_are_powers_of_ten() {
    // Gradient norms from 2e-4 to 3e2: decades 1e-4 .. 1e3.
    let mut c = LineChart::new("gradient norm")
        .axis_titles("step", "‖g‖")
        .log_y(true);
    let ys: Vec<f64> = (0..100)
        .map(|t| 2e-4 * 10f64.powf(t as f64 * 0.0623))
        .collect();
    c.add_series_y("vanilla", &ys);
    let svg = c.to_svg();
    check_well_formed(&svg);
    let axes = group(&svg, "axes");
    for t in ["0.0001", "0.001", "0.01", "0.1", "1", "10", "100", "1000"] {
        assert!(axes.contains(&format!(">{t}</text>")), "log tick {t}");
    }
    // And nothing but powers of ten is labelled on y: count the labels at the
    // left of the plot (anchor end).
    assert_eq!(count(axes, "text-anchor=\"end\""), 8);
}

#[test]
fn output_is_deterministic() {
    let build = || {
        let mut s = Scatter::new("t");
        for i in 0..50 {
            let v = i as f64 * 0.37;
            s.add(
                v.cos() * v,
                v.sin() * v,
                Some(if i % 2 == 0 { "a" } else { "b" }),
                None,
            );
        }
        s.to_svg()
    };
    assert_eq!(build(), build());
    let mut c = LineChart::new("t").log_y(true);
    c.add_series_y("s", &[1.0, 0.1, 0.01]);
    assert_eq!(c.to_svg(), c.clone().to_svg());
}

#[test]
fn degenerate_input_draws_without_panicking() {
    // A single point.
    let mut s = Scatter::new("one");
    s.add(3.0, 3.0, None, Some("only"));
    let svg = s.to_svg();
    check_well_formed(&svg);
    assert_eq!(count(&svg, "<circle"), 1);
    assert!(!svg.contains("NaN") && !svg.contains("inf"));

    // All-equal values, and NaN / Inf points skipped.
    let mut s = Scatter::new("flat");
    for _ in 0..5 {
        s.add(1.0, 1.0, Some("g"), None);
    }
    s.add(f64::NAN, 1.0, Some("g"), None);
    s.add(2.0, f64::INFINITY, Some("g"), None);
    let svg = s.to_svg();
    check_well_formed(&svg);
    assert_eq!(count(&svg, "<circle"), 5);
    assert_eq!(s.drawable(), 5);

    // An empty scatter and an empty chart.
    check_well_formed(&Scatter::new("").to_svg());
    check_well_formed(&LineChart::new("").to_svg());

    // Line chart: a NaN splits the path into two runs, a lone point gets a dot,
    // y ≤ 0 is skipped on a log axis, and an all-NaN series draws no path.
    let mut c = LineChart::new("gaps").log_y(true);
    c.add_series_y("a", &[1.0, 2.0, f64::NAN, 3.0, 4.0, 0.0, 5.0]);
    c.add_series_y("b", &[f64::NAN, f64::NEG_INFINITY]);
    let svg = c.to_svg();
    check_well_formed(&svg);
    assert_eq!(count(&svg, "<path"), 1);
    let path = &svg[svg.find("<path").unwrap()..];
    let d = &path[..path.find("/>").unwrap()];
    assert_eq!(d.matches('M').count(), 3, "{d}");
    assert_eq!(count(group(&svg, "series"), "<circle"), 1);
    assert_eq!(count(group(&svg, "legend"), "<line"), 2);
    assert!(!svg.contains("NaN") && !svg.contains("inf"));

    // All-equal line on a linear axis.
    let mut c = LineChart::new("flat");
    c.add_series_y("c", &[2.0; 10]);
    check_well_formed(&c.to_svg());
}

#[test]
fn save_reports_the_path_on_error() {
    let s = Scatter::new("x");
    let e = s.save("/nonexistent-dir/plot.svg").unwrap_err();
    assert!(e.to_string().contains("/nonexistent-dir/plot.svg"), "{e}");
    let dir = std::env::temp_dir().join(format!("seqmodels-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("s.svg");
    s.save(&p).unwrap();
    assert_eq!(std::fs::read_to_string(&p).unwrap(), s.to_svg());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fixed_y_range_overrides_the_data() {
    let mut c = LineChart::new("shared scale")
        .log_y(true)
        .y_range(1e-6, 1.0);
    c.add_series_y("a", &[1.0, 0.1, 0.01]);
    let svg = c.to_svg();
    check_well_formed(&svg);
    let axes = group(&svg, "axes");
    // The data span 0.01 .. 1, the fixed range 1e-6 .. 1: its ticks are drawn.
    for t in ["1e-6", "0.0001", "0.01", "1"] {
        assert!(axes.contains(&format!(">{t}</text>")), "tick {t}");
    }
}

#[test]
fn chart_grid_nests_each_chart_in_its_cell() {
    let mut a = LineChart::new("left <a>").size(300.0, 200.0);
    a.add_series_y("x", &[1.0, 2.0]);
    let mut b = LineChart::new("right").size(400.0, 250.0);
    b.add_series_y("y", &[2.0, 1.0]);
    b.add_series_y("z", &[1.5, 1.5]);
    let svg = chart_grid(&[a.clone(), b.clone(), a.clone()], 2);
    let tags = check_well_formed(&svg);
    // One root and one nested <svg> per chart; one path per series.
    assert_eq!(tags.iter().filter(|t| *t == "svg").count(), 4);
    assert_eq!(count(&svg, "<path"), 4);
    assert_eq!(count(&svg, "<?xml"), 1);
    // Two columns of 400 × 250 cells, two rows.
    assert!(
        svg.contains("width=\"800.00\" height=\"500.00\""),
        "{}",
        &svg[..200]
    );
    assert!(svg.contains("<svg x=\"400.00\" y=\"0.00\""));
    assert!(svg.contains("<svg x=\"0.00\" y=\"250.00\""));
    assert!(svg.contains("left &lt;a&gt;"));
    // Deterministic.
    assert_eq!(svg, chart_grid(&[a.clone(), b.clone(), a], 2));
}
