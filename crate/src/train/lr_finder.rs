//! The learning-rate finder (Smith 2015; Géron ch. 11): one pass with the rate growing
//! exponentially, loss per step; the weights and optimizer state are restored afterwards.

use serde::{Deserialize, Serialize};

use super::schedule::exponential_sweep;
use super::trainer::Trainer;
use crate::data::Dataset;
use crate::error::TrainError;
use crate::readback::read_many;
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
}

impl Trainer {
    /// Runs the sweep from the current weights, then puts the weights and optimizer back.
    pub async fn find_lr(
        &mut self,
        data: &Dataset,
        sweep: &LrSweepConfig,
    ) -> Result<LrSweep, TrainError> {
        let saved = self.snapshot();
        let result = self.sweep(data, sweep).await;
        self.restore(saved);
        result
    }

    async fn sweep(
        &mut self,
        data: &Dataset,
        sweep: &LrSweepConfig,
    ) -> Result<LrSweep, TrainError> {
        let batch = self.config.batch_size;
        let steps = match sweep.steps {
            0 => self.steps_per_epoch(data),
            n => n,
        };
        let mut order: Vec<u32> = (0..data.train.len() as u32).collect();
        Rng::fork(self.config.seed, 3).shuffle(&mut order);
        let lrs = exponential_sweep(sweep.min_lr, sweep.max_lr, steps);
        let mut result = LrSweep::default();
        for chunk in lrs.chunks(self.config.readback_every) {
            let losses: Vec<_> = chunk
                .iter()
                .map(|&lr| {
                    let start = (result.lrs.len() * batch) % order.len().max(1);
                    let end = (start + batch).min(order.len());
                    result.lrs.push(lr);
                    let indices = order[start..end].to_vec();
                    self.sweep_step(data, &indices, lr)
                })
                .collect();
            result.losses.extend(read_many(losses).await?);
            if exploded(&result.losses) {
                result.diverged = true;
                break;
            }
        }
        result.lrs.truncate(result.losses.len());
        result.smoothed = smooth(&result.losses);
        result.suggested_lr = suggest(&result.lrs, &result.smoothed);
        Ok(result)
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
