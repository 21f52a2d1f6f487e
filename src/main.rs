//! The `seqmodels` command line. Thin: everything lives in `seqmodels::cli`.

fn main() {
    // `args_os`, not `args`: `args` panics on an argument that is not UTF-8.
    let argv: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    std::process::exit(seqmodels::cli::main_os(argv));
}
