//! Randomized mutation of valid safetensors files: the reader must never panic
//! and must either accept a file that is consistent in every way the module
//! docs promise, or reject it with an error that names the file.
//!
//! Each case `i` of a run with seed `s` draws from `Rng::new(s ^ (i · φ))`
//! (φ = 0x9E3779B97F4A7C15), so a failure reproduces from the two numbers
//! printed with it: call `run_case(s, i)`.
//!
//! `cargo test --release --test safetensors_fuzz` runs 10,000 cases;
//! `-- --ignored` runs 100,000 more with another seed.

use seqmodels::io::safetensors::{Dtype, SafeTensors, SafeTensorsWriter, MAX_HEADER_BYTES};
use seqmodels::rng::Rng;

const PHI: u64 = 0x9E37_79B9_7F4A_7C15;
/// The source name given to the reader; every error must start with it.
const SOURCE: &str = "fuzz.safetensors";

/// Valid files to mutate: a small checkpoint, every dtype with empty and scalar
/// tensors, files without tensors, and the reference implementation's file.
fn bases() -> Vec<Vec<u8>> {
    let mut out = Vec::new();

    let mut rng = Rng::new(7);
    let mut w = SafeTensorsWriter::new();
    let wx: Vec<f32> = (0..12).map(|_| rng.uniform(-1.0, 1.0)).collect();
    let b: Vec<f64> = (0..4).map(|_| rng.normal()).collect();
    w.metadata("format", "pt")
        .metadata("step", "1200")
        .tensor::<f32>("rnn.weight_ih", &[4, 3], &wx)
        .tensor::<f64>("rnn.bias_ih", &[4], &b)
        .tensor::<f32>("rnn.weight_hh", &[2, 2], &wx[..4]);
    out.push(w.to_bytes());

    let mut w = SafeTensorsWriter::new();
    for (k, d) in Dtype::ALL.iter().enumerate() {
        let n = k % 4 + 1;
        let bytes: Vec<u8> = (0..n * d.size()).map(|i| (i * 37 + k) as u8 % 2).collect();
        w.tensor_bytes(&format!("t{k}"), *d, &[n], bytes);
    }
    w.tensor::<f32>("empty", &[3, 0], &[])
        .tensor::<f64>("scalar", &[], &[0.5])
        .tensor_bytes("bool_scalar", Dtype::Bool, &[], vec![1]);
    out.push(w.to_bytes());

    out.push(SafeTensorsWriter::new().to_bytes());
    let mut w = SafeTensorsWriter::new();
    w.metadata("only", "metadata");
    out.push(w.to_bytes());

    out.push(include_bytes!("../data/reference/reference.safetensors").to_vec());
    out
}

/// Joins a header and data; `fix_len` writes the header's true length,
/// otherwise `old_len` (so the edit also shifts the boundary).
fn join(header: &str, data: &[u8], fix_len: bool, old_len: usize) -> Vec<u8> {
    let n = if fix_len { header.len() } else { old_len } as u64;
    let mut b = n.to_le_bytes().to_vec();
    b.extend_from_slice(header.as_bytes());
    b.extend_from_slice(data);
    b
}

/// Byte spans of the integers inside JSON arrays (shape entries and offsets),
/// each with whether it belongs to `data_offsets`.
fn number_spans(h: &str) -> Vec<(usize, usize, bool)> {
    let b = h.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && i > 0 && (b[i - 1] == b'[' || b[i - 1] == b',') {
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i < b.len() && (b[i] == b',' || b[i] == b']') {
                let before = &h[..s];
                let is_offset = before.rfind("\"data_offsets\"") > before.rfind("\"shape\"");
                spans.push((s, i, is_offset));
            }
        } else {
            i += 1;
        }
    }
    spans
}

/// Spans of the text between the quotes after each occurrence of `key`
/// (e.g. `"dtype":"` → the dtype name).
fn string_spans(h: &str, key: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(p) = h[from..].find(key) {
        let s = from + p + key.len();
        match h[s..].find('"') {
            Some(e) => spans.push((s, s + e)),
            None => break,
        }
        from = s;
    }
    spans
}

