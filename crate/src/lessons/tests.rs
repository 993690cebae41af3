use burn::tensor::Device;

use super::*;
use crate::data::SyntheticSpec;

fn quick() -> LessonOptions {
    LessonOptions {
        epochs: 2,
        max_train_records: 0,
        seed: 1,
        depth: 3,
        width: 24,
        lr: 1e-3,
        l1: 1e-3,
    }
}

fn run(name: &str) -> (Vec<RunOutcome>, serde_json::Value) {
    run_with(name, &quick())
}

fn run_with(name: &str, options: &LessonOptions) -> (Vec<RunOutcome>, serde_json::Value) {
    run_on(name, options, [1, 8, 8])
}

fn run_on(
    name: &str,
    options: &LessonOptions,
    image_shape: [usize; 3],
) -> (Vec<RunOutcome>, serde_json::Value) {
    let data = SyntheticSpec {
        image_shape,
        train: 600,
        valid: 200,
        test: 100,
        noise: 32.0,
        ..SyntheticSpec::default()
    }
    .generate();
    let lesson = lesson(name, options).unwrap();
    let (outcomes, finding) =
        pollster::block_on(run_lesson(&lesson, &data, &Device::flex(), &mut |_, _| {})).unwrap();
    // Read as the page reads it: by the serialized field names.
    (outcomes, serde_json::to_value(finding.unwrap()).unwrap())
}

#[test]
fn every_lesson_is_defined_and_unknown_ones_are_errors() {
    assert_eq!(all(&quick()).len(), 7);
    assert_eq!(lesson("activations", &quick()).unwrap().runs.len(), 7);
    let err = lesson("dropout", &quick()).unwrap_err().to_string();
    assert!(err.contains("unknown lesson 'dropout'"), "{err}");
}

#[test]
fn symmetry_finding_shows_identical_units() {
    let (_, finding) = run("symmetry");
    let spread = |label: &str| {
        finding["runs"][label]["layers"]["unit_spread"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .fold(0.0, f64::max)
    };
    assert!(spread("identical") < 1e-4, "{finding}");
    assert!(spread("he-normal") > 0.05, "{finding}");
}

#[test]
fn l1_drives_weights_to_zero_and_pruning_costs_accuracy_gradually() {
    // Nadam moves a weight by about lr per step and L1 then keeps it within ~lr of 0: a small
    // rate, enough steps, and 768 inputs (He std 0.05) let the first layer reach |w| <= 1e-3.
    let options = LessonOptions {
        epochs: 15,
        lr: 3e-4,
        l1: 1e-2,
        ..quick()
    };
    let (outcomes, finding) = run_on("sparsity", &options, [3, 16, 16]);
    let zero = |label: &str| finding["runs"][label]["zero_fraction"][0].as_f64().unwrap();
    assert!(
        zero("L1 0.01") > 5.0 * zero("no regularization").max(0.01),
        "{finding}"
    );
    assert!(zero("dropout 0.2") < 0.1, "{finding}");
    let pruning = outcomes[0].extra.pruning.as_ref().unwrap();
    assert_eq!(pruning.len(), 4);
    let accuracy = |i: usize| pruning[i].val_accuracy;
    // Half the weights can go at a modest cost; removing 95 % costs at least as much.
    assert!(accuracy(0) > 0.5, "{pruning:?}");
    assert!(accuracy(3) <= accuracy(0) + 0.05, "{pruning:?}");
}

#[test]
fn momentum_too_close_to_one_is_reported_not_a_crash() {
    let options = LessonOptions {
        epochs: 6,
        lr: 1e-3,
        ..quick()
    };
    let (outcomes, finding) = run_with("momentum", &options);
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes[0].error.is_none());
    let losses = |v: &serde_json::Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_f64().unwrap())
            .collect::<Vec<_>>()
    };
    let rises = |l: &[f64]| l.windows(2).any(|w| w[1] > w[0]);
    let smooth = losses(&finding["runs"]["momentum 0.9"]["train_loss_per_epoch"]);
    assert!(
        !rises(&smooth),
        "momentum 0.9 should descend steadily: {finding}"
    );
    // Either it blew up (with its history kept) or its loss oscillates: it goes back up.
    let wild = &finding["runs"]["momentum 0.99999"];
    if wild["error"].is_null() {
        assert!(rises(&losses(&wild["train_loss_per_epoch"])), "{finding}");
    } else {
        assert!(!outcomes[1].history.steps.is_empty());
    }
}

#[test]
fn dropout_cost_and_one_cycle_report_their_figures() {
    let (_, finding) = run("dropout-cost");
    let inference = finding["runs"]["dropout 0.2"]["inference"]
        .as_array()
        .unwrap();
    assert_eq!(inference.len(), 3);
    assert!(
        inference
            .iter()
            .all(|i| i["seconds"].as_f64().unwrap() > 0.0)
    );
    let (_, finding) = run("one-cycle");
    let max_lr = finding["runs"]["sgd 1cycle"]["max_lr"].as_f64().unwrap();
    assert!(max_lr > 1e-5 && max_lr < 10.0, "{finding}");
    assert_eq!(finding["runs"]["sgd 1cycle"]["epochs"], 2);
}
