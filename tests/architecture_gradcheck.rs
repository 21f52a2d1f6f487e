//! Gradient checks of the bidirectional and stacked RNNs (every element of
//! every layer's tensors, the inputs and every initial state), in f64.

use seqmodels::checks::{architecture_checks, stack_check, Shape, STACK_THRESHOLD};
use seqmodels::gradcheck::table_header;
use seqmodels::rnn::CellKind;

#[test]
fn bidirectional_and_stacked() {
    println!("{}", table_header());
    for rep in architecture_checks(2024) {
        print!("{rep}");
        rep.assert_passed();
    }
}

#[test]
fn more_seeds_and_padding() {
    for seed in 0..5 {
        for name in ["rnn", "gru", "gru-course", "lstm"] {
            let kind = CellKind::parse(name).unwrap();
            let rep = stack_check(
                kind,
                2,
                true,
                Shape::new(4, 3, 2, 3),
                500 + seed,
                true,
                STACK_THRESHOLD,
            );
            assert!(rep.passed(), "{rep}");
        }
    }
}
