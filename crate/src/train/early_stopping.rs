use serde::{Deserialize, Serialize};

/// Keras's `EarlyStopping(monitor="val_loss", patience, restore_best_weights=True)`: stop once
/// the validation loss has not improved for `patience` epochs in a row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EarlyStopping {
    pub patience: usize,
    pub best_loss: f64,
    /// 1-based epoch of the best loss (0 before the first epoch).
    pub best_epoch: usize,
    /// Epochs since the best one.
    pub waited: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A new best: keep these weights.
    Improved,
    /// No better; this many epochs of patience are left.
    Wait(usize),
    Stop,
}

impl EarlyStopping {
    pub fn new(patience: usize) -> Self {
        Self {
            patience,
            best_loss: f64::INFINITY,
            best_epoch: 0,
            waited: 0,
        }
    }

    pub fn update(&mut self, epoch: usize, val_loss: f64) -> Verdict {
        if val_loss < self.best_loss {
            self.best_loss = val_loss;
            self.best_epoch = epoch;
            self.waited = 0;
            return Verdict::Improved;
        }
        self.waited += 1;
        if self.waited >= self.patience {
            Verdict::Stop
        } else {
            Verdict::Wait(self.patience - self.waited)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_after_patience_epochs_without_improvement() {
        let mut es = EarlyStopping::new(2);
        let losses = [1.0, 0.8, 0.9, 0.7, 0.75, 0.71];
        let verdicts: Vec<_> = losses
            .iter()
            .enumerate()
            .map(|(i, &l)| es.update(i + 1, l))
            .collect();
        use Verdict::*;
        assert_eq!(
            verdicts,
            [Improved, Improved, Wait(1), Improved, Wait(1), Stop]
        );
        assert_eq!((es.best_epoch, es.best_loss), (4, 0.7));
    }
}
