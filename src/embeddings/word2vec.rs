//! word2vec (Mikolov et al. 2013): skip-gram and CBOW, trained with negative
//! sampling or hierarchical softmax, following word2vec.c step for step.
//!
//! Where it sits in the course: after the neural language model, "learning
//! word embeddings" simplifies the model to a single dot product between a
//! word's input vector (a row of E, `syn0`) and an output vector (`syn1neg`
//! for negative sampling, `syn1` for the inner nodes of the Huffman tree).
//!
//! The pieces, each as word2vec.c does them:
//! - **Sub-sampling** of frequent words: a word of count f is kept with
//!   probability min(1, (√(f/(s·T)) + 1)·(s·T)/f), T the number of corpus
//!   tokens in the vocabulary, s = `sample` (0 turns it off).
//! - **Dynamic window**: for each centre word, b is drawn uniformly from
//!   0..window−1 and the window is `window − b` words on each side.
//! - **Skip-gram**: for each context word c of centre w, the input is e_c
//!   (row of syn0) and the output is w (word2vec.c predicts the centre from
//!   each context word; the pairs are the same as the course's).
//! - **CBOW**: the input is h = the mean of the context rows; the output is w.
//! - **Negative sampling**: the target w with label 1 and `negative` words from
//!   the unigram distribution raised to 0.75 with label 0 (a draw equal to w is
//!   skipped). Here an alias table (Walker/Vose) replaces word2vec.c's 10⁸-entry
//!   table: the same distribution, O(1) per draw, V entries of memory.
//! - **Hierarchical softmax**: a Huffman tree over the counts (word2vec.c's
//!   construction); each inner node on the path to w is a logistic unit with
//!   label 1 − code bit.
//! - **Learning rate**: α = α₀ · (1 − words_done / (iter · T + 1)), floored at
//!   α₀ · 10⁻⁴, recomputed every 10 000 words.
//! - **Hogwild** (Recht et al. 2011): threads take 16 KiB blocks of the
//!   corpus file in order from a shared counter (see [`BLOCK_BYTES`] for why
//!   not word2vec.c's one range per thread) and update the shared matrices
//!   without locks. Rust has no benign data races, so the matrices are
//!   `AtomicU64` cells each holding two f32s, read and written with
//!   `Ordering::Relaxed` ([`SharedMatrix`]): a row is copied into a local
//!   `[f32]` buffer, the arithmetic runs on plain slices (vectorised), and the
//!   row is written back. Updates from two threads to one row may overwrite
//!   each other, as in word2vec.c; that is the Hogwild bargain. With one
//!   thread there is nothing to share: the matrices stay plain and rows are
//!   updated in place. [`RowStore`] is the one interface over both, so the
//!   training loop is written once.
//! - **Speed.** The updates of each line run under `linalg::simd::vectorized`
//!   (AVX-512 or AVX2 where the CPU has them; the same arithmetic, so the same
//!   bits, on every path). The word and its negatives are all drawn before the
//!   first is trained, and one value of each of their rows' cache lines is read
//!   up front ([`RowStore::touch_row`]), so their cache misses overlap.
//!
//! **Determinism.** With `threads = 1` the result is bit for bit a function of
//! the seed (one generator, one pass order). With more threads it is not: the
//! interleaving of row updates and of the shared word counter (which sets α)
//! depends on timing, as in word2vec.c and gensim.
//!
//! The update of one (input h, output u, label y) pair is [`pair_update`]; its
//! derivation is in DERIVATIONS.md ("word2vec: SGNS, CBOW and hierarchical
//! softmax"), and `tests/embeddings_grad.rs` checks it against central
//! differences of the losses [`sgns_loss`], [`hs_loss`] and [`cbow_ns_loss`].

use super::corpus::{Corpus, Vocab};
use super::vectors::WordVectors;
use crate::err;
use crate::error::Result;
use crate::linalg::pool::MAX_THREADS;
use crate::linalg::simd::vectorized;
use crate::linalg::Scalar;
use crate::rng::Rng;
use crate::Matrix;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Instant;

/// Skip-gram or CBOW.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Architecture {
    /// Predict each context word's pairing with the centre (`-cbow 0`).
    SkipGram,
    /// Predict the centre from the mean of its context (`-cbow 1`).
    Cbow,
}

/// Training settings, named after word2vec.c's flags.
#[derive(Clone, Debug)]
pub struct Word2VecConfig {
    /// Skip-gram or CBOW.
    pub arch: Architecture,
    /// D, the vector size (`-size`, default 100).
    pub size: usize,
    /// Maximum window on each side (`-window`, default 5).
    pub window: usize,
    /// Negative samples per target (`-negative`, default 5; 0 turns it off).
    pub negative: usize,
    /// Hierarchical softmax (`-hs`, default off).
    pub hs: bool,
    /// Sub-sampling threshold s (`-sample`, default 1e-3; 0 turns it off).
    pub sample: f64,
    /// Words rarer than this are dropped (`-min-count`, default 5).
    pub min_count: u64,
    /// Passes over the corpus (`-iter`, default 5).
    pub iter: usize,
    /// Starting learning rate α₀ (`-alpha`; default 0.025 skip-gram, 0.05 CBOW).
    pub alpha: f64,
    /// Worker threads (`-threads`).
    pub threads: usize,
    /// Seed for initialisation, sampling and windows.
    pub seed: u64,
    /// Lower-case the corpus while tokenizing.
    pub lowercase: bool,
}

