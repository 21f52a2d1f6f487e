//! `seqmodels import`: a PyTorch state_dict (model tensors only, torch names)
//! comes back as the same model; mismatches are errors that name the tensor.

use seqmodels::io::safetensors::{SafeTensors, SafeTensorsWriter};
use seqmodels::lm::checkpoint::{import_torch, read_config, writer};
use seqmodels::models::Parameters;
use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_seqmodels")
}

/// Trains a tiny model with the CLI and returns its checkpoint path.
fn tiny_checkpoint(dir: &std::path::Path) -> std::path::PathBuf {
    let names = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/names.txt");
    let ckpt = dir.join("tiny.safetensors");
    let out = Command::new(bin())
        .args(["train", "--data"])
        .arg(&names)
        .args([
            "--steps",
            "5",
            "--hidden",
            "8",
            "--embed-dim",
            "4",
            "--layers",
            "2",
            "--cell",
            "gru",
            "--out",
        ])
        .arg(&ckpt)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ckpt
}

/// The model tensors of a checkpoint, as `save_file(model.state_dict())` would write them.
fn state_dict(
    ckpt: &std::path::Path,
    edit: impl Fn(&str, &[usize]) -> Option<Vec<usize>>,
) -> Vec<u8> {
    let st = SafeTensors::read(ckpt).unwrap();
    let mut w = SafeTensorsWriter::new();
    for t in st.tensors() {
        if t.name.starts_with("optim.") || t.name.starts_with("train.") {
            continue;
        }
        let v = st.to_f64_vec(&t.name).unwrap();
        if let Some(shape) = edit(&t.name, &t.shape) {
            let n: usize = shape.iter().product();
            let data: Vec<f32> = (0..n).map(|i| v[i % v.len()] as f32).collect();
            w.tensor(&t.name, &shape, &data);
        }
    }
    w.to_bytes()
}

#[test]
fn a_state_dict_comes_back_bit_for_bit() {
    let dir = std::env::temp_dir().join(format!("seqmodels-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ckpt = tiny_checkpoint(&dir);
    let (cfg, vocab) = read_config(&ckpt).unwrap();
    let torch = SafeTensors::from_bytes(
        state_dict(&ckpt, |_, s| Some(s.to_vec())),
        "torch.safetensors",
    )
    .unwrap();
    let lm = import_torch(&torch, cfg.clone(), vocab.clone()).unwrap();
    let orig = seqmodels::lm::Checkpoint::read(&ckpt).unwrap().lm;
    assert_eq!(lm.net.tensors(), orig.net.tensors());
    // Through the CLI, with a JSON config.
    let cfg_json = dir.join("config.json");
    let j =
        seqmodels::io::json::object(vec![("config", cfg.to_json()), ("vocab", vocab.to_json())]);
    std::fs::write(&cfg_json, j.to_json()).unwrap();
    let torch_file = dir.join("torch.safetensors");
    std::fs::write(&torch_file, state_dict(&ckpt, |_, s| Some(s.to_vec()))).unwrap();
    let back = dir.join("back.safetensors");
    let out = Command::new(bin())
        .args(["import", "--torch"])
        .arg(&torch_file)
        .arg("--config")
        .arg(&cfg_json)
        .arg("--out")
        .arg(&back)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = seqmodels::lm::Checkpoint::read(&back).unwrap().lm;
    assert_eq!(again.net.tensors(), orig.net.tensors());
    assert_eq!(
        writer(&again, None).to_bytes(),
        writer(&orig, None).to_bytes()
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn mismatches_name_the_tensor() {
    let dir = std::env::temp_dir().join(format!("seqmodels-import-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ckpt = tiny_checkpoint(&dir);
    let (cfg, vocab) = read_config(&ckpt).unwrap();
    let check = |bytes: Vec<u8>, want: &str| {
        let st = SafeTensors::from_bytes(bytes, "torch.safetensors").unwrap();
        let e = import_torch(&st, cfg.clone(), vocab.clone())
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{e}");
    };
    check(
        state_dict(&ckpt, |n, s| (n != "rnn.weight_hh_l1").then(|| s.to_vec())),
        "\"rnn.weight_hh_l1\" is missing",
    );
    check(
        state_dict(&ckpt, |n, s| {
            Some(if n == "head.weight" {
                vec![s[1], s[0]]
            } else {
                s.to_vec()
            })
        }),
        "\"head.weight\" has shape",
    );
    let mut w = SafeTensorsWriter::new();
    let st = SafeTensors::from_bytes(state_dict(&ckpt, |_, s| Some(s.to_vec())), "x").unwrap();
    for t in st.tensors() {
        w.tensor::<f32>(
            &t.name,
            &t.shape,
            &st.vector::<f32>(&t.name, t.numel()).unwrap(),
        );
    }
    w.tensor::<f32>("rnn.weight_ih_l2", &[1], &[0.0]);
    check(w.to_bytes(), "unexpected tensor \"rnn.weight_ih_l2\"");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"config\": {}}").unwrap();
    assert!(read_config(&bad)
        .unwrap_err()
        .to_string()
        .contains("bad.json"));
    std::fs::remove_dir_all(&dir).ok();
}
