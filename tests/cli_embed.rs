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
