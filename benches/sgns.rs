//! criterion benchmarks of word2vec training: skip-gram with negative
//! sampling (SGNS) and CBOW, one epoch over a generated corpus
//! (`embeddings::synthetic`, 20 000 sentences, 180 000 words), on one thread
//! and on two (Hogwild). Throughput is in words per second (criterion's
//! "elements/s").
//!
//!     cargo bench --bench sgns
//!
//! The peer comparison against gensim on real English text is
//! `benches/compare_word2vec.sh`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use seqmodels::embeddings::corpus::Vocab;
use seqmodels::embeddings::synthetic;
use seqmodels::embeddings::word2vec::{train_word2vec_with_vocab, Architecture, Word2VecConfig};
use seqmodels::embeddings::Corpus;
use std::hint::black_box;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let corpus = Corpus::text("synthetic", synthetic::corpus(20_000, 1));
    let vocab = Vocab::build(&corpus, 1, false).unwrap();
    let mut group = c.benchmark_group("word2vec-epoch");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Elements(vocab.raw_total));
    for (name, arch) in [
        ("sgns", Architecture::SkipGram),
        ("cbow", Architecture::Cbow),
    ] {
        for threads in [1usize, 2] {
            let mut cfg = Word2VecConfig::new(arch);
            cfg.size = 100;
            cfg.min_count = 1;
            cfg.iter = 1;
            cfg.threads = threads;
            group.bench_with_input(
                BenchmarkId::new(name, format!("D100/threads{threads}")),
                &cfg,
                |b, cfg| {
                    b.iter(|| {
                        black_box(
                            train_word2vec_with_vocab(&corpus, vocab.clone(), cfg, None).unwrap(),
                        )
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
