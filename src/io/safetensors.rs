//! The safetensors file format: a strict reader and a writer.
//!
//! Where it sits: every trained model (the RNN, GRU and LSTM weights Waa, Wax,
//! Wya, the embedding matrix E) is saved as a checkpoint, and the PyTorch
//! fixtures that check our forward and backward passes are stored the same
//! way. safetensors (Hugging Face) is a plain format that PyTorch and numpy
//! read and write, so a checkpoint maps one to one onto a PyTorch
//! `state_dict`.
//!
//! # Layout
//! ```text
//! bytes 0..8          N, the header length, unsigned 64-bit little-endian
//! bytes 8..8+N        the header: UTF-8 JSON, an object (may end in spaces)
//! bytes 8+N..         the data buffer: every tensor's elements, little-endian,
//!                     row-major ("C" order)
//! ```
//! The header maps each tensor name to
//! `{"dtype": "F32", "shape": [3, 4], "data_offsets": [begin, end]}`, where
//! `begin..end` is the tensor's byte range *within the data buffer*. One
//! optional key, `"__metadata__"`, holds an object whose values are strings.
//!
//! # What the reader checks
//! A file is user input, so [`SafeTensors::from_bytes`] trusts nothing in it:
//! - N is at most [`MAX_HEADER_BYTES`] and fits in the file;
//! - the header is UTF-8, starts with `{` and is one JSON object; duplicate
//!   keys are rejected;
//! - each entry has exactly the keys `dtype`, `shape`, `data_offsets`; the dtype
//!   is one of [`Dtype`]; shape entries and offsets are non-negative integers
//!   (not `-1`, not `2.0`);
//! - elements × dtype size, computed left to right with checked arithmetic
//!   (an overflow is an error), equals `end − begin`, and
//!   `begin ≤ end ≤` the buffer length;
//! - the byte ranges do not overlap and together cover the whole buffer with
//!   no hole and nothing after the last tensor (the format requires it);
//! - every `__metadata__` value is a string.
//!
//! Every error message starts with the file (the `source` given to
//! `from_bytes`, or the path given to `read`) and says what was found and
//! what was expected.
//!
//! Memory: the reader keeps the file's bytes and an index of (name, dtype,
//! shape, byte range). Nothing is allocated from a size declared in the
//! header; sizes are only compared with the bytes actually present. So a
//! hostile header declaring shape `[2^40, 2^40]` costs nothing but an error.
//!
//! # What the writer produces
//! [`SafeTensorsWriter`] writes `__metadata__` first (when there is any), then
//! the tensors ordered by element size, largest first, and otherwise in the
//! order they were added. With the header padded with spaces to a multiple of
//! 8 bytes (as the reference implementation does), every tensor then starts at
//! a file offset that is a multiple of its element size. Python's
//! `safetensors.numpy.load_file` and `safetensors.torch.load_file` read the
//! output (see `tests/safetensors.rs`, test `python_reads_our_files`).

use std::path::Path;

use crate::io::atomic;
use crate::io::json::{self, Json};
use crate::linalg::{Matrix, Scalar};
use crate::{err, Error, Result};

/// The largest header accepted, in bytes (100 MB, the reference
/// implementation's limit). Real headers are a few kB to a few MB.
pub const MAX_HEADER_BYTES: u64 = 100_000_000;

/// An element type of a safetensors tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dtype {
    /// IEEE 754 binary64.
    F64,
    /// IEEE 754 binary32.
    F32,
    /// IEEE 754 binary16 (half precision).
    F16,
    /// bfloat16: the top 16 bits of a binary32.
    BF16,
    /// Signed 64-bit integer.
    I64,
    /// Signed 32-bit integer.
    I32,
    /// Signed 16-bit integer.
    I16,
    /// Signed 8-bit integer.
    I8,
    /// Unsigned 8-bit integer.
    U8,
    /// Boolean, one byte: 0 is false, 1 is true.
    Bool,
}

