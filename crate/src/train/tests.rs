//! The training loop's behaviour on small synthetic tasks (flex CPU backend).

use burn::tensor::Device;

use super::*;
use crate::data::{Dataset, Preprocessing, SplitKind, SyntheticSpec};
use crate::error::TrainError;
use crate::model::{Activation, KernelInit, ModelConfig};
use crate::optim::OptimizerConfig;

fn data(train: usize, noise: f64) -> Dataset {
    SyntheticSpec {
        image_shape: [1, 8, 8],
        train,
        valid: 200,
        test: 200,
        noise,
        ..SyntheticSpec::default()
    }
    .generate()
}

fn small_model() -> ModelConfig {
    ModelConfig {
        depth: 3,
        width: 32,
        ..ModelConfig::default()
    }
}

fn config(lr: f64, epochs: usize) -> TrainConfig {
    TrainConfig {
        lr,
        max_epochs: epochs,
        patience: epochs,
        readback_every: 10,
        probe_every: 20,
        probe_size: 64,
        ..TrainConfig::default()
    }
}

fn trainer(data: &Dataset, model: &ModelConfig, config: &TrainConfig) -> Trainer {
    Trainer::new(
        data,
        model,
        config,
        Preprocessing::Standardize,
        &Device::flex(),
    )
    .unwrap()
}

fn run(trainer: &mut Trainer, data: &Dataset) -> Result<RunReport, TrainError> {
    pollster::block_on(fit(trainer, data, &mut |_| {}))
}

#[test]
fn training_lowers_the_loss_and_records_history() {
    let data = data(1000, 32.0);
    let mut t = trainer(&data, &small_model(), &config(1e-3, 4));
    let before = pollster::block_on(t.evaluate(&data, SplitKind::Valid)).unwrap();
    run(&mut t, &data).unwrap();
    let h = t.history();
    assert_eq!(h.epochs.len(), 4);
    assert_eq!(h.stop, Some(StopReason::MaxEpochs));
    let last = &h.epochs[3];
    assert!(
        last.val_loss < 0.5 * before.loss,
        "{} vs {}",
        last.val_loss,
        before.loss
    );
    assert!(last.train_loss < h.epochs[0].train_loss);
    assert!(last.val_accuracy > 0.8, "{last:?}");
    // 1000 records in batches of 32: 32 steps per epoch, the last one partial.
    assert_eq!(h.steps.last().unwrap().step, 128);
    assert!(
        h.epochs
            .iter()
            .all(|e| e.samples == 1000 && e.seconds > 0.0 && e.samples_per_s > 0.0)
    );
    // Probes at step 0, every 20 steps, and one of the final weights; 3 layers each.
    assert!(h.probes.len() >= 4 && h.probes.iter().all(|p| p.stats.layers() == 3));
    assert_eq!(h.probes[0].step, 0);
}

#[test]
fn early_stopping_stops_after_patience_and_restores_the_best_weights() {
    // 40 noisy records overfit fast: the validation loss turns up within a few epochs.
    let data = data(40, 110.0);
    let cfg = TrainConfig {
        patience: 3,
        batch_size: 8,
        optimizer: OptimizerConfig::Adam,
        ..config(1e-2, 60)
    };
    let mut t = trainer(&data, &small_model(), &cfg);
    run(&mut t, &data).unwrap();
    let h = t.history().clone();
    let Some(StopReason::EarlyStopping { best_epoch }) = h.stop else {
        panic!(
            "expected early stopping, got {:?} after {} epochs",
            h.stop,
            h.epochs.len()
        )
    };
    assert_eq!(h.epochs.len(), best_epoch + 3);
    let best = &h.epochs[best_epoch - 1];
    assert!(
        h.epochs[best_epoch..]
            .iter()
            .all(|e| e.val_loss >= best.val_loss)
    );
    let now = pollster::block_on(t.evaluate(&data, SplitKind::Valid)).unwrap();
    assert!(
        (now.loss - best.val_loss).abs() < 1e-5,
        "restored {} vs best {}",
        now.loss,
        best.val_loss
    );
}

#[test]
fn lr_finder_returns_a_loss_per_step_and_restores_weights() {
    let data = data(600, 64.0);
    let mut t = trainer(&data, &small_model(), &config(1e-3, 1));
    let before = t.model().hidden[1].linear.weight.val().into_data();
    let sweep = LrSweepConfig {
        min_lr: 1e-5,
        max_lr: 1e-2,
        steps: 30,
    };
    let result = pollster::block_on(t.find_lr(&data, &sweep)).unwrap();
    assert_eq!(result.losses.len(), 30);
    assert_eq!(result.lrs.len(), 30);
    assert!(result.lrs.windows(2).all(|w| w[1] > w[0]));
    assert!(result.suggested_lr > 1e-6 && result.suggested_lr <= 1e-3);
    assert_eq!(t.model().hidden[1].linear.weight.val().into_data(), before);
    // And the run itself still starts from step 0.
    let progress = pollster::block_on(t.train_chunk(&data)).unwrap();
    assert_eq!(progress.step, 10);
}

