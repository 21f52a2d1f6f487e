//! The `seqmodels` command line. Thin: everything lives in `seqmodels::cli`.

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(seqmodels::cli::main(argv));
}