impl Word2VecConfig {
    /// word2vec.c's defaults for an architecture.
    pub fn new(arch: Architecture) -> Word2VecConfig {
        Word2VecConfig {
            arch,
            size: 100,
            window: 5,
            negative: 5,
            hs: false,
            sample: 1e-3,
            min_count: 5,
            iter: 5,
            alpha: if arch == Architecture::Cbow {
                0.05
            } else {
                0.025
            },
            threads: 1,
            seed: 1,
            lowercase: false,
        }
    }

    fn validate(&self) -> Result<()> {
        if self.size == 0 || self.window == 0 || self.iter == 0 || self.threads == 0 {
            return Err(err!(
                "word2vec: size, window, iter and threads must be at least 1"
            ));
        }
        if self.threads > MAX_THREADS {
            return Err(err!(
                "word2vec: {} threads is more than {MAX_THREADS}",
                self.threads
            ));
        }
        if self.negative == 0 && !self.hs {
            return Err(err!(
                "word2vec: choose negative sampling (negative > 0), hierarchical softmax, or both"
            ));
        }
        if !(self.alpha > 0.0 && self.alpha.is_finite()) {
            return Err(err!("word2vec: alpha must be a positive number"));
        }
        if !(self.sample >= 0.0 && self.sample.is_finite()) {
            return Err(err!("word2vec: sample must be ≥ 0"));
        }
        Ok(())
    }
}

/// A progress report, sent about every 10 000 words from the first thread.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Corpus words (in the vocabulary) processed so far, all threads.
    pub words_done: u64,
    /// iter · T, the words to process in all.
    pub words_total: u64,
    /// Mean loss per (input, output) pair since the previous report
    /// (measured on every 8th position; see `Trained::loss`).
    pub loss: f64,
    /// The current learning rate.
    pub alpha: f64,
    /// Seconds since training started.
    pub seconds: f64,
}

/// A progress callback.
pub type ProgressFn<'a> = &'a (dyn Fn(&Progress) + Sync);

/// What training returns.
#[derive(Clone, Debug)]
pub struct Trained {
    /// The input vectors syn0 with the vocabulary: the word embeddings.
    pub vectors: WordVectors,
    /// The output vectors (syn1neg, or syn1 for hierarchical softmax only).
    pub output: Matrix<f32>,
    /// The vocabulary with counts.
    pub vocab: Vocab,
    /// Seconds spent training (after the vocabulary was built).
    pub seconds: f64,
    /// Mean loss per (input, output) logistic pair over the last epoch, measured
    /// on every 8th centre position (computing it everywhere would cost a
    /// logarithm per pair); with several threads, over the first thread's shard.
    pub loss: f64,
}

/// A matrix shared by Hogwild threads: f32 values stored as bits in
/// `AtomicU64` cells, two per cell (element 2i in the low half, 2i + 1 in the
/// high half), accessed with `Relaxed` ordering: plain 64-bit loads and stores
/// on x86 and ARM, no locks, no fences. A 64-bit cell moves two values per
/// instruction, which halves the cost of copying a row in and out. Each row
/// starts on a 64-byte cache line (its stride is rounded up to 16 values), so
/// a row of D values touches ⌈D/16⌉ lines and no two rows share a line.
pub struct SharedMatrix {
    data: Vec<AtomicU64>,
    /// First cell of row 0 (skips to a 64-byte boundary).
    offset: usize,
    /// Cells per row.
    stride: usize,
    rows: usize,
    cols: usize,
}

impl SharedMatrix {
    /// From a matrix.
    pub fn from_matrix(m: &Matrix<f32>) -> SharedMatrix {
        let (rows, cols) = (m.rows(), m.cols());
        let stride = cols.div_ceil(16) * 8;
        let data: Vec<AtomicU64> = (0..rows * stride + 7).map(|_| AtomicU64::new(0)).collect();
        let offset = (64 - data.as_ptr() as usize % 64) % 64 / 8;
        let sm = SharedMatrix {
            data,
            offset,
            stride,
            rows,
            cols,
        };
        for r in 0..rows {
            sm.store_row(r, m.row(r));
        }
        sm
    }

    /// The cells of row `r`.
    #[inline(always)]
    fn cells(&self, r: usize) -> &[AtomicU64] {
        let start = self.offset + r * self.stride;
        &self.data[start..start + self.stride]
    }

    /// Copies row `r` into `out` (`cols` values).
    #[inline(always)]
    pub fn load_row(&self, r: usize, out: &mut [f32]) {
        let out = &mut out[..self.cols];
        let cells = self.cells(r);
        // Eight cells (16 values) per iteration, as fixed-size arrays, so the
        // loop is unrolled: one cell per iteration spent half its
        // instructions on loop control.
        let mut blocks = out.chunks_exact_mut(16);
        for (o, a) in (&mut blocks).zip(cells.chunks_exact(8)) {
            let o: &mut [f32; 16] = o.try_into().expect("16 values");
            let a: &[AtomicU64; 8] = a.try_into().expect("8 cells");
            for k in 0..8 {
                let x = a[k].load(Relaxed);
                o[2 * k] = f32::from_bits(x as u32);
                o[2 * k + 1] = f32::from_bits((x >> 32) as u32);
            }
        }
        let done = self.cols / 16 * 8;
        let mut pairs = blocks.into_remainder().chunks_exact_mut(2);
        for (o, a) in (&mut pairs).zip(&cells[done..]) {
            let x = a.load(Relaxed);
            o[0] = f32::from_bits(x as u32);
            o[1] = f32::from_bits((x >> 32) as u32);
        }
        if let [last] = pairs.into_remainder() {
            *last = f32::from_bits(cells[self.cols / 2].load(Relaxed) as u32);
        }
    }

