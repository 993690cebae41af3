use burn::tensor::Device;

use super::*;
use crate::data::{Dataset, SyntheticSpec};
use crate::optim::{NadamSchedule, OptimizerConfig};
use crate::train::{LrCandidate, Schedule, SweepEvent, TrainEvent};

fn data() -> Dataset {
    SyntheticSpec {
        image_shape: [1, 6, 7],
        train: 300,
        valid: 90,
        test: 70,
        noise: 32.0,
        ..SyntheticSpec::default()
    }
    .generate()
}

/// A quick exercise on a net and data small enough for a unit test; widths and record counts
/// are not multiples of anything in particular.
fn tiny() -> ExerciseOptions {
    ExerciseOptions {
        max_train_records: Some(100),
        max_epochs: Some(2),
        seed: Some(3),
        depth: Some(3),
        width: Some(13),
    }
}

fn run(edition: Edition, stop_after: Option<usize>) -> (Vec<ExerciseEvent>, ExerciseTable) {
    let plan = ExercisePlan::new(edition, Length::Quick, &tiny()).unwrap();
    let mut runner = ExerciseRunner::new(plan, &Device::flex());
    let data = data();
    let mut events = Vec::new();
    loop {
        if stop_after == Some(events.len()) {
            runner.stop();
        }
        let event = pollster::block_on(runner.advance(&data)).unwrap();
        events.push(event.clone());
        if let ExerciseEvent::Finished { table, .. } = event {
            return (events, table);
        }
    }
}

fn candidates_of(events: &[ExerciseEvent], part: Part) -> Vec<LrCandidate> {
    let searched = events.iter().find_map(|e| match e {
        ExerciseEvent::Searched { part: p, search } if *p == part => Some(search.clone()),
        _ => None,
    });
    searched.expect("a search").candidates
}

