//! Running element-wise loops with the widest vectors the CPU has.
//!
//! The fused gate passes of the cells are plain loops. Compiled for the
//! x86_64 baseline they use 128-bit vectors; `vectorized` compiles the same
//! closure body inside a function with AVX-512 or AVX2 enabled (chosen like
//! the GEMM path, `Kernel::active`), so LLVM can use 512- or 256-bit vectors.
//! The arithmetic is the same on every path (a `mul_add` in a closure is one
//! exactly rounded operation on each of them: an FMA instruction here, the C
//! library's `fma` in the plain build), so the results are bit-identical
//! whichever runs.

use super::Kernel;

/// Runs `f` compiled for the active kernel path's target features.
#[inline(always)]
pub fn vectorized<F: FnOnce()>(f: F) {
    match Kernel::active() {
        // SAFETY: `Kernel::Avx512` is only ever active after
        // `Kernel::supported` has confirmed avx512f, avx2 and fma.
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 | Kernel::Avx512Wide => unsafe { run_avx512(f) },
        // SAFETY: `Kernel::Avx2` is only active after avx2 and fma are detected.
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2 => unsafe { run_avx2(f) },
        _ => f(),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
fn run_avx512<F: FnOnce()>(f: F) {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<F: FnOnce()>(f: F) {
    f()
}