    /// Writes `src` (`cols` values) into row `r`.
    #[inline(always)]
    pub fn store_row(&self, r: usize, src: &[f32]) {
        let src = &src[..self.cols];
        let cells = self.cells(r);
        // Unrolled by eight cells, as `load_row`.
        let mut blocks = src.chunks_exact(16);
        for (s, a) in (&mut blocks).zip(cells.chunks_exact(8)) {
            let s: &[f32; 16] = s.try_into().expect("16 values");
            let a: &[AtomicU64; 8] = a.try_into().expect("8 cells");
            for k in 0..8 {
                a[k].store(
                    s[2 * k].to_bits() as u64 | (s[2 * k + 1].to_bits() as u64) << 32,
                    Relaxed,
                );
            }
        }
        let done = self.cols / 16 * 8;
        let mut pairs = blocks.remainder().chunks_exact(2);
        for (s, a) in (&mut pairs).zip(&cells[done..]) {
            a.store(
                s[0].to_bits() as u64 | (s[1].to_bits() as u64) << 32,
                Relaxed,
            );
        }
        if let [last] = pairs.remainder() {
            cells[self.cols / 2].store(last.to_bits() as u64, Relaxed);
        }
    }

    /// A plain copy.
    pub fn to_matrix(&self) -> Matrix<f32> {
        let mut m = Matrix::zeros(self.rows, self.cols);
        for r in 0..self.rows {
            self.load_row(r, m.row_mut(r));
        }
        m
    }
}

/// How the training loop reaches the rows of syn0, syn1neg and syn1. One
/// thread owns plain matrices and updates rows in place (`&mut Matrix<f32>`);
/// Hogwild threads each hold a [`SharedRows`] handle, which copies a row out
/// of the shared matrix, lets the arithmetic run on the copy and writes it
/// back. The arithmetic is the same either way, so one thread gives the same
/// bits through both.
pub trait RowStore {
    /// Copies row `r` into `out`.
    fn load_row(&mut self, r: usize, out: &mut [f32]);
    /// Writes `src` into row `r`.
    fn store_row(&mut self, r: usize, src: &[f32]);
    /// Runs `f` on row `r` and keeps what it wrote there.
    fn update_row<R>(&mut self, r: usize, f: impl FnOnce(&mut [f32]) -> R) -> R;
    /// Reads one value from each 64-byte line of row `r` and returns their
    /// bits folded together. Touching the rows of several upcoming updates
    /// first lets their cache misses overlap instead of waiting one by one;
    /// the caller passes the result to `std::hint::black_box` so the reads
    /// stay in the program.
    fn touch_row(&self, r: usize) -> u64;
}

impl RowStore for &mut Matrix<f32> {
    #[inline(always)]
    fn load_row(&mut self, r: usize, out: &mut [f32]) {
        out.copy_from_slice(self.row(r));
    }

    #[inline(always)]
    fn store_row(&mut self, r: usize, src: &[f32]) {
        self.row_mut(r).copy_from_slice(src);
    }

    #[inline(always)]
    fn update_row<R>(&mut self, r: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
        f(self.row_mut(r))
    }

    #[inline(always)]
    fn touch_row(&self, r: usize) -> u64 {
        let mut bits = 0;
        for x in self.row(r).iter().step_by(16) {
            bits ^= x.to_bits() as u64;
        }
        bits
    }
}

/// One Hogwild thread's handle on a [`SharedMatrix`]: the matrix and a row
/// buffer for [`RowStore::update_row`].
pub struct SharedRows<'a> {
    m: &'a SharedMatrix,
    buf: Vec<f32>,
}

impl<'a> SharedRows<'a> {
    /// A handle on `m`.
    pub fn new(m: &'a SharedMatrix) -> SharedRows<'a> {
        SharedRows {
            m,
            buf: vec![0.0; m.cols],
        }
    }
}

impl RowStore for SharedRows<'_> {
    #[inline(always)]
    fn load_row(&mut self, r: usize, out: &mut [f32]) {
        self.m.load_row(r, out);
    }

    #[inline(always)]
    fn store_row(&mut self, r: usize, src: &[f32]) {
        self.m.store_row(r, src);
    }

    #[inline(always)]
    fn update_row<R>(&mut self, r: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
        self.m.load_row(r, &mut self.buf);
        let out = f(&mut self.buf);
        self.m.store_row(r, &self.buf);
        out
    }

    #[inline(always)]
    fn touch_row(&self, r: usize) -> u64 {
        let mut bits = 0;
        for a in self.m.cells(r).iter().step_by(8) {
            bits ^= a.load(Relaxed);
        }
        bits
    }
}

/// The three matrices as one thread sees them.
struct Tables<S> {
    syn0: S,
    syn1neg: S,
    syn1: S,
}

/// u·v with eight lane accumulators, so it vectorises without fast-math.
#[inline(always)]
pub fn dot<T: Scalar>(u: &[T], v: &[T]) -> T {
    let n = u.len().min(v.len());
    let (u, v) = (&u[..n], &v[..n]);
    let mut acc = [T::ZERO; 8];
    let mut cu = u.chunks_exact(8);
    let mut cv = v.chunks_exact(8);
    for (a, b) in (&mut cu).zip(&mut cv) {
        for l in 0..8 {
            acc[l] += a[l] * b[l];
        }
    }
    let mut s = T::ZERO;
    for (&a, &b) in cu.remainder().iter().zip(cv.remainder()) {
        s += a * b;
    }
    for a in acc {
        s += a;
    }
    s
}