#[test]
fn the_whole_exercise_fills_its_table_row_by_row_as_the_book_lays_it_out() {
    let (events, table) = run(Edition::Third, None);
    let rows: Vec<_> = table.rows.iter().map(|r| r.row.name()).collect();
    assert_eq!(rows, ["b", "c", "d", "e", "MC10", "MC100", "f"]);
    let variants: Vec<_> = table.rows.iter().map(|r| r.variant.as_str()).collect();
    assert_eq!(variants[..2], ["swish-he", "swish-he-bn"]);
    for r in &table.rows {
        let valid = r.valid.as_ref().expect("every row measured");
        assert!(
            (0.0..=1.0).contains(&valid.accuracy) && valid.loss.is_finite(),
            "{r:?}"
        );
        assert_eq!(r.book, Edition::Third.book(r.row));
    }
    assert_eq!(table.rows[0].book.unwrap().val_accuracy, 0.468);
    // The parts' rows arrive as each part ends, in the table's order.
    let ended: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ExerciseEvent::PartEnded { rows, .. } => Some(rows.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(ended, table.rows);
}

#[test]
fn each_searched_part_trains_with_the_candidate_of_lowest_validation_loss() {
    let (events, table) = run(Edition::Second, None);
    for (part, row) in [(Part::B, 0), (Part::C, 1), (Part::D, 2), (Part::E, 3)] {
        let candidates = candidates_of(&events, part);
        let rates: Vec<_> = candidates.iter().map(|c| c.lr).collect();
        let lr = ExercisePlan::new(Edition::Second, Length::Quick, &tiny())
            .unwrap()
            .parts[row]
            .variant
            .lr;
        assert_eq!(rates, [lr / 3.0, lr, lr * 3.0]);
        let best = candidates
            .iter()
            .min_by(|a, b| a.best_val_loss.total_cmp(&b.best_val_loss))
            .unwrap();
        assert_eq!(table.rows[row].lr, best.lr, "{part:?}");
        assert_eq!(table.rows[row].lr_how, LrHow::Search);
        assert!(candidates.iter().all(|c| c.epochs == 1));
    }
}

#[test]
fn one_cycle_peaks_at_ten_times_the_finders_suggestion_and_mc_rows_reuse_e_s_net() {
    let (events, table) = run(Edition::Second, None);
    let suggested = events
        .iter()
        .find_map(|e| match e {
            ExerciseEvent::Swept {
                event: SweepEvent::Found { result },
                ..
            } => Some(result.suggested_lr),
            _ => None,
        })
        .expect("(f)'s LR finder");
    let f = table.rows.last().unwrap();
    assert_eq!(
        (f.row, f.lr, f.lr_how),
        (Row::F, 10.0 * suggested, LrHow::LrFinder)
    );
    let started = events.iter().rev().find_map(|e| match e {
        ExerciseEvent::RunStarted { run, .. } => Some(run.train.clone()),
        _ => None,
    });
    let train = started.unwrap();
    assert_eq!(
        (train.batch_size, train.schedule),
        (128, Schedule::OneCycle)
    );
    assert!(matches!(
        train.optimizer,
        OptimizerConfig::Sgd { momentum: 0.0, .. }
    ));
    let e = &table.rows[3];
    for (row, passes) in [(&table.rows[4], 10), (&table.rows[5], 100)] {
        assert_eq!(
            (row.lr, row.epochs, row.best_epoch),
            (e.lr, e.epochs, e.best_epoch)
        );
        assert_eq!(row.valid.as_ref().unwrap().passes, passes);
        assert_eq!(row.test.as_ref().unwrap().passes, passes);
    }
    // (e)'s own row is the run's final evaluation.
    let finished = events.iter().find_map(|ev| match ev {
        ExerciseEvent::Trained {
            part: Part::E,
            event: TrainEvent::Finished { report },
        } => Some(report.clone()),
        _ => None,
    });
    assert_eq!(e.valid, finished.unwrap().valid);
}

#[test]
fn the_editions_set_their_notebooks_optimizer_and_nets() {
    for (edition, schedule, b) in [
        (Edition::Second, NadamSchedule::Legacy, "elu-he"),
        (Edition::Third, NadamSchedule::Keras3, "swish-he"),
    ] {
        let plan = ExercisePlan::new(edition, Length::Full, &ExerciseOptions::default()).unwrap();
        assert_eq!(plan.parts[0].variant.name, b);
        for p in &plan.parts[..4] {
            assert_eq!(
                p.train.optimizer,
                OptimizerConfig::Nadam {
                    momentum_schedule: schedule
                }
            );
            assert_eq!((p.train.max_epochs, p.train.patience), (100, 20));
            assert_eq!(p.search.len(), 9);
        }
    }
    let third = ExercisePlan::new(Edition::Third, Length::Full, &ExerciseOptions::default());
    let c = &third.unwrap().parts[1].variant.model;
    assert!(c.batch_norm && !c.input_batch_norm);
    assert_eq!("3".parse::<Edition>().unwrap(), Edition::Third);
    assert!("4th".parse::<Edition>().unwrap_err().0.contains("2 or 3"));
}

#[test]
fn a_stopped_exercise_keeps_the_rows_of_the_parts_that_ended() {
    let (all, _) = run(Edition::Second, None);
    // Stop just after (c) started: (b)'s row is kept, nothing after (c) runs.
    let c_start = all
        .iter()
        .position(|e| matches!(e, ExerciseEvent::PartStarted { plan } if plan.part == Part::C))
        .unwrap();
    let (events, table) = run(Edition::Second, Some(c_start + 2));
    let rows: Vec<_> = table.rows.iter().map(|r| r.row).collect();
    assert_eq!(rows, [Row::B]);
    assert!(matches!(
        events.last(),
        Some(ExerciseEvent::Finished { stopped: true, .. })
    ));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ExerciseEvent::PartStarted { plan } if plan.part == Part::D))
    );
}

#[test]
fn the_time_bound_counts_every_step_the_plan_allows() {
    let plan = ExercisePlan::new(Edition::Second, Length::Quick, &tiny()).unwrap();
    // 100 records: 4 steps of 32 (b–e), 1 of 128 (f). Searches 3 × 1 epoch, runs 2 epochs,
    // (f) sweeps 100 steps (at least) and trains 2 epochs.
    assert_eq!(plan.max_steps(300), 4 * 4 * (3 + 2) + (100 + 2));
}

