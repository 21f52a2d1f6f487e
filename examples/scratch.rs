use seqmodels::embeddings::eval::{evaluate_analogies_text, EvalOptions};
use seqmodels::embeddings::nplm::{train_nplm, NplmConfig};
use seqmodels::embeddings::synthetic;
use seqmodels::embeddings::word2vec::{train_word2vec, Architecture, Word2VecConfig};
use seqmodels::embeddings::Corpus;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let what = a[1].as_str();
    let n: usize = a[2].parse().unwrap();
    let c = Corpus::text("s", synthetic::corpus(n, 7));
    let opt = EvalOptions { restrict_vocab: None, case_insensitive: false };
    if what == "nplm" {
        let cfg = NplmConfig { context: 3, size: a[3].parse().unwrap(), hidden: a[4].parse().unwrap(), iter: a[5].parse().unwrap(), batch: a[6].parse().unwrap(), lr: a[7].parse().unwrap(), min_count: 1, seed: 3, lowercase: false };
        let t = train_nplm(&c, &cfg, None).unwrap();
        let rep = evaluate_analogies_text(&t.vectors, &synthetic::questions(), &opt).unwrap();
        println!("loss {} acc {} secs {}", t.loss, rep.total.accuracy(), t.seconds);
    } else {
        let mut cfg = Word2VecConfig::new(if what == "sg" { Architecture::SkipGram } else { Architecture::Cbow });
        cfg.size = a[3].parse().unwrap(); cfg.threads = a[4].parse().unwrap(); cfg.min_count = 1;
        let t = train_word2vec(&c, &cfg, None).unwrap();
        let rep = evaluate_analogies_text(&t.vectors, &synthetic::questions(), &opt).unwrap();
        let words = t.vocab.raw_total * 5;
        println!("acc {} secs {:.2} words/s {:.0}", rep.total.accuracy(), t.seconds, words as f64 / t.seconds);
    }
}
