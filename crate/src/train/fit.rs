use super::history::Probe;
use super::trainer::{EpochSummary, Progress, Trainer};
use crate::data::Dataset;
use crate::error::TrainError;

/// What a run reports as it goes.
pub enum Event<'a> {
    Steps(&'a Progress),
    Epoch(&'a EpochSummary),
    Probe(&'a Probe),
}

/// Trains until early stopping or the epoch limit, calling `on_event` along the way, and leaves
/// the best weights in the trainer. On an error the history so far stays in the trainer.
pub async fn fit(
    trainer: &mut Trainer,
    data: &Dataset,
    on_event: &mut dyn FnMut(Event),
) -> Result<(), TrainError> {
    while !trainer.finished() {
        if trainer.probe_due() {
            let probe = trainer.probe(data).await?;
            on_event(Event::Probe(&probe));
        }
        let progress = trainer.train_chunk(data).await?;
        on_event(Event::Steps(&progress));
        if progress.epoch_complete {
            let summary = trainer.end_epoch(data).await?;
            on_event(Event::Epoch(&summary));
        }
    }
    // The statistics of the final (best) weights, for "start vs end of training" plots.
    let probe = trainer.probe(data).await?;
    on_event(Event::Probe(&probe));
    Ok(())
}