/// Spans of tensor names: the key text before each `":{"dtype"`.
fn name_spans(h: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(p) = h[from..].find("\":{\"dtype\"") {
        let e = from + p;
        if let Some(s) = h[..e].rfind('"') {
            spans.push((s + 1, e));
        }
        from = e + 1;
    }
    spans
}

fn pick<'a, T>(rng: &mut Rng, xs: &'a [T]) -> Option<&'a T> {
    if xs.is_empty() {
        None
    } else {
        Some(&xs[rng.below(xs.len())])
    }
}

/// Replaces `h[s..e]` with `with`, keeping the header valid UTF-8.
fn splice(h: &str, s: usize, e: usize, with: &str) -> String {
    format!("{}{}{}", &h[..s], with, &h[e..])
}

/// A random header length that is wrong: huge, at the cap, off by a little, zero.
fn bad_length(rng: &mut Rng, n: u64, len: u64) -> u64 {
    let k = 1 + rng.below(16) as u64;
    match rng.below(9) {
        0 => u64::MAX,
        1 => 1 << 63,
        2 => MAX_HEADER_BYTES + rng.below(3) as u64,
        3 => len,
        4 => len - 8 + k,
        5 => n.saturating_add(k),
        6 => n.saturating_sub(k),
        7 => 0,
        _ => rng.next_u64(),
    }
}

const MUTATIONS: [&str; 13] = [
    "bit flips",
    "random bytes",
    "truncation",
    "appended garbage",
    "header length",
    "offsets",
    "bad JSON",
    "huge shape",
    "dtype swap",
    "duplicate name",
    "negative/float number",
    "metadata",
    "two stacked",
];

