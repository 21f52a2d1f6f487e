//! `seqmodels embed …`: train word vectors (word2vec, GloVe, the neural
//! language model), query them (similar words, analogies), evaluate them,
//! and debias them. Flags follow word2vec.c where it has one.

use super::args::{Args, CliError};
use super::progress;
use crate::cli_err;
use crate::embeddings::debias::{bias_direction_pair, bias_direction_pca, debias, project};
use crate::embeddings::eval::{evaluate_word_analogies, evaluate_word_pairs, EvalOptions};
use crate::embeddings::formats::{read_vectors, write_vectors, Format};
use crate::embeddings::glove::{train_glove, GloveConfig};
use crate::embeddings::nplm::{train_nplm, NplmConfig};
use crate::embeddings::word2vec::{train_word2vec, Architecture, Progress, Word2VecConfig};
use crate::embeddings::{Corpus, WordVectors};
use crate::error::Error;
use crate::io::json::{object, Json};
use crate::linalg::pool;
use std::sync::Mutex;
use std::time::Instant;

const HELP: &str = "\
seqmodels embed <train|similar|analogy|eval|debias|tsne> [options]

  embed train --corpus FILE --method sgns|cbow|glove|nplm --out FILE [options]
      --size D (100)  --window W (5)  --negative K (5)  --hs 0|1 (0)
      --sample S (1e-3)  --min-count N (5)  --iter N (5; glove 15, nplm 3)
      --alpha A (sgns 0.025, cbow 0.05, glove 0.05, nplm 0.1)
      --threads N (all cores; word2vec only, Hogwild)  --seed S (1)
      --format w2v-bin|w2v-txt|glove-txt (w2v-bin)  --lowercase
      --x-max X (glove, 100)  --context N --hidden H --batch B (nplm: 3, 64, 64)
      --eval-analogies FILE  --eval-pairs FILE  --restrict-vocab N  --case-insensitive
    The corpus is plain UTF-8 text, one sentence per line, streamed from disk.
    Progress goes to stderr; the last line on stdout is one JSON object:
      {\"name\":\"embed-train\",\"method\":..,\"words\":..,\"seconds\":..,\"words_per_sec\":..,\"threads\":..,
       \"vocab\":..,\"size\":..,\"loss\":.., and with --eval-*: \"analogy_total\",\"analogy_semantic\",
       \"analogy_syntactic\",\"analogy_oov_percent\",\"pairs_pearson\",\"pairs_spearman\",\"pairs_oov_percent\"}
    words = corpus tokens × iter; seconds = training time after the vocabulary pass
    (for glove, co-occurrence counting included). glove and nplm run on one thread.
    --threads 1 is bit-reproducible from --seed; more threads are not (Hogwild).

  embed similar --vectors FILE WORD [--topn N (10)]      nearest words by cosine
  embed analogy --vectors FILE A B C [--topn N (1)] [--cosmul]   a : b :: c : ?
  embed eval --vectors FILE [--analogies FILE] [--pairs FILE] [--restrict-vocab N]
             [--case-insensitive]                         one JSON line of figures
  embed debias --vectors FILE --out FILE (--direction A,B | --definitional FILE)
             [--equalize FILE] [--neutralize FILE | --neutralize-all [--keep FILE]]
             [--format F]
    Pair files hold two words per line; word files one word per line; # starts a comment.
    --direction woman,man uses g = e_woman − e_man; --definitional uses the first principal
    component of the centred pairs. --neutralize-all neutralizes every word except those in
    the pair files, the direction and --keep.

  embed tsne --vectors FILE [--words N (500) | --list FILE] [--perplexity P] [--theta T]
             [--iter N] [--seed S] --out plot.svg [--coords out.tsv]
    maps the N most frequent words (the file's first N), or the words listed in FILE (one per
    line), to 2-D with t-SNE and draws them with their labels. Similarity belongs in the full
    dimension: the map is a picture of neighbourhoods, not a metric.

Vector files are read in any of the three formats (detected).";

/// `seqmodels embed …`
pub fn run(argv: Vec<String>) -> Result<(), CliError> {
    let (what, rest) = match argv.split_first() {
        Some((w, r)) => (w.clone(), r.to_vec()),
        None => return Err(cli_err!("embed: say what to do\n\n{HELP}")),
    };
    match what.as_str() {
        "train" => train(rest),
        "similar" => similar(rest),
        "analogy" => analogy(rest),
        "eval" => eval(rest),
        "debias" => debias_cmd(rest),
        "tsne" => tsne_cmd(rest),
        "-h" | "--help" | "help" => {
            println!("{HELP}");
            Ok(())
        }
        other => Err(cli_err!("embed: unknown subcommand {other:?}\n\n{HELP}")),
    }
}

/// Shows training progress on the shared progress bar (`cli::progress`):
/// words done out of iter × corpus words, the loss, the learning rate and
/// words/s, with an ETA. Created on the first report, when the total is known.
struct Bar {
    label: String,
    bar: Mutex<Option<progress::Progress>>,
}

impl Bar {
    fn new(label: String) -> Bar {
        Bar {
            label,
            bar: Mutex::new(None),
        }
    }

    fn report(&self, p: &Progress) {
        let mut guard = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        let bar = guard.get_or_insert_with(|| progress::Progress::new(&self.label, p.words_total));
        let rate = p.words_done as f64 / p.seconds.max(1e-9);
        bar.update(
            p.words_done.min(p.words_total),
            &[("loss", p.loss), ("alpha", p.alpha), ("words/s", rate)],
        );
    }

    fn finish(&self) {
        let mut guard = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bar) = guard.as_mut() {
            bar.finish(&[]);
        }
    }
}