/// One logistic (input, output) pair — the step every word2vec update is made
/// of (DERIVATIONS.md, "word2vec"). With score f = h·u and σ the sigmoid, the
/// pair's loss is ℓ = −y log σ(f) − (1 − y) log σ(−f), whose gradients are
/// ∂ℓ/∂h = (σ(f) − y)·u and ∂ℓ/∂u = (σ(f) − y)·h. With g = α·(y − σ(f)):
///
/// ```text
/// dh += g·u          (the caller adds dh to the input row(s) afterwards)
/// u  += g·h          (u is the output row, updated at once)
/// ```
///
/// i.e. one SGD step of size α on u, and −α·∂ℓ/∂h accumulated for h. `h`: (D),
/// `u`: (D), `dh`: (D). Returns f.
#[inline(always)]
pub fn pair_update<T: Scalar>(h: &[T], u: &mut [T], y: T, alpha: T, dh: &mut [T]) -> T {
    let f = dot(h, u);
    let g = alpha * (y - f.sigmoid());
    for k in 0..h.len() {
        dh[k] += g * u[k];
        u[k] += g * h[k];
    }
    f
}

/// log(1 + e^x), computed without overflow.
#[inline]
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The loss of one skip-gram negative-sampling example (Mikolov et al. 2013b):
/// ℓ = −log σ(h·u₀) − Σ_{k≥1} log σ(−h·u_k), where `h` (D) is the input row,
/// `outputs[0]` the target's output row and `outputs[1..]` the negatives'.
pub fn sgns_loss(h: &[f64], outputs: &[&[f64]]) -> f64 {
    outputs
        .iter()
        .enumerate()
        .map(|(k, u)| {
            let f = dot(h, u);
            if k == 0 {
                softplus(-f)
            } else {
                softplus(f)
            }
        })
        .sum()
}

/// The loss of one hierarchical-softmax example: the path to the target
/// through inner nodes with rows `nodes` and code bits `code`:
/// ℓ = Σ_d −log σ((1 − 2·code_d) · h·u_d) = −log P(target | h).
pub fn hs_loss(h: &[f64], nodes: &[&[f64]], code: &[u8]) -> f64 {
    nodes
        .iter()
        .zip(code)
        .map(|(u, &c)| {
            let f = dot(h, u);
            if c == 0 {
                softplus(-f)
            } else {
                softplus(f)
            }
        })
        .sum()
}

/// The loss of one CBOW negative-sampling example: h = mean of the context
/// rows `context`, then `sgns_loss(h, outputs)`.
pub fn cbow_ns_loss(context: &[&[f64]], outputs: &[&[f64]]) -> f64 {
    let d = outputs[0].len();
    let mut h = vec![0.0; d];
    for c in context {
        for k in 0..d {
            h[k] += c[k] / context.len() as f64;
        }
    }
    sgns_loss(&h, outputs)
}

/// Vose's alias table for sampling word w with probability ∝ count_w^0.75.
#[derive(Clone, Debug)]
pub struct UnigramTable {
    /// Threshold (scaled to 2³²) for keeping the drawn column.
    keep: Vec<u64>,
    /// The other word in each column.
    alias: Vec<u32>,
}

impl UnigramTable {
    /// Builds the table for `counts` raised to `power` (0.75 in word2vec).
    pub fn new(counts: &[u64], power: f64) -> UnigramTable {
        let n = counts.len();
        let w: Vec<f64> = counts.iter().map(|&c| (c as f64).powf(power)).collect();
        let total: f64 = w.iter().sum();
        let mut p: Vec<f64> = w.iter().map(|&x| x * n as f64 / total).collect();
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| p[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            alias[s] = l as u32;
            p[l] -= 1.0 - p[s];
            if p[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Whatever is left is 1 up to rounding.
        for &i in small.iter().chain(&large) {
            p[i] = 1.0;
        }
        let keep = p
            .iter()
            .map(|&x| ((x * 4_294_967_296.0).round() as u64).min(1 << 32))
            .collect();
        UnigramTable { keep, alias }
    }

    /// One draw: a column from the high 32 bits of a random word
    /// (⌊hi·V/2³²⌋, off from uniform by at most V/2³²), then that column or its
    /// alias by the low 32 bits.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> usize {
        let x = rng.next_u64();
        let col = (((x >> 32) * self.keep.len() as u64) >> 32) as usize;
        if (x & 0xFFFF_FFFF) < self.keep[col] {
            col
        } else {
            self.alias[col] as usize
        }
    }
}

/// The Huffman tree of hierarchical softmax: for each word, the inner nodes on
/// its path from the root (indices into syn1, 0..V−1) and the code bits.
#[derive(Clone, Debug)]
pub struct Huffman {
    /// `points[w]`: inner-node ids from the root down.
    pub points: Vec<Vec<u32>>,
    /// `codes[w]`: the branch taken at each of those nodes (0 or 1).
    pub codes: Vec<Vec<u8>>,
}

impl Huffman {
    /// word2vec.c's construction for `counts` sorted in decreasing order:
    /// repeatedly merge the two smallest nodes (leaves scanned from the end,
    /// inner nodes in creation order); the first of the two gets bit 0.
    pub fn new(counts: &[u64]) -> Huffman {
        let v = counts.len();
        if v < 2 {
            return Huffman {
                points: vec![Vec::new(); v],
                codes: vec![Vec::new(); v],
            };
        }
        let mut count = vec![u64::MAX; 2 * v - 1];
        count[..v].copy_from_slice(counts);
        let mut binary = vec![0u8; 2 * v - 1];
        let mut parent = vec![0usize; 2 * v - 1];
        let (mut pos1, mut pos2) = (v as isize - 1, v);
        for a in 0..v - 1 {
            let mut pick = || {
                if pos1 >= 0 && (pos2 >= v + a || count[pos1 as usize] < count[pos2]) {
                    pos1 -= 1;
                    (pos1 + 1) as usize
                } else {
                    pos2 += 1;
                    pos2 - 1
                }
            };
            let m1 = pick();
            let m2 = pick();
            count[v + a] = count[m1].saturating_add(count[m2]);
            parent[m1] = v + a;
            parent[m2] = v + a;
            binary[m2] = 1;
        }
        let root = 2 * v - 2;
        let mut points = Vec::with_capacity(v);
        let mut codes = Vec::with_capacity(v);
        for w in 0..v {
            let (mut pt, mut cd) = (Vec::new(), Vec::new());
            let mut b = w;
            while b != root {
                cd.push(binary[b]);
                b = parent[b];
                pt.push((b - v) as u32);
            }
            pt.reverse();
            cd.reverse();
            points.push(pt);
            codes.push(cd);
        }
        Huffman { points, codes }
    }
}

/// Builds the vocabulary, then trains (see the module docs).
pub fn train_word2vec(
    corpus: &Corpus,
    cfg: &Word2VecConfig,
    progress: Option<ProgressFn>,
) -> Result<Trained> {
    cfg.validate()?;
    let vocab = Vocab::build(corpus, cfg.min_count, cfg.lowercase)?;
    train_word2vec_with_vocab(corpus, vocab, cfg, progress)
}

struct Shared<'a> {
    corpus: &'a Corpus,
    vocab: &'a Vocab,
    cfg: &'a Word2VecConfig,
    table: Option<UnigramTable>,
    tree: Option<Huffman>,
    /// Keep threshold per word, scaled to 2³².
    keep: Vec<u64>,
    words_done: AtomicU64,
    words_total: u64,
    start: Instant,
    progress: Option<ProgressFn<'a>>,
    last_loss: Mutex<(f64, u64)>,
    stop: AtomicBool,
    /// Blocks of `BLOCK_BYTES` in the corpus, and the next one to train,
    /// counted over all epochs (more than one thread only).
    blocks: usize,
    next_block: AtomicUsize,
}

