//! `seqmodels demo`, run as a user would: flags, errors, and a short run of
//! each demo that prints its figure and predictions.

use std::process::Command;

fn seqmodels(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_seqmodels"))
        .args(args)
        .output()
        .expect("run seqmodels");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_flags_are_clear_errors() {
    let cases: [(&[&str], &str); 8] = [
        (&["demo"], "say which demo"),
        (&["demo", "poetry"], "unknown demo \"poetry\""),
        (&["demo", "ner", "dates"], "one demo at a time"),
        (
            &["demo", "ner", "--steps", "0"],
            "--steps must be between 1",
        ),
        (&["demo", "ner", "--steps", "many"], "--steps"),
        (
            &["demo", "ner", "--threads", "0"],
            "--threads 0: must be between 1 and 1024",
        ),
        (&["demo", "ner", "--cell", "lstn"], "--cell"),
        (&["demo", "ner", "--bogus"], "--bogus"),
    ];
    for (args, want) in cases {
        let (code, _, err) = seqmodels(args);
        assert_ne!(code, 0, "{args:?} should fail");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let (code, out, _) = seqmodels(&["demo", "--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--steps N") && out.contains("agreement"),
        "{out}"
    );
    let (_, out, _) = seqmodels(&["--help"]);
    assert!(out.contains("demo TASK"), "{out}");
}

#[test]
fn short_demos_print_their_figure_and_predictions() {
    let (code, out, err) = seqmodels(&["demo", "ner", "--steps", "20", "--threads", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("bidirectional") && out.contains("majority label"),
        "{out}"
    );
    assert!(out.contains("truth "), "{out}");
    // The progress bar's last line goes to stderr.
    assert!(err.contains("20/20") && err.contains("loss"), "{err}");

    let (code, out, err) = seqmodels(&["demo", "agreement", "--steps", "5", "--cell", "gru"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("(gru cell)") && out.contains("by clause length"),
        "{out}"
    );
    assert!(out.contains("[was]") || out.contains("[were]"), "{out}");

    let (code, out, err) = seqmodels(&["demo", "sentiment", "--steps", "5", "--seed", "9"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("exact stars") && out.contains('★'), "{out}");

    let (code, out, err) = seqmodels(&["demo", "dates", "--steps", "5"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("exact match") && out.contains('→'), "{out}");
}