/// Applies mutation `kind` to `file`; returns false if it found nothing to
/// change (e.g. no tensor to rename).
fn mutate(rng: &mut Rng, kind: usize, file: &mut Vec<u8>) -> bool {
    let len = file.len();
    // Structure of the file as it is now (it may already be mutated).
    let n = u64::from_le_bytes(file[..8].try_into().unwrap());
    let header_end = if n <= (len - 8) as u64 {
        8 + n as usize
    } else {
        len
    };
    let text = std::str::from_utf8(&file[8..header_end])
        .ok()
        .map(str::to_string);
    let fix = rng.below(10) != 0; // mostly keep the length prefix right
    match kind {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let p = rng.below(len);
                file[p] ^= 1 << rng.below(8);
            }
        }
        1 => {
            for _ in 0..1 + rng.below(4) {
                // Half of the writes land in the length prefix or header.
                let p = if rng.below(2) == 0 {
                    rng.below(header_end)
                } else {
                    rng.below(len)
                };
                file[p] = rng.next_u64() as u8;
            }
        }
        2 => {
            // Cut at a structural boundary, or one byte either side of it.
            let mut cuts = vec![0, rng.below(8), 8, header_end, len - 1];
            if header_end > 8 {
                cuts.push(8 + rng.below(header_end - 8));
            }
            if let Some(h) = &text {
                for (s, e, is_off) in number_spans(h) {
                    if is_off {
                        if let Ok(v) = h[s..e].parse::<usize>() {
                            cuts.push(header_end.saturating_add(v));
                        }
                    }
                }
            }
            let c = *pick(rng, &cuts).unwrap() as i64 + rng.below(3) as i64 - 1;
            file.truncate(c.clamp(0, len as i64 - 1) as usize);
        }
        3 => {
            let extra: Vec<u8> = match rng.below(3) {
                0 => (0..1 + rng.below(64))
                    .map(|_| rng.next_u64() as u8)
                    .collect(),
                1 => vec![b' '; 1 + rng.below(8)],
                _ => file.clone(),
            };
            file.extend_from_slice(&extra);
        }
        4 => {
            let v = bad_length(rng, n, len as u64);
            file[..8].copy_from_slice(&v.to_le_bytes());
        }
        _ => {
            // Textual edits of the header, for kinds 5..=11.
            let Some(h) = text else { return false };
            let (header, data) = (h.clone(), file[header_end..].to_vec());
            let edited = match kind {
                5 => {
                    let offs: Vec<_> = number_spans(&h).into_iter().filter(|x| x.2).collect();
                    let Some(&(s, e, _)) = pick(rng, &offs) else {
                        return false;
                    };
                    let v: u64 = h[s..e].parse().unwrap_or(0);
                    let with = match rng.below(6) {
                        0 => v.saturating_add(1).to_string(),
                        1 => v.saturating_sub(1).to_string(),
                        2 => rng.below(1000).to_string(),
                        3 => u64::MAX.to_string(),
                        4 => "18446744073709551616".to_string(),
                        _ => v.saturating_add(rng.below(9) as u64 * 8).to_string(),
                    };
                    splice(&h, s, e, &with)
                }
                6 => {
                    let b = h.as_bytes();
                    // Edit at a char boundary so the header stays UTF-8 (the
                    // byte-level kinds cover broken UTF-8).
                    let mut p = rng.below(b.len().max(1));
                    while p > 0 && !h.is_char_boundary(p) {
                        p -= 1;
                    }
                    let mut q = (p + 1 + rng.below(4)).min(h.len());
                    while q < h.len() && !h.is_char_boundary(q) {
                        q += 1;
                    }
                    let structural = [
                        "{", "}", "[", "]", "\"", ":", ",", "\\", "-", "0", "null", " ", "\u{0}",
                    ];
                    match rng.below(4) {
                        0 => splice(&h, p, q, ""),
                        1 => splice(&h, p, p, pick(rng, &structural).unwrap()),
                        2 => splice(&h, p, q, pick(rng, &structural).unwrap()),
                        _ => {
                            let dup = h[p..q].to_string();
                            splice(&h, p, p, &dup)
                        }
                    }
                }
                7 => {
                    let shapes = string_spans(&h, "\"shape\":");
                    let Some(&(s, _)) = pick(rng, &shapes) else {
                        return false;
                    };
                    let Some(close) = h[s..].find(']') else {
                        return false;
                    };
                    let huge = [
                        "[1099511627776,1099511627776]",
                        "[18446744073709551615]",
                        "[18446744073709551615,18446744073709551615]",
                        "[4294967296,4294967296,0]",
                        "[0,18446744073709551615]",
                        "[4611686018427387904,4]",
                        "[2305843009213693952]",
                        "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]",
                        "[]",
                        "[0]",
                    ];
                    splice(&h, s, s + close + 1, pick(rng, &huge).unwrap())
                }
                8 => {
                    let dts = string_spans(&h, "\"dtype\":\"");
                    let Some(&(s, e)) = pick(rng, &dts) else {
                        return false;
                    };
                    let mut names: Vec<&str> = Dtype::ALL.iter().map(|d| d.name()).collect();
                    names.extend(["F8_E4M3", "U16", "U64", "f32", "", "BOOL ", "F32\\u0000"]);
                    splice(&h, s, e, pick(rng, &names).unwrap())
                }
                9 => {
                    let names = name_spans(&h);
                    if names.is_empty() {
                        return false;
                    }
                    let (s, e) = names[rng.below(names.len())];
                    let (s2, e2) = names[rng.below(names.len())];
                    let other = if rng.below(4) == 0 {
                        "__metadata__"
                    } else {
                        &h[s2..e2]
                    };
                    splice(&h, s, e, other)
                }
                10 => {
                    let nums = number_spans(&h);
                    let Some(&(s, e, _)) = pick(rng, &nums) else {
                        return false;
                    };
                    let bad = [
                        "-0",
                        "-1",
                        "1.0",
                        "2e0",
                        "0.5",
                        "1E400",
                        "-9223372036854775808",
                        "01",
                        "+1",
                        "0x10",
                        "true",
                        "\"8\"",
                    ];
                    splice(&h, s, e, pick(rng, &bad).unwrap())
                }
                11 => {
                    let vals = string_spans(&h, "\":\"");
                    let bad = ["1", "null", "{}", "[\"x\"]", "true", "\"\\ud800\""];
                    if h.contains("\"__metadata__\":{") && rng.below(4) == 0 {
                        h.replacen("\"__metadata__\":{", "\"__metadata__\":\"x\",\"_\":{", 1)
                    } else if let Some(&(s, e)) = pick(rng, &vals) {
                        // Replace the quoted value, quotes included.
                        splice(&h, s - 1, e + 1, pick(rng, &bad).unwrap())
                    } else {
                        return false;
                    }
                }
                _ => unreachable!(),
            };
            *file = join(&edited, &data, fix, header.len());
        }
    }
    true
}

