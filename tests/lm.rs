//! The language models end to end: learning on the bundled names and on a
//! generated grammar, reproducible sampling, bit-exact resuming, atomic
//! saves, divergence, and clear errors (never a panic) for bad input.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use seqmodels::err;
use seqmodels::io::atomic::write_atomic_with;
use seqmodels::lm::{Checkpoint, Clip, LmConfig, SampleOptions, Trainer};
use seqmodels::models::{choose, Parameters, Sampling};
use seqmodels::optim::OptimKind;
use seqmodels::rng::Rng;
use seqmodels::rnn::CellKind;
use seqmodels::text::{Level, Mode, TextConfig};

fn names_path() -> String {
    format!("{}/data/names.txt", env!("CARGO_MANIFEST_DIR"))
}

fn names_text() -> String {
    std::fs::read_to_string(names_path()).expect("data/names.txt is part of the repository")
}

/// A fresh, empty directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("seqmodels-lm-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

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

/// Runs the command line and expects a clean failure: exit code 1, one
/// `error: …` message containing every one of `needles`, and no panic.
fn fails_with(args: &[&str], needles: &[&str]) {
    let (code, _, err) = seqmodels(args);
    assert_eq!(code, 1, "{args:?} should fail with exit code 1: {err}");
    assert!(err.contains("error: "), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: {n:?} not in {err:?}");
    }
}

fn char_lines(hidden: usize, embed_dim: usize, batch: usize, lr: f64) -> LmConfig {
    LmConfig {
        text: TextConfig {
            level: Level::Char,
            mode: Mode::Lines,
            lower: false,
            min_count: 1,
        },
        cell: CellKind::Lstm,
        hidden,
        layers: 1,
        embed_dim,
        vocab_size: 0,
        seq: 64,
        batch,
        optim: OptimKind::parse("adam").unwrap(),
        lr,
        clip: Clip::Norm(5.0),
        seed: 42,
        holdout: 0.1,
        dropout: 0.0,
    }
}

/// H(next char | previous char) in bits, of the bigram model fitted to
/// *all* the names (held-out ones included), each name read as
/// <EOS> c1 … cn <EOS>. Fitted to the very data it is scored on, it is an
/// optimistic figure for any model that looks one character back.
fn bigram_entropy_bits(text: &str) -> f64 {
    let mut pair: HashMap<(char, char), f64> = HashMap::new();
    let mut first: HashMap<char, f64> = HashMap::new();
    let mut n = 0.0;
    for line in text.lines().filter(|l| !l.is_empty()) {
        let chars: Vec<char> = std::iter::once('\n')
            .chain(line.chars())
            .chain(std::iter::once('\n'))
            .collect();
        for w in chars.windows(2) {
            *pair.entry((w[0], w[1])).or_default() += 1.0;
            *first.entry(w[0]).or_default() += 1.0;
            n += 1.0;
        }
    }
    -pair
        .iter()
        .map(|(&(a, _), &c)| c * (c / first[&a]).log2())
        .sum::<f64>()
        / n
}

/// H(char) in bits: the unigram entropy, line ends included.
fn unigram_entropy_bits(text: &str) -> f64 {
    let mut count: HashMap<char, f64> = HashMap::new();
    let mut n = 0.0;
    for line in text.lines().filter(|l| !l.is_empty()) {
        for c in line.chars().chain(std::iter::once('\n')) {
            *count.entry(c).or_default() += 1.0;
            n += 1.0;
        }
    }
    -count.values().map(|&c| c / n * (c / n).log2()).sum::<f64>()
}

#[test]
fn names_lstm_beats_the_bigram_entropy_on_held_out_names() {
    let text = names_text();
    let unigram = unigram_entropy_bits(&text);
    let bigram = bigram_entropy_bits(&text);
    let mut t = Trainer::new(char_lines(64, 16, 32, 0.01), &text, "names.txt").unwrap();
    let before = t.evaluate_heldout().unwrap().bits_per_char.unwrap();
    for _ in 0..400 {
        t.step().unwrap();
    }
    let after = t.evaluate_heldout().unwrap().bits_per_char.unwrap();
    println!(
        "held-out bits/char: {before:.3} untrained, {after:.3} after 400 steps; \
         unigram entropy {unigram:.3}, bigram entropy (fitted on all names) {bigram:.3}"
    );
    // The level: the in-sample bigram entropy (3.37 bits for data/names.txt,
    // computed above). A uniform guess costs log2(27) = 4.75 bits, a model
    // of character frequencies alone the unigram entropy (4.06 bits); only a
    // model that uses more than the previous character, learned from the
    // training names, gets below the bigram figure on names it never saw.
    assert!(
        after < bigram,
        "held-out {after:.3} bits/char, not below the bigram entropy {bigram:.3}"
    );
    assert!(
        before > unigram,
        "an untrained model should know nothing: {before:.3}"
    );
}

