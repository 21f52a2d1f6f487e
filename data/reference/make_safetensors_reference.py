"""Writes data/reference/reference.safetensors with the reference implementation
of safetensors (the `safetensors` Python package, numpy backend), so that
tests/safetensors.rs can check that our reader agrees with it.

Every value follows a rule stated next to it, so the Rust test recomputes the
expected values instead of copying constants. All float values are exact in
their dtype (small integers and dyadic fractions), except `f64_thirds`, whose
rule i / 3 is evaluated in IEEE double on both sides (division is correctly
rounded, so Python and Rust get the same bits).

Run from the repository root:
    python3 data/reference/make_safetensors_reference.py
Needs: safetensors, numpy (the versions used are stored in the file's metadata).
"""

import os

import numpy as np
import safetensors
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.safetensors")

tensors = {
    # f32, shape [3, 4]: element (r, c) has flat index i = 4r + c, value i * 0.5 - 2.
    "f32_matrix": (np.arange(12, dtype=np.float32) * 0.5 - 2).reshape(3, 4),
    # f64, shape [5]: value i / 3.
    "f64_thirds": np.arange(5, dtype=np.float64) / 3,
    # f16, shape [2, 3, 4]: flat index i, value (i - 12) / 4.
    "f16_cube": ((np.arange(24, dtype=np.float16) - 12) / 4).reshape(2, 3, 4),
    # f64 scalar, shape []: value 3.5.
    "f64_scalar": np.array(3.5, dtype=np.float64),
    # f32, shape [2, 0]: no elements.
    "f32_empty": np.zeros((2, 0), dtype=np.float32),
    # i64, shape [6]: value 1000 i - 2500.
    "i64_ids": np.arange(6, dtype=np.int64) * 1000 - 2500,
    # i32, shape [2, 2]: value -(2^31) + i (the most negative int32 and its neighbours).
    "i32_small": (np.arange(4, dtype=np.int64) - 2**31).astype(np.int32).reshape(2, 2),
    # i16, shape [4]: value 300 i - 600.
    "i16_steps": np.arange(4, dtype=np.int16) * 300 - 600,
    # i8, shape [8]: value i - 4.
    "i8_range": np.arange(8, dtype=np.int8) - 4,
    # u8, shape [10]: value 25 i.
    "u8_bytes": np.arange(10, dtype=np.uint8) * 25,
    # bool, shape [7]: value (i mod 3 == 0).
    "bool_mask": np.arange(7) % 3 == 0,
}

metadata = {
    "format": "np",
    "generator": "data/reference/make_safetensors_reference.py",
    "safetensors_version": safetensors.__version__,
    "numpy_version": np.__version__,
    "note": "values follow the rules in the script; non-ASCII check: a⟨t⟩",
}

save_file(tensors, OUT, metadata=metadata)
print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes) with safetensors "
      f"{safetensors.__version__}, numpy {np.__version__}")