impl Dtype {
    /// Every dtype this reader knows, in the order of the enum.
    pub const ALL: [Dtype; 10] = [
        Dtype::F64,
        Dtype::F32,
        Dtype::F16,
        Dtype::BF16,
        Dtype::I64,
        Dtype::I32,
        Dtype::I16,
        Dtype::I8,
        Dtype::U8,
        Dtype::Bool,
    ];

    /// The name used in the header: `"F32"`, `"BF16"`, `"BOOL"`, …
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F64 => "F64",
            Dtype::F32 => "F32",
            Dtype::F16 => "F16",
            Dtype::BF16 => "BF16",
            Dtype::I64 => "I64",
            Dtype::I32 => "I32",
            Dtype::I16 => "I16",
            Dtype::I8 => "I8",
            Dtype::U8 => "U8",
            Dtype::Bool => "BOOL",
        }
    }

    /// Size of one element in bytes.
    pub fn size(self) -> usize {
        match self {
            Dtype::F64 | Dtype::I64 => 8,
            Dtype::F32 | Dtype::I32 => 4,
            Dtype::F16 | Dtype::BF16 | Dtype::I16 => 2,
            Dtype::I8 | Dtype::U8 | Dtype::Bool => 1,
        }
    }

    /// The dtype with this header name (exact, case-sensitive), if known.
    pub fn from_name(name: &str) -> Option<Dtype> {
        Dtype::ALL.iter().copied().find(|d| d.name() == name)
    }

    /// True for F64, F32, F16 and BF16.
    pub fn is_float(self) -> bool {
        matches!(self, Dtype::F64 | Dtype::F32 | Dtype::F16 | Dtype::BF16)
    }

    /// The dtype of a [`Scalar`]: F32 for `f32`, F64 for `f64`.
    pub fn of<T: Scalar>() -> Dtype {
        match T::DTYPE {
            "f32" => Dtype::F32,
            "f64" => Dtype::F64,
            other => unreachable!("Scalar with unknown DTYPE {other}"),
        }
    }

    /// Decodes one element (`bytes.len() == self.size()`) to f64, exactly for
    /// every dtype except I64 values beyond ±2^53.
    fn decode_f64(self, b: &[u8]) -> f64 {
        match self {
            Dtype::F64 => f64::read_le(b),
            Dtype::F32 => f32::read_le(b) as f64,
            Dtype::F16 => f16_to_f64(u16::from_le_bytes([b[0], b[1]])),
            Dtype::BF16 => bf16_to_f64(u16::from_le_bytes([b[0], b[1]])),
            _ => self.decode_i64(b) as f64,
        }
    }

    /// Decodes one element of an integer or boolean dtype.
    fn decode_i64(self, b: &[u8]) -> i64 {
        match self {
            Dtype::I64 => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            Dtype::I32 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            Dtype::I16 => i16::from_le_bytes([b[0], b[1]]) as i64,
            Dtype::I8 => b[0] as i8 as i64,
            Dtype::U8 | Dtype::Bool => b[0] as i64,
            _ => unreachable!("decode_i64 on a float dtype"),
        }
    }
}

/// IEEE binary16 bits → f64, exactly. Layout: 1 sign bit, 5 exponent bits
/// (bias 15), 10 mantissa bits. Exponent 0 is subnormal: m · 2⁻²⁴; exponent
/// 31 is ±∞ (m = 0) or NaN.
pub fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((bits >> 10) & 0x1f) as i32;
    let man = (bits & 0x3ff) as f64;
    let magnitude = match exp {
        0 => man * 2f64.powi(-24),
        31 if man == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (1.0 + man / 1024.0) * 2f64.powi(e - 15),
    };
    sign * magnitude
}

/// bfloat16 bits → f64, exactly: bfloat16 is the top half of a binary32.
pub fn bf16_to_f64(bits: u16) -> f64 {
    f32::from_bits((bits as u32) << 16) as f64
}