/// Sentences of a grammar with number agreement between subject and verb:
/// S → Det_sg N_sg V_sg Obj . | Det_pl N_pl V_pl Obj .,  Obj → Det_sg N_sg | Det_pl N_pl.
struct Grammar;

impl Grammar {
    const DET_SG: [&'static str; 3] = ["a", "the", "this"];
    const DET_PL: [&'static str; 3] = ["some", "the", "these"];
    const N_SG: [&'static str; 4] = ["cat", "dog", "bird", "child"];
    const N_PL: [&'static str; 4] = ["cats", "dogs", "birds", "children"];
    const V_SG: [&'static str; 3] = ["sees", "chases", "likes"];
    const V_PL: [&'static str; 3] = ["see", "chase", "like"];

    fn noun_phrase(rng: &mut Rng, plural: bool) -> Vec<&'static str> {
        if plural {
            vec![Self::DET_PL[rng.below(3)], Self::N_PL[rng.below(4)]]
        } else {
            vec![Self::DET_SG[rng.below(3)], Self::N_SG[rng.below(4)]]
        }
    }

    fn sentence(rng: &mut Rng) -> String {
        let plural = rng.below(2) == 1;
        let mut w = Self::noun_phrase(rng, plural);
        w.push(if plural {
            Self::V_PL[rng.below(3)]
        } else {
            Self::V_SG[rng.below(3)]
        });
        let obj_plural = rng.below(2) == 1;
        w.extend(Self::noun_phrase(rng, obj_plural));
        w.push(".");
        w.join(" ")
    }

    /// True if the words form a sentence of the grammar.
    fn parses(words: &[&str]) -> bool {
        let np = |d: &str, n: &str| -> Option<bool> {
            if Self::DET_SG.contains(&d) && Self::N_SG.contains(&n) {
                Some(false)
            } else if Self::DET_PL.contains(&d) && Self::N_PL.contains(&n) {
                Some(true)
            } else {
                None
            }
        };
        if words.len() != 6 || words[5] != "." {
            return false;
        }
        let verb_plural = if Self::V_SG.contains(&words[2]) {
            false
        } else if Self::V_PL.contains(&words[2]) {
            true
        } else {
            return false;
        };
        np(words[0], words[1]) == Some(verb_plural) && np(words[3], words[4]).is_some()
    }
}

#[test]
fn word_level_lm_learns_a_grammar_with_agreement() {
    let mut rng = Rng::new(11);
    let text: String = (0..3000)
        .map(|_| Grammar::sentence(&mut rng) + "\n")
        .collect();
    let config = LmConfig {
        text: TextConfig {
            level: Level::Word,
            mode: Mode::Lines,
            lower: false,
            min_count: 1,
        },
        cell: CellKind::Lstm,
        hidden: 32,
        layers: 1,
        embed_dim: 16,
        vocab_size: 0,
        seq: 16,
        batch: 32,
        optim: OptimKind::parse("adam").unwrap(),
        lr: 0.01,
        clip: Clip::Norm(5.0),
        seed: 7,
        holdout: 0.1,
        dropout: 0.0,
    };
    let mut t = Trainer::new(config, &text, "grammar.txt").unwrap();
    for _ in 0..300 {
        t.step().unwrap();
    }
    let lm = &t.lm;
    let opts = SampleOptions {
        sampling: Sampling::Sample {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
        },
        max_len: 20,
        prime: String::new(),
    };
    let mut rng = Rng::new(5);
    let n = 200;
    let mut good = 0;
    for _ in 0..n {
        let (_, s) = lm.sample(&opts, &mut rng).unwrap();
        let words: Vec<&str> = s.split(' ').collect();
        // Decoding glues "." to the last word; split it off again.
        let mut w: Vec<&str> = words.clone();
        if let Some(last) = w.pop() {
            if let Some(stem) = last.strip_suffix('.') {
                w.push(stem);
                w.push(".");
            } else {
                w.push(last);
            }
        }
        good += usize::from(Grammar::parses(&w));
    }
    // Agreement: after every subject, the verb forms of the right number
    // must together be more likely than those of the wrong number.
    let v = &lm.vocab;
    let mut agree = 0;
    let mut subjects = 0;
    for (dets, nouns, plural) in [
        (&Grammar::DET_SG, &Grammar::N_SG, false),
        (&Grammar::DET_PL, &Grammar::N_PL, true),
    ] {
        for d in dets.iter() {
            for noun in nouns.iter() {
                let eos = v.eos().unwrap();
                let ids = [eos, v.id(d).unwrap(), v.id(noun).unwrap()];
                let mut states = lm.net.net.encoder.rnn.zero_states(1);
                let mut logits = None;
                for &id in &ids {
                    let (l, s) = lm.net.step(&[id], &states);
                    states = s;
                    logits = Some(l);
                }
                let z = logits.unwrap();
                let z = z.row(0);
                let m = z.iter().cloned().fold(f32::MIN, f32::max);
                let p = |w: &str| ((z[v.id(w).unwrap()] - m) as f64).exp();
                let sg: f64 = Grammar::V_SG.iter().map(|w| p(w)).sum();
                let pl: f64 = Grammar::V_PL.iter().map(|w| p(w)).sum();
                agree += usize::from((pl > sg) == plural);
                subjects += 1;
            }
        }
    }
    let held = t.evaluate_heldout().unwrap();
    println!(
        "grammatical samples: {good}/{n}; agreement {agree}/{subjects}; held-out loss {:.3} \
         nats/word",
        held.loss
    );
    // Levels: with 17 words and "." drawn by frequency alone, a 6-token
    // sentence of this grammar comes out well under 1% of the time; a model
    // blind to the subject's number picks the verb's number by chance (half
    // of the subjects). 90% grammatical and every subject agreeing take
    // learning.
    assert!(
        good >= n * 9 / 10,
        "only {good}/{n} samples are grammatical"
    );
    assert_eq!(agree, subjects, "agreement wrong for some subjects");
}

/// A small model on the names, trained for `steps` steps.
fn small_names_trainer(steps: usize) -> Trainer {
    let mut t = Trainer::new(char_lines(16, 8, 16, 0.01), &names_text(), "names.txt").unwrap();
    for _ in 0..steps {
        t.step().unwrap();
    }
    t
}

#[test]
fn sampling_is_reproducible_from_the_seed() {
    let t = small_names_trainer(30);
    let opts = SampleOptions {
        sampling: Sampling::Sample {
            temperature: 0.8,
            top_k: 5,
            top_p: 1.0,
        },
        max_len: 30,
        prime: "ma".to_string(),
    };
    let draw = |seed: u64| -> Vec<String> {
        let mut rng = Rng::new(seed);
        (0..20)
            .map(|_| t.lm.sample(&opts, &mut rng).unwrap().1)
            .collect()
    };
    let a = draw(3);
    assert_eq!(a, draw(3));
    assert_ne!(a, draw(4));
    assert!(a.iter().all(|s| s.starts_with("ma")), "{a:?}");
    // Greedy needs no randomness at all.
    let greedy = SampleOptions {
        sampling: Sampling::Greedy,
        ..opts.clone()
    };
    let g1 = t.lm.sample(&greedy, &mut Rng::new(1)).unwrap();
    let g2 = t.lm.sample(&greedy, &mut Rng::new(2)).unwrap();
    assert_eq!(g1, g2);

    // The same through the command line, from a saved checkpoint.
    let dir = temp_dir("sample-cli");
    let ckpt = dir.join("m.safetensors");
    t.save(&ckpt).unwrap();
    let ckpt = ckpt.to_str().unwrap();
    let args = [
        "sample",
        "--checkpoint",
        ckpt,
        "-n",
        "15",
        "--seed",
        "9",
        "--data",
        &names_path(),
    ];
    let (code, out1, err) = seqmodels(&args);
    assert_eq!(code, 0, "{err}");
    let (_, out2, _) = seqmodels(&args);
    assert_eq!(out1, out2);
    assert_eq!(out1.lines().count(), 15);
    assert!(
        out1.lines().all(|l| l.ends_with(" new")
            || l.ends_with(" in training set")
            || l.ends_with(" held-out")),
        "{out1}"
    );
    let (_, out3, _) = seqmodels(&["sample", "--checkpoint", ckpt, "-n", "15", "--seed", "10"]);
    assert_ne!(out1, out3);
}

/// How often each token is drawn by `choose` in `n` draws from seed 1.
fn draw_counts(z: &[f32], sampling: Sampling, n: usize) -> Vec<usize> {
    let mut rng = Rng::new(1);
    let mut counts = vec![0; z.len()];
    for _ in 0..n {
        counts[choose(z, sampling, &mut rng)] += 1;
    }
    counts
}

#[test]
fn top_k_and_top_p_draw_only_from_their_candidates() {
    // Weights 1, 0.4, 0.3, 0.2, 0.1 (total 2), shuffled over the indices:
    // token 1 is the most likely, then 3, 4, 0, 2.
    let w = [0.2f64, 1.0, 0.1, 0.4, 0.3];
    let z: Vec<f32> = w.iter().map(|&x| x.ln() as f32).collect();
    let sample = |temperature, top_k, top_p| Sampling::Sample {
        temperature,
        top_k,
        top_p,
    };
    let kept = |c: &[usize]| -> Vec<usize> { (0..c.len()).filter(|&i| c[i] > 0).collect() };
    let n = 20_000;

    // top-p 0.6: 1 < 0.6·2 ≤ 1 + 0.4, so the nucleus is tokens 1 and 3,
    // drawn 5 : 2. The bounds are 5 standard deviations of a binomial count.
    let c = draw_counts(&z, sample(1.0, 0, 0.6), n);
    assert_eq!(kept(&c), vec![1, 3], "{c:?}");
    let expected = n as f64 * 5.0 / 7.0;
    let sd = (n as f64 * (5.0 / 7.0) * (2.0 / 7.0)).sqrt();
    assert!((c[1] as f64 - expected).abs() < 5.0 * sd, "{c:?}");
    // top-p 0.8 alone keeps three tokens (1.4 < 1.6 ≤ 1.7); after top-k 3
    // (total 1.7, 1 < 1.36 ≤ 1.4) it keeps two: top-k comes first.
    assert_eq!(
        kept(&draw_counts(&z, sample(1.0, 0, 0.8), n)),
        vec![1, 3, 4]
    );
    assert_eq!(kept(&draw_counts(&z, sample(1.0, 3, 0.8), n)), vec![1, 3]);
    // top-k 2 alone: tokens 1 and 3.
    assert_eq!(kept(&draw_counts(&z, sample(1.0, 2, 1.0), n)), vec![1, 3]);
    // The temperature comes before the nucleus: at τ = 2 the weights are
    // √w (1, 0.63, 0.55, 0.45, 0.32; total 2.94), and 0.6 keeps three.
    assert_eq!(
        kept(&draw_counts(&z, sample(2.0, 0, 0.6), n)),
        vec![1, 3, 4]
    );
    // A tiny nucleus is the most likely token: greedy.
    let c = draw_counts(&z, sample(1.0, 0, 1e-9), 100);
    assert_eq!(c[1], 100, "{c:?}");
    // A nucleus that keeps every token (0.99·2 > 1.9) draws exactly what the
    // unfiltered softmax draws from the same seed.
    let (mut r1, mut r2) = (Rng::new(3), Rng::new(3));
    for _ in 0..1000 {
        assert_eq!(
            choose(&z, sample(1.0, 0, 0.99), &mut r1),
            choose(&z, sample(1.0, 0, 1.0), &mut r2)
        );
    }
}

/// The texts of the resume tests: the first 100 names (lines) and 40
/// sentences of the test grammar (a stream).
fn resume_texts() -> (String, String) {
    let names = names_text()
        .lines()
        .take(100)
        .map(|l| l.to_string() + "\n")
        .collect();
    let mut rng = Rng::new(2);
    let prose = (0..40)
        .map(|_| Grammar::sentence(&mut rng) + "\n")
        .collect();
    (names, prose)
}

/// Trains `a` steps, saves, loads, trains `b` more, and returns the final
/// checkpoint bytes; `a = 0` means one uninterrupted run of `b` steps.
fn run_in_two_parts(config: &LmConfig, text: &str, a: usize, b: usize) -> Vec<u8> {
    let mut t = Trainer::new(config.clone(), text, "data.txt").unwrap();
    for _ in 0..a {
        t.step().unwrap();
    }
    if a > 0 {
        let bytes = t.checkpoint_bytes();
        let ckpt = Checkpoint::from_bytes(bytes, "part1").unwrap();
        t = Trainer::resume(ckpt, "part1", text, "data.txt").unwrap();
    }
    for _ in 0..b {
        t.step().unwrap();
    }
    t.checkpoint_bytes()
}

#[test]
fn resuming_is_bit_exact_for_every_optimizer_and_both_modes() {
    // Small texts, so that 14 steps cross an epoch boundary (a new line
    // order; for streams, the carried states reset) and the save after 7
    // steps falls mid-epoch (for streams, with carried states).
    let (names, prose) = resume_texts();
    for optim in ["sgd", "momentum", "adagrad", "rmsprop", "adam"] {
        for mode in [Mode::Lines, Mode::Stream] {
            let mut c = char_lines(12, 6, 8, 0.01);
            c.optim = OptimKind::parse(optim).unwrap();
            c.text.mode = mode;
            c.seq = 10;
            c.cell = if mode == Mode::Lines {
                CellKind::Lstm
            } else {
                CellKind::parse("gru").unwrap()
            };
            c.layers = 2;
            let text = if mode == Mode::Lines { &names } else { &prose };
            let per_epoch = Trainer::new(c.clone(), text, "data.txt")
                .unwrap()
                .batches_per_epoch();
            assert!(
                (8..14).contains(&per_epoch),
                "{mode:?}: {per_epoch} batches per epoch"
            );
            let whole = run_in_two_parts(&c, text, 0, 14);
            let parts = run_in_two_parts(&c, text, 7, 7);
            assert!(
                whole == parts,
                "{optim} {mode:?}: N + N steps differ from 2N steps"
            );
            let other = run_in_two_parts(&c, text, 0, 13);
            assert!(whole != other, "{optim}: the comparison cannot fail");
        }
    }
}

#[test]
fn dropout_resumes_bit_exactly_and_changes_the_training() {
    // The masks of step s come from a generator seeded by (seed, s), so a
    // resumed run draws the masks an uninterrupted one draws. Two layers, so
    // the masks on the embedded inputs, between the layers and before the
    // head are all in play; lines and streams.
    let (names, prose) = resume_texts();
    for mode in [Mode::Lines, Mode::Stream] {
        let mut c = char_lines(12, 6, 8, 0.01);
        c.text.mode = mode;
        c.seq = 10;
        c.layers = 2;
        c.dropout = 0.3;
        let text = if mode == Mode::Lines { &names } else { &prose };
        let whole = run_in_two_parts(&c, text, 0, 14);
        let parts = run_in_two_parts(&c, text, 7, 7);
        assert!(
            whole == parts,
            "{mode:?}: with dropout, N + N steps differ from 2N steps"
        );
        let mut c0 = c.clone();
        c0.dropout = 0.0;
        let without = run_in_two_parts(&c0, text, 0, 14);
        // The configs differ in their metadata anyway: compare the weights.
        let weights = |bytes: Vec<u8>| {
            let ck = Checkpoint::from_bytes(bytes, "ckpt").unwrap();
            ck.lm.net.tensors().concat()
        };
        let w_drop = weights(whole);
        assert!(
            w_drop != weights(without),
            "{mode:?}: dropout 0.3 trained the same weights as no dropout"
        );
    }
}

#[test]
fn resuming_through_the_command_line_is_bit_exact() {
    let dir = temp_dir("resume-cli");
    let names = names_path();
    let p = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let common = [
        "--data",
        &names,
        "--hidden",
        "16",
        "--embed-dim",
        "8",
        "--batch",
        "16",
        "--save-every",
        "0",
    ];
    let run = |extra: &[&str]| {
        let mut args = vec!["train"];
        args.extend_from_slice(extra);
        let (code, out, err) = seqmodels(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    };
    let mut a: Vec<&str> = common.to_vec();
    let (pa, pb, pc) = (p("a.safetensors"), p("b.safetensors"), p("c.safetensors"));
    a.extend(["--steps", "12", "--out", &pa]);
    run(&a);
    // Resume with a different thread count: the GEMM gives the same bits.
    let out = run(&[
        "--resume",
        &pa,
        "--steps",
        "12",
        "--out",
        &pb,
        "--threads",
        "1",
        "--save-every",
        "0",
    ]);
    assert!(out.contains("resumed from"), "{out}");
    let mut c: Vec<&str> = common.to_vec();
    c.extend(["--steps", "24", "--out", &pc]);
    run(&c);
    let (b, cc) = (std::fs::read(&pb).unwrap(), std::fs::read(&pc).unwrap());
    assert!(b == cc, "12 + 12 steps differ from 24 steps");
    assert!(b != std::fs::read(&pa).unwrap());
    // Settings come from the checkpoint.
    fails_with(
        &["train", "--resume", &pa, "--hidden", "32"],
        &["--hidden cannot be given with --resume"],
    );
}

#[test]
fn an_interrupted_save_leaves_the_old_checkpoint_loadable() {
    let dir = temp_dir("atomic");
    let path = dir.join("run.safetensors");
    let mut t = small_names_trainer(3);
    t.save(&path).unwrap();
    let saved_step = t.state.step;
    for _ in 0..3 {
        t.step().unwrap();
    }
    // Crash between writing the temporary file and renaming it.
    let e = write_atomic_with(&path, &t.checkpoint_bytes(), |tmp| {
        assert!(tmp.exists());
        Err(err!("simulated crash before rename"))
    })
    .unwrap_err();
    assert!(e.to_string().contains("simulated crash"), "{e}");
    let old = Checkpoint::read(&path).unwrap();
    assert_eq!(old.train.unwrap().state.step, saved_step);
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1, "the temporary file was not removed");
    // A real save then replaces it.
    t.save(&path).unwrap();
    assert_eq!(
        Checkpoint::read(&path).unwrap().train.unwrap().state.step,
        saved_step + 3
    );
}

#[test]
fn divergence_stops_training_and_keeps_the_last_good_checkpoint() {
    // A ReLU RNN (unbounded activations) with a huge learning rate and no
    // clipping overflows within a few steps.
    let dir = temp_dir("nan");
    let ckpt = dir.join("d.safetensors");
    let ckpt = ckpt.to_str().unwrap();
    let names = names_path();
    let (code, _, err) = seqmodels(&[
        "train",
        "--data",
        &names,
        "--cell",
        "rnn-relu",
        "--hidden",
        "8",
        "--embed-dim",
        "4",
        "--optim",
        "sgd",
        "--lr",
        "1e3",
        "--no-clip",
        "--steps",
        "20",
        "--save-every",
        "1",
        "--out",
        ckpt,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("training diverged"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let step: u64 = err
        .split("step ")
        .nth(1)
        .and_then(|s| s.split(':').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no step named in {err:?}"));
    println!("diverged at step {step}: {err}");
    assert!(
        err.contains(&format!("(step {})", step - 1)),
        "the last good checkpoint is not named: {err}"
    );
    let kept = Checkpoint::read(ckpt).unwrap();
    assert_eq!(kept.train.unwrap().state.step, step - 1);
}

#[test]
fn bad_input_gives_clear_errors() {
    let dir = temp_dir("bad-input");
    let w = |name: &str, bytes: &[u8]| -> String {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_string()
    };
    let empty = w("empty.txt", b"\n \n\n");
    let binary = w("binary.bin", &[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0]);
    let latin1 = w("latin1.txt", b"caf\xe9\n");
    let missing = dir.join("missing.txt").to_str().unwrap().to_string();
    fails_with(&["train", "--data", &empty], &["empty.txt", "no tokens"]);
    fails_with(
        &["train", "--data", &binary],
        &["binary.bin", "binary file"],
    );
    fails_with(
        &["train", "--data", &latin1],
        &["latin1.txt", "byte 3", "UTF-8"],
    );
    fails_with(&["train", "--data", &missing], &["missing.txt"]);
    fails_with(&["train"], &["--data FILE is required"]);
    fails_with(&["train", "--data", &empty, "--bogus"], &["--bogus"]);
    fails_with(
        &["train", "--data", &empty, "--hidden", "many"],
        &["--hidden", "many"],
    );
    fails_with(&["train", "--data", &empty, "--lr", "-1"], &["lr is -1"]);
    fails_with(
        &["train", "--data", &empty, "--dropout", "1"],
        &["dropout is 1", "p < 0.95"],
    );
    fails_with(
        &["train", "--data", &empty, "--dropout", "half"],
        &["--dropout", "half"],
    );
    fails_with(
        &["train", "--data", &empty, "--cell", "lstn"],
        &["--cell", "lstn"],
    );
    fails_with(
        &[
            "train",
            "--data",
            &empty,
            "--clip-norm",
            "1",
            "--clip-value",
            "1",
        ],
        &["at most one"],
    );
    fails_with(
        &["train", "--data", &empty, "--hidden", "0"],
        &["hidden is 0"],
    );
    let tiny = w("tiny.txt", b"abc\n");
    fails_with(
        &["train", "--data", &tiny, "--mode", "stream", "--batch", "8"],
        &["tiny.txt", "too few"],
    );

    // Checkpoints: missing, truncated, corrupted, not a checkpoint.
    let t = small_names_trainer(2);
    let good = dir.join("good.safetensors");
    t.save(&good).unwrap();
    let good = good.to_str().unwrap().to_string();
    let bytes = std::fs::read(&good).unwrap();
    let truncated = w("truncated.safetensors", &bytes[..bytes.len() / 2]);
    let mut flipped = bytes.clone();
    let at = flipped.len() / 3;
    flipped[at] ^= 0x40;
    let corrupted = w("corrupted.safetensors", &flipped);
    let names = names_path();
    fails_with(&["sample", "--checkpoint", &missing], &["missing.txt"]);
    fails_with(
        &["sample", "--checkpoint", &truncated],
        &["truncated.safetensors"],
    );
    fails_with(
        &["eval", "--checkpoint", &binary, "--data", &names],
        &["binary.bin"],
    );
    fails_with(
        &["sample", "--checkpoint", &good, "-n", "x"],
        &["-n", "\"x\""],
    );
    fails_with(
        &["sample", "--checkpoint", &good, "--temperature", "-1"],
        &["--temperature"],
    );
    for bad in ["0", "1.5", "-0.1", "nan"] {
        fails_with(
            &["sample", "--checkpoint", &good, "--top-p", bad],
            &["--top-p", "0 < p ≤ 1"],
        );
    }
    fails_with(
        &["sample", "--checkpoint", &good, "--frobnicate"],
        &["--frobnicate"],
    );
    // A flipped byte either breaks the file or, inside a tensor, changes a
    // weight; either way nothing panics, and the command either works or
    // names the file.
    let (code, _, err) = seqmodels(&["sample", "--checkpoint", &corrupted, "-n", "2"]);
    assert!(!err.contains("panicked"), "{err}");
    assert!(code == 0 || err.contains("corrupted.safetensors"), "{err}");
    fails_with(
        &["sample", "--checkpoint", &good, "--prime", "Zoë"],
        &["--prime", "'Z'", "column 1"],
    );

    // Vocabulary mismatches: unknown characters in evaluation data (with
    // their place), resuming on another text, and a vocabulary that does not
    // match the tensors.
    let accents = w("accents.txt", "anna\nzoë\n".as_bytes());
    fails_with(
        &["eval", "--checkpoint", &good, "--data", &accents],
        &["accents.txt: line 2, column 3", "'ë' (U+00EB)", "no <UNK>"],
    );
    let other = w("other.txt", b"bob\nanna\n");
    fails_with(
        &["train", "--resume", &good, "--data", &other, "--steps", "1"],
        &["other.txt is not the text"],
    );
    let mut ck = Checkpoint::read(&good).unwrap();
    let mut tokens = ck.lm.vocab.tokens().to_vec();
    tokens.push("é".to_string());
    ck.lm.vocab = seqmodels::text::Vocab::from_tokens(Level::Char, tokens).unwrap();
    let mismatch = dir.join("mismatch.safetensors");
    ck.save(&mismatch).unwrap();
    fails_with(
        &["sample", "--checkpoint", mismatch.to_str().unwrap()],
        &[
            "mismatch.safetensors",
            "vocabulary has 28 tokens",
            "vocab_size 27",
        ],
    );
}

#[test]
fn every_command_has_help() {
    for cmd in ["train", "sample", "eval"] {
        let (code, out, _) = seqmodels(&[cmd, "--help"]);
        assert_eq!(code, 0);
        assert!(out.starts_with(&format!("seqmodels {cmd} ")), "{out}");
        assert!(out.contains("--"), "{out}");
    }
    let (_, out, _) = seqmodels(&["--help"]);
    for cmd in ["train", "sample", "eval"] {
        assert!(out.contains(&format!("  {cmd} ")), "{out}");
    }
}

#[test]
fn train_sample_eval_round_trip_on_a_stream() {
    // A character stream: min-char-rnn's setting (B streams, chunks of T,
    // carried state), then sampling with a prime and evaluation.
    let dir = temp_dir("stream");
    let text: String = {
        let mut rng = Rng::new(4);
        (0..300)
            .map(|_| Grammar::sentence(&mut rng) + "\n")
            .collect()
    };
    let data = dir.join("prose.txt");
    std::fs::write(&data, &text).unwrap();
    let data = data.to_str().unwrap();
    let ckpt = dir.join("p.safetensors");
    let ckpt = ckpt.to_str().unwrap();
    let (code, out, err) = seqmodels(&[
        "train",
        "--data",
        data,
        "--mode",
        "stream",
        "--cell",
        "rnn",
        "--hidden",
        "32",
        "--embed-dim",
        "0",
        "--seq",
        "25",
        "--batch",
        "4",
        "--optim",
        "adagrad",
        "--lr",
        "0.1",
        "--clip-value",
        "5",
        "--steps",
        "150",
        "--out",
        ckpt,
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let json = out.lines().last().unwrap();
    assert!(json.starts_with("{\"name\":\"train\""), "{out}");
    let (code, out, err) = seqmodels(&[
        "sample",
        "--checkpoint",
        ckpt,
        "--prime",
        "the ",
        "--max-len",
        "40",
        "--seed",
        "1",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("the "), "{out}");
    let (code, out, err) = seqmodels(&["eval", "--checkpoint", ckpt, "--data", data]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("held-out part") && out.contains("bits/char"),
        "{out}"
    );
    println!("{out}");
}

/// PyTorch reads our checkpoints into a module with children `embedding`,
/// `rnn` and `head` with `load_state_dict(strict=True)`, and computes the
/// same logits. Needs python3 with torch and safetensors, so it is ignored
/// by default: `cargo test --release --test lm -- --ignored`.
#[test]
#[ignore = "needs python3 with torch and safetensors"]
fn torch_loads_checkpoints_strictly_and_agrees() {
    let dir = temp_dir("torch");
    let script = dir.join("check.py");
    std::fs::write(
        &script,
        r#"
import json, sys, torch
from safetensors import safe_open
from safetensors.torch import load_file

path, ids = sys.argv[1], json.loads(sys.argv[2])
with safe_open(path, "pt") as f:
    cfg = json.loads(f.metadata()["config"])
V, H, L, E = cfg["vocab_size"], cfg["hidden"], cfg["layers"], cfg["embed_dim"]
cells = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}

class LM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        if E > 0:
            self.embedding = torch.nn.Embedding(V, E)
        self.rnn = cells[cfg["cell"]](E if E > 0 else V, H, num_layers=L)
        self.head = torch.nn.Linear(H, V)

m = LM()
sd = load_file(path)
m.load_state_dict({k: v for k, v in sd.items() if not k.startswith(("optim.", "train."))}, strict=True)
x = torch.tensor(ids)
x = m.embedding(x) if E > 0 else torch.nn.functional.one_hot(x, V).float()
with torch.no_grad():
    out, _ = m.rnn(x.unsqueeze(1))
    print(json.dumps(m.head(out[:, 0]).tolist()))
"#,
    )
    .unwrap();
    for (cell, embed) in [("lstm", 8), ("gru", 5), ("rnn", 0)] {
        let mut c = char_lines(12, embed, 16, 0.01);
        c.cell = CellKind::parse(cell).unwrap();
        c.layers = 2;
        let mut t = Trainer::new(c, &names_text(), "names.txt").unwrap();
        for _ in 0..5 {
            t.step().unwrap();
        }
        let path = dir.join(format!("{cell}.safetensors"));
        t.save(&path).unwrap();
        let lm = &t.lm;
        let ids: Vec<usize> = [0usize, 1, 13, 14, 1, 0].to_vec(); // <EOS> a m n a <EOS>
        let batch =
            seqmodels::models::SeqBatch::<f32>::from_sequences(std::slice::from_ref(&ids), 0);
        let ours = lm.net.forward(&batch, None).logits;
        let out = Command::new("python3")
            .arg(&script)
            .arg(&path)
            .arg(format!("{ids:?}"))
            .output()
            .expect("run python3");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs =
            seqmodels::io::json::Json::parse(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
        let mut worst = 0.0f64;
        for (t_, row) in theirs.as_array().unwrap().iter().enumerate() {
            for (v, x) in row.as_array().unwrap().iter().enumerate() {
                let d = (x.as_f64().unwrap() - ours.get(t_, v) as f64).abs();
                worst = worst.max(d);
            }
        }
        println!("{cell}: largest |torch − ours| logit difference {worst:.2e}");
        // f32 sums in a different order differ by a few ulps of values ~1.
        assert!(worst < 1e-5, "{cell}: logits differ by {worst}");
    }
}