/// Checks everything the reader promises about a file it accepted.
fn check_consistent(st: &SafeTensors) {
    let mut ranges = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for t in st.tensors() {
        assert!(
            !names.contains(&t.name.as_str()),
            "duplicate name {}",
            t.name
        );
        names.push(&t.name);
        assert!(t.begin <= t.end && t.end <= st.data_len(), "{t:?}");
        let bytes = t.numel().checked_mul(t.dtype.size()).expect("size fits");
        assert_eq!(bytes, t.end - t.begin, "{t:?}");
        assert_eq!(st.data(&t.name).unwrap().len(), bytes);
        let n = if t.dtype.is_float() {
            st.to_f64_vec(&t.name).unwrap().len()
        } else {
            st.to_i64_vec(&t.name).unwrap().len()
        };
        assert_eq!(n, t.numel());
        ranges.push((t.begin, t.end));
    }
    // The ranges tile the buffer.
    ranges.sort();
    let mut covered = 0;
    for (b, e) in ranges {
        assert_eq!(b, covered, "hole or overlap");
        covered = e;
    }
    assert_eq!(covered, st.data_len());

    // Writing what was read and reading it again gives the same tensors.
    let mut w = SafeTensorsWriter::new();
    for (k, v) in st.metadata() {
        w.metadata(k, v);
    }
    for t in st.tensors() {
        w.tensor_bytes(
            &t.name,
            t.dtype,
            &t.shape,
            st.data(&t.name).unwrap().to_vec(),
        );
    }
    let again = SafeTensors::from_bytes(w.to_bytes(), "rewritten").unwrap();
    assert_eq!(again.metadata(), st.metadata());
    assert_eq!(again.tensors().len(), st.tensors().len());
    for t in st.tensors() {
        let u = again.info(&t.name).unwrap();
        assert_eq!((u.dtype, &u.shape), (t.dtype, &t.shape));
        assert_eq!(again.data(&t.name).unwrap(), st.data(&t.name).unwrap());
    }
}

/// Prints how to reproduce the case if it panics.
struct CaseGuard {
    seed: u64,
    index: u64,
    kinds: Vec<usize>,
}

impl Drop for CaseGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let kinds: Vec<&str> = self.kinds.iter().map(|&k| MUTATIONS[k]).collect();
            eprintln!(
                "safetensors fuzz FAILED: seed {:#x}, case {} (mutations: {}); \
                 reproduce with run_case({:#x}, {})",
                self.seed,
                self.index,
                kinds.join(" + "),
                self.seed,
                self.index
            );
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len().max(1))
        .any(|w| w == needle.as_bytes())
        || needle.is_empty()
}

/// What became of one case.
#[derive(Clone, Copy)]
enum Outcome {
    /// The mutation found nothing to change (e.g. no tensor to rename).
    Unchanged = 0,
    Rejected = 1,
    Accepted = 2,
}