/// One tensor of a file: its name, dtype, shape and where its bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    /// The name (a key of the header).
    pub name: String,
    /// The element type.
    pub dtype: Dtype,
    /// The shape, outermost dimension first; `[]` is a scalar (one element).
    pub shape: Vec<usize>,
    /// `data_offsets[0]`: first byte, relative to the start of the data buffer.
    pub begin: usize,
    /// `data_offsets[1]`: one past the last byte, relative to the data buffer.
    pub end: usize,
}

impl TensorInfo {
    /// The number of elements: the product of the shape (1 for `[]`). The
    /// reader checked that this product, taken left to right, does not
    /// overflow and matches the byte range.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// A safetensors file held in memory: its bytes and a checked index of its
/// tensors. See the module docs for every check made.
#[derive(Clone, Debug)]
pub struct SafeTensors {
    source: String,
    bytes: Vec<u8>,
    /// Offset of the data buffer in `bytes` (8 + N).
    data_start: usize,
    /// Tensors in header order.
    tensors: Vec<TensorInfo>,
    /// `__metadata__` pairs in header order.
    metadata: Vec<(String, String)>,
}

/// Describes a JSON value for an error message: numbers and strings as
/// written, other values by kind.
fn describe(v: &Json) -> String {
    match v {
        Json::Null => "null".to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Num(_, text) => text.clone(),
        Json::Str(s) => format!("the string {s:?}"),
        Json::Arr(_) => "an array".to_string(),
        Json::Obj(_) => "an object".to_string(),
    }
}

/// A JSON value that must be a non-negative integer that fits in usize. The
/// error is the end of a sentence (`"-1, expected a non-negative integer"`);
/// the caller says what the value is, so nothing is formatted unless it fails.
fn non_negative(v: &Json) -> std::result::Result<usize, String> {
    match v.as_u64().and_then(|n| usize::try_from(n).ok()) {
        Some(n) => Ok(n),
        None => match v {
            Json::Num(_, text) if text.bytes().all(|b| b.is_ascii_digit()) => {
                Err(format!("{text}, too large for this machine"))
            }
            _ => Err(format!("{}, expected a non-negative integer", describe(v))),
        },
    }
}

/// `[a, b, c]` for messages.
fn list(xs: &[usize]) -> String {
    let parts: Vec<String> = xs.iter().map(|x| x.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// Reads one header entry `name: {"dtype", "shape", "data_offsets"}` and checks
/// it on its own: known dtype, integer shape and offsets, and
/// elements × size = end − begin ≤ buffer length.
fn parse_entry(name: &str, value: &Json, buffer_len: usize) -> Result<TensorInfo> {
    let fields = value.as_object().ok_or_else(|| {
        err!(
            "tensor {name:?}: entry is {}, expected an object with dtype, shape, data_offsets",
            describe(value)
        )
    })?;
    for (key, _) in fields {
        if !matches!(key.as_str(), "dtype" | "shape" | "data_offsets") {
            return Err(err!(
                "tensor {name:?}: unknown key {key:?} (expected only dtype, shape, data_offsets)"
            ));
        }
    }
    let field = |key: &str| {
        value
            .get(key)
            .ok_or_else(|| err!("tensor {name:?}: missing key {key:?}"))
    };

    let dtype_json = field("dtype")?;
    let dtype_name = dtype_json.as_str().ok_or_else(|| {
        err!(
            "tensor {name:?}: dtype is {}, expected a string",
            describe(dtype_json)
        )
    })?;
    let dtype = Dtype::from_name(dtype_name).ok_or_else(|| {
        let known: Vec<&str> = Dtype::ALL.iter().map(|d| d.name()).collect();
        err!(
            "tensor {name:?}: unknown dtype {dtype_name:?} (known: {})",
            known.join(", ")
        )
    })?;

    let shape_json = field("shape")?;
    let dims = shape_json.as_array().ok_or_else(|| {
        err!(
            "tensor {name:?}: shape is {}, expected an array of non-negative integers",
            describe(shape_json)
        )
    })?;
    let mut shape = Vec::with_capacity(dims.len()); // bounded by the header's size
    for (i, d) in dims.iter().enumerate() {
        shape.push(non_negative(d).map_err(|e| err!("tensor {name:?}: shape entry {i} is {e}"))?);
    }

    let offsets_json = field("data_offsets")?;
    let offsets = match offsets_json.as_array() {
        Some(o) if o.len() == 2 => o,
        _ => {
            return Err(err!(
                "tensor {name:?}: data_offsets is {}, expected an array [begin, end]",
                match offsets_json.as_array() {
                    Some(o) => format!("an array of {} entries", o.len()),
                    None => describe(offsets_json),
                }
            ))
        }
    };
    let begin = non_negative(&offsets[0])
        .map_err(|e| err!("tensor {name:?}: data_offsets begin is {e}"))?;
    let end =
        non_negative(&offsets[1]).map_err(|e| err!("tensor {name:?}: data_offsets end is {e}"))?;
    if begin > end {
        return Err(err!(
            "tensor {name:?}: data_offsets [{begin}, {end}] end before they begin"
        ));
    }
    if end > buffer_len {
        return Err(err!(
            "tensor {name:?}: data_offsets [{begin}, {end}] run past the data buffer, \
             which holds {buffer_len} bytes"
        ));
    }

    // Elements and bytes, multiplied left to right with checked arithmetic.
    // As in the reference implementation, an overflow is an error even if a
    // later dimension is 0: [2^40, 2^40, 0] is rejected, [0, 2^40, 2^40] is not.
    let too_big = || {
        err!(
            "tensor {name:?}: shape {} with dtype {} needs more bytes than fit in \
             a usize (data_offsets span {} bytes)",
            list(&shape),
            dtype.name(),
            end - begin
        )
    };
    let mut numel: usize = 1;
    for &d in &shape {
        numel = numel.checked_mul(d).ok_or_else(too_big)?;
    }
    let nbytes = numel.checked_mul(dtype.size()).ok_or_else(too_big)?;
    if nbytes != end - begin {
        return Err(err!(
            "tensor {name:?}: dtype {} and shape {} need {nbytes} bytes, \
             but data_offsets [{begin}, {end}] span {}",
            dtype.name(),
            list(&shape),
            end - begin
        ));
    }
    Ok(TensorInfo {
        name: name.to_string(),
        dtype,
        shape,
        begin,
        end,
    })
}

/// Checks that the byte ranges tile `0..buffer_len`: sorted by offset, each
/// starts where the previous one ended, and the last ends at the buffer's end.
fn check_tiling(tensors: &[TensorInfo], buffer_len: usize) -> Result<()> {
    let mut order: Vec<usize> = (0..tensors.len()).collect();
    order.sort_by_key(|&i| (tensors[i].begin, tensors[i].end));
    let mut covered = 0; // bytes 0..covered belong to some tensor
    let mut last: Option<&TensorInfo> = None;
    for &i in &order {
        let t = &tensors[i];
        if t.begin < covered {
            // `last` is set: covered > 0 only after some tensor.
            let p = last.expect("covered > 0 implies a previous tensor");
            return Err(err!(
                "tensor {:?}: data_offsets [{}, {}] overlap tensor {:?} at [{}, {}]",
                t.name,
                t.begin,
                t.end,
                p.name,
                p.begin,
                p.end
            ));
        }
        if t.begin > covered {
            return Err(err!(
                "bytes {covered}..{} of the data buffer belong to no tensor \
                 (a hole before tensor {:?}; the format allows none)",
                t.begin,
                t.name
            ));
        }
        covered = t.end;
        last = Some(t);
    }
    if covered != buffer_len {
        return Err(err!(
            "bytes {covered}..{buffer_len} at the end of the data buffer belong to no tensor \
             (the tensors cover {covered} of {buffer_len} bytes)"
        ));
    }
    Ok(())
}

impl SafeTensors {
    /// Parses and checks a whole safetensors file held in `bytes`. `source`
    /// names it in error messages (a path, or e.g. `"<memory>"`).
    pub fn from_bytes(bytes: Vec<u8>, source: &str) -> Result<SafeTensors> {
        Self::parse(bytes, source).map_err(|e| e.context(source))
    }

    /// Reads and checks the safetensors file at `path`. Errors start with the
    /// path.
    pub fn read(path: impl AsRef<Path>) -> Result<SafeTensors> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(bytes, &path.display().to_string())
    }

    fn parse(bytes: Vec<u8>, source: &str) -> Result<SafeTensors> {
        let len = bytes.len();
        if len < 8 {
            return Err(err!(
                "file is {len} bytes, too short for the 8-byte header length"
            ));
        }
        let mut n8 = [0u8; 8];
        n8.copy_from_slice(&bytes[..8]);
        let n = u64::from_le_bytes(n8);
        if n > MAX_HEADER_BYTES {
            return Err(err!(
                "header length {n} bytes (bytes 0..8) exceeds the limit of {MAX_HEADER_BYTES} bytes"
            ));
        }
        // n ≤ 10^8, so it fits in usize on every platform Rust supports.
        let n = n as usize;
        if n > len - 8 {
            return Err(err!(
                "header length {n} bytes (bytes 0..8) runs past the end of the file: \
                 the file is {len} bytes, so at most {} are left after the length",
                len - 8
            ));
        }
        if n == 0 {
            return Err(err!(
                "header length is 0, expected a JSON object of at least 2 bytes"
            ));
        }
        let data_start = 8 + n;
        let header = std::str::from_utf8(&bytes[8..data_start]).map_err(|e| {
            err!(
                "header is not valid UTF-8 (at byte {} of the file)",
                8 + e.valid_up_to()
            )
        })?;
        if !header.starts_with('{') {
            return Err(err!(
                "header must start with '{{' (a JSON object), found byte 0x{:02x} at byte 8",
                header.as_bytes()[0]
            ));
        }
        let root = Json::parse(header)
            .map_err(|e| err!("header: {} (byte {} of the file)", e.message, 8 + e.offset))?;
        let entries = root
            .as_object()
            .ok_or_else(|| err!("header is not a JSON object"))?;

        let buffer_len = len - data_start;
        let mut tensors = Vec::new();
        let mut metadata = Vec::new();
        for (key, value) in entries {
            if key == "__metadata__" {
                let pairs = value.as_object().ok_or_else(|| {
                    err!(
                        "__metadata__ is {}, expected an object of strings",
                        describe(value)
                    )
                })?;
                for (k, v) in pairs {
                    let s = v.as_str().ok_or_else(|| {
                        err!(
                            "__metadata__ value of {k:?} is {}, expected a string",
                            describe(v)
                        )
                    })?;
                    metadata.push((k.clone(), s.to_string()));
                }
            } else {
                tensors.push(parse_entry(key, value, buffer_len)?);
            }
        }
        // The JSON parser already rejects duplicate keys; names are unique.
        check_tiling(&tensors, buffer_len)?;
        Ok(SafeTensors {
            source: source.to_string(),
            bytes,
            data_start,
            tensors,
            metadata,
        })
    }

    /// The name given to `from_bytes` (or the path given to `read`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The `__metadata__` pairs, in file order (empty if there were none).
    pub fn metadata(&self) -> &[(String, String)] {
        &self.metadata
    }

    /// The `__metadata__` value of `key`, if present.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Tensor names in header order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tensors.iter().map(|t| t.name.as_str())
    }

    /// Every tensor's info, in header order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// The info of tensor `name` (linear search), if present.
    pub fn info(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// Length of the data buffer in bytes (the file minus 8 + N).
    pub fn data_len(&self) -> usize {
        self.bytes.len() - self.data_start
    }

    /// The info of `name`, or an error naming the file and listing what it holds.
    fn require(&self, name: &str) -> Result<&TensorInfo> {
        self.info(name).ok_or_else(|| {
            let mut have: Vec<&str> = self.names().take(8).collect();
            if self.tensors.len() > 8 {
                have.push("…");
            }
            err!(
                "{}: no tensor named {name:?} (the file has {}: {})",
                self.source,
                self.tensors.len(),
                have.join(", ")
            )
        })
    }

    /// The raw little-endian bytes of tensor `name`.
    pub fn data(&self, name: &str) -> Result<&[u8]> {
        let t = self.require(name)?;
        Ok(&self.bytes[self.data_start + t.begin..self.data_start + t.end])
    }

    /// The elements of a float tensor (F64, F32, F16 or BF16), converted to
    /// f64 exactly, in row-major order.
    pub fn to_f64_vec(&self, name: &str) -> Result<Vec<f64>> {
        let t = self.require(name)?;
        if !t.dtype.is_float() {
            return Err(err!(
                "{}: tensor {name:?} has dtype {}, expected a float dtype (F64, F32, F16, BF16)",
                self.source,
                t.dtype.name()
            ));
        }
        let d = t.dtype;
        // The byte range was checked, so this allocation matches bytes present.
        Ok(self
            .data(name)?
            .chunks_exact(d.size())
            .map(|b| d.decode_f64(b))
            .collect())
    }

    /// The elements of an integer or boolean tensor (I64, I32, I16, I8, U8,
    /// BOOL) as i64, in row-major order (token ids, labels, masks).
    pub fn to_i64_vec(&self, name: &str) -> Result<Vec<i64>> {
        let t = self.require(name)?;
        if t.dtype.is_float() {
            return Err(err!(
                "{}: tensor {name:?} has dtype {}, expected an integer or BOOL dtype",
                self.source,
                t.dtype.name()
            ));
        }
        let d = t.dtype;
        Ok(self
            .data(name)?
            .chunks_exact(d.size())
            .map(|b| d.decode_i64(b))
            .collect())
    }

    /// Tensor `name` as a `(rows, cols)` matrix of `T`.
    ///
    /// The dtype must be a float; F32, F16 and BF16 convert exactly to either
    /// type, F64 rounds to nearest when `T` is f32. A 2-D tensor must have
    /// shape exactly `[rows, cols]` (a transposed weight is an error, not a
    /// silent reshape); a tensor of any other rank is accepted when it has
    /// `rows · cols` elements (a bias of shape `[n]` read as `(1, n)`).
    pub fn matrix<T: Scalar>(&self, name: &str, rows: usize, cols: usize) -> Result<Matrix<T>> {
        let t = self.require(name)?;
        let expected = rows.checked_mul(cols);
        let fits = if t.shape.len() == 2 {
            t.shape == [rows, cols]
        } else {
            expected == Some(t.numel())
        };
        if !fits {
            return Err(err!(
                "{}: tensor {name:?} has shape {} ({} elements), expected a ({rows}, {cols}) matrix",
                self.source,
                list(&t.shape),
                t.numel()
            ));
        }
        let v = self.to_f64_vec(name)?;
        Ok(Matrix::from_vec(
            rows,
            cols,
            v.into_iter().map(T::from_f64).collect(),
        ))
    }

    /// Tensor `name` as a vector of `len` elements of `T` (any shape with
    /// `len` elements; float dtypes only, converted as in [`Self::matrix`]).
    pub fn vector<T: Scalar>(&self, name: &str, len: usize) -> Result<Vec<T>> {
        let t = self.require(name)?;
        if t.numel() != len {
            return Err(err!(
                "{}: tensor {name:?} has shape {} ({} elements), expected {len} elements",
                self.source,
                list(&t.shape),
                t.numel()
            ));
        }
        Ok(self
            .to_f64_vec(name)?
            .into_iter()
            .map(T::from_f64)
            .collect())
    }
}

/// One tensor waiting to be written.
#[derive(Clone, Debug)]
struct Pending {
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

/// Builds a safetensors file: add metadata and tensors, then `to_bytes` or
/// `write_atomic`.
///
/// ```
/// use seqmodels::io::safetensors::{SafeTensors, SafeTensorsWriter};
/// let mut w = SafeTensorsWriter::new();
/// w.metadata("model", "lstm")
///     .tensor::<f32>("weight_hh", &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// let st = SafeTensors::from_bytes(w.to_bytes(), "<memory>").unwrap();
/// assert_eq!(st.meta("model"), Some("lstm"));
/// assert_eq!(st.to_f64_vec("weight_hh").unwrap()[5], 6.0);
/// ```
///
/// Adding a tensor whose data does not match its shape, or a name used twice,
/// is a programming error and panics.
#[derive(Clone, Debug, Default)]
pub struct SafeTensorsWriter {
    metadata: Vec<(String, String)>,
    tensors: Vec<Pending>,
}

impl SafeTensorsWriter {
    /// An empty file: no metadata, no tensors.
    pub fn new() -> SafeTensorsWriter {
        SafeTensorsWriter::default()
    }

    /// Adds a `__metadata__` entry.
    ///
    /// # Panics
    /// If `key` was already added.
    pub fn metadata(&mut self, key: &str, value: &str) -> &mut Self {
        assert!(
            !self.metadata.iter().any(|(k, _)| k == key),
            "safetensors writer: metadata key {key:?} added twice"
        );
        self.metadata.push((key.to_string(), value.to_string()));
        self
    }

    /// Adds a tensor of `f32` or `f64` values (dtype F32 or F64), row-major.
    ///
    /// # Panics
    /// If `data.len()` is not the product of `shape`, or `name` is taken.
    pub fn tensor<T: Scalar>(&mut self, name: &str, shape: &[usize], data: &[T]) -> &mut Self {
        let mut bytes = vec![0u8; data.len() * T::BYTES];
        for (x, out) in data.iter().zip(bytes.chunks_exact_mut(T::BYTES)) {
            x.write_le(out);
        }
        self.tensor_bytes(name, Dtype::of::<T>(), shape, bytes)
    }

    /// Adds a matrix `m: (R, C)` as a tensor of shape `[R, C]`.
    pub fn matrix<T: Scalar>(&mut self, name: &str, m: &Matrix<T>) -> &mut Self {
        self.tensor(name, &[m.rows(), m.cols()], m.as_slice())
    }

    /// Adds a tensor of any dtype from its raw little-endian bytes.
    ///
    /// # Panics
    /// If `bytes.len()` is not `dtype.size()` times the product of `shape`,
    /// or `name` is taken or is `"__metadata__"`.
    pub fn tensor_bytes(
        &mut self,
        name: &str,
        dtype: Dtype,
        shape: &[usize],
        bytes: Vec<u8>,
    ) -> &mut Self {
        let numel = shape
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(d))
            .expect("safetensors writer: shape overflows usize");
        assert_eq!(
            Some(bytes.len()),
            numel.checked_mul(dtype.size()),
            "safetensors writer: tensor {name:?} of shape {shape:?} needs {numel} elements \
             of {} bytes, got {} bytes",
            dtype.size(),
            bytes.len()
        );
        assert!(
            name != "__metadata__" && !self.tensors.iter().any(|t| t.name == name),
            "safetensors writer: tensor name {name:?} is taken"
        );
        self.tensors.push(Pending {
            name: name.to_string(),
            dtype,
            shape: shape.to_vec(),
            bytes,
        });
        self
    }

    /// The complete file.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Largest elements first (stable, so otherwise in insertion order):
        // every tensor then starts at a multiple of its element size.
        let mut order: Vec<&Pending> = self.tensors.iter().collect();
        order.sort_by_key(|t| std::cmp::Reverse(t.dtype.size()));

        let mut header = String::from("{");
        let mut first = true;
        if !self.metadata.is_empty() {
            header.push_str("\"__metadata__\":{");
            for (i, (k, v)) in self.metadata.iter().enumerate() {
                if i > 0 {
                    header.push(',');
                }
                json::write_str(k, &mut header);
                header.push(':');
                json::write_str(v, &mut header);
            }
            header.push('}');
            first = false;
        }
        let mut offset = 0;
        for t in &order {
            if !first {
                header.push(',');
            }
            first = false;
            json::write_str(&t.name, &mut header);
            let end = offset + t.bytes.len();
            header.push_str(&format!(
                ":{{\"dtype\":\"{}\",\"shape\":{},\"data_offsets\":[{offset},{end}]}}",
                t.dtype.name(),
                list(&t.shape).replace(' ', "")
            ));
            offset = end;
        }
        header.push('}');
        // Pad with spaces so the data buffer starts at a multiple of 8.
        while header.len() % 8 != 0 {
            header.push(' ');
        }

        let mut out = Vec::with_capacity(8 + header.len() + offset);
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        for t in &order {
            out.extend_from_slice(&t.bytes);
        }
        out
    }

    /// Writes the file to `path` atomically (see [`atomic::write_atomic`]):
    /// an interrupted save leaves any old file at `path` intact.
    pub fn write_atomic(&self, path: impl AsRef<Path>) -> Result<()> {
        atomic::write_atomic(path, &self.to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_decoding_follows_the_ieee_layout() {
        // Values by the definition in f16_to_f64's doc comment.
        assert_eq!(f16_to_f64(0x3c00), 1.0); // exponent 15, mantissa 0
        assert_eq!(f16_to_f64(0xc000), -2.0); // sign, exponent 16
        assert_eq!(f16_to_f64(0x3555), (1.0 + 341.0 / 1024.0) / 4.0);
        assert_eq!(f16_to_f64(0x0001), 2f64.powi(-24)); // smallest subnormal
        assert_eq!(f16_to_f64(0x7bff), 65504.0); // largest finite: (2 − 2⁻¹⁰)·2¹⁵
        assert_eq!(f16_to_f64(0x7c00), f64::INFINITY);
        assert!(f16_to_f64(0x7e00).is_nan());
        assert_eq!(f16_to_f64(0x8000).to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn bf16_is_the_top_half_of_f32() {
        // Values whose f32 bits have a zero low half are exact in bfloat16.
        for x in [1.0f32, -2.5, 3.140625, 2f32.powi(-100), -0.0] {
            assert_eq!(x.to_bits() & 0xffff, 0, "{x}");
            let back = bf16_to_f64((x.to_bits() >> 16) as u16);
            assert_eq!(back.to_bits(), (x as f64).to_bits(), "{x}");
        }
        assert_eq!(bf16_to_f64(0x3f80), 1.0);
        assert_eq!(bf16_to_f64(0xc020), -2.5);
    }

    #[test]
    fn dtype_names_round_trip() {
        for d in Dtype::ALL {
            assert_eq!(Dtype::from_name(d.name()), Some(d));
        }
        assert_eq!(Dtype::from_name("f32"), None);
        assert_eq!(Dtype::of::<f32>(), Dtype::F32);
        assert_eq!(Dtype::of::<f64>().size(), 8);
    }

    #[test]
    fn writer_pads_header_to_eight_bytes() {
        let mut w = SafeTensorsWriter::new();
        w.tensor::<f32>("a", &[3], &[1.0, 2.0, 3.0]);
        let b = w.to_bytes();
        let n = u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
        assert_eq!(n % 8, 0);
        assert_eq!(b.len(), 8 + n + 12);
    }
}
