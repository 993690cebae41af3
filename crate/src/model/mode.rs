/// How stochastic layers (dropout, alpha dropout) and batch norm behave in a forward pass.
///
/// Explicit rather than inferred from the device: Burn turns dropout on only for autodiff
/// devices, which would make MC Dropout depend on the backend running inference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Dropout active, batch norm on batch statistics (and updating its running averages).
    Train,
    /// Dropout off, batch norm on its running averages.
    Eval,
    /// Monte Carlo Dropout (Gal & Ghahramani 2016): dropout active, batch norm as in `Eval`.
    Mc,
}

impl Mode {
    pub fn dropout_active(self) -> bool {
        matches!(self, Mode::Train | Mode::Mc)
    }
}
