//! Which micro-kernel path runs: chosen once per process from the CPU's
//! features (and, between the two AVX-512 tiles, its vendor), or forced with
//! `SEQMODELS_KERNEL=portable|avx2|avx512|avx512-wide`.

use std::sync::OnceLock;

/// A compiled variant of the GEMM body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// Plain Rust with no target features beyond the baseline (SSE2 on
    /// x86_64). Uses `a * b + c`, never `mul_add`. The only path elsewhere.
    Portable,
    /// Compiled with AVX2 and FMA enabled (256-bit vectors, fused multiply-add).
    Avx2,
    /// Compiled with AVX-512F enabled (512-bit vectors, fused multiply-add).
    /// f32 tiles of 9 × 48: the faster on an Intel Xeon.
    Avx512,
    /// As `Avx512`, with f32 tiles of 6 × 64 (f64 is the same): the faster
    /// on an AMD EPYC Zen 5, and the default on AMD CPUs (see `best`).
    Avx512Wide,
}

impl Kernel {
    /// Every path.
    pub const ALL: [Kernel; 4] = [
        Kernel::Portable,
        Kernel::Avx2,
        Kernel::Avx512,
        Kernel::Avx512Wide,
    ];

    /// The name used by `SEQMODELS_KERNEL` and in benchmark output.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Portable => "portable",
            Kernel::Avx2 => "avx2",
            Kernel::Avx512 => "avx512",
            Kernel::Avx512Wide => "avx512-wide",
        }
    }

    /// Parses a path name.
    pub fn parse(s: &str) -> Result<Kernel, String> {
        match s.trim() {
            "portable" => Ok(Kernel::Portable),
            "avx2" => Ok(Kernel::Avx2),
            "avx512" => Ok(Kernel::Avx512),
            "avx512-wide" => Ok(Kernel::Avx512Wide),
            other => Err(format!(
                "SEQMODELS_KERNEL={other:?}: expected portable, avx2, avx512 or avx512-wide"
            )),
        }
    }

    /// True if this CPU can run the path.
    pub fn supported(self) -> bool {
        match self {
            Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 | Kernel::Avx512Wide => {
                is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx2")
                    && is_x86_feature_detected!("fma")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The paths this CPU supports.
    pub fn supported_paths() -> Vec<Kernel> {
        Kernel::ALL.into_iter().filter(|k| k.supported()).collect()
    }

    /// The fastest path this CPU supports: AVX-512 if it has it (the wide
    /// tile on AMD CPUs), else AVX2, else the portable path.
    ///
    /// The two AVX-512 tiles were each measured on one machine, side by side
    /// with `bench gemm` and `bench rnn`: 9 × 48 was the faster on an Intel
    /// Xeon (7th session), 6 × 64 on an AMD EPYC Zen 5 (15th session; see
    /// the tile notes in `kernel.rs`). Which is faster depends on the core,
    /// not on a feature flag, so the vendor decides.
    pub fn best() -> Kernel {
        if Kernel::Avx512.supported() {
            if cpu_is_amd() {
                Kernel::Avx512Wide
            } else {
                Kernel::Avx512
            }
        } else if Kernel::Avx2.supported() {
            Kernel::Avx2
        } else {
            Kernel::Portable
        }
    }

    /// Reads `SEQMODELS_KERNEL`: `Ok(None)` if unset; an error if the name is
    /// unknown or the CPU cannot run that path.
    pub fn from_env() -> Result<Option<Kernel>, String> {
        match std::env::var("SEQMODELS_KERNEL") {
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(_) => Err("SEQMODELS_KERNEL is not valid UTF-8".to_string()),
            Ok(s) => {
                let k = Kernel::parse(&s)?;
                if k.supported() {
                    Ok(Some(k))
                } else {
                    Err(format!(
                        "SEQMODELS_KERNEL={}: this CPU does not support it (supported: {})",
                        k.name(),
                        Kernel::supported_paths()
                            .iter()
                            .map(|k| k.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
            }
        }
    }

    /// The path used by `gemm`: `SEQMODELS_KERNEL` if set and valid, else `best()`.
    /// Decided once per process. (The CLI checks the variable first and exits
    /// with an error if it is malformed; the library only warns.)
    pub fn active() -> Kernel {
        static ACTIVE: OnceLock<Kernel> = OnceLock::new();
        *ACTIVE.get_or_init(|| match Kernel::from_env() {
            Ok(Some(k)) => k,
            Ok(None) => Kernel::best(),
            Err(e) => {
                eprintln!("warning: {e}; using {}", Kernel::best().name());
                Kernel::best()
            }
        })
    }
}

/// True if CPUID names the vendor "AuthenticAMD".
pub(super) fn cpu_is_amd() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: CPUID leaf 0 exists on every x86_64 CPU and only reads
        // identification registers. (`__cpuid` is a safe function from Rust
        // 1.87 on; the `unsafe` block is for the crate's minimum, 1.85.)
        #[allow(unused_unsafe)]
        let r = unsafe { std::arch::x86_64::__cpuid(0) };
        let mut vendor = [0u8; 12];
        vendor[..4].copy_from_slice(&r.ebx.to_le_bytes());
        vendor[4..8].copy_from_slice(&r.edx.to_le_bytes());
        vendor[8..].copy_from_slice(&r.ecx.to_le_bytes());
        &vendor == b"AuthenticAMD"
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// The size in bytes of one core's L2 cache, as Linux reports it under
/// `/sys/devices/system/cpu/cpu0/cache` (the level-2 data or unified cache);
/// `None` where that cannot be read. Only a choice of how to split work
/// depends on it, never a value.
pub(super) fn l2_cache_bytes() -> Option<usize> {
    let dir = std::path::Path::new("/sys/devices/system/cpu/cpu0/cache");
    for index in 0..8 {
        let read = |name: &str| std::fs::read_to_string(dir.join(format!("index{index}/{name}")));
        let (Ok(level), Ok(kind), Ok(size)) = (read("level"), read("type"), read("size")) else {
            continue;
        };
        if level.trim() == "2" && matches!(kind.trim(), "Unified" | "Data") {
            return parse_cache_size(size.trim());
        }
    }
    None
}

/// "2048K" → 2 097 152; also "M", "G" or no suffix (bytes).
fn parse_cache_size(s: &str) -> Option<usize> {
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let n: usize = digits.parse().ok()?;
    let scale = match unit {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(scale)
}

#[cfg(test)]
mod tests {
    use super::parse_cache_size;

    #[test]
    fn cache_sizes_parse() {
        assert_eq!(parse_cache_size("2048K"), Some(2 << 20));
        assert_eq!(parse_cache_size("1M"), Some(1 << 20));
        assert_eq!(parse_cache_size("512"), Some(512));
        assert_eq!(parse_cache_size("48KB"), None);
        assert_eq!(parse_cache_size(""), None);
    }
}
