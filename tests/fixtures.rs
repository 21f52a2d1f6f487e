//! Every committed PyTorch fixture (data/fixtures/, written by
//! make_fixtures.py) passes through the same code path as `seqmodels verify`,
//! and broken fixtures are rejected with errors that name the problem.

use seqmodels::fixtures::{verify, verify_file};
use seqmodels::io::safetensors::{SafeTensors, SafeTensorsWriter};
use std::path::PathBuf;

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/fixtures")
}

fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .expect("data/fixtures exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_committed_fixture_passes() {
    let files = fixtures();
    // {rnn_tanh, rnn_relu, gru, lstm} × {1, 2} layers × {uni, bi} × {F32, F64}, plus the char LM in both dtypes.
    assert_eq!(
        files.len(),
        34,
        "expected 34 fixtures, found {}",
        files.len()
    );
    for f in &files {
        let rep = verify_file(f).unwrap_or_else(|e| panic!("{e}"));
        let worst = rep.rows.iter().map(|r| r.max_rel).fold(0.0, f64::max);
        println!(
            "{} {} {} rows, worst {worst:.2e}",
            rep.source,
            rep.dtype,
            rep.rows.len()
        );
        assert!(
            rep.passed(),
            "{}: {:?}",
            rep.source,
            rep.rows.iter().filter(|r| !r.passed).collect::<Vec<_>>()
        );
        assert!(rep.rows.len() >= 8);
    }
    let total: usize = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len() as usize)
        .sum();
    assert!(total < 2_000_000, "fixtures take {total} bytes");
}

/// Rebuilds a fixture with `edit` applied to (name, dtype, shape, bytes) and
/// to the metadata.
fn rebuild(
    src: &SafeTensors,
    mut edit: impl FnMut(&str, &mut Vec<usize>, &mut Vec<u8>) -> bool,
    meta: impl Fn(&str, &str) -> Option<String>,
) -> SafeTensors {
    let mut w = SafeTensorsWriter::new();
    for (k, v) in src.metadata() {
        if let Some(v2) = meta(k, v) {
            w.metadata(k, &v2);
        }
    }
    for t in src.tensors() {
        let mut shape = t.shape.clone();
        let mut bytes = src.data(&t.name).unwrap().to_vec();
        if edit(&t.name, &mut shape, &mut bytes) {
            w.tensor_bytes(&t.name, t.dtype, &shape, bytes);
        }
    }
    SafeTensors::from_bytes(w.to_bytes(), "edited.safetensors").unwrap()
}

#[test]
fn broken_fixtures_name_the_problem() {
    let src = SafeTensors::read(fixture_dir().join("lstm_l1_bi_f64.safetensors")).unwrap();
    let keep = |k: &str, v: &str| {
        Some(if k.is_empty() {
            String::new()
        } else {
            v.to_string()
        })
    };
    // A missing tensor.
    let st = rebuild(&src, |n, _, _| n != "weight_hh_l0_reverse", keep);
    let e = verify(&st).unwrap_err().to_string();
    assert!(e.contains("weight_hh_l0_reverse"), "{e}");
    // A wrong shape.
    let st = rebuild(
        &src,
        |n, s, _| {
            if n == "h0" {
                s.swap(1, 2);
            }
            true
        },
        keep,
    );
    let e = verify(&st).unwrap_err().to_string();
    assert!(e.contains("\"h0\"") && e.contains("shape"), "{e}");
    // An unknown mode.
    let st = rebuild(
        &src,
        |_, _, _| true,
        |k, v| {
            Some(if k == "mode" {
                "transformer".into()
            } else {
                v.into()
            })
        },
    );
    let e = verify(&st).unwrap_err().to_string();
    assert!(e.contains("unknown mode \"transformer\""), "{e}");
    // A bad number in the metadata.
    let st = rebuild(
        &src,
        |_, _, _| true,
        |k, v| {
            Some(if k == "hidden_size" {
                "seven".into()
            } else {
                v.into()
            })
        },
    );
    let e = verify(&st).unwrap_err().to_string();
    assert!(e.contains("hidden_size") && e.contains("seven"), "{e}");
    // Not a fixture at all.
    let st = rebuild(
        &src,
        |_, _, _| true,
        |k, v| (k != "seqmodels.fixture").then(|| v.to_string()),
    );
    assert!(verify(&st)
        .unwrap_err()
        .to_string()
        .contains("not a seqmodels fixture"));
    // A wrong value fails the comparison (the check can fail).
    let st = rebuild(
        &src,
        |n, _, b| {
            if n == "grad.weight_ih_l0" {
                let x = f64::from_le_bytes(b[0..8].try_into().unwrap()) + 1e-6;
                b[0..8].copy_from_slice(&x.to_le_bytes());
            }
            true
        },
        keep,
    );
    let rep = verify(&st).unwrap();
    assert!(!rep.passed());
    let bad: Vec<_> = rep
        .rows
        .iter()
        .filter(|r| !r.passed)
        .map(|r| r.tensor.clone())
        .collect();
    assert_eq!(bad, vec!["grad.weight_ih_l0"]);
}

#[test]
fn verify_command_exit_codes() {
    let bin = env!("CARGO_BIN_EXE_seqmodels");
    let ok = std::process::Command::new(bin)
        .arg("verify")
        .args(fixtures())
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("34 fixtures: 34 passed"));
    let bad = std::process::Command::new(bin)
        .args(["verify", "no/such/file.safetensors"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no/such/file.safetensors"));
}
