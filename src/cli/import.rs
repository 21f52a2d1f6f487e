//! `seqmodels import`: a PyTorch state_dict (safetensors) back into a
//! seqmodels language-model checkpoint, and `seqmodels logits`, the
//! next-token logits of a checkpoint on a prompt (for comparing with PyTorch).

use super::args::{Args, CliError};
use crate::cli_err;
use crate::io::json::{object, Json};
use crate::io::safetensors::SafeTensors;
use crate::lm::checkpoint::{import_torch, read_config, writer, Checkpoint};
use std::path::PathBuf;

const IMPORT_HELP: &str = "\
seqmodels import --torch FILE --config CONFIG --out CKPT

Turns a PyTorch state_dict saved with safetensors.torch.save_file(model.state_dict(), FILE)
— a module with children embedding (nn.Embedding; absent for one-hot inputs),
rnn (nn.RNN/GRU/LSTM) and head (nn.Linear) — into a seqmodels checkpoint.
CONFIG gives the architecture and vocabulary: a seqmodels checkpoint (its
metadata is used) or a JSON file {\"config\": …, \"vocab\": […]} in the same form.
Every tensor must match the config's shapes exactly, and no other tensor may be
present (like load_state_dict(strict=True)). See data/torch/continue_in_torch.py.";

const LOGITS_HELP: &str = "\
seqmodels logits --checkpoint CKPT [--prime TEXT]

Prints one JSON line: the token ids fed to the model (the start token, then
the prime's tokens) and the logits of the next token, to compare with another
implementation (data/torch/continue_in_torch.py does).";

/// `seqmodels import …`
pub fn run_import(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("import", argv);
    if a.wants_help() {
        println!("{IMPORT_HELP}");
        return Ok(());
    }
    let torch: PathBuf = a.required::<String>("--torch")?.into();
    let config: PathBuf = a.required::<String>("--config")?.into();
    let out: PathBuf = a.required::<String>("--out")?.into();
    a.finish()?;
    let (cfg, vocab) = read_config(&config)?;
    let st = SafeTensors::read(&torch)?;
    let lm = import_torch(&st, cfg, vocab)?;
    writer(&lm, None).write_atomic(&out)?;
    println!(
        "imported {} ({} {} layer(s), H = {}, V = {}) into {}",
        torch.display(),
        lm.config.layers,
        lm.config.cell.name(),
        lm.config.hidden,
        lm.vocab.len(),
        out.display()
    );
    Ok(())
}

/// `seqmodels logits …`
pub fn run_logits(argv: Vec<String>) -> Result<(), CliError> {
    let mut a = Args::new("logits", argv);
    if a.wants_help() {
        println!("{LOGITS_HELP}");
        return Ok(());
    }
    let ckpt: PathBuf = a.required::<String>("--checkpoint")?.into();
    let prime: String = a.value_or("--prime", String::new())?;
    a.finish()?;
    let lm = Checkpoint::read(&ckpt)?.lm;
    let mut tokens = vec![lm.start_token()];
    tokens.extend(lm.encode_prime(&prime)?);
    let mut states = lm.net.net.encoder.rnn.zero_states(1);
    let mut logits = None;
    for &t in &tokens {
        let (l, s) = lm.net.step(&[t], &states);
        logits = Some(l);
        states = s;
    }
    let l = logits.ok_or_else(|| cli_err!("logits: nothing to feed"))?;
    let line = object(vec![
        (
            "tokens",
            Json::Arr(tokens.iter().map(|&t| Json::int(t as i64)).collect()),
        ),
        (
            "logits",
            Json::Arr(l.row(0).iter().map(|&x| Json::num(x as f64)).collect()),
        ),
    ]);
    println!("{}", line.to_json());
    Ok(())
}
