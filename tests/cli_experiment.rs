//! `seqmodels experiment` and `seqmodels train --plot` as a user runs them:
//! the SVG files they write (valid, with the expected series, the same bytes
//! for the same seed) and clear errors for bad flags.

use std::path::PathBuf;
use std::process::Command;

fn seqmodels(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_seqmodels"))
        .args(args)
        .env("SEQMODELS_THREADS", "2")
        .output()
        .expect("run seqmodels");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("seqmodels-exp-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Balanced tags and an `<svg>` root: enough to catch a truncated or
/// garbled file (`tests/plot.rs` checks the writer in depth).
fn assert_valid_svg(svg: &str) {
    assert!(svg.starts_with("<?xml"), "no XML declaration");
    let mut depth: i64 = 0;
    let mut rest = svg;
    while let Some(lt) = rest.find('<') {
        let gt = rest[lt..].find('>').expect("unterminated tag") + lt;
        let tag = &rest[lt + 1..gt];
        if tag.starts_with('?') || tag.ends_with('/') {
        } else if tag.starts_with('/') {
            depth -= 1;
            assert!(depth >= 0, "unbalanced </{tag}>");
        } else {
            depth += 1;
        }
        rest = &rest[gt + 1..];
    }
    assert_eq!(depth, 0, "unclosed tags");
    assert!(svg.trim_end().ends_with("</svg>"));
}

/// The legend texts of a chart (the `<g class="legend">` groups).
fn legends(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in svg.split("<g class=\"legend\">").skip(1) {
        let body = &part[..part.find("</g>").unwrap()];
        for t in body.split("<text").skip(1) {
            let t = &t[t.find('>').unwrap() + 1..];
            out.push(t[..t.find("</text>").unwrap()].to_string());
        }
    }
    out
}

fn fails_with(args: &[&str], needle: &str) {
    let (code, _, err) = seqmodels(args);
    assert_eq!(code, 1, "{args:?}: {err}");
    assert!(
        err.contains("error: ") && !err.contains("panicked"),
        "{err}"
    );
    assert!(err.contains(needle), "{args:?}: {needle:?} not in {err:?}");
}

#[test]
fn exploding_writes_the_same_svg_for_the_same_seed() {
    let dir = temp_dir("explode");
    let (a, b) = (dir.join("a.svg"), dir.join("b.svg"));
    let mut outs = Vec::new();
    for p in [&a, &b] {
        let (code, out, err) = seqmodels(&[
            "experiment",
            "exploding",
            "--steps",
            "40",
            "--out",
            p.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{err}");
        outs.push(out);
    }
    println!("{}", outs[0]);
    assert!(outs[0].contains("diverged at step"), "{}", outs[0]);
    let svg = std::fs::read_to_string(&a).unwrap();
    assert_eq!(svg, std::fs::read_to_string(&b).unwrap());
    assert_valid_svg(&svg);
    // Two panels (gradient norm, loss), three runs each.
    assert_eq!(svg.matches("<path").count(), 6);
    let names = legends(&svg);
    assert_eq!(names.len(), 6, "{names:?}");
    assert!(
        names[0].starts_with("no clipping (diverged at step"),
        "{names:?}"
    );
    assert_eq!(names[1], "clip by value 1");
    assert_eq!(names[2], "clip by norm 5");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn vanishing_prints_ratios_and_plots_each_model() {
    let dir = temp_dir("vanish");
    let p = dir.join("grad.svg");
    // A short run: the picture's shape, not the learning, is checked here
    // (tests/experiments.rs checks the figures after full training).
    let (code, out, err) = seqmodels(&[
        "experiment",
        "vanishing",
        "--steps",
        "20",
        "--probes",
        "8",
        "--out",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    println!("{out}");
    for row in [
        "rnn    a = h init",
        "gru    a = h trained",
        "lstm   c     init",
    ] {
        assert!(out.contains(row), "{row:?} not in\n{out}");
    }
    assert!(out.contains("d = 1") && out.contains("d = 10") && out.contains("d = 30"));
    let svg = std::fs::read_to_string(&p).unwrap();
    assert_valid_svg(&svg);
    // Two panels, four lines each: RNN, GRU, LSTM a⟨t⟩, LSTM c⟨t⟩.
    assert_eq!(svg.matches("<path").count(), 8);
    let names = legends(&svg);
    assert_eq!(
        names[..4],
        ["RNN a⟨t⟩", "GRU a⟨t⟩", "LSTM a⟨t⟩", "LSTM c⟨t⟩"]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn experiment_flags_are_checked() {
    let (code, out, _) = seqmodels(&["experiment", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("experiment vanishing") && out.contains("experiment exploding"));
    fails_with(&["experiment"], "say which experiment");
    fails_with(
        &["experiment", "boom", "--out", "x.svg"],
        "unknown experiment \"boom\"",
    );
    fails_with(&["experiment", "vanishing"], "--out FILE.svg is required");
    fails_with(
        &[
            "experiment",
            "exploding",
            "--out",
            "x.svg",
            "--radius",
            "-2",
        ],
        "--radius",
    );
    fails_with(
        &["experiment", "exploding", "--out", "x.svg", "--lr", "nan"],
        "--lr",
    );
    fails_with(
        &["experiment", "exploding", "--out", "x.svg", "--steps", "0"],
        "--steps",
    );
    fails_with(
        &["experiment", "exploding", "--out", "x.svg", "--probes", "3"],
        "--probes belongs",
    );
    fails_with(
        &[
            "experiment",
            "vanishing",
            "--out",
            "x.svg",
            "--clip-norm",
            "3",
        ],
        "--clip-norm belongs",
    );
    fails_with(
        &[
            "experiment",
            "vanishing",
            "--out",
            "x.svg",
            "--cells",
            "rnn,lsmt",
        ],
        "lsmt",
    );
    fails_with(
        &[
            "experiment",
            "vanishing",
            "--out",
            "x.svg",
            "--cells",
            "rnn,rnn",
        ],
        "twice",
    );
    fails_with(
        &[
            "experiment",
            "exploding",
            "--out",
            "x.svg",
            "--cell",
            "lstm",
        ],
        "expected rnn or rnn-relu",
    );
    fails_with(
        &["experiment", "vanishing", "--out", "x.svg", "--cell", "rnn"],
        "--cell belongs",
    );
    fails_with(
        &["experiment", "exploding", "--out", "x.svg", "--bogus"],
        "--bogus",
    );
    fails_with(
        &["experiment", "vanishing", "--out", "/nonexistent-dir/x.svg"],
        "the folder /nonexistent-dir does not exist",
    );
}

#[test]
fn train_plot_writes_both_loss_curves() {
    let dir = temp_dir("train-plot");
    let p = dir.join("loss.svg");
    let ckpt = dir.join("m.safetensors");
    let data = format!("{}/data/names.txt", env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = seqmodels(&[
        "train",
        "--data",
        &data,
        "--hidden",
        "16",
        "--embed-dim",
        "8",
        "--steps",
        "40",
        "--out",
        ckpt.to_str().unwrap(),
        "--plot",
        p.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("loss curves:"), "{out}");
    let svg = std::fs::read_to_string(&p).unwrap();
    assert_valid_svg(&svg);
    assert_eq!(svg.matches("<path").count(), 2);
    assert_eq!(legends(&svg), ["training loss (smoothed)", "held-out loss"]);
    // The held-out curve: the start, every 2 steps (40 / 20) before the
    // end, and the end: 1 + 19 + 1 = 21 points; the training curve 40.
    let paths: Vec<&str> = svg.split("<path d=\"").skip(1).collect();
    let points = |p: &str| p[..p.find('"').unwrap()].matches(['M', 'L']).count();
    assert_eq!(points(paths[0]), 40);
    assert_eq!(points(paths[1]), 21);
    // A missing folder is reported before training.
    fails_with(
        &[
            "train",
            "--data",
            &data,
            "--steps",
            "1",
            "--plot",
            "/nonexistent-dir/l.svg",
        ],
        "/nonexistent-dir",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
