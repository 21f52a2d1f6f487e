"""gensim's Word2Vec with the same settings as `seqmodels embed train`,
printing the same JSON keys, for benches/compare_word2vec.sh.

    python3 benches/peers/word2vec_gensim.py --corpus FILE --method sgns|cbow
        [--size 100] [--window 5] [--negative 5] [--hs 0|1] [--sample 1e-3]
        [--min-count 5] [--iter 5] [--alpha A] [--threads N] [--seed S]
        [--eval-analogies FILE] [--eval-pairs FILE] [--restrict-vocab N]
        [--case-insensitive]

Equal settings: one sentence per line (LineSentence), sg / cbow (cbow_mean=1),
vector_size, window, negative, hs, sample, min_count, epochs, alpha, and
min_alpha = alpha * 1e-4 (word2vec.c's floor, which seqmodels uses), workers =
threads, ns_exponent 0.75. words = corpus tokens * epochs; seconds = the
train() call only (after build_vocab), as in seqmodels. Needs: pip install gensim
"""
import argparse, json, logging, sys, time

from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--corpus", required=True)
    p.add_argument("--method", choices=["sgns", "cbow"], default="sgns")
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--hs", type=int, choices=[0, 1], default=0)
    p.add_argument("--sample", type=float, default=1e-3)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--iter", type=int, default=5)
    p.add_argument("--alpha", type=float, default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--eval-analogies")
    p.add_argument("--eval-pairs")
    p.add_argument("--restrict-vocab", type=int, default=300000)
    p.add_argument("--case-insensitive", action="store_true")
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sg = 1 if a.method == "sgns" else 0
    alpha = a.alpha if a.alpha is not None else (0.025 if sg else 0.05)
    model = Word2Vec(
        vector_size=a.size, window=a.window, negative=a.negative, hs=a.hs,
        sample=a.sample, min_count=a.min_count, epochs=a.iter, alpha=alpha,
        min_alpha=alpha * 1e-4, workers=a.threads, seed=a.seed, sg=sg,
        cbow_mean=1, ns_exponent=0.75,
    )
    sentences = LineSentence(a.corpus)
    model.build_vocab(sentences)
    total = model.corpus_total_words
    t0 = time.perf_counter()
    model.train(sentences, total_examples=model.corpus_count, epochs=a.iter,
                compute_loss=False)
    seconds = time.perf_counter() - t0
    words = total * a.iter
    out = {
        "name": "embed-train", "method": a.method, "words": words,
        "seconds": round(seconds, 3), "words_per_sec": round(words / seconds),
        "threads": a.threads, "vocab": len(model.wv), "size": a.size,
        "peer": "gensim " + __import__("gensim").__version__,
    }
    wv = model.wv
    if a.eval_analogies:
        _, sections = wv.evaluate_word_analogies(
            a.eval_analogies, restrict_vocab=a.restrict_vocab,
            case_insensitive=a.case_insensitive)
        groups = {"semantic": [0, 0], "syntactic": [0, 0], "total": [0, 0]}
        for s in sections:
            if s["section"] == "Total accuracy":
                continue
            c, n = len(s["correct"]), len(s["correct"]) + len(s["incorrect"])
            g = "syntactic" if s["section"].startswith("gram") else "semantic"
            for k in (g, "total"):
                groups[k][0] += c
                groups[k][1] += n
            print(f"  {s['section']:32} {100.0 * c / max(n, 1):6.2f}%  ({c}/{n})", file=sys.stderr)
        acc = lambda k: round(100.0 * groups[k][0] / max(groups[k][1], 1), 2)
        out.update(analogy_total=acc("total"), analogy_semantic=acc("semantic"),
                   analogy_syntactic=acc("syntactic"), analogy_answered=groups["total"][1])
    if a.eval_pairs:
        pear, spear, oov = wv.evaluate_word_pairs(
            a.eval_pairs, restrict_vocab=a.restrict_vocab,
            case_insensitive=a.case_insensitive)
        out.update(pairs_pearson=round(float(pear[0]), 4),
                   pairs_spearman=round(float(spear[0]), 4),
                   pairs_oov_percent=round(float(oov), 2))
    print(json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
