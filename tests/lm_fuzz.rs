//! Randomised mutation of valid language-model checkpoints: whatever the
//! bytes, loading returns a checkpoint or an error naming the file — never a
//! panic — and a checkpoint that loads can be sampled from and evaluated.
//!
//! `cargo test --release --test lm_fuzz` runs 12,000 cases (a second or
//! two); `cargo test --release --test lm_fuzz -- --ignored` runs 300,000.

use std::panic::{catch_unwind, AssertUnwindSafe};

use seqmodels::io::json::Json;
use seqmodels::io::safetensors::{Dtype, SafeTensors, SafeTensorsWriter};
use seqmodels::lm::{evaluate, Checkpoint, Clip, LmConfig, SampleOptions, Trainer};
use seqmodels::models::Sampling;
use seqmodels::optim::OptimKind;
use seqmodels::rng::Rng;
use seqmodels::rnn::CellKind;
use seqmodels::text::{Corpus, Level, Mode, TextConfig};

const TEXT: &str = "anna\nbob\ncarla\ndave\neve\nfrank\ngina\nhal\nivy\njon\nkim\nleo\n";

fn config(level: Level, mode: Mode, cell: &str, embed: usize, optim: &str) -> LmConfig {
    LmConfig {
        text: TextConfig {
            level,
            mode,
            lower: false,
            min_count: 1,
        },
        cell: CellKind::parse(cell).unwrap(),
        hidden: 4,
        layers: 2,
        embed_dim: embed,
        vocab_size: 0,
        seq: 5,
        batch: 3,
        optim: OptimKind::parse(optim).unwrap(),
        lr: 0.01,
        clip: Clip::Norm(1.0),
        seed: 1,
        holdout: 0.2,
        dropout: 0.0,
    }
}

/// Valid checkpoints of several kinds: lines with an embedding and Adam
/// state, a stream stopped mid-epoch (carried LSTM states, momentum), a
/// word-level model, and a model without training state.
fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let cases = [
        (Level::Char, Mode::Lines, "lstm", 3, "adam", 2),
        (Level::Char, Mode::Stream, "lstm", 0, "momentum", 1),
        (Level::Word, Mode::Lines, "gru", 2, "rmsprop", 1),
        (Level::Char, Mode::Lines, "rnn", 0, "adagrad", 0),
    ];
    for (level, mode, cell, embed, optim, steps) in cases {
        let mut t = Trainer::new(config(level, mode, cell, embed, optim), TEXT, "seed").unwrap();
        for _ in 0..steps {
            t.step().unwrap();
        }
        out.push(t.checkpoint_bytes());
    }
    let model_only = Checkpoint::from_bytes(out[0].clone(), "seed").unwrap();
    out.push(
        Checkpoint {
            lm: model_only.lm,
            train: None,
        }
        .to_bytes(),
    );
    out
}

/// A replacement for a JSON value: numbers at the edges, wrong types, long
/// strings.
fn odd_value(rng: &mut Rng) -> Json {
    match rng.below(12) {
        0 => Json::int(0),
        1 => Json::int(-1),
        2 => Json::int(1 << 31),
        3 => Json::Num(1.8e19, "18446744073709551616".to_string()),
        4 => Json::num(1e308),
        5 => Json::num(0.5),
        6 => Json::str(""),
        7 => Json::str("x".repeat(rng.below(300))),
        8 => Json::Null,
        9 => Json::Arr(vec![Json::str("a"), Json::str("a")]),
        10 => Json::Obj(Vec::new()),
        _ => Json::int(rng.below(100) as i64),
    }
}

/// Replaces one randomly chosen value (at any depth) of `j`.
fn mutate_json(j: &mut Json, rng: &mut Rng) {
    match j {
        Json::Obj(kv) if !kv.is_empty() => {
            let i = rng.below(kv.len());
            match rng.below(4) {
                0 => {
                    kv.remove(i);
                }
                1 => kv[i].1 = odd_value(rng),
                _ => mutate_json(&mut kv[i].1, rng),
            }
        }
        Json::Arr(v) if !v.is_empty() => {
            let i = rng.below(v.len());
            match rng.below(4) {
                0 => {
                    v.remove(i);
                }
                1 => v[i] = odd_value(rng),
                2 => {
                    let dup = v[rng.below(v.len())].clone();
                    v.push(dup);
                }
                _ => mutate_json(&mut v[i], rng),
            }
        }
        other => *other = odd_value(rng),
    }
}

