//! The command line, run as a user would: exit codes and error messages.

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
fn gradcheck_all_passes_and_prints_every_cell() {
    let (code, out, _) = seqmodels(&["gradcheck", "--cell", "all"]);
    assert_eq!(code, 0, "{out}");
    for cell in [
        "rnn T=",
        "rnn-relu T=",
        "gru T=",
        "gru-course T=",
        "lstm T=",
        "lstm step",
    ] {
        assert!(out.contains(cell), "missing {cell} rows");
    }
    assert!(out.contains(" 0 failed"));
    assert!(!out.contains("FAIL"));
}

#[test]
fn unknown_commands_and_flags_are_errors() {
    let (code, _, err) = seqmodels(&["frobnicate"]);
    assert_ne!(code, 0);
    assert!(err.contains("unknown command \"frobnicate\""), "{err}");
    let (code, _, err) = seqmodels(&["gradcheck", "--cell", "lstn"]);
    assert_ne!(code, 0);
    assert!(err.contains("--cell") && err.contains("lstn"), "{err}");
    let (code, _, err) = seqmodels(&["gradcheck", "--bogus"]);
    assert_ne!(code, 0);
    assert!(err.contains("--bogus"), "{err}");
    let (code, _, err) = seqmodels(&["bench", "gemm", "--m", "10"]);
    assert_ne!(code, 0);
    assert!(err.contains("--m, --k and --n"), "{err}");
    // A thread count past 1024 is refused before any thread is started (a
    // hundred thousand stacks used to abort the process).
    for cmd in [
        &["bench", "gemm", "--threads", "100000"][..],
        &["bench", "rnn", "--threads", "100000"][..],
        &[
            "embed",
            "train",
            "--corpus",
            "x.txt",
            "--out",
            "x.bin",
            "--threads",
            "100000",
        ][..],
    ] {
        let (code, _, err) = seqmodels(cmd);
        assert_eq!(code, 1, "{cmd:?}: {err}");
        assert!(err.contains("--threads 100000"), "{cmd:?}: {err}");
    }
}

#[test]
fn bad_environment_is_reported() {
    let out = Command::new(env!("CARGO_BIN_EXE_seqmodels"))
        .args(["gradcheck", "--cell", "rnn"])
        .env("SEQMODELS_KERNEL", "avx9000")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SEQMODELS_KERNEL"));
    let out = Command::new(env!("CARGO_BIN_EXE_seqmodels"))
        .args(["gradcheck", "--cell", "rnn"])
        .env("SEQMODELS_THREADS", "0")
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SEQMODELS_THREADS"));
}