/// Runs one case; returns its mutation kind and outcome.
fn run_case(seed: u64, index: u64, bases: &[Vec<u8>]) -> (usize, Outcome) {
    let mut rng = Rng::new(seed ^ index.wrapping_mul(PHI));
    let kind = rng.below(MUTATIONS.len());
    // Edits of tensor entries or metadata need a base that has some.
    let needs = match kind {
        5 | 7..=10 => "\"dtype\"",
        11 => "\"__metadata__\"",
        _ => "",
    };
    let fit: Vec<&Vec<u8>> = bases.iter().filter(|b| contains(b, needs)).collect();
    let base = fit[rng.below(fit.len())];
    let mut file = base.clone();
    let mut guard = CaseGuard {
        seed,
        index,
        kinds: vec![kind],
    };
    if kind == 12 {
        for _ in 0..2 {
            let k = rng.below(12);
            guard.kinds.push(k);
            mutate(&mut rng, k, &mut file);
            if file.len() < 8 {
                break;
            }
        }
    } else {
        mutate(&mut rng, kind, &mut file);
    }
    let changed = file != *base;
    let outcome = match SafeTensors::from_bytes(file, SOURCE) {
        Ok(st) => {
            check_consistent(&st);
            if changed {
                Outcome::Accepted
            } else {
                Outcome::Unchanged
            }
        }
        Err(e) => {
            let msg = e.to_string();
            let prefix = format!("{SOURCE}: ");
            assert!(
                msg.starts_with(&prefix) && msg.len() > prefix.len() + 5,
                "{msg}"
            );
            assert!(changed, "a base file was rejected: {msg}");
            Outcome::Rejected
        }
    };
    drop(guard);
    (kind, outcome)
}

fn run(seed: u64, first: u64, count: u64) {
    let bases = bases();
    for b in &bases {
        check_consistent(&SafeTensors::from_bytes(b.clone(), "base").unwrap());
    }
    // stats[kind] = [unchanged, rejected, accepted]
    let mut stats = [[0u64; 3]; MUTATIONS.len()];
    for i in first..first + count {
        let (kind, outcome) = run_case(seed, i, &bases);
        stats[kind][outcome as usize] += 1;
    }
    println!(
        "{:<22} {:>9} {:>9} {:>9}",
        "mutation", "unchanged", "rejected", "accepted"
    );
    for (k, [same, rej, acc]) in stats.iter().enumerate() {
        println!("{:<22} {same:>9} {rej:>9} {acc:>9}", MUTATIONS[k]);
    }
    let total = |o: Outcome| stats.iter().map(|s| s[o as usize]).sum::<u64>();
    println!(
        "{count} cases (seed {seed:#x}): {} rejected, {} accepted, {} unchanged",
        total(Outcome::Rejected),
        total(Outcome::Accepted),
        total(Outcome::Unchanged)
    );
    // Every kind ran and changed files. Kinds that always break the format
    // were always rejected; others (a bit flip in tensor data, a dtype swap
    // between F32 and I32) can leave a valid file.
    for (k, s) in stats.iter().enumerate() {
        assert!(
            s[1] + s[2] > 0,
            "mutation {} never changed a file",
            MUTATIONS[k]
        );
    }
    let accepted = |name: &str| stats[MUTATIONS.iter().position(|m| *m == name).unwrap()][2];
    for always_fatal in [
        "truncation",
        "appended garbage",
        "header length",
        "offsets",
        "duplicate name",
        "negative/float number",
    ] {
        assert_eq!(
            accepted(always_fatal),
            0,
            "a file with {always_fatal} was accepted"
        );
    }
    assert!(total(Outcome::Rejected) > 0 && total(Outcome::Accepted) > 0);
}

#[test]
fn fuzz_10k_mutations() {
    run(0x5afe_7e45, 0, 10_000);
}

#[test]
#[ignore = "long: 100,000 cases"]
fn fuzz_100k_mutations() {
    run(0xf022_5afe, 0, 100_000);
}

/// Deterministic sweeps: every proper prefix and every one-byte extension of
/// every base file is rejected.
#[test]
fn every_truncation_and_extension_is_rejected() {
    for (b, file) in bases().iter().enumerate() {
        for cut in 0..file.len() {
            let r = SafeTensors::from_bytes(file[..cut].to_vec(), SOURCE);
            assert!(r.is_err(), "base {b} cut at {cut} accepted");
        }
        for byte in [0u8, b' ', b'}', 0xff] {
            let mut f = file.clone();
            f.push(byte);
            assert!(
                SafeTensors::from_bytes(f, SOURCE).is_err(),
                "base {b} + {byte:#x} accepted"
            );
        }
    }
}
