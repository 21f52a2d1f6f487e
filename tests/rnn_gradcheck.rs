//! Gradient checks of every recurrent cell over whole sequences: all four
//! parameter tensors, the inputs and the initial state(s), every element, in
//! f64 with central differences, at several shapes (B = 1, H = 1, odd sizes).

use seqmodels::checks::{all_cell_checks, sequence_check, step_check, Shape};
use seqmodels::gradcheck::table_header;
use seqmodels::rnn::CellKind;

fn run(kind: CellKind) {
    println!("{}", table_header());
    for rep in all_cell_checks(Some(kind), 2024) {
        print!("{rep}");
        rep.assert_passed();
        assert!(rep.tensors.iter().all(|t| t.checked > 0));
    }
}

#[test]
fn rnn_tanh() {
    run(CellKind::parse("rnn").unwrap());
}

#[test]
fn rnn_relu() {
    run(CellKind::parse("rnn-relu").unwrap());
}

#[test]
fn gru_reset_after() {
    run(CellKind::parse("gru").unwrap());
}

#[test]
fn gru_reset_before() {
    run(CellKind::parse("gru-course").unwrap());
}

#[test]
fn lstm() {
    run(CellKind::parse("lstm").unwrap());
}

#[test]
fn more_random_shapes() {
    // A few more shapes drawn at random (fixed seed), T ≥ 3.
    let mut rng = seqmodels::rng::Rng::new(99);
    for kind in CellKind::ALL {
        let s = Shape::new(
            3 + rng.below(3),
            1 + rng.below(4),
            1 + rng.below(6),
            1 + rng.below(6),
        );
        let rep = sequence_check(kind, s, rng.next_u64());
        print!("{rep}");
        rep.assert_passed();
    }
}

#[test]
fn forty_random_instances_per_cell_and_shape() {
    for kind in CellKind::ALL {
        for s in [
            Shape::new(4, 3, 5, 7),
            Shape::new(5, 2, 4, 3),
            Shape::new(3, 1, 1, 1),
        ] {
            let mut worst: f64 = 0.0;
            for seed in 0..40 {
                let rep = sequence_check(kind, s, 1000 + seed);
                assert!(rep.passed(), "seed {}:\n{rep}", 1000 + seed);
                worst = worst.max(rep.max_rel());
            }
            println!(
                "{} {:?}: 40/40 pass, worst relative error {worst:.2e}",
                kind.name(),
                s
            );
        }
    }
}

#[test]
fn one_step_cells() {
    for kind in CellKind::ALL {
        for s in [
            Shape::new(1, 1, 1, 1),
            Shape::new(1, 3, 5, 7),
            Shape::new(1, 2, 4, 3),
        ] {
            let rep = step_check(kind, s, 7);
            print!("{rep}");
            rep.assert_passed();
        }
    }
}