#[test]
fn a_resumed_exercise_goes_on_at_the_part_after_its_kept_rows() {
    let (_, full) = run(Edition::Second, None);
    let kept = full.rows[..2].to_vec();
    let plan = ExercisePlan::new(Edition::Second, Length::Quick, &tiny()).unwrap();
    let mut runner = ExerciseRunner::resume(plan.clone(), &Device::flex(), kept.clone()).unwrap();
    let data = data();
    let mut started = Vec::new();
    let table = loop {
        match pollster::block_on(runner.advance(&data)).unwrap() {
            ExerciseEvent::PartStarted { plan } => started.push(plan.part),
            ExerciseEvent::Finished { table, .. } => break table,
            _ => {}
        }
    };
    assert_eq!(started, [Part::D, Part::E, Part::F]);
    assert_eq!(table.rows[..2], kept[..]);
    assert_eq!(table.rows.len(), 7);
    // Rows that do not start with (b) cannot be resumed from.
    let err = ExerciseRunner::resume(plan, &Device::flex(), full.rows[1..2].to_vec()).err();
    assert!(err.unwrap().0.contains("cannot resume"));
}

/// The page's "CLI reference" column is the table of the exercise's log, row for row: the
/// summary it is built from is made of the logs alone.
#[test]
fn the_built_in_reference_is_each_editions_logged_table() {
    for (edition, file) in [
        (Edition::Second, "exercise-2nd.jsonl"),
        (Edition::Third, "exercise-3rd.jsonl"),
    ] {
        let path = format!("{}/../docs/results/{file}", env!("CARGO_MANIFEST_DIR"));
        let log = std::fs::read_to_string(&path).expect("the exercise's log");
        let lines: Vec<serde_json::Value> = log
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        let commit = lines[0]["commit"].as_str().map(str::to_owned);
        let table = lines
            .iter()
            .rfind(|e| e["event"] == "table")
            .expect("a finished exercise");
        let logged: Vec<(Row, f64, Option<f64>)> = table["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let row = serde_json::from_value(r["row"].clone()).unwrap();
                (
                    row,
                    r["valid"]["accuracy"].as_f64().unwrap(),
                    r["test"]["accuracy"].as_f64(),
                )
            })
            .collect();
        let reference = reference(edition);
        let built_in: Vec<_> = reference
            .iter()
            .map(|r| (r.row, r.val_accuracy, r.test_accuracy))
            .collect();
        assert_eq!(built_in, logged, "{file}");
        assert!(reference.iter().all(|r| r.commit == commit));
        assert_eq!(logged.len(), 7);
    }
}

/// A full-length table run with overrides says what they changed; the book's protocol says
/// nothing more.
#[test]
fn a_full_table_names_what_the_options_changed() {
    let options = ExerciseOptions {
        max_train_records: Some(2_000),
        max_epochs: Some(2),
        ..ExerciseOptions::default()
    };
    let changed = ExercisePlan::new(Edition::Second, Length::Full, &options).unwrap();
    assert_eq!(
        changed.changes,
        ["at most 2000 training records", "at most 2 epochs"]
    );
    let book = ExercisePlan::new(Edition::Third, Length::Full, &ExerciseOptions::default());
    assert!(book.unwrap().changes.is_empty());
    let table = |changes: Vec<String>| ExerciseTable {
        edition: Edition::Second,
        length: Length::Full,
        changes,
        rows: Vec::new(),
    };
    let first_line = |t: ExerciseTable| t.to_text().lines().next().unwrap().to_owned();
    assert_eq!(
        first_line(table(changed.changes)),
        "Exercise 8, 2nd edition, full length, changed: at most 2000 training records, at most 2 epochs (not comparable with the book)"
    );
    assert_eq!(
        first_line(table(Vec::new())),
        "Exercise 8, 2nd edition, full length"
    );
}
