//! The `seqmodels tsne` and `seqmodels data clusters` commands: a full run on
//! generated data (JSON line, SVG, coordinates), the generator's file equal
//! to the in-memory data, and errors for bad input that name file and line.

use seqmodels::cli::tsne::parse_points;
use seqmodels::tsne::gaussian_clusters;
use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_seqmodels"))
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("seqmodels-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(args: &[&str]) -> (bool, String, String) {
    let out = bin()
        .args(args)
        .env("SEQMODELS_THREADS", "2")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn data_clusters_then_tsne_end_to_end() {
    let dir = temp_dir("cli-tsne");
    let pts = dir.join("points.tsv");
    let svg = dir.join("plot.svg");
    let coords = dir.join("coords.tsv");
    let (ok, _, err) = run(&[
        "data",
        "clusters",
        "--n",
        "150",
        "--dim",
        "8",
        "--clusters",
        "3",
        "--seed",
        "5",
        "--out",
        pts.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    // The file holds exactly the generator's data.
    let text = std::fs::read_to_string(&pts).unwrap();
    let parsed = parse_points(&text, "points.tsv", true).unwrap();
    let (x, labels) = gaussian_clusters(150, 8, 3, 1.0, 5);
    assert_eq!(parsed.x, x);
    let names: Vec<String> = labels.iter().map(|c| format!("c{c}")).collect();
    assert_eq!(parsed.labels.unwrap(), names);

    let (ok, stdout, stderr) = run(&[
        "tsne",
        "--input",
        pts.to_str().unwrap(),
        "--labels",
        "--perplexity",
        "10",
        "--iter",
        "1000",
        "--threads",
        "2",
        "--out",
        svg.to_str().unwrap(),
        "--coords",
        coords.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    // KL every 50 iterations on stderr.
    assert_eq!(stderr.matches("KL").count(), 20, "{stderr}");
    let json = seqmodels::io::json::Json::parse(stdout.trim()).unwrap();
    assert_eq!(json.get("name").and_then(|v| v.as_str()), Some("tsne"));
    assert_eq!(json.get("n").and_then(|v| v.as_u64()), Some(150));
    assert_eq!(json.get("dim").and_then(|v| v.as_u64()), Some(8));
    assert_eq!(json.get("method").and_then(|v| v.as_str()), Some("exact"));
    assert_eq!(json.get("threads").and_then(|v| v.as_u64()), Some(2));
    let kl = json.get("kl").and_then(|v| v.as_f64()).unwrap();
    let trust = json
        .get("trustworthiness")
        .and_then(|v| v.as_f64())
        .unwrap();
    assert!(json.get("seconds").and_then(|v| v.as_f64()).unwrap() > 0.0);
    println!("CLI run: KL {kl:.4}, trustworthiness {trust:.4}");
    assert!(kl.is_finite() && kl > 0.0 && trust > 0.9);
    // One circle per point, three groups in the legend.
    let plot = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(plot.matches("<circle").count(), 150);
    for c in ["c0", "c1", "c2"] {
        assert!(plot.contains(&format!(">{c}</text>")), "legend {c}");
    }
    assert!(plot.trim_end().ends_with("</svg>"));
    let coords = std::fs::read_to_string(&coords).unwrap();
    assert_eq!(coords.lines().count(), 150);
    assert!(coords.lines().all(|l| l.split('\t').count() == 3));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_names_the_file_and_line() {
    let dir = temp_dir("cli-tsne-bad");
    let svg = dir.join("p.svg");
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let ragged = write("ragged.tsv", "1\t2\t3\n4\t5\t6\n# comment\n7\t8\n");
    let nonnum = write("nonnum.tsv", "a\t1\t2\nb\t3\tx4\n");
    let few = write("few.tsv", &"1\t2\n".repeat(10));
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["--input", "/nonexistent/pts.tsv"],
            vec!["/nonexistent/pts.tsv"],
        ),
        (
            vec!["--input", &ragged],
            vec!["ragged.tsv", "line 4", "2 numbers", "line 1 has 3"],
        ),
        (
            vec!["--input", &nonnum, "--labels"],
            vec!["nonnum.tsv", "line 2", "column 3", "\"x4\""],
        ),
        (
            vec!["--input", &nonnum],
            vec!["nonnum.tsv", "line 1", "column 1", "--labels"],
        ),
        (
            vec!["--input", &few],
            vec!["few.tsv", "10 points are too few for perplexity 30"],
        ),
        (
            vec!["--input", &few, "--perplexity", "abc"],
            vec!["--perplexity", "abc"],
        ),
    ];
    for (args, needles) in cases {
        let mut full = vec!["tsne"];
        full.extend(args.iter());
        full.extend(["--out", svg.to_str().unwrap()]);
        let (ok, _, stderr) = run(&full);
        assert!(!ok, "{args:?} succeeded");
        assert!(!stderr.contains("panicked"), "{stderr}");
        for n in needles {
            assert!(stderr.contains(n), "{args:?}: {n:?} not in {stderr:?}");
        }
    }
    let (ok, _, stderr) = run(&[
        "data",
        "clusters",
        "--n",
        "10",
        "--dim",
        "2",
        "--clusters",
        "20",
        "--out",
        "/dev/null",
    ]);
    assert!(!ok && stderr.contains("--clusters"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn parse_points_rules() {
    let p = parse_points("# header\n1\t2\r\n\n3\t4\n", "f", false).unwrap();
    assert_eq!(p.x.shape(), (2, 2));
    assert!(p.labels.is_none());
    let p = parse_points("king\t0.5\nqueen\t0.25\n", "f", true).unwrap();
    assert_eq!(p.labels.unwrap(), vec!["king", "queen"]);
    assert!(parse_points("", "f", false)
        .unwrap_err()
        .to_string()
        .contains("no points"));
    let e = parse_points("1\tinf\n", "f", false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 1") && e.contains("finite"), "{e}");
    let e = parse_points("word\n", "f", true).unwrap_err().to_string();
    assert!(e.contains("at least one number"), "{e}");
}
