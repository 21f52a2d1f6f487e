//! Which micro-kernel path runs: chosen once per process from the CPU's
//! features, or forced with `SEQMODELS_KERNEL=portable|avx2|avx512`.

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
    Avx512,
}

impl Kernel {
    /// Every path, in order of preference (worst first).
    pub const ALL: [Kernel; 3] = [Kernel::Portable, Kernel::Avx2, Kernel::Avx512];

    /// The name used by `SEQMODELS_KERNEL` and in benchmark output.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Portable => "portable",
            Kernel::Avx2 => "avx2",
            Kernel::Avx512 => "avx512",
        }
    }

    /// Parses a path name.
    pub fn parse(s: &str) -> Result<Kernel, String> {
        match s.trim() {
            "portable" => Ok(Kernel::Portable),
            "avx2" => Ok(Kernel::Avx2),
            "avx512" => Ok(Kernel::Avx512),
            other => Err(format!(
                "SEQMODELS_KERNEL={other:?}: expected portable, avx2 or avx512"
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
            Kernel::Avx512 => {
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

    /// The fastest path this CPU supports.
    pub fn best() -> Kernel {
        *Kernel::supported_paths()
            .last()
            .unwrap_or(&Kernel::Portable)
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
