//! The learning-rate finder (Smith 2015; Géron ch. 11): one pass with the rate growing
//! exponentially, loss per step; the weights and optimizer state are restored afterwards.

use serde::{Deserialize, Serialize};

use burn::optim::ModuleOptimizer;

use super::schedule::exponential_sweep;
use super::trainer::Trainer;
use crate::data::Dataset;
use crate::error::TrainError;
use crate::fused::FusedStep;
use crate::model::DenseNet;
use crate::rng::Rng;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrSweepConfig {
    pub min_lr: f64,
    pub max_lr: f64,
    /// Steps in the sweep (0: one epoch).
    pub steps: usize,
}

impl Default for LrSweepConfig {
    fn default() -> Self {
        Self {
            min_lr: 1e-6,
            max_lr: 1.0,
            steps: 0,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LrSweep {
    pub lrs: Vec<f64>,
    pub losses: Vec<f32>,
    /// Exponentially smoothed losses (fastai's β = 0.98, bias-corrected), what the plot shows.
    pub smoothed: Vec<f32>,
    /// A tenth of the rate at the smoothed minimum: Géron's rule of thumb (the best rate is
    /// about 10× lower than where the loss turns up).
    pub suggested_lr: f64,
    /// The sweep ended early because the loss exploded (> 4× its minimum, or non-finite).
    pub diverged: bool,
    /// The sweep was stopped by the user before its last rate.
    #[serde(default)]
    pub stopped: bool,
}

/// What one call of [`Trainer::advance_sweep`] did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SweepEvent {
    /// A chunk of the sweep's steps: `steps` of `total` done.
    Swept { steps: usize, total: usize },
    /// The sweep's result; the weights and optimizer state are back as they were.
    Found { result: LrSweep },
}

/// A sweep in progress, from [`Trainer::begin_sweep`] until [`SweepEvent::Found`].
pub struct SweepRun {
    saved: Option<(DenseNet, ModuleOptimizer)>,
    /// The sweep's own fused step, where the run's steps are fused.
    fused: Option<FusedStep>,
    order: Vec<u32>,
    lrs: Vec<f64>,
    result: LrSweep,
}

impl SweepRun {
    /// Ends the sweep at its next advance, with the rates swept so far.
    pub fn stop(&mut self) {
        self.result.stopped = self.result.losses.len() < self.lrs.len() && !self.result.diverged;
    }

    /// Whether the sweep has ended and given back the weights.
    pub fn done(&self) -> bool {
        self.saved.is_none()
    }

    /// Steps in the whole sweep.
    pub fn total(&self) -> usize {
        self.lrs.len()
    }

    fn complete(&self) -> bool {
        self.saved.is_none()
            || self.result.diverged
            || self.result.stopped
            || self.result.losses.len() >= self.lrs.len()
    }
}

impl Trainer {
    /// Runs the sweep from the current weights, then puts the weights and optimizer back.
    pub async fn find_lr(
        &mut self,
        data: &Dataset,
        sweep: &LrSweepConfig,
    ) -> Result<LrSweep, TrainError> {
        let mut run = self.begin_sweep(data, sweep);
        loop {
            if let SweepEvent::Found { result } = self.advance_sweep(&mut run, data).await? {
                return Ok(result);
            }
        }
    }

    /// A sweep of `sweep`'s rates from the current weights, to drive with
    /// [`Trainer::advance_sweep`].
    pub fn begin_sweep(&self, data: &Dataset, sweep: &LrSweepConfig) -> SweepRun {
        let steps = match sweep.steps {
            0 => self.steps_per_epoch(data),
            n => n,
        };
        let mut order: Vec<u32> = (0..data.train.len() as u32).collect();
        Rng::fork(self.config.seed, 3).shuffle(&mut order);
        SweepRun {
            saved: Some(self.snapshot()),
            fused: None,
            order,
            lrs: exponential_sweep(sweep.min_lr, sweep.max_lr, steps),
            result: LrSweep::default(),
        }
    }

    /// Sweeps the next `readback_every` rates, or ends the sweep (weights restored) once it is
    /// complete, diverged or stopped. An error restores the weights too.
    pub async fn advance_sweep(
        &mut self,
        run: &mut SweepRun,
        data: &Dataset,
    ) -> Result<SweepEvent, TrainError> {
        if run.complete() {
            return Ok(SweepEvent::Found {
                result: self.end_sweep(run),
            });
        }
        if let Err(e) = self.sweep_chunk(run, data).await {
            self.end_sweep(run);
            return Err(e);
        }
        Ok(SweepEvent::Swept {
            steps: run.result.losses.len(),
            total: run.lrs.len(),
        })
    }

    async fn sweep_chunk(&mut self, run: &mut SweepRun, data: &Dataset) -> Result<(), TrainError> {
        let batch = self.config.batch_size;
        let done = run.result.losses.len();
        let end = (done + self.config.readback_every).min(run.lrs.len());
        let batches: Vec<(Vec<u32>, f64)> = (done..end)
            .map(|i| {
                let start = (i * batch) % run.order.len().max(1);
                let stop = (start + batch).min(run.order.len());
                (run.order[start..stop].to_vec(), run.lrs[i])
            })
            .collect();
        let (stepper, net) = self.parts();
        let losses = stepper.sweep(net, &mut run.fused, data, batches).await?;
        run.result.losses.extend(losses);
        run.result.diverged = exploded(&run.result.losses);
        Ok(())
    }

    fn end_sweep(&mut self, run: &mut SweepRun) -> LrSweep {
        run.fused = None;
        if let Some(saved) = run.saved.take() {
            self.restore(saved);
        }
        let mut result = std::mem::take(&mut run.result);
        result.lrs = run.lrs[..result.losses.len()].to_vec();
        result.smoothed = smooth(&result.losses);
        result.suggested_lr = suggest(&result.lrs, &result.smoothed);
        result
    }
}

fn exploded(losses: &[f32]) -> bool {
    let smoothed = smooth(losses);
    let min = smoothed.iter().cloned().fold(f32::INFINITY, f32::min);
    losses.iter().any(|l| !l.is_finite()) || smoothed.last().is_some_and(|&l| l > 4.0 * min)
}

fn smooth(losses: &[f32]) -> Vec<f32> {
    let beta = 0.98f64;
    let mut avg = 0.0f64;
    losses
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            avg = beta * avg + (1.0 - beta) * l as f64;
            (avg / (1.0 - beta.powi(i as i32 + 1))) as f32
        })
        .collect()
}

fn suggest(lrs: &[f64], smoothed: &[f32]) -> f64 {
    let best = smoothed
        .iter()
        .enumerate()
        .filter(|(_, l)| l.is_finite())
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i)
        .unwrap_or(0);
    lrs.get(best).map_or(0.0, |lr| lr / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestion_is_a_tenth_of_the_minimum() {
        let lrs = [1e-4, 1e-3, 1e-2, 1e-1];
        assert_eq!(suggest(&lrs, &[2.0, 1.0, 0.5, 3.0]), 1e-3);
        assert!(exploded(&[2.0, 1.0, 0.5, 30.0, 40.0, 50.0, 60.0]));
        assert!(!exploded(&[2.0, 1.9, 1.8]));
        assert!(exploded(&[2.0, f32::NAN]));
    }
}
