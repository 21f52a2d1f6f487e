//! Gradient checks of every model (tagger, classifier, generator,
//! encoder–decoder), with dense-input and initial-state gradients, padded batches.

use seqmodels::checks::model_checks;
use seqmodels::gradcheck::table_header;

#[test]
fn every_model() {
    println!("{}", table_header());
    for seed in [2024, 1, 2] {
        for rep in model_checks(seed) {
            print!("{rep}");
            rep.assert_passed();
        }
    }
}