/// A bench shape too large for memory is an error naming it, before any
/// allocation (`--layers 4294967296` and `--m 4294967296` used to abort the
/// process with "memory allocation of … bytes failed").
#[test]
fn bench_shapes_too_large_for_memory_are_errors() {
    let cases: [(&[&str], &str); 3] = [
        (
            &[
                "bench",
                "rnn",
                "--cell",
                "lstm",
                "--seq",
                "2",
                "--batch",
                "1",
                "--input",
                "2",
                "--hidden",
                "2",
                "--layers",
                "4294967296",
            ],
            "with --layers 4294967296 would need about",
        ),
        (
            &["bench", "gemm", "--m", "4294967296", "--k", "2", "--n", "2"],
            "--m 4294967296 --k 2 --n 2 would need about 64 GiB",
        ),
        (
            &["bench", "rnn", "--layers", "40"],
            "(T, B, I, H) = (128, 64, 256, 1024) with --layers 40",
        ),
    ];
    for (args, needle) in cases {
        let (code, _, err) = seqmodels(args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {needle:?} not in {err:?}");
        assert!(err.contains("at most 16 GiB"), "{args:?}: {err}");
    }
}

/// An argument that is not UTF-8 (a file name in Latin-1, a stray byte in
/// `--prime`) is an error naming it; `std::env::args` used to panic on it.
#[cfg(unix)]
#[test]
fn arguments_that_are_not_utf8_are_errors() {
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    let bad = |bytes: &[u8]| OsString::from_vec(bytes.to_vec());
    let cases: [(Vec<OsString>, &str); 3] = [
        (
            vec!["sample".into(), "--prime".into(), bad(b"ab\xff")],
            "the value of --prime is not valid UTF-8 (\"ab\u{FFFD}\"",
        ),
        (
            vec!["train".into(), "--data".into(), bad(b"caf\xe9.txt")],
            "the value of --data is not valid UTF-8",
        ),
        (vec![bad(b"\xfe")], "argument 1 is not valid UTF-8"),
    ];
    for (args, needle) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_seqmodels"))
            .args(&args)
            .output()
            .expect("run seqmodels");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {needle:?} not in {err:?}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn every_kernel_path_passes_the_rnn_checks() {
    // SEQMODELS_KERNEL forces a path for the whole process.
    for k in seqmodels::linalg::Kernel::supported_paths() {
        let out = Command::new(env!("CARGO_BIN_EXE_seqmodels"))
            .args(["gradcheck", "--cell", "lstm"])
            .env("SEQMODELS_KERNEL", k.name())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            k.name(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// `bench peak` prints one fma line and one read line per buffer, with
/// positive finite rates, the buffer rounded down to whole blocks of the
/// probe; sizes it cannot read and unknown dtypes are errors naming the flag.
#[test]
fn bench_peak_prints_json_and_refuses_bad_sizes() {
    for dtype in ["f32", "f64"] {
        let (code, out, err) = seqmodels(&[
            "bench",
            "peak",
            "--dtype",
            dtype,
            "--bytes",
            "100000",
            "--min-time",
            "0",
        ]);
        assert_eq!(code, 0, "{err}");
        let lines: Vec<seqmodels::io::json::Json> = out
            .lines()
            .map(|l| seqmodels::io::json::Json::parse(l).expect("a JSON line"))
            .collect();
        assert_eq!(lines.len(), 2, "{out}");
        let probe = |v: &seqmodels::io::json::Json| {
            v.get("probe").and_then(|p| p.as_str().map(String::from))
        };
        assert_eq!(probe(&lines[0]).as_deref(), Some("fma"), "{out}");
        assert_eq!(probe(&lines[1]).as_deref(), Some("read"), "{out}");
        let rate = |v: &seqmodels::io::json::Json, key: &str| v.get(key).and_then(|x| x.as_f64());
        let gflops = rate(&lines[0], "gflops").expect("gflops");
        let gbytes = rate(&lines[1], "gbytes_per_s").expect("gbytes_per_s");
        assert!(gflops.is_finite() && gflops > 0.0, "{out}");
        assert!(gbytes.is_finite() && gbytes > 0.0, "{out}");
        // 100 000 bytes hold whole blocks of 8 vectors; at most 64 values
        // (one block of 8 · 64 bytes) are left over, and the count is whole
        // values of the dtype.
        let bytes = rate(&lines[1], "bytes").expect("bytes") as usize;
        let size = if dtype == "f32" { 4 } else { 8 };
        assert!(
            bytes <= 100_000 && bytes > 100_000 - 8 * 64 && bytes % size == 0,
            "{out}"
        );
    }
    for (args, needle) in [
        (&["bench", "peak", "--bytes", "10"][..], "--bytes 10"),
        (
            &["bench", "peak", "--bytes", "2000000000"][..],
            "--bytes 2000000000",
        ),
        (&["bench", "peak", "--bytes", "-1"][..], "--bytes"),
        (&["bench", "peak", "--dtype", "f16"][..], "--dtype"),
        (&["bench", "peak", "--min-time", "nan"][..], "--min-time"),
        (&["bench", "peek"][..], "peek"),
    ] {
        let (code, _, err) = seqmodels(args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {needle:?} not in {err:?}");
    }
}

#[test]
fn bench_gemm_prints_json() {
    let (code, out, _) = seqmodels(&[
        "bench",
        "gemm",
        "--m",
        "8",
        "--k",
        "9",
        "--n",
        "10",
        "--min-time",
        "0",
        "--threads",
        "1",
    ]);
    assert_eq!(code, 0);
    let v = seqmodels::io::json::Json::parse(out.trim()).expect("one JSON line");
    for key in [
        "name",
        "m",
        "k",
        "n",
        "dtype",
        "threads",
        "prepacked",
        "median_ms",
        "gflops",
    ] {
        assert!(v.get(key).is_some(), "missing {key} in {out}");
    }
}