fn positive(name: &str, v: usize) -> Result<usize, CliError> {
    if v == 0 {
        Err(cli_err!("embed train: {name} must be at least 1"))
    } else {
        Ok(v)
    }
}

fn train(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("embed train", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let corpus: String = a.required("--corpus")?;
    let method = a.choice("--method", &["sgns", "cbow", "glove", "nplm"], "sgns")?;
    let out: String = a.required("--out")?;
    let size = positive("--size", a.value_or("--size", 100usize)?)?;
    let window = positive("--window", a.value_or("--window", 5usize)?)?;
    let negative: usize = a.value_or("--negative", 5)?;
    let hs = a.choice("--hs", &["0", "1"], "0")? == "1";
    let sample: f64 = a.value_or("--sample", 1e-3)?;
    let min_count: u64 = a.value_or("--min-count", 5)?;
    let default_iter = match method.as_str() {
        "glove" => 15,
        "nplm" => 3,
        _ => 5,
    };
    let iter = positive("--iter", a.value_or("--iter", default_iter)?)?;
    let default_alpha = match method.as_str() {
        "sgns" => 0.025,
        "nplm" => 0.1,
        _ => 0.05,
    };
    let alpha: f64 = a.value_or("--alpha", default_alpha)?;
    let threads = a.threads()?.unwrap_or_else(pool::threads);
    let seed: u64 = a.value_or("--seed", 1)?;
    let fmt_name = a.choice("--format", &["w2v-bin", "w2v-txt", "glove-txt"], "w2v-bin")?;
    let format = Format::from_name(&fmt_name).expect("choice checked it");
    let lowercase = a.flag("--lowercase");
    let x_max: f64 = a.value_or("--x-max", 100.0)?;
    let context = positive("--context", a.value_or("--context", 3usize)?)?;
    let hidden = positive("--hidden", a.value_or("--hidden", 64usize)?)?;
    let batch = positive("--batch", a.value_or("--batch", 64usize)?)?;
    let eval_analogies: Option<String> = a.value("--eval-analogies")?;
    let eval_pairs: Option<String> = a.value("--eval-pairs")?;
    let restrict: Option<usize> = a.value("--restrict-vocab")?;
    let case_insensitive = a.flag("--case-insensitive");
    a.finish()?;
    if !(alpha > 0.0 && alpha.is_finite()) {
        return Err(cli_err!("embed train: --alpha must be a positive number"));
    }
    // Guards against typos that would ask for absurd allocations.
    for (name, v, max) in [
        ("--size", size, 100_000),
        ("--window", window, 10_000),
        ("--negative", negative, 10_000),
        ("--context", context, 1_000),
        ("--hidden", hidden, 100_000),
    ] {
        if v > max {
            return Err(cli_err!("embed train: {name} {v} is larger than {max}"));
        }
    }
    if !(sample >= 0.0 && sample.is_finite()) {
        return Err(cli_err!("embed train: --sample must be a number ≥ 0"));
    }
    if !(x_max > 0.0 && x_max.is_finite()) {
        return Err(cli_err!("embed train: --x-max must be positive"));
    }
    let corpus = Corpus::file(&corpus);
    let bar = Bar::new(format!("embed train ({method})"));
    let cb = |p: &Progress| bar.report(p);
    let start = Instant::now();
    let (vectors, seconds, loss, raw_words, used_threads) = match method.as_str() {
        "sgns" | "cbow" => {
            let arch = if method == "sgns" {
                Architecture::SkipGram
            } else {
                Architecture::Cbow
            };
            let cfg = Word2VecConfig {
                arch,
                size,
                window,
                negative,
                hs,
                sample,
                min_count,
                iter,
                alpha,
                threads,
                seed,
                lowercase,
            };
            let t = train_word2vec(&corpus, &cfg, Some(&cb))?;
            (t.vectors, t.seconds, t.loss, t.vocab.raw_total, threads)
        }
        "glove" => {
            let cfg = GloveConfig {
                size,
                window,
                min_count,
                iter,
                x_max,
                eta: alpha,
                seed,
                lowercase,
                ..GloveConfig::default()
            };
            let t = train_glove(&corpus, &cfg, Some(&cb))?;
            (t.vectors, t.seconds, t.loss, t.vocab.raw_total, 1)
        }
        _ => {
            let cfg = NplmConfig {
                context,
                size,
                hidden,
                iter,
                batch,
                lr: alpha,
                min_count,
                seed,
                lowercase,
            };
            let t = train_nplm(&corpus, &cfg, Some(&cb))?;
            (t.vectors, t.seconds, t.loss, t.vocab.raw_total, 1)
        }
    };
    bar.finish();
    write_vectors(&vectors, &out, format)?;
    eprintln!(
        "embed train: {} words × {} dims written to {out} ({}) in {:.1} s total",
        vectors.len(),
        vectors.dim(),
        format.name(),
        start.elapsed().as_secs_f64()
    );
    let words = raw_words * iter as u64;
    let mut fields = vec![
        ("name", Json::str("embed-train")),
        ("method", Json::str(&method)),
        ("words", Json::int(words as i64)),
        ("seconds", Json::num(round(seconds, 3))),
        (
            "words_per_sec",
            Json::num(round(words as f64 / seconds.max(1e-9), 0)),
        ),
        ("threads", Json::int(used_threads as i64)),
        ("vocab", Json::int(vectors.len() as i64)),
        ("size", Json::int(size as i64)),
        ("loss", Json::num(round(loss, 5))),
    ];
    let opt = EvalOptions {
        restrict_vocab: restrict.or(Some(300_000)),
        case_insensitive,
    };
    eval_fields(
        &vectors,
        eval_analogies.as_deref(),
        eval_pairs.as_deref(),
        &opt,
        &mut fields,
    )?;
    println!("{}", object(fields).to_json());
    Ok(())
}

fn round(x: f64, digits: i32) -> f64 {
    let s = 10f64.powi(digits);
    (x * s).round() / s
}

fn eval_fields(
    wv: &WordVectors,
    analogies: Option<&str>,
    pairs: Option<&str>,
    opt: &EvalOptions,
    fields: &mut Vec<(&'static str, Json)>,
) -> Result<(), Error> {
    if let Some(f) = analogies {
        let r = evaluate_word_analogies(wv, f, opt)?;
        for s in &r.sections {
            eprintln!(
                "  {:32} {:6.2}%  ({}/{})",
                s.name,
                100.0 * s.accuracy(),
                s.correct,
                s.answered
            );
        }
        fields.push((
            "analogy_total",
            Json::num(round(100.0 * r.total.accuracy(), 2)),
        ));
        fields.push((
            "analogy_semantic",
            Json::num(round(100.0 * r.semantic.accuracy(), 2)),
        ));
        fields.push((
            "analogy_syntactic",
            Json::num(round(100.0 * r.syntactic.accuracy(), 2)),
        ));
        fields.push(("analogy_answered", Json::int(r.total.answered as i64)));
        fields.push(("analogy_oov_percent", Json::num(round(r.oov_percent(), 2))));
    }
    if let Some(f) = pairs {
        let r = evaluate_word_pairs(wv, f, opt)?;
        fields.push(("pairs_pearson", Json::num(round(r.pearson, 4))));
        fields.push(("pairs_spearman", Json::num(round(r.spearman, 4))));
        fields.push(("pairs_oov_percent", Json::num(round(r.oov_percent(), 2))));
    }
    Ok(())
}

fn load(a: &mut Args) -> Result<(WordVectors, String), CliError> {
    let path: String = a.required("--vectors")?;
    let (wv, _) = read_vectors(&path)?;
    Ok((wv, path))
}

fn similar(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("embed similar", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let topn: usize = a.value_or("--topn", 10)?;
    let (wv, _) = load(&mut a)?;
    let pos = a.positional();
    a.finish()?;
    if pos.is_empty() {
        return Err(cli_err!(
            "embed similar: give a word, e.g. `embed similar --vectors v.bin king`"
        ));
    }
    let words: Vec<&str> = pos.iter().map(String::as_str).collect();
    for (w, s) in wv.most_similar(&words, &[], topn)? {
        println!("{w}\t{s:.4}");
    }
    Ok(())
}

fn analogy(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("embed analogy", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let topn: usize = a.value_or("--topn", 1)?;
    let cosmul = a.flag("--cosmul");
    let (wv, _) = load(&mut a)?;
    let pos = a.positional();
    a.finish()?;
    if pos.len() != 3 {
        return Err(cli_err!(
            "embed analogy: give three words A B C (a : b :: c : ?), got {}",
            pos.len()
        ));
    }
    let (x, y, z) = (pos[0].as_str(), pos[1].as_str(), pos[2].as_str());
    let ans = if cosmul {
        wv.most_similar_cosmul(&[y, z], &[x], topn)?
    } else {
        wv.most_similar(&[y, z], &[x], topn)?
    };
    for (w, s) in ans {
        println!("{w}\t{s:.4}");
    }
    Ok(())
}

fn eval(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("embed eval", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let analogies: Option<String> = a.value("--analogies")?;
    let pairs: Option<String> = a.value("--pairs")?;
    let restrict: Option<usize> = a.value("--restrict-vocab")?;
    let case_insensitive = a.flag("--case-insensitive");
    let (wv, path) = load(&mut a)?;
    a.finish()?;
    if analogies.is_none() && pairs.is_none() {
        return Err(cli_err!(
            "embed eval: give --analogies FILE and/or --pairs FILE"
        ));
    }
    let opt = EvalOptions {
        restrict_vocab: restrict.or(Some(300_000)),
        case_insensitive,
    };
    let mut fields = vec![
        ("name", Json::str("embed-eval")),
        ("vectors", Json::str(&path)),
        ("vocab", Json::int(wv.len() as i64)),
        ("size", Json::int(wv.dim() as i64)),
    ];
    eval_fields(
        &wv,
        analogies.as_deref(),
        pairs.as_deref(),
        &opt,
        &mut fields,
    )?;
    println!("{}", object(fields).to_json());
    Ok(())
}

/// Reads a file of whitespace-separated words, `per_line` per line (`#` comments).
fn read_word_lines(path: &str, per_line: usize) -> Result<Vec<Vec<String>>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let f: Vec<String> = t.split_whitespace().map(String::from).collect();
        if f.len() != per_line {
            return Err(crate::err!(
                "{path}: line {}: expected {per_line} word(s), found {}",
                i + 1,
                f.len()
            ));
        }
        out.push(f);
    }
    Ok(out)
}

fn debias_cmd(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("embed debias", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let out: String = a.required("--out")?;
    let direction: Option<String> = a.value("--direction")?;
    let definitional: Option<String> = a.value("--definitional")?;
    let equalize_file: Option<String> = a.value("--equalize")?;
    let neutralize_file: Option<String> = a.value("--neutralize")?;
    let all = a.flag("--neutralize-all");
    let keep_file: Option<String> = a.value("--keep")?;
    let fmt_name = a.choice("--format", &["w2v-bin", "w2v-txt", "glove-txt"], "w2v-bin")?;
    let (mut wv, _) = load(&mut a)?;
    a.finish()?;
    let pairs_of = |f: &str| -> Result<Vec<(String, String)>, Error> {
        Ok(read_word_lines(f, 2)?
            .into_iter()
            .map(|v| (v[0].clone(), v[1].clone()))
            .collect())
    };
    let mut gendered: Vec<String> = Vec::new();
    let g = match (&direction, &definitional) {
        (Some(d), None) => {
            let (x, y) = d.split_once(',').ok_or_else(|| {
                cli_err!("embed debias: --direction {d:?}: expected two words A,B (g = e_A − e_B)")
            })?;
            gendered.extend([x.to_string(), y.to_string()]);
            bias_direction_pair(&wv, x, y)?
        }
        (None, Some(f)) => {
            let p = pairs_of(f)?;
            gendered.extend(p.iter().flat_map(|(a, b)| [a.clone(), b.clone()]));
            bias_direction_pca(&wv, &p)?
        }
        _ => {
            return Err(cli_err!(
                "embed debias: give exactly one of --direction A,B and --definitional FILE"
            ))
        }
    };
    let eq = match &equalize_file {
        Some(f) => pairs_of(f)?,
        None => Vec::new(),
    };
    gendered.extend(eq.iter().flat_map(|(a, b)| [a.clone(), b.clone()]));
    let neutral: Vec<String> = match (&neutralize_file, all) {
        (Some(_), true) => {
            return Err(cli_err!(
                "embed debias: give --neutralize FILE or --neutralize-all, not both"
            ))
        }
        (Some(f), false) => read_word_lines(f, 1)?
            .into_iter()
            .map(|mut v| v.remove(0))
            .collect(),
        (None, true) => {
            let mut skip: std::collections::HashSet<String> = gendered.iter().cloned().collect();
            if let Some(k) = &keep_file {
                skip.extend(read_word_lines(k, 1)?.into_iter().map(|mut v| v.remove(0)));
            }
            wv.words()
                .iter()
                .filter(|w| !skip.contains(*w))
                .cloned()
                .collect()
        }
        (None, false) => Vec::new(),
    };
    // Mean length of the neutral words' components along g.
    let mean_abs_proj = |wv: &WordVectors| -> f64 {
        let mut s = 0.0;
        for w in &neutral {
            let e: Vec<f64> = wv
                .vector(w)
                .map(|v| v.iter().map(|&x| x as f64).collect())
                .unwrap_or_default();
            let p = project(&e, &g);
            s += p.iter().map(|x| x * x).sum::<f64>().sqrt();
        }
        s / neutral.len().max(1) as f64
    };
    let before = mean_abs_proj(&wv);
    debias(&mut wv, &g, &neutral, &eq)?;
    let after = mean_abs_proj(&wv);
    let format = Format::from_name(&fmt_name).expect("choice checked it");
    write_vectors(&wv, &out, format)?;
    let fields = vec![
        ("name", Json::str("embed-debias")),
        ("neutralized", Json::int(neutral.len() as i64)),
        ("equalized_pairs", Json::int(eq.len() as i64)),
        ("mean_bias_projection_before", Json::num(before)),
        ("mean_bias_projection_after", Json::num(after)),
        ("out", Json::str(&out)),
    ];
    println!("{}", object(fields).to_json());
    Ok(())
}

fn tsne_cmd(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("embed tsne", argv);
    if a.wants_help() {
        println!("{HELP}");
        return Ok(());
    }
    let words: Option<usize> = a.value("--words")?;
    let list: Option<String> = a.value("--list")?;
    let (wv, path) = load(&mut a)?;
    let flags = super::tsne::TsneFlags::parse(&mut a, "embed tsne")?;
    a.finish()?;
    let chosen: Vec<usize> = match (words, list) {
        (Some(_), Some(_)) => return Err(cli_err!("embed tsne: give --words or --list, not both")),
        (_, Some(file)) => {
            let lines = read_word_lines(&file, 1)?;
            let mut ids = Vec::new();
            for l in &lines {
                let w = &l[0];
                ids.push(wv.index(w).map_err(|e| cli_err!("{file}: {e}"))?);
            }
            ids
        }
        (n, None) => {
            let n = n.unwrap_or(500).min(wv.len());
            (0..n).collect()
        }
    };
    if chosen.len() < 3 {
        return Err(cli_err!(
            "embed tsne: need at least 3 words, got {}",
            chosen.len()
        ));
    }
    let m = wv.matrix();
    let x = crate::linalg::Matrix::from_fn(chosen.len(), wv.dim(), |i, j| {
        f64::from(m.get(chosen[i], j))
    });
    let labels = chosen.iter().map(|&i| wv.words()[i].clone()).collect();
    let points = super::tsne::Points {
        x,
        labels: Some(labels),
    };
    super::tsne::map_points(&points, &path, &flags)
}