/// Trains on `corpus` with a vocabulary built beforehand.
pub fn train_word2vec_with_vocab(
    corpus: &Corpus,
    vocab: Vocab,
    cfg: &Word2VecConfig,
    progress: Option<ProgressFn>,
) -> Result<Trained> {
    cfg.validate()?;
    if vocab.len() < 2 {
        return Err(err!(
            "{}: only {} word(s) occur at least {} times; word2vec needs at least 2 (lower --min-count?)",
            corpus.name(),
            vocab.len(),
            cfg.min_count
        ));
    }
    let (v, d) = (vocab.len(), cfg.size);
    let mut rng = Rng::new(cfg.seed);
    // syn0 from U(−0.5/D, 0.5/D) row by row, as word2vec.c; output rows zero.
    let mut syn0 = Matrix::<f32>::random_uniform(v, d, -0.5 / d as f64, 0.5 / d as f64, &mut rng);
    let zeros_if = |on: bool, rows: usize| Matrix::<f32>::zeros(if on { rows } else { 0 }, d);
    let mut syn1neg = zeros_if(cfg.negative > 0, v);
    let mut syn1 = zeros_if(cfg.hs, v - 1);
    let total = vocab.total as f64;
    let keep = vocab
        .counts
        .iter()
        .map(|&c| {
            if cfg.sample <= 0.0 {
                1u64 << 32
            } else {
                let st = cfg.sample * total;
                let p = ((c as f64 / st).sqrt() + 1.0) * st / c as f64;
                ((p.min(1.0) * 4_294_967_296.0) as u64).min(1 << 32)
            }
        })
        .collect();
    let sh = Shared {
        corpus,
        vocab: &vocab,
        cfg,
        table: (cfg.negative > 0).then(|| UnigramTable::new(&vocab.counts, 0.75)),
        tree: cfg.hs.then(|| Huffman::new(&vocab.counts)),
        keep,
        words_done: AtomicU64::new(0),
        words_total: cfg.iter as u64 * vocab.total,
        start: Instant::now(),
        progress,
        last_loss: Mutex::new((0.0, 0)),
        stop: AtomicBool::new(false),
        blocks: corpus.block_count(BLOCK_BYTES)?,
        next_block: AtomicUsize::new(0),
    };
    let rngs: Vec<Rng> = (0..cfg.threads).map(|_| rng.fork()).collect();
    let results: Vec<Result<()>> = if cfg.threads == 1 {
        // One thread: the plain matrices, updated in place.
        let tables = Tables {
            syn0: &mut syn0,
            syn1neg: &mut syn1neg,
            syn1: &mut syn1,
        };
        vec![worker(&sh, tables, 0, rngs[0].clone())]
    } else {
        let shared = Tables {
            syn0: SharedMatrix::from_matrix(&syn0),
            syn1neg: SharedMatrix::from_matrix(&syn1neg),
            syn1: SharedMatrix::from_matrix(&syn1),
        };
        let results = std::thread::scope(|s| {
            let handles: Vec<_> = rngs
                .into_iter()
                .enumerate()
                .map(|(t, r)| {
                    let (sh, shared) = (&sh, &shared);
                    let spawned = std::thread::Builder::new().spawn_scoped(s, move || {
                        let tables = Tables {
                            syn0: SharedRows::new(&shared.syn0),
                            syn1neg: SharedRows::new(&shared.syn1neg),
                            syn1: SharedRows::new(&shared.syn1),
                        };
                        let out = worker(sh, tables, t, r);
                        if out.is_err() {
                            sh.stop.store(true, Relaxed);
                        }
                        out
                    });
                    spawned.map_err(|e| {
                        sh.stop.store(true, Relaxed);
                        err!(
                            "word2vec: could not start thread {} of {}: {e}",
                            t + 1,
                            cfg.threads
                        )
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| match h {
                    Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                    Err(e) => Err(e),
                })
                .collect()
        });
        syn0 = shared.syn0.to_matrix();
        syn1neg = shared.syn1neg.to_matrix();
        syn1 = shared.syn1.to_matrix();
        results
    };
    // Report the first real error, not a thread that stopped because of it.
    if let Some(e) = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .find(|e| e.message() != STOPPED)
    {
        return Err(e.clone());
    }
    let seconds = sh.start.elapsed().as_secs_f64();
    let (ls, lc) = *sh.last_loss.lock().unwrap_or_else(|p| p.into_inner());
    let loss = if lc > 0 { ls / lc as f64 } else { 0.0 };
    let output = if cfg.negative > 0 { syn1neg } else { syn1 };
    let vectors = WordVectors::new(vocab.words.clone(), syn0)?;
    Ok(Trained {
        vectors,
        output,
        vocab,
        seconds,
        loss,
    })
}

const STOPPED: &str = "stopped because another thread failed";

/// Longest run of words trained as one sentence (gensim's limit); longer lines
/// are cut into pieces this long.
pub const MAX_SENTENCE: usize = 10_000;

fn worker<S: RowStore>(
    sh: &Shared,
    mut tables: Tables<S>,
    thread: usize,
    mut rng: Rng,
) -> Result<()> {
    let cfg = sh.cfg;
    let d = cfg.size;
    let alpha0 = cfg.alpha as f32;
    let mut alpha = alpha0;
    let (mut buf, mut ids, mut sen) = (String::new(), Vec::new(), Vec::new());
    let mut ctx = Context {
        h: vec![0f32; d],
        dh: vec![0f32; d],
        ids: Vec::with_capacity(2 * cfg.window),
        mult: Vec::with_capacity(2 * cfg.window),
        rows: vec![0f32; 2 * cfg.window * d],
        targets: Vec::with_capacity(cfg.negative + 1),
    };
    let mut counted = 0u64; // words read since the last report
    let (mut loss_sum, mut loss_n) = (0f64, 0u64);
    // The loss summed over the last epoch's lines that this thread trained.
    let (mut last_sum, mut last_n) = (0f64, 0u64);
    // With one thread: every epoch reads the corpus in order. With more, the
    // threads take blocks of BLOCK_BYTES in corpus order from one shared
    // counter that runs over all epochs (see `BLOCK_BYTES`).
    let blocks = sh.blocks;
    let mut epoch = 0;
    loop {
        let block = if cfg.threads == 1 {
            if epoch == cfg.iter {
                break;
            }
            None
        } else {
            let g = sh.next_block.fetch_add(1, Relaxed);
            if g >= cfg.iter * blocks {
                break;
            }
            epoch = g / blocks;
            Some(g % blocks)
        };
        let (mut ep_loss, mut ep_n) = (0f64, 0u64);
        let body = |line: &str| -> Result<()> {
            if sh.stop.load(Relaxed) {
                return Err(err!("{STOPPED}"));
            }
            sh.vocab
                .encode_line(line, cfg.lowercase, &mut buf, &mut ids);
            counted += ids.len() as u64;
            if counted >= 10_000 {
                let done = sh.words_done.fetch_add(counted, Relaxed) + counted;
                counted = 0;
                let a = cfg.alpha * (1.0 - done as f64 / (sh.words_total as f64 + 1.0));
                alpha = a.max(cfg.alpha * 1e-4) as f32;
                if thread == 0 {
                    if let Some(p) = sh.progress {
                        p(&Progress {
                            words_done: done,
                            words_total: sh.words_total,
                            loss: if loss_n > 0 {
                                loss_sum / loss_n as f64
                            } else {
                                0.0
                            },
                            alpha: alpha as f64,
                            seconds: sh.start.elapsed().as_secs_f64(),
                        });
                    }
                    loss_sum = 0.0;
                    loss_n = 0;
                }
            }
            sen.clear();
            for &w in ids.iter() {
                if sh.keep[w as usize] >= 1 << 32 || (rng.next_u64() >> 32) < sh.keep[w as usize] {
                    sen.push(w);
                }
            }
            // The line's updates, compiled for the widest vectors the CPU
            // has (the arithmetic is the same on every path).
            let (mut l_sum, mut n_sum) = (0f64, 0u64);
            vectorized(
                #[inline(always)]
                || {
                    for piece in sen.chunks(MAX_SENTENCE) {
                        for pos in 0..piece.len() {
                            let measure = pos % 8 == 0;
                            let (l, n) = train_position(
                                sh,
                                &mut tables,
                                piece,
                                pos,
                                alpha,
                                measure,
                                &mut rng,
                                &mut ctx,
                            );
                            l_sum += l;
                            n_sum += n;
                        }
                    }
                },
            );
            loss_sum += l_sum;
            loss_n += n_sum;
            ep_loss += l_sum;
            ep_n += n_sum;
            Ok(())
        };
        match block {
            None => sh.corpus.for_each_line(0, 1, body)?,
            Some(b) => sh.corpus.for_each_line_in_block(b, BLOCK_BYTES, body)?,
        }
        if epoch + 1 == cfg.iter {
            last_sum += ep_loss;
            last_n += ep_n;
        }
        if block.is_none() {
            epoch += 1;
        }
    }
    sh.words_done.fetch_add(counted, Relaxed);
    let mut last = sh.last_loss.lock().unwrap_or_else(|p| p.into_inner());
    last.0 += last_sum;
    last.1 += last_n;
    Ok(())
}

/// The size of the blocks Hogwild threads take from the corpus: 16 KiB,
/// about 3,000 words of English. The threads take them in corpus order from
/// one shared counter, as gensim's workers take its jobs of 10,000 words, so
/// at any moment they train on nearby text and they finish together.
/// word2vec.c instead gives each thread one contiguous part of the file for
/// every epoch; with two threads, that cost CBOW 3 points of WordSim-353 ρ
/// on the King James Bible (0.311 ± 0.006 over 48 seeds, against gensim's
/// 0.341 ± 0.007 and our 1-thread 0.334 ± 0.005 over 72 seeds). With these
/// blocks: 0.331 ± 0.006 over the same 48 seeds, for about 2% fewer words/s
/// (the threads now share more rows).
pub const BLOCK_BYTES: u64 = 16 * 1024;

/// Per-thread buffers.
struct Context {
    /// The input vector h of the current example: (D).
    h: Vec<f32>,
    /// −α·∂L/∂h accumulated over its targets: (D).
    dh: Vec<f32>,
    /// Distinct context word ids.
    ids: Vec<usize>,
    /// How often each occurs in the window.
    mult: Vec<f32>,
    /// CBOW: their rows of syn0, (2·window, D), flat.
    rows: Vec<f32>,
    /// The negative-sampling targets of one input (the word, then the
    /// negatives), all drawn before the first is trained.
    targets: Vec<usize>,
}

/// Trains the centre word at `pos`; returns (loss sum, pairs) when `measure`.
#[inline(always)]
fn train_position<S: RowStore>(
    sh: &Shared,
    tables: &mut Tables<S>,
    sen: &[u32],
    pos: usize,
    alpha: f32,
    measure: bool,
    rng: &mut Rng,
    ctx: &mut Context,
) -> (f64, u64) {
    let cfg = sh.cfg;
    let window = cfg.window;
    let word = sen[pos] as usize;
    let b = rng.below(window);
    let lo = (pos + b).saturating_sub(window);
    let hi = (pos + window - b).min(sen.len() - 1);
    let (mut loss, mut pairs) = (0f64, 0u64);
    match cfg.arch {
        Architecture::SkipGram => {
            for c in lo..=hi {
                if c == pos {
                    continue;
                }
                let last = sen[c] as usize;
                tables.syn0.load_row(last, &mut ctx.h);
                let (l, n) = train_targets(sh, tables, word, alpha, measure, rng, ctx);
                loss += l;
                pairs += n;
                // Add dh to the row as it is now, not to the copy in h: with
                // Hogwild threads, writing back h + dh would undo whatever
                // another thread wrote to this row while the targets trained
                // (word2vec.c and gensim also add to the live row). With one
                // thread the row still equals h: the same bits.
                let dh = &ctx.dh;
                tables.syn0.update_row(last, |row| {
                    for (x, &g) in row.iter_mut().zip(dh) {
                        *x += g;
                    }
                });
            }
        }
        Architecture::Cbow => {
            // Copy each distinct context row once into `ctx.rows` (a word seen
            // m times in the window counts m times), so the sum runs on plain
            // slices and each row is updated once.
            let d = ctx.h.len();
            ctx.ids.clear();
            ctx.mult.clear();
            let mut cw = 0;
            for c in lo..=hi {
                if c == pos {
                    continue;
                }
                let id = sen[c] as usize;
                cw += 1;
                match ctx.ids.iter().position(|&x| x == id) {
                    Some(s) => ctx.mult[s] += 1.0,
                    None => {
                        let s = ctx.ids.len();
                        ctx.ids.push(id);
                        ctx.mult.push(1.0);
                        tables.syn0.load_row(id, &mut ctx.rows[s * d..(s + 1) * d]);
                    }
                }
            }
            if cw == 0 {
                return (0.0, 0);
            }
            ctx.h.iter_mut().for_each(|x| *x = 0.0);
            for (s, &m) in ctx.mult.iter().enumerate() {
                for (x, &r) in ctx.h.iter_mut().zip(&ctx.rows[s * d..(s + 1) * d]) {
                    *x += m * r;
                }
            }
            let inv = 1.0 / cw as f32;
            ctx.h.iter_mut().for_each(|x| *x *= inv);
            let (l, n) = train_targets(sh, tables, word, alpha, measure, rng, ctx);
            loss += l;
            pairs += n;
            // As word2vec.c and gensim (cbow_mean = 1): every context row gets
            // the whole of dh, once per occurrence (the exact gradient of the
            // mean would be dh / cw). It is added to the row as it is now, not
            // to the copy in `ctx.rows`, as in skip-gram above: with Hogwild
            // threads the copy may be stale, and with one thread it is not.
            let dh = &ctx.dh;
            for (&id, &m) in ctx.ids.iter().zip(&ctx.mult) {
                tables.syn0.update_row(id, |row| {
                    for (r, &g) in row.iter_mut().zip(dh) {
                        *r += m * g;
                    }
                });
            }
        }
    }
    (loss, pairs)
}

/// Hierarchical softmax and/or negative sampling for one input `h` and
/// target `word`: `ctx.dh` is set to −α·∂L/∂h summed over the targets.
#[inline(always)]
fn train_targets<S: RowStore>(
    sh: &Shared,
    tables: &mut Tables<S>,
    word: usize,
    alpha: f32,
    measure: bool,
    rng: &mut Rng,
    ctx: &mut Context,
) -> (f64, u64) {
    let Context { h, dh, targets, .. } = ctx;
    dh.iter_mut().for_each(|x| *x = 0.0);
    let (mut loss, mut pairs) = (0f64, 0u64);
    if let Some(tree) = &sh.tree {
        let mut touched = 0;
        for &node in &tree.points[word] {
            touched ^= tables.syn1.touch_row(node as usize);
        }
        std::hint::black_box(touched);
        for (&node, &code) in tree.points[word].iter().zip(&tree.codes[word]) {
            let node = node as usize;
            let y = 1.0 - code as f32;
            let f = tables.syn1.update_row(
                node,
                #[inline(always)]
                |u| pair_update(h, u, y, alpha, dh),
            ) as f64;
            if measure {
                loss += if code == 0 { softplus(-f) } else { softplus(f) };
                pairs += 1;
            }
        }
    }
    if let Some(table) = &sh.table {
        // The word (label 1), then the negatives (label 0); a draw equal to
        // the word is skipped.
        targets.clear();
        targets.push(word);
        for _ in 0..sh.cfg.negative {
            let t = table.sample(rng);
            if t != word {
                targets.push(t);
            }
        }
        let mut touched = 0;
        for &t in targets.iter() {
            touched ^= tables.syn1neg.touch_row(t);
        }
        std::hint::black_box(touched);
        for (k, &target) in targets.iter().enumerate() {
            let y = if k == 0 { 1.0 } else { 0.0 };
            let f = tables.syn1neg.update_row(
                target,
                #[inline(always)]
                |u| pair_update(h, u, y, alpha, dh),
            ) as f64;
            if measure {
                loss += if k == 0 { softplus(-f) } else { softplus(f) };
                pairs += 1;
            }
        }
    }
    (loss, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain and the shared row stores agree bit for bit through a run of
    /// loads, updates and stores, for even and odd widths (the odd one
    /// exercises the half-filled last cell) and widths past one cache line.
    #[test]
    fn shared_and_plain_row_stores_agree() {
        for cols in [1usize, 7, 16, 17, 35, 100] {
            let mut rng = Rng::new(cols as u64);
            let start = Matrix::<f32>::random_uniform(5, cols, -1.0, 1.0, &mut rng);
            let mut plain = start.clone();
            let shared = SharedMatrix::from_matrix(&start);
            assert_eq!(
                shared.to_matrix().as_slice(),
                start.as_slice(),
                "cols {cols}"
            );
            let mut a: &mut Matrix<f32> = &mut plain;
            let mut b = SharedRows::new(&shared);
            let (mut ha, mut hb) = (vec![0f32; cols], vec![0f32; cols]);
            let (mut da, mut db) = (vec![0f32; cols], vec![0f32; cols]);
            for step in 0..40 {
                let (r, u) = (rng.below(5), rng.below(5));
                a.load_row(r, &mut ha);
                b.load_row(r, &mut hb);
                assert_eq!(ha, hb, "cols {cols}, step {step}: load");
                let y = (step % 2) as f32;
                let fa = a.update_row(u, |row| pair_update(&ha, row, y, 0.1, &mut da));
                let fb = b.update_row(u, |row| pair_update(&hb, row, y, 0.1, &mut db));
                assert_eq!(fa.to_bits(), fb.to_bits(), "cols {cols}, step {step}: f");
                for k in 0..cols {
                    ha[k] += da[k];
                    hb[k] += db[k];
                }
                a.store_row(r, &ha);
                b.store_row(r, &hb);
            }
            assert_eq!(
                shared.to_matrix().as_slice(),
                plain.as_slice(),
                "cols {cols}"
            );
            assert_ne!(
                plain.as_slice(),
                start.as_slice(),
                "cols {cols}: nothing changed"
            );
        }
    }

    #[test]
    fn alias_table_follows_unigram_power() {
        let counts = [100u64, 30, 10, 1, 0];
        let t = UnigramTable::new(&counts, 0.75);
        let mut rng = Rng::new(3);
        let n = 400_000;
        let mut hits = [0usize; 5];
        for _ in 0..n {
            hits[t.sample(&mut rng)] += 1;
        }
        let w: Vec<f64> = counts.iter().map(|&c| (c as f64).powf(0.75)).collect();
        let tot: f64 = w.iter().sum();
        for i in 0..5 {
            let want = w[i] / tot;
            let got = hits[i] as f64 / n as f64;
            assert!((got - want).abs() < 0.005, "word {i}: {got} vs {want}");
        }
        assert_eq!(hits[4], 0, "a zero count is never drawn");
    }

    #[test]
    fn huffman_codes_are_prefix_free_and_frequent_words_short() {
        let counts = [50u64, 20, 10, 10, 5, 3, 1];
        let t = Huffman::new(&counts);
        for a in 0..counts.len() {
            assert_eq!(
                t.points[a][0] as usize,
                counts.len() - 2,
                "paths start at the root"
            );
            for b in 0..counts.len() {
                if a != b {
                    let (ca, cb) = (&t.codes[a], &t.codes[b]);
                    assert!(!cb.starts_with(ca), "code of {a} is a prefix of {b}'s");
                }
            }
        }
        assert!(t.codes[0].len() <= t.codes[6].len());
        // Kraft equality for a full binary tree: Σ 2^-len = 1.
        let kraft: f64 = t.codes.iter().map(|c| 0.5f64.powi(c.len() as i32)).sum();
        assert!((kraft - 1.0).abs() < 1e-12, "{kraft}");
    }
}
