//! The `seqmodels embed` command end to end: train each method on a small
//! generated corpus, then query, evaluate and debias the vectors it wrote.

use seqmodels::embeddings::{read_vectors, synthetic};
use std::path::PathBuf;

fn run(args: &[&str]) -> i32 {
    seqmodels::cli::main(args.iter().map(|s| s.to_string()).collect())
}

#[test]
fn embed_commands_end_to_end() {
    let dir = std::env::temp_dir().join(format!("seqmodels_cli_embed_{}", std::process::id()));
    let ds = synthetic::write_dataset(&dir, 3_000, 5).unwrap();
    let corpus = ds.corpus.to_str().unwrap().to_string();
    let q = ds.questions.to_str().unwrap().to_string();
    let pairs = ds.pairs.to_str().unwrap().to_string();
    let p = |name: &str| -> String { dir.join(name).to_str().unwrap().to_string() };
    for (method, fmt) in [
        ("sgns", "w2v-bin"),
        ("cbow", "w2v-txt"),
        ("glove", "glove-txt"),
        ("nplm", "w2v-bin"),
    ] {
        let out = p(&format!("{method}.vec"));
        let code = run(&[
            "embed",
            "train",
            "--corpus",
            &corpus,
            "--method",
            method,
            "--size",
            "16",
            "--min-count",
            "1",
            "--iter",
            "2",
            "--threads",
            "1",
            "--out",
            &out,
            "--format",
            fmt,
            "--eval-analogies",
            &q,
            "--eval-pairs",
            &pairs,
        ]);
        assert_eq!(code, 0, "{method}");
        let (wv, got) = read_vectors(&out).unwrap();
        assert_eq!(got.name(), fmt);
        assert_eq!(wv.dim(), 16);
        assert!(wv.index_of("queen").is_some());
    }
    let v = p("sgns.vec");
    assert_eq!(
        run(&["embed", "similar", "--vectors", &v, "king", "--topn", "3"]),
        0
    );
    assert_eq!(
        run(&["embed", "analogy", "--vectors", &v, "man", "woman", "king"]),
        0
    );
    assert_eq!(
        run(&[
            "embed",
            "analogy",
            "--vectors",
            &v,
            "man",
            "woman",
            "king",
            "--cosmul"
        ]),
        0
    );
    assert_eq!(
        run(&[
            "embed",
            "eval",
            "--vectors",
            &v,
            "--analogies",
            &q,
            "--pairs",
            &pairs,
            "--case-insensitive"
        ]),
        0
    );
    std::fs::write(dir.join("def.txt"), "# definitional\nwoman man\ngirl boy\n").unwrap();
    std::fs::write(dir.join("eq.txt"), "queen king\n").unwrap();
    let out = p("debiased.txt");
    assert_eq!(
        run(&[
            "embed",
            "debias",
            "--vectors",
            &v,
            "--definitional",
            &p("def.txt"),
            "--equalize",
            &p("eq.txt"),
            "--neutralize-all",
            "--out",
            &out,
            "--format",
            "w2v-txt"
        ]),
        0
    );
    assert_eq!(
        read_vectors(&out).unwrap().0.len(),
        read_vectors(&v).unwrap().0.len()
    );
    // User errors exit non-zero (with a message on stderr), never panic.
    assert_eq!(run(&["embed", "similar", "--vectors", &v, "notaword"]), 1);
    assert_eq!(
        run(&["embed", "analogy", "--vectors", &v, "man", "woman"]),
        1
    );
    assert_eq!(
        run(&[
            "embed",
            "train",
            "--corpus",
            &p("missing.txt"),
            "--out",
            &p("x.bin")
        ]),
        1
    );
    assert_eq!(
        run(&[
            "embed",
            "train",
            "--corpus",
            &corpus,
            "--method",
            "lsa",
            "--out",
            &p("x.bin")
        ]),
        1
    );
    assert_eq!(
        run(&[
            "embed",
            "train",
            "--corpus",
            &corpus,
            "--size",
            "0",
            "--out",
            &p("x.bin")
        ]),
        1
    );
    assert_eq!(
        run(&[
            "embed",
            "eval",
            "--vectors",
            &PathBuf::from(&q).to_string_lossy()
        ]),
        1
    );
    assert_eq!(
        run(&[
            "embed",
            "debias",
            "--vectors",
            &v,
            "--direction",
            "woman",
            "--out",
            &p("y.bin")
        ]),
        1
    );
    assert_eq!(run(&["embed", "frobnicate"]), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn embed_tsne_draws_the_listed_words() {
    let dir = std::env::temp_dir().join(format!("seqmodels-embed-tsne-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A tiny vector file: four groups of words along four axes, plus noise.
    let mut text = String::from("24 6\n");
    for g in 0..4 {
        for k in 0..6 {
            let mut v = [0.0f32; 6];
            v[g] = 1.0;
            v[4] = 0.01 * k as f32;
            v[5] = 0.02 * (k % 3) as f32;
            text.push_str(&format!(
                "w{g}_{k} {}\n",
                v.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
    }
    let vec_path = dir.join("v.txt");
    std::fs::write(&vec_path, text).unwrap();
    let list = dir.join("list.txt");
    std::fs::write(
        &list,
        "w0_0\nw1_1\nw2_2\nw3_3\nw0_4\nw1_5\nw2_0\nw3_1\nw0_2\nw1_3\n",
    )
    .unwrap();
    let svg = dir.join("map.svg");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_seqmodels"))
        .args(["embed", "tsne", "--vectors"])
        .arg(&vec_path)
        .arg("--list")
        .arg(&list)
        .args(["--perplexity", "3", "--iter", "300", "--out"])
        .arg(&svg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = std::fs::read_to_string(&svg).unwrap();
    assert!(s.starts_with("<svg") || s.starts_with("<?xml"));
    for w in ["w0_0", "w3_3", "w1_5"] {
        assert!(s.contains(&format!(">{w}<")), "label {w} missing");
    }
    assert_eq!(s.matches("<circle").count(), 10);
    // An unknown word in the list is an error naming the file and the word.
    std::fs::write(&list, "w0_0\nnope\nw1_1\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_seqmodels"))
        .args(["embed", "tsne", "--vectors"])
        .arg(&vec_path)
        .arg("--list")
        .arg(&list)
        .args(["--out"])
        .arg(&svg)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("list.txt") && err.contains("nope"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
