//! The safetensors reader and writer: round trips, every rejection rule, the
//! file written by the reference implementation
//! (`data/reference/make_safetensors_reference.py`), and atomic saves that
//! survive an interrupted write.
//!
//! `cargo test` never needs Python; the one test that runs it
//! (`python_reads_our_files`) is `#[ignore]`d.

use std::path::{Path, PathBuf};

use seqmodels::err;
use seqmodels::io::atomic::{write_atomic, write_atomic_with};
use seqmodels::io::safetensors::{Dtype, SafeTensors, SafeTensorsWriter, MAX_HEADER_BYTES};
use seqmodels::Matrix;

/// A fresh, empty directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("seqmodels-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn dir_entries(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A file from a header text and a data buffer, with the correct length prefix.
fn file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut b = (header.len() as u64).to_le_bytes().to_vec();
    b.extend_from_slice(header.as_bytes());
    b.extend_from_slice(data);
    b
}

#[test]
fn round_trip_f32_f64_metadata_empty_and_scalar() {
    let f32s: Vec<f32> = (0..6).map(|i| i as f32 * 0.25 - 1.0).collect();
    let f64s: Vec<f64> = (0..4).map(|i| (i as f64 + 1.0).ln()).collect(); // not exact in f32
    let mut w = SafeTensorsWriter::new();
    w.metadata("model", "lstm")
        .metadata("quote\"and\\slash", "line\nbreak, tab\t, a⟨t⟩ Γu")
        .tensor::<f32>("rnn.weight_hh", &[2, 3], &f32s)
        .tensor::<f64>("embedding.E", &[4], &f64s)
        .tensor::<f32>("empty", &[0, 5], &[])
        .tensor::<f64>("scalar", &[], &[42.5])
        .tensor::<f32>("empty_1d", &[0], &[]);
    let st = SafeTensors::from_bytes(w.to_bytes(), "<memory>").unwrap();

    assert_eq!(st.meta("model"), Some("lstm"));
    assert_eq!(
        st.meta("quote\"and\\slash"),
        Some("line\nbreak, tab\t, a⟨t⟩ Γu")
    );
    assert_eq!(st.metadata().len(), 2);
    assert_eq!(st.meta("absent"), None);

    let w_hh = st.info("rnn.weight_hh").unwrap();
    assert_eq!((w_hh.dtype, w_hh.shape.clone()), (Dtype::F32, vec![2, 3]));
    let back: Vec<f32> = st.vector("rnn.weight_hh", 6).unwrap();
    assert_eq!(back, f32s);
    // f64 comes back bit for bit.
    let e = st.to_f64_vec("embedding.E").unwrap();
    assert_eq!(
        e.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        f64s.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    assert_eq!(st.info("embedding.E").unwrap().dtype, Dtype::F64);

    let empty = st.info("empty").unwrap();
    assert_eq!((empty.shape.clone(), empty.numel()), (vec![0, 5], 0));
    assert_eq!(empty.begin, empty.end);
    assert!(st.to_f64_vec("empty").unwrap().is_empty());
    assert!(st.to_f64_vec("empty_1d").unwrap().is_empty());

    let scalar = st.info("scalar").unwrap();
    assert_eq!((scalar.shape.len(), scalar.numel()), (0, 1));
    assert_eq!(st.to_f64_vec("scalar").unwrap(), vec![42.5]);

    // All five tensors, in an order that keeps 8-byte elements first.
    let names: Vec<&str> = st.names().collect();
    assert_eq!(
        names,
        [
            "embedding.E",
            "scalar",
            "rnn.weight_hh",
            "empty",
            "empty_1d"
        ]
    );
    assert_eq!(st.data_len(), 4 * 8 + 8 + 6 * 4);
}

#[test]
fn every_tensor_is_aligned_to_its_element_size() {
    let mut w = SafeTensorsWriter::new();
    w.tensor_bytes("u8", Dtype::U8, &[3], vec![1, 2, 3])
        .tensor::<f32>("f32", &[3], &[1.0, 2.0, 3.0])
        .tensor_bytes("i16", Dtype::I16, &[1], vec![0, 1])
        .tensor::<f64>("f64", &[1], &[1.0]);
    let bytes = w.to_bytes();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let st = SafeTensors::from_bytes(bytes, "<memory>").unwrap();
    for t in st.tensors() {
        assert_eq!((8 + n + t.begin) % t.dtype.size(), 0, "{}", t.name);
    }
}

#[test]
fn matrix_reads_checks_shape_and_converts() {
    let m = Matrix::<f64>::from_fn(3, 2, |i, j| (i * 2 + j) as f64 / 3.0);
    let mut w = SafeTensorsWriter::new();
    w.matrix("w", &m)
        .tensor::<f32>("bias", &[2], &[0.5, -0.5])
        .tensor_bytes(
            "ids",
            Dtype::I64,
            &[2],
            [7i64, -9].iter().flat_map(|x| x.to_le_bytes()).collect(),
        );
    let st = SafeTensors::from_bytes(w.to_bytes(), "ckpt.safetensors").unwrap();

    let back: Matrix<f64> = st.matrix("w", 3, 2).unwrap();
    assert_eq!(back.as_slice(), m.as_slice());
    // f64 → f32 rounds to nearest, as a cast does.
    let as32: Matrix<f32> = st.matrix("w", 3, 2).unwrap();
    assert_eq!(as32.as_slice(), m.cast::<f32>().as_slice());
    // A 1-D bias reads as a row.
    let b: Matrix<f32> = st.matrix("bias", 1, 2).unwrap();
    assert_eq!(b.as_slice(), &[0.5, -0.5]);
    assert_eq!(st.to_i64_vec("ids").unwrap(), vec![7, -9]);

    let cases: Vec<(seqmodels::Error, &str)> = vec![
        (st.matrix::<f64>("w", 2, 3).unwrap_err(), "has shape [3, 2]"), // transposed
        (
            st.matrix::<f64>("w", 6, 1).unwrap_err(),
            "expected a (6, 1) matrix",
        ),
        (
            st.matrix::<f64>("bias", 1, 3).unwrap_err(),
            "expected a (1, 3) matrix",
        ),
        (
            st.matrix::<f64>("w", usize::MAX, 2).unwrap_err(),
            "expected a",
        ),
        (
            st.matrix::<f32>("ids", 1, 2).unwrap_err(),
            "has dtype I64, expected a float",
        ),
        (
            st.to_i64_vec("w").unwrap_err(),
            "has dtype F64, expected an integer",
        ),
        (
            st.vector::<f32>("bias", 3).unwrap_err(),
            "expected 3 elements",
        ),
        (
            st.matrix::<f32>("nope", 1, 1).unwrap_err(),
            "no tensor named \"nope\"",
        ),
        (st.data("nope").unwrap_err(), "the file has 3: w, ids, bias"),
    ];
    for (e, want) in cases {
        let msg = e.to_string();
        assert!(msg.starts_with("ckpt.safetensors: "), "{msg}");
        assert!(msg.contains(want), "{msg:?} should contain {want:?}");
    }
}

#[test]
fn integer_and_bool_dtypes_decode() {
    // Byte patterns built from each type's to_le_bytes.
    let mut w = SafeTensorsWriter::new();
    w.tensor_bytes(
        "i32",
        Dtype::I32,
        &[2],
        [-5i32, i32::MAX]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect(),
    )
    .tensor_bytes(
        "i16",
        Dtype::I16,
        &[2],
        [-300i16, 300]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect(),
    )
    .tensor_bytes("i8", Dtype::I8, &[2], vec![(-128i8) as u8, 127])
    .tensor_bytes("u8", Dtype::U8, &[2], vec![0, 255])
    .tensor_bytes("bool", Dtype::Bool, &[3], vec![1, 0, 1])
    .tensor_bytes("f16", Dtype::F16, &[2], vec![0x00, 0x3c, 0x00, 0xc0]) // 1.0, −2.0
    .tensor_bytes("bf16", Dtype::BF16, &[1], vec![0x20, 0xc0]); // −2.5
    let st = SafeTensors::from_bytes(w.to_bytes(), "<memory>").unwrap();
    assert_eq!(st.to_i64_vec("i32").unwrap(), vec![-5, i32::MAX as i64]);
    assert_eq!(st.to_i64_vec("i16").unwrap(), vec![-300, 300]);
    assert_eq!(st.to_i64_vec("i8").unwrap(), vec![-128, 127]);
    assert_eq!(st.to_i64_vec("u8").unwrap(), vec![0, 255]);
    assert_eq!(st.to_i64_vec("bool").unwrap(), vec![1, 0, 1]);
    assert_eq!(st.to_f64_vec("f16").unwrap(), vec![1.0, -2.0]);
    assert_eq!(st.to_f64_vec("bf16").unwrap(), vec![-2.5]);
}

#[test]
fn empty_file_with_only_metadata_or_nothing() {
    let st = SafeTensors::from_bytes(SafeTensorsWriter::new().to_bytes(), "x").unwrap();
    assert_eq!((st.tensors().len(), st.data_len()), (0, 0));
    let mut w = SafeTensorsWriter::new();
    w.metadata("k", "v");
    let st = SafeTensors::from_bytes(w.to_bytes(), "x").unwrap();
    assert_eq!(st.meta("k"), Some("v"));
    // Header padding may be any JSON white space, and a header need not be padded.
    let st = SafeTensors::from_bytes(file("{}", &[]), "x").unwrap();
    assert_eq!(st.tensors().len(), 0);
    assert!(SafeTensors::from_bytes(file("{} \n\t", &[]), "x").is_ok());
}

/// Each rejection rule of the module docs, with the phrase its error must contain.
#[test]
fn every_rejection_rule_names_the_problem() {
    let f = |dtype: &str, shape: &str, offsets: &str| {
        format!(r#"{{"t":{{"dtype":{dtype},"shape":{shape},"data_offsets":{offsets}}}}}"#)
    };
    let mut huge_n = file("{}", &[]);
    huge_n[..8].copy_from_slice(&(MAX_HEADER_BYTES + 1).to_le_bytes());
    let mut long_n = file("{}", &[0; 40]);
    long_n[..8].copy_from_slice(&1000u64.to_le_bytes());
    let mut zero_n = file("{}", &[]);
    zero_n[..8].copy_from_slice(&0u64.to_le_bytes());
    let mut bad_utf8 = file("{\"?\":1}", &[]); // byte 10 is the ?
    bad_utf8[10] = 0xff;

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("short file", vec![1, 2, 3], "3 bytes, too short"),
        ("header over the cap", huge_n, "exceeds the limit of 100000000"),
        ("header past the end", long_n, "header length 1000 bytes (bytes 0..8) runs past the end of the file: the file is 50 bytes"),
        ("header length 0", zero_n, "header length is 0"),
        ("u64::MAX header", u64::MAX.to_le_bytes().to_vec(), "exceeds the limit"),
        ("non-UTF-8 header", bad_utf8, "not valid UTF-8 (at byte 10"),
        ("array header", file("[1, 2]  ", &[]), "must start with '{'"),
        ("leading space", file(" {}", &[]), "found byte 0x20 at byte 8"),
        ("truncated JSON", file("{\"t\":", &[]), "header: unexpected end of input (byte 13"),
        ("garbage after JSON", file("{} x", &[]), "trailing characters"),
        ("NUL padding", file("{}\0\0", &[]), "trailing characters"),
        ("unknown dtype", file(&f("\"F8_E4M3\"", "[1]", "[0,1]"), &[0]), "tensor \"t\": unknown dtype \"F8_E4M3\""),
        ("lower-case dtype", file(&f("\"f32\"", "[1]", "[0,4]"), &[0; 4]), "unknown dtype \"f32\""),
        ("dtype not a string", file(&f("4", "[1]", "[0,4]"), &[0; 4]), "dtype is 4, expected a string"),
        ("negative dim", file(&f("\"F32\"", "[-1]", "[0,4]"), &[0; 4]), "shape entry 0 is -1, expected a non-negative integer"),
        ("float dim", file(&f("\"F32\"", "[1, 2.0]", "[0,8]"), &[0; 8]), "shape entry 1 is 2.0"),
        ("exponent dim", file(&f("\"F32\"", "[1e0]", "[0,4]"), &[0; 4]), "shape entry 0 is 1e0"),
        ("string dim", file(&f("\"F32\"", "[\"1\"]", "[0,4]"), &[0; 4]), "shape entry 0 is the string \"1\""),
        ("dim beyond u64", file(&f("\"F32\"", "[18446744073709551616]", "[0,4]"), &[0; 4]), "shape entry 0 is 18446744073709551616, too large"),
        ("shape not array", file(&f("\"F32\"", "3", "[0,4]"), &[0; 4]), "shape is 3, expected an array"),
        ("offsets of one entry", file(&f("\"F32\"", "[1]", "[4]"), &[0; 4]), "data_offsets is an array of 1 entries"),
        ("offsets not array", file(&f("\"F32\"", "[1]", "null"), &[0; 4]), "data_offsets is null"),
        ("negative offset", file(&f("\"F32\"", "[1]", "[-4,0]"), &[0; 4]), "data_offsets begin is -4"),
        ("float offset", file(&f("\"F32\"", "[1]", "[0,4.0]"), &[0; 4]), "data_offsets end is 4.0"),
        ("begin after end", file(&f("\"F32\"", "[0]", "[4,0]"), &[0; 4]), "data_offsets [4, 0] end before they begin"),
        ("end past buffer", file(&f("\"F32\"", "[2]", "[0,8]"), &[0; 4]), "data_offsets [0, 8] run past the data buffer, which holds 4 bytes"),
        ("size mismatch", file(&f("\"F32\"", "[2,2]", "[0,12]"), &[0; 12]), "dtype F32 and shape [2, 2] need 16 bytes, but data_offsets [0, 12] span 12"),
        ("huge shape", file(&f("\"F32\"", "[1099511627776,1099511627776]", "[0,4]"), &[0; 4]), "shape [1099511627776, 1099511627776] with dtype F32 needs more bytes than fit"),
        ("huge shape × size", file(&f("\"F64\"", "[4611686018427387904]", "[0,8]"), &[0; 8]), "needs more bytes than fit"),
        ("overlap", file(r#"{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[8],"data_offsets":[4,12]}}"#, &[0; 12]), "tensor \"b\": data_offsets [4, 12] overlap tensor \"a\" at [0, 8]"),
        ("aliasing", file(r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#, &[0; 4]), "overlap"),
        ("hole", file(r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[8,12]}}"#, &[0; 12]), "bytes 4..8 of the data buffer belong to no tensor (a hole before tensor \"b\""),
        ("hole at start", file(&f("\"U8\"", "[4]", "[4,8]"), &[0; 8]), "bytes 0..4 of the data buffer"),
        ("trailing data", file(&f("\"U8\"", "[4]", "[0,4]"), &[0; 6]), "bytes 4..6 at the end of the data buffer belong to no tensor"),
        ("data but no tensors", file("{}", &[0; 3]), "bytes 0..3 at the end"),
        ("duplicate name", file(r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, &[0; 2]), "duplicate key \"a\""),
        ("metadata number", file(r#"{"__metadata__":{"epoch":3}}"#, &[]), "__metadata__ value of \"epoch\" is 3, expected a string"),
        ("metadata nested", file(r#"{"__metadata__":{"a":{"b":"c"}}}"#, &[]), "__metadata__ value of \"a\" is an object"),
        ("metadata not object", file(r#"{"__metadata__":"x"}"#, &[]), "__metadata__ is the string \"x\", expected an object"),
        ("entry not object", file(r#"{"t":[1]}"#, &[]), "tensor \"t\": entry is an array"),
        ("unknown key", file(r#"{"t":{"dtype":"U8","shape":[0],"data_offsets":[0,0],"stride":[1]}}"#, &[]), "unknown key \"stride\""),
        ("missing key", file(r#"{"t":{"shape":[0],"data_offsets":[0,0]}}"#, &[]), "tensor \"t\": missing key \"dtype\""),
    ];
    for (what, bytes, want) in cases {
        let msg = match SafeTensors::from_bytes(bytes, "case.safetensors") {
            Ok(_) => panic!("{what}: accepted"),
            Err(e) => e.to_string(),
        };
        assert!(
            msg.starts_with("case.safetensors: "),
            "{what}: error does not name the file: {msg}"
        );
        assert!(
            msg.contains(want),
            "{what}: {msg:?} should contain {want:?}"
        );
    }
}

#[test]
fn shape_products_overflow_left_to_right() {
    // As in the reference implementation: [0, 2^40, 2^40] has no elements and
    // is accepted (nothing is allocated); [2^40, 2^40, 0] overflows before it
    // reaches the 0 and is rejected.
    let h =
        |shape: &str| format!(r#"{{"t":{{"dtype":"F64","shape":{shape},"data_offsets":[0,0]}}}}"#);
    let st =
        SafeTensors::from_bytes(file(&h("[0,1099511627776,1099511627776]"), &[]), "x").unwrap();
    assert_eq!(st.info("t").unwrap().numel(), 0);
    assert!(st.to_f64_vec("t").unwrap().is_empty());
    let e = SafeTensors::from_bytes(file(&h("[1099511627776,1099511627776,0]"), &[]), "x")
        .unwrap_err()
        .to_string();
    assert!(e.contains("needs more bytes than fit"), "{e}");
}

#[test]
fn read_from_a_path_names_the_path() {
    let dir = temp_dir("read-path");
    let missing = dir.join("missing.safetensors");
    let e = SafeTensors::read(&missing).unwrap_err().to_string();
    assert!(e.contains("missing.safetensors"), "{e}");

    let bad = dir.join("bad.safetensors");
    std::fs::write(&bad, file("{\"t\":1}", &[])).unwrap();
    let e = SafeTensors::read(&bad).unwrap_err().to_string();
    assert!(e.starts_with(&bad.display().to_string()), "{e}");
    assert!(e.contains("tensor \"t\": entry is 1"), "{e}");

    let good = dir.join("good.safetensors");
    let mut w = SafeTensorsWriter::new();
    w.tensor::<f32>("a", &[1], &[1.5]);
    w.write_atomic(&good).unwrap();
    let st = SafeTensors::read(&good).unwrap();
    assert_eq!(st.source(), good.display().to_string());
    let e = st.to_i64_vec("a").unwrap_err().to_string();
    assert!(e.starts_with(&good.display().to_string()), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every number checked here follows a rule stated in
/// `data/reference/make_safetensors_reference.py`, which wrote the file with
/// the reference implementation (versions in the file's metadata).
#[test]
fn reads_the_file_written_by_the_reference_implementation() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/reference/reference.safetensors");
    let st = SafeTensors::read(&path).unwrap();
    assert_eq!(st.meta("format"), Some("np"));
    assert_eq!(
        st.meta("generator"),
        Some("data/reference/make_safetensors_reference.py")
    );
    assert!(st.meta("note").unwrap().ends_with("a⟨t⟩"));
    assert!(st.meta("safetensors_version").is_some());
    assert_eq!(st.tensors().len(), 11);

    let check = |name: &str, dtype: Dtype, shape: &[usize]| {
        let t = st.info(name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!((t.dtype, t.shape.as_slice()), (dtype, shape), "{name}");
    };
    check("f32_matrix", Dtype::F32, &[3, 4]);
    let m: Matrix<f32> = st.matrix("f32_matrix", 3, 4).unwrap();
    for r in 0..3 {
        for c in 0..4 {
            assert_eq!(m[(r, c)], (4 * r + c) as f32 * 0.5 - 2.0);
        }
    }
    check("f64_thirds", Dtype::F64, &[5]);
    let v = st.to_f64_vec("f64_thirds").unwrap();
    assert_eq!(v, (0..5).map(|i| i as f64 / 3.0).collect::<Vec<_>>());
    check("f16_cube", Dtype::F16, &[2, 3, 4]);
    let v = st.to_f64_vec("f16_cube").unwrap();
    assert_eq!(
        v,
        (0..24).map(|i| (i as f64 - 12.0) / 4.0).collect::<Vec<_>>()
    );
    check("f64_scalar", Dtype::F64, &[]);
    assert_eq!(st.to_f64_vec("f64_scalar").unwrap(), vec![3.5]);
    check("f32_empty", Dtype::F32, &[2, 0]);
    assert!(st.to_f64_vec("f32_empty").unwrap().is_empty());
    check("i64_ids", Dtype::I64, &[6]);
    assert_eq!(
        st.to_i64_vec("i64_ids").unwrap(),
        (0..6).map(|i| 1000 * i - 2500).collect::<Vec<i64>>()
    );
    check("i32_small", Dtype::I32, &[2, 2]);
    assert_eq!(
        st.to_i64_vec("i32_small").unwrap(),
        (0..4).map(|i| i - (1i64 << 31)).collect::<Vec<i64>>()
    );
    check("i16_steps", Dtype::I16, &[4]);
    assert_eq!(
        st.to_i64_vec("i16_steps").unwrap(),
        (0..4).map(|i| 300 * i - 600).collect::<Vec<i64>>()
    );
    check("i8_range", Dtype::I8, &[8]);
    assert_eq!(
        st.to_i64_vec("i8_range").unwrap(),
        (0..8).map(|i| i - 4).collect::<Vec<i64>>()
    );
    check("u8_bytes", Dtype::U8, &[10]);
    assert_eq!(
        st.to_i64_vec("u8_bytes").unwrap(),
        (0..10).map(|i| 25 * i).collect::<Vec<i64>>()
    );
    check("bool_mask", Dtype::Bool, &[7]);
    assert_eq!(
        st.to_i64_vec("bool_mask").unwrap(),
        (0..7).map(|i| (i % 3 == 0) as i64).collect::<Vec<i64>>()
    );
}

#[test]
fn atomic_write_replaces_and_leaves_no_temp_file() {
    let dir = temp_dir("atomic-replace");
    let path = dir.join("ckpt.safetensors");
    write_atomic(&path, b"first").unwrap();
    write_atomic(&path, b"second, longer").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
    assert_eq!(dir_entries(&dir), ["ckpt.safetensors"]);

    // Errors name the target path.
    let e = write_atomic(dir.join("no/such/dir/x.bin"), b"x")
        .unwrap_err()
        .to_string();
    assert!(e.contains("x.bin") && e.contains("temporary file"), "{e}");
    let e = write_atomic(&dir, b"x").unwrap_err().to_string(); // a directory
    assert!(e.contains(&*dir.display().to_string()), "{e}");
    assert_eq!(dir_entries(&dir), ["ckpt.safetensors"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn checkpoint(step: f32) -> SafeTensorsWriter {
    let mut w = SafeTensorsWriter::new();
    w.metadata("step", &step.to_string())
        .tensor::<f32>("w", &[2, 2], &[step; 4]);
    w
}

#[test]
fn interrupted_save_keeps_the_old_checkpoint() {
    let dir = temp_dir("atomic-crash");
    let path = dir.join("model.safetensors");
    checkpoint(1.0).write_atomic(&path).unwrap();

    // A crash after the new file is fully written and synced, before the rename.
    let new = checkpoint(2.0).to_bytes();
    let mut seen_tmp = None;
    let e = write_atomic_with(&path, &new, |tmp| {
        // The new bytes are complete on disk, under another name, in the same dir.
        assert_eq!(std::fs::read(tmp).unwrap(), new);
        assert_eq!(tmp.parent(), Some(dir.as_path()));
        seen_tmp = Some(tmp.to_path_buf());
        Err(err!("simulated crash"))
    })
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("model.safetensors") && msg.contains("simulated crash"),
        "{msg}"
    );

    // The old checkpoint is intact and loads; the temp file is gone.
    let st = SafeTensors::read(&path).unwrap();
    assert_eq!(st.meta("step"), Some("1"));
    assert_eq!(st.to_f64_vec("w").unwrap(), vec![1.0; 4]);
    assert!(!seen_tmp.unwrap().exists());
    assert_eq!(dir_entries(&dir), ["model.safetensors"]);

    // A panic at the same point (unwinding, as a failing thread would) too.
    let r = std::panic::catch_unwind(|| {
        let _ = write_atomic_with(&path, &new, |_| panic!("simulated panic"));
    });
    assert!(r.is_err());
    assert_eq!(SafeTensors::read(&path).unwrap().meta("step"), Some("1"));
    assert_eq!(dir_entries(&dir), ["model.safetensors"]);

    // And an uninterrupted save then goes through.
    checkpoint(3.0).write_atomic(&path).unwrap();
    assert_eq!(SafeTensors::read(&path).unwrap().meta("step"), Some("3"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writes a file with our writer and has Python's safetensors read it with
/// both the numpy and the torch loaders (needs python3 with safetensors, numpy
/// and torch). Run: `cargo test --release --test safetensors -- --ignored`.
#[test]
#[ignore = "needs python3 with safetensors, numpy and torch"]
fn python_reads_our_files() {
    let dir = temp_dir("python-interop");
    let path = dir.join("ours.safetensors");
    // Values by rule, restated in the Python below: f32 (i − 3) / 8,
    // f64 i / 7, i64 (scalar) 123456789012, bool i mod 2, empty f32 [0, 3].
    let mut w = SafeTensorsWriter::new();
    let f32s: Vec<f32> = (0..6).map(|i| (i as f32 - 3.0) / 8.0).collect();
    let f64s: Vec<f64> = (0..5).map(|i| i as f64 / 7.0).collect();
    w.metadata("format", "pt")
        .metadata("note", "a⟨t⟩ \"quoted\"")
        .tensor::<f32>("rnn.weight_ih", &[2, 3], &f32s)
        .tensor::<f64>("rnn.bias", &[5], &f64s)
        .tensor::<f32>("empty", &[0, 3], &[])
        .tensor_bytes(
            "step",
            Dtype::I64,
            &[],
            123456789012i64.to_le_bytes().to_vec(),
        )
        .tensor_bytes("mask", Dtype::Bool, &[4], vec![0, 1, 0, 1]);
    w.write_atomic(&path).unwrap();

    let script = r#"
import sys, numpy as np, torch
from safetensors import safe_open
from safetensors.numpy import load_file as load_np
from safetensors.torch import load_file as load_pt
p = sys.argv[1]
for t in (load_np(p), {k: v.numpy() for k, v in load_pt(p).items()}):
    assert t["rnn.weight_ih"].dtype == np.float32 and t["rnn.weight_ih"].shape == (2, 3)
    assert (t["rnn.weight_ih"].ravel() == (np.arange(6, dtype=np.float32) - 3) / 8).all()
    assert t["rnn.bias"].dtype == np.float64 and (t["rnn.bias"] == np.arange(5) / 7).all()
    assert t["empty"].shape == (0, 3) and t["empty"].dtype == np.float32
    assert t["step"].shape == () and int(t["step"]) == 123456789012
    assert t["mask"].dtype == np.bool_ and list(t["mask"]) == [False, True, False, True]
with safe_open(p, framework="np") as f:
    assert f.metadata() == {"format": "pt", "note": 'a\u27e8t\u27e9 "quoted"'}, f.metadata()
print("python read", p, "with numpy and torch: ok")
"#;
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("running python3");
    println!("{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