/// Rebuilds a valid safetensors file from `st` with one metadata value or
/// one tensor changed, so the mutation reaches the checkpoint checks.
fn structured(st: &SafeTensors, rng: &mut Rng) -> Vec<u8> {
    let mut meta: Vec<(String, String)> = st.metadata().to_vec();
    let mut tensors: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = st
        .tensors()
        .iter()
        .map(|t| {
            let bytes = st.data(&t.name).unwrap().to_vec();
            (t.name.clone(), t.dtype, t.shape.clone(), bytes)
        })
        .collect();
    match rng.below(6) {
        0..=2 if !meta.is_empty() => {
            let i = rng.below(meta.len());
            match Json::parse(&meta[i].1) {
                Ok(mut j) => {
                    mutate_json(&mut j, rng);
                    meta[i].1 = j.to_json();
                }
                Err(_) => meta[i].1 = "{".to_string(),
            }
        }
        3 if !meta.is_empty() => {
            meta.remove(rng.below(meta.len()));
        }
        4 if !tensors.is_empty() => {
            let i = rng.below(tensors.len());
            match rng.below(4) {
                0 => {
                    tensors.remove(i);
                }
                1 => {
                    // Same bytes, another shape with the same element count.
                    let n: usize = tensors[i].2.iter().product();
                    tensors[i].2 = vec![n];
                }
                2 => {
                    // Reinterpret as F64 (half the elements), or an extra tensor.
                    if tensors[i].3.len() % 8 == 0 {
                        tensors[i].1 = Dtype::F64;
                        tensors[i].2 = vec![tensors[i].3.len() / 8];
                    } else {
                        tensors.push(("extra".into(), Dtype::F32, vec![1], vec![0; 4]));
                    }
                }
                _ => {
                    let (name, dtype, shape, bytes) = tensors[i].clone();
                    tensors.push((format!("{name}.copy"), dtype, shape, bytes));
                }
            }
        }
        _ if !tensors.is_empty() => {
            // Non-finite or huge values in a tensor: huge finite weights
            // load, and their sums overflow to ±∞ in the forward pass.
            let i = rng.below(tensors.len());
            let b = &mut tensors[i].3;
            if b.len() >= 4 {
                let v = [f32::NAN, f32::INFINITY, -1e30, 3e38][rng.below(4)];
                let all = rng.below(3) == 0;
                for k in 0..b.len() / 4 {
                    if all || rng.below(4) == 0 {
                        b[4 * k..4 * k + 4].copy_from_slice(&v.to_le_bytes());
                    }
                }
            }
        }
        _ => {}
    }
    let mut w = SafeTensorsWriter::new();
    for (k, v) in &meta {
        w.metadata(k, v);
    }
    for (name, dtype, shape, bytes) in tensors {
        w.tensor_bytes(&name, dtype, &shape, bytes);
    }
    w.to_bytes()
}

/// One mutated file.
fn mutate(seed: &[u8], st: &SafeTensors, rng: &mut Rng) -> Vec<u8> {
    let mut b = seed.to_vec();
    let header_end = 8 + u64::from_le_bytes(seed[..8].try_into().unwrap()) as usize;
    match rng.below(6) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
        }
        1 => b.truncate(rng.below(b.len())),
        2 => {
            // Inside the header, where the checks are.
            for _ in 0..1 + rng.below(4) {
                let i = 8 + rng.below(header_end - 8);
                let alphabet = b" {}[]\",:0123456789-eE.ntrufalsx\\";
                b[i] = alphabet[rng.below(alphabet.len())];
            }
        }
        3 => {
            let i = rng.below(b.len());
            let junk: Vec<u8> = (0..1 + rng.below(16))
                .map(|_| rng.below(256) as u8)
                .collect();
            b.splice(i..i, junk);
        }
        _ => b = structured(st, rng),
    }
    b
}

/// Loads `bytes`; if that works, samples and evaluates. Returns whether it
/// loaded. Panics propagate to the caller's `catch_unwind`.
fn exercise(bytes: Vec<u8>) -> bool {
    match Checkpoint::from_bytes(bytes, "fuzz.safetensors") {
        Err(e) => {
            assert!(
                e.to_string().starts_with("fuzz.safetensors"),
                "error does not name the file: {e}"
            );
            false
        }
        Ok(ck) => {
            let lm = &ck.lm;
            let opts = SampleOptions {
                sampling: Sampling::Sample {
                    temperature: 0.9,
                    top_k: 3,
                    top_p: 0.9,
                },
                max_len: 6,
                prime: String::new(),
            };
            let _ = lm.sample(&opts, &mut Rng::new(1));
            if let Ok(c) = Corpus::with_vocab(TEXT, "eval", &lm.config.text, &lm.vocab) {
                let _ = evaluate(lm, &c.seqs);
            }
            true
        }
    }
}

fn run_cases(n: usize, seed: u64) {
    let seeds = seeds();
    let parsed: Vec<SafeTensors> = seeds
        .iter()
        .map(|b| SafeTensors::from_bytes(b.clone(), "seed").unwrap())
        .collect();
    // Every seed file loads as it is.
    for b in &seeds {
        assert!(exercise(b.clone()));
    }
    let mut rng = Rng::new(seed);
    let (mut loaded, mut rejected) = (0, 0);
    for case in 0..n {
        let k = rng.below(seeds.len());
        let bytes = mutate(&seeds[k], &parsed[k], &mut rng);
        match catch_unwind(AssertUnwindSafe(|| exercise(bytes.clone()))) {
            Ok(true) => loaded += 1,
            Ok(false) => rejected += 1,
            Err(_) => {
                let path = std::env::temp_dir().join(format!("lm-fuzz-case-{case}.safetensors"));
                let _ = std::fs::write(&path, &bytes);
                panic!(
                    "case {case} (seed file {k}) panicked; bytes saved to {}",
                    path.display()
                );
            }
        }
    }
    println!(
        "{n} mutated checkpoints: {rejected} rejected with an error, {loaded} loaded and used"
    );
    // Both outcomes occur, so the mutations reach past the first check.
    assert!(
        rejected > n / 2 && loaded > 0,
        "{rejected} rejected, {loaded} loaded"
    );
}

#[test]
fn mutated_checkpoints_never_panic() {
    run_cases(12_000, 20_240_601);
}

#[test]
#[ignore = "long: 300,000 cases"]
fn mutated_checkpoints_never_panic_long() {
    run_cases(300_000, 7);
}
