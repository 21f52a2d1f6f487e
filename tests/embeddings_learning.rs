//! Learning tests: each embedding method, trained on the generated corpus of
//! `embeddings::synthetic`, must solve ≥ 90% of its analogy questions by
//! 3CosAdd, and nearest neighbours must make sense. Each prints what it reached.

use seqmodels::embeddings::eval::{evaluate_analogies_text, EvalOptions};
use seqmodels::embeddings::glove::{train_glove, GloveConfig};
use seqmodels::embeddings::nplm::{train_nplm, NplmConfig};
use seqmodels::embeddings::synthetic;
use seqmodels::embeddings::word2vec::{train_word2vec, Architecture, Word2VecConfig};
use seqmodels::embeddings::{Corpus, WordVectors};

fn corpus(sentences: usize) -> Corpus {
    Corpus::text("synthetic", synthetic::corpus(sentences, 7))
}

/// Analogy accuracy and two nearest-neighbour checks over the family words
/// (the context words `c_*` left out):
/// - the nearest neighbour of a family word is in its family (a country's is
///   a country, a capital or a nationality; a verb form's a verb form);
/// - among the words of *other* entities, the nearest neighbour has the same
///   form (a country's is a country, a past tense's a past tense; for the
///   royalty family, the same number).
fn score(name: &str, wv: &WordVectors, seconds: f64) -> (f64, f64) {
    let opt = EvalOptions {
        restrict_vocab: None,
        case_insensitive: false,
    };
    let rep = evaluate_analogies_text(wv, &synthetic::questions(), &opt).unwrap();
    assert_eq!(rep.oov_questions, 0, "every question word is in the corpus");
    for s in &rep.sections {
        println!("{name:6} {:30} {:4}/{:4}", s.name, s.correct, s.answered);
    }
    let context: Vec<usize> = (0..wv.len())
        .filter(|&i| wv.words()[i].starts_with("c_"))
        .collect();
    let (mut fam_ok, mut form_ok, mut n) = (0, 0, 0);
    for f in synthetic::families() {
        for (w, vals) in &f.words {
            let i = wv.index(w).unwrap();
            let sims = wv.cosines(wv.matrix().row(i));
            let mut exclude = context.clone();
            exclude.push(i);
            let near = &wv.top(&sims, 1, &exclude)[0].0;
            fam_ok += (synthetic::attributes_of(near).unwrap().0 == f.name) as usize;
            if f.entity {
                for (x, xv) in &f.words {
                    if xv[0] == vals[0] {
                        exclude.push(wv.index(x).unwrap());
                    }
                }
            }
            let near = &wv.top(&sims, 1, &exclude)[0].0;
            let (fam, v) = synthetic::attributes_of(near).unwrap();
            form_ok += (fam == f.name && v.last() == vals.last()) as usize;
            n += 1;
        }
    }
    let fam = fam_ok as f64 / n as f64;
    let form = form_ok as f64 / n as f64;
    println!(
        "{name}: analogies {:.1}% (semantic {:.1}%, syntactic {:.1}%); nearest neighbour in the family {:.1}%, of the same form among other entities {:.1}%; trained in {seconds:.1} s",
        100.0 * rep.total.accuracy(),
        100.0 * rep.semantic.accuracy(),
        100.0 * rep.syntactic.accuracy(),
        100.0 * fam,
        100.0 * form
    );
    (rep.total.accuracy(), fam.min(form))
}
fn w2v(arch: Architecture) -> Word2VecConfig {
    let mut c = Word2VecConfig::new(arch);
    c.size = 50;
    c.window = 5;
    c.min_count = 1;
    c.iter = 5;
    c.threads = 2;
    c.seed = 3;
    c
}

#[test]
fn sgns_learns_synthetic_analogies() {
    let t = train_word2vec(&corpus(60_000), &w2v(Architecture::SkipGram), None).unwrap();
    let (acc, nn) = score("sgns", &t.vectors, t.seconds);
    assert!(acc >= 0.9, "SGNS analogy accuracy {acc}");
    assert!(nn >= 0.85, "SGNS nearest neighbours {nn}");
}

#[test]
fn cbow_learns_synthetic_analogies() {
    let t = train_word2vec(&corpus(60_000), &w2v(Architecture::Cbow), None).unwrap();
    let (acc, nn) = score("cbow", &t.vectors, t.seconds);
    assert!(acc >= 0.9, "CBOW analogy accuracy {acc}");
    assert!(nn >= 0.85, "CBOW nearest neighbours {nn}");
}

#[test]
fn glove_learns_synthetic_analogies() {
    let cfg = GloveConfig {
        size: 50,
        window: 5,
        min_count: 1,
        iter: 25,
        seed: 3,
        ..GloveConfig::default()
    };
    let t = train_glove(&corpus(60_000), &cfg, None).unwrap();
    let (acc, nn) = score("glove", &t.vectors, t.seconds);
    assert!(acc >= 0.9, "GloVe analogy accuracy {acc}");
    assert!(nn >= 0.85, "GloVe nearest neighbours {nn}");
}

#[test]
fn nplm_learns_synthetic_analogies() {
    let cfg = NplmConfig {
        context: 3,
        size: 30,
        hidden: 64,
        iter: 3,
        batch: 64,
        lr: 0.2,
        min_count: 1,
        seed: 3,
        lowercase: false,
    };
    let t = train_nplm(&corpus(20_000), &cfg, None).unwrap();
    println!("nplm: final cross-entropy {:.3}", t.loss);
    let (acc, nn) = score("nplm", &t.vectors, t.seconds);
    assert!(acc >= 0.9, "NPLM analogy accuracy {acc}");
    assert!(nn >= 0.85, "NPLM nearest neighbours {nn}");
}
