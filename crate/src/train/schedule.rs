use serde::{Deserialize, Serialize};

/// The learning rate as a function of the step.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Schedule {
    Constant,
    /// 1cycle (Smith 2018) as Géron's `OneCycleScheduler`: linear from lr/10 up to lr over the
    /// first half of the steps before the last ~10 %, back down to lr/10, then down to lr/10⁴.
    OneCycle,
}

impl Schedule {
    /// The rate for `step` (0-based) of `total` steps, with peak rate `lr`.
    pub fn rate(self, lr: f64, step: usize, total: usize) -> f64 {
        match self {
            Schedule::Constant => lr,
            Schedule::OneCycle => one_cycle(lr, step, total),
        }
    }
}

fn one_cycle(max_rate: f64, step: usize, total: usize) -> f64 {
    let start_rate = max_rate / 10.0;
    let last_rate = start_rate / 1000.0;
    let last_steps = total / 10 + 1;
    let half = total.saturating_sub(last_steps) / 2;
    let lerp = |from: usize, to: usize, a: f64, b: f64| {
        let span = (to - from).max(1) as f64;
        a + (b - a) * (step - from) as f64 / span
    };
    if step < half {
        lerp(0, half, start_rate, max_rate)
    } else if step < 2 * half {
        lerp(half, 2 * half, max_rate, start_rate)
    } else {
        lerp(2 * half, total, start_rate, last_rate).max(last_rate)
    }
}

/// The learning rates of an exponential sweep from `min` to `max` in `steps` steps.
pub fn exponential_sweep(min: f64, max: f64, steps: usize) -> Vec<f64> {
    let ratio = (max / min).ln();
    (0..steps)
        .map(|i| min * (ratio * i as f64 / (steps - 1).max(1) as f64).exp())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_cycle_matches_geron() {
        // 100 steps: last_steps = 11, half = 44.
        let r = |s| Schedule::OneCycle.rate(1.0, s, 100);
        assert!((r(0) - 0.1).abs() < 1e-12);
        assert!((r(22) - 0.55).abs() < 1e-12);
        assert!((r(44) - 1.0).abs() < 1e-12);
        assert!((r(88) - 0.1).abs() < 1e-12);
        assert!(r(99) < 0.01 && r(99) >= 1e-4);
        assert_eq!(Schedule::Constant.rate(0.3, 50, 100), 0.3);
    }

    #[test]
    fn sweep_is_geometric_from_min_to_max() {
        let lrs = exponential_sweep(1e-5, 1e-1, 5);
        assert!((lrs[0] - 1e-5).abs() < 1e-15 && (lrs[4] - 1e-1).abs() < 1e-12);
        assert!((lrs[2] - 1e-3).abs() < 1e-12);
    }
}