/// SGD without momentum, a loss readback after every step: divergence shows at once.
fn plain_sgd(config: TrainConfig) -> TrainConfig {
    TrainConfig {
        optimizer: OptimizerConfig::Sgd {
            momentum: 0.0,
            nesterov: false,
        },
        readback_every: 1,
        ..config
    }
}

/// The epoch, step and message of a diverged run's stop reason.
fn divergence(report: &RunReport) -> (usize, usize, &str) {
    match &report.stop {
        StopReason::Diverged {
            epoch,
            step,
            message,
        } => (*epoch, *step, message),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_diverging_run_stops_with_a_clear_error_and_keeps_its_history() {
    let data = data(600, 64.0);
    let cfg = plain_sgd(config(1e12, 2));
    let mut t = trainer(
        &data,
        &ModelConfig {
            activation: Activation::Relu,
            ..small_model()
        },
        &cfg,
    );
    let report = run(&mut t, &data).unwrap();
    let (epoch, step, message) = divergence(&report);
    assert_eq!(epoch, 1);
    assert!(step >= 2);
    assert!(message.contains("Lower the learning rate"));
    assert_eq!(report.valid, None, "diverged weights are not evaluated");
    assert!(t.done());
    let h = t.history();
    assert!(
        !h.steps.is_empty(),
        "the steps before the divergence are kept"
    );
    assert!(matches!(h.stop, Some(StopReason::Diverged { .. })));
}

#[test]
fn a_non_finite_validation_loss_stops_the_run_as_diverged() {
    // One step per epoch at an absurd rate: that step's training loss is taken before the
    // update and is finite, the weights it leaves are not, so the first validation is.
    let data = data(200, 64.0);
    let cfg = TrainConfig {
        batch_size: 200,
        ..plain_sgd(config(1e30, 3))
    };
    let mut t = trainer(&data, &small_model(), &cfg);
    let report = run(&mut t, &data).unwrap();
    let (epoch, step, message) = divergence(&report);
    assert_eq!((epoch, step), (1, 1));
    assert!(message.contains("validation loss"), "{message}");
    assert_eq!(report.valid, None);
    let h = t.history();
    assert!(h.steps[0].loss.is_finite(), "{:?}", h.steps);
    assert_eq!(h.epochs.len(), 1, "the epoch is kept");
    assert!(!h.epochs[0].val_loss.is_finite());
    assert!(matches!(h.stop, Some(StopReason::Diverged { .. })));
}

#[test]
fn every_variant_trains_a_step_and_bn_and_dropout_variants_learn() {
    let data = data(1000, 32.0);
    for variant in crate::variants::all() {
        let model = ModelConfig {
            depth: 4,
            width: 32,
            ..variant.model.clone()
        };
        let mut t = Trainer::new(
            &data,
            &model,
            &config(1e-3, 4),
            variant.preprocessing,
            &Device::flex(),
        )
        .unwrap();
        run(&mut t, &data).unwrap();
        let last = t.history().epochs.last().unwrap().clone();
        assert!(last.val_accuracy > 0.5, "{}: {last:?}", variant.name);
    }
}

#[test]
fn identical_init_keeps_the_units_of_a_layer_identical() {
    let data = data(300, 64.0);
    let model = ModelConfig {
        kernel_init: KernelInit::Identical,
        ..small_model()
    };
    let mut t = trainer(&data, &model, &config(1e-3, 1));
    run(&mut t, &data).unwrap();
    let spread = &t.history().probes.last().unwrap().stats.unit_spread;
    assert!(spread.iter().all(|&s| s < 1e-4), "{spread:?}");
    let mut he = trainer(&data, &small_model(), &config(1e-3, 1));
    run(&mut he, &data).unwrap();
    let spread = &he.history().probes.last().unwrap().stats.unit_spread;
    assert!(spread.iter().all(|&s| s > 0.1), "{spread:?}");
}

#[test]
fn mc_dropout_is_stochastic_and_eval_is_not() {
    let data = data(300, 64.0);
    let variant = crate::variants::variant("selu-alpha-dropout").unwrap();
    let model = ModelConfig {
        depth: 3,
        width: 32,
        ..variant.model
    };
    let mut t = Trainer::new(
        &data,
        &model,
        &config(1e-3, 1),
        variant.preprocessing,
        &Device::flex(),
    )
    .unwrap();
    run(&mut t, &data).unwrap();
    let eval = |t: &Trainer| pollster::block_on(t.evaluate(&data, SplitKind::Test)).unwrap();
    assert_eq!(eval(&t).loss, eval(&t).loss);
    let mc = |n| pollster::block_on(t.evaluate_mc(&data, SplitKind::Test, n)).unwrap();
    let (a, b) = (mc(10), mc(10));
    assert_ne!(a.loss, b.loss);
    assert_eq!(a.passes, 10);
    assert!((a.accuracy - eval(&t).accuracy).abs() < 0.1);
}

#[test]
fn mc_dropout_differs_from_plain_evaluation_only_with_dropout() {
    let data = data(300, 64.0);
    let variant = crate::variants::variant("selu-alpha-dropout").unwrap();
    for (dropout, model) in [
        (
            true,
            ModelConfig {
                depth: 3,
                width: 32,
                ..variant.model.clone()
            },
        ),
        (false, small_model()),
    ] {
        let mut t = trainer(&data, &model, &config(1e-3, 1));
        run(&mut t, &data).unwrap();
        let report = pollster::block_on(t.mc_dropout(&data, SplitKind::Valid, &[5, 20])).unwrap();
        assert_eq!(
            report.mc.iter().map(|e| e.passes).collect::<Vec<_>>(),
            vec![5, 20]
        );
        for mc in &report.mc {
            if dropout {
                assert_ne!(mc.loss, report.plain.loss, "dropout makes each pass differ");
            } else {
                // Identical passes: the mean of N equal softmaxes is the softmax itself.
                assert!(
                    (mc.loss - report.plain.loss).abs() < 1e-5,
                    "{} vs {}",
                    mc.loss,
                    report.plain.loss
                );
                assert_eq!(mc.accuracy, report.plain.accuracy);
            }
        }
    }
}

#[test]
fn the_run_emits_its_history_as_events() {
    let data = data(400, 32.0);
    let mut t = trainer(&data, &small_model(), &config(1e-3, 2));
    let mut events = Vec::new();
    let report = pollster::block_on(fit(&mut t, &data, &mut |e| events.push(e.clone()))).unwrap();
    // A listener that appends the events holds the trainer's history.
    let mut history = History::default();
    for event in &events {
        match event {
            TrainEvent::Probed { probe } => history.probes.push(probe.clone()),
            TrainEvent::Stepped { progress } => history.steps.push(history::StepLoss {
                step: progress.step,
                epoch: progress.epoch,
                loss: progress.loss,
            }),
            TrainEvent::EpochEnded { summary } => {
                history.epochs.push(summary.record.clone());
                history.best_epoch = summary.best_epoch;
            }
            TrainEvent::Finished { report } => history.stop = Some(report.stop.clone()),
        }
    }
    assert_eq!(&history, t.history());
    assert!(matches!(events.last(), Some(TrainEvent::Finished { .. })));
    // The last probe measures the restored best weights and says so.
    let last = t.history().probes.last().unwrap();
    assert_eq!(
        last.weights,
        ProbeWeights::RestoredBest {
            epoch: report.best_epoch
        }
    );
    assert_eq!(
        report.valid.as_ref().unwrap().loss,
        t.history().epochs[report.best_epoch - 1].val_loss
    );
    assert!(
        report.test.is_some(),
        "the test split is complete, so it is evaluated"
    );
    assert!(t.done());
    assert!(
        pollster::block_on(t.advance(&data)).is_err(),
        "an ended run does not go on"
    );
}

#[test]
fn a_stopped_run_restores_its_best_weights_and_is_evaluated() {
    let data = data(400, 32.0);
    let mut t = trainer(&data, &small_model(), &config(1e-3, 5));
    let mut epochs = 0;
    while epochs < 2 {
        if let TrainEvent::EpochEnded { .. } = pollster::block_on(t.advance(&data)).unwrap() {
            epochs += 1;
        }
    }
    t.finish(StopReason::Stopped);
    let report = run(&mut t, &data).unwrap();
    assert_eq!(report.stop, StopReason::Stopped);
    assert_eq!(t.history().epochs.len(), 2);
    let best = t.history().best_epoch;
    assert_eq!(
        report.valid.unwrap().loss,
        t.history().epochs[best - 1].val_loss
    );
}

#[test]
fn a_stopped_sweep_keeps_the_rates_swept_so_far_and_restores_the_weights() {
    let data = data(400, 32.0);
    let mut t = trainer(&data, &small_model(), &config(1e-3, 1));
    let before = pollster::block_on(t.evaluate(&data, SplitKind::Valid)).unwrap();
    let mut sweep = t.begin_sweep(
        &data,
        &LrSweepConfig {
            min_lr: 1e-5,
            max_lr: 1.0,
            steps: 100,
        },
    );
    let event = pollster::block_on(t.advance_sweep(&mut sweep, &data)).unwrap();
    assert_eq!(
        event,
        SweepEvent::Swept {
            steps: 10,
            total: 100
        }
    );
    sweep.stop();
    let SweepEvent::Found { result } =
        pollster::block_on(t.advance_sweep(&mut sweep, &data)).unwrap()
    else {
        panic!("a stopped sweep ends at its next advance")
    };
    assert!(result.stopped);
    assert_eq!(
        (result.lrs.len(), result.losses.len(), result.smoothed.len()),
        (10, 10, 10)
    );
    assert!(sweep.done());
    let after = pollster::block_on(t.evaluate(&data, SplitKind::Valid)).unwrap();
    assert_eq!(before.loss, after.loss, "the sweep gave the weights back");
}

#[test]
fn a_run_continues_from_imported_weights() {
    let data = data(400, 32.0);
    let variant = crate::variants::variant("selu-alpha-dropout").unwrap();
    let model = ModelConfig {
        depth: 3,
        width: 32,
        ..variant.model
    };
    let mut first = trainer(&data, &model, &config(1e-3, 2));
    let report = run(&mut first, &data).unwrap();
    let bytes = pollster::block_on(crate::weights::to_bytes(first.model())).unwrap();
    let mut next = trainer(&data, &model, &config(1e-3, 1));
    let loaded = crate::weights::from_bytes(next.model().clone(), &bytes).unwrap();
    next.set_model(loaded);
    let start = pollster::block_on(next.evaluate(&data, SplitKind::Valid)).unwrap();
    assert_eq!(
        start.loss,
        report.valid.unwrap().loss,
        "it starts from the imported weights"
    );
    let continued = run(&mut next, &data).unwrap();
    assert_eq!(continued.stop, StopReason::MaxEpochs);
}

#[test]
fn invalid_training_configs_are_errors() {
    let data = data(100, 64.0);
    let bad = TrainConfig {
        batch_size: 0,
        ..TrainConfig::default()
    };
    let err = Trainer::new(
        &data,
        &small_model(),
        &bad,
        Preprocessing::Scale01,
        &Device::flex(),
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("batch size"));
    let momentum = TrainConfig {
        optimizer: OptimizerConfig::Sgd {
            momentum: 1.0,
            nesterov: false,
        },
        ..TrainConfig::default()
    };
    let err = Trainer::new(
        &data,
        &small_model(),
        &momentum,
        Preprocessing::Scale01,
        &Device::flex(),
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("momentum must be in [0, 1)"));
}

#[test]
fn probes_land_every_probe_every_steps_whatever_the_readback_interval() {
    // 600 records in batches of 32: 19 steps per epoch, 38 in 2 epochs. A chunk ends where a
    // probe falls due, so every readback interval probes at the same steps: 0, 10, 20, 30,
    // then the final probe (of the restored best weights) after the last step.
    let data = data(600, 32.0);
    for readback_every in [1, 7, 10, 25] {
        let cfg = TrainConfig {
            readback_every,
            probe_every: 10,
            ..config(1e-3, 2)
        };
        let mut t = trainer(&data, &small_model(), &cfg);
        run(&mut t, &data).unwrap();
        let steps: Vec<usize> = t.history().probes.iter().map(|p| p.step).collect();
        assert_eq!(
            steps,
            [0, 10, 20, 30, 38],
            "readback every {readback_every}"
        );
        // No chunk is longer than the readback interval.
        let ends: Vec<usize> = t.history().steps.iter().map(|s| s.step).collect();
        assert!(
            ends.windows(2).all(|w| w[1] - w[0] <= readback_every),
            "{ends:?}"
        );
    }
}

#[test]
fn probe_every_zero_probes_first_and_last_only() {
    let data = data(600, 32.0);
    let cfg = TrainConfig {
        probe_every: 0,
        ..config(1e-3, 2)
    };
    let mut t = trainer(&data, &small_model(), &cfg);
    run(&mut t, &data).unwrap();
    let steps: Vec<usize> = t.history().probes.iter().map(|p| p.step).collect();
    assert_eq!(steps, [0, 38]);
}
