//! The fused step's buffers on the device and the host side of each step: uploads, launches,
//! readbacks, and the conversions from and to the generic path's [`DenseNet`].

use burn::tensor::Device;
use burn_dispatch::DispatchDevice;
use cubecl::bytes::Bytes;
use cubecl::client::Client;
use cubecl::prelude::*;
use cubecl::server::Handle;

use super::FusedConfig;
use super::kernels;
use super::launch::Pass;
use super::plan::{Buffer, Plan};
use crate::error::TrainError;
use crate::model::{DenseNet, ModelConfig};
use crate::optim::{Nadam, OptimizerConfig};
use crate::weights;

/// The compute client of a wgpu device (through autodiff too), the one Burn's kernels run on.
pub(super) fn client(device: &Device) -> Option<Client> {
    match device.clone().inner().as_dispatch() {
        DispatchDevice::Cube(cube) => Some(cube.client()),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// The optimizer's step-dependent scalars are computed here, on the host, in f64, as the
/// generic path computes them; the kernel applies them.
#[derive(Clone, Debug)]
pub(super) enum Optimizer {
    Nadam {
        nadam: Nadam,
        time: usize,
        mu_product: f64,
    },
    /// Burn's Adam, whose scalars it computes in f32.
    Adam {
        time: i32,
    },
    Sgd {
        momentum: f64,
        nesterov: bool,
    },
}

/// Burn's `AdamConfig` defaults, with Keras's ε as [`OptimizerConfig::init`] sets it.
const ADAM_BETA_1: f32 = 0.9;
const ADAM_BETA_2: f32 = 0.999;
const ADAM_EPSILON: f32 = 1e-7;

impl Optimizer {
    fn new(config: &OptimizerConfig) -> Self {
        match *config {
            OptimizerConfig::Nadam { momentum_schedule } => Optimizer::Nadam {
                nadam: momentum_schedule.nadam(),
                time: 0,
                mu_product: 1.0,
            },
            OptimizerConfig::Sgd { momentum, nesterov } => Optimizer::Sgd { momentum, nesterov },
            OptimizerConfig::Adam => Optimizer::Adam { time: 0 },
        }
    }

    pub(super) fn code(&self) -> u32 {
        match *self {
            // Adam is Nadam's update with a gradient coefficient of 0.
            Optimizer::Nadam { .. } | Optimizer::Adam { .. } => kernels::NADAM,
            Optimizer::Sgd { momentum: 0.0, .. } => kernels::SGD,
            Optimizer::Sgd {
                nesterov: false, ..
            } => kernels::SGD_MOMENTUM,
            Optimizer::Sgd { nesterov: true, .. } => kernels::SGD_NESTEROV,
        }
    }

    /// State floats per parameter.
    pub(super) fn state_per_parameter(&self) -> usize {
        match self {
            Optimizer::Nadam { .. } | Optimizer::Adam { .. } => 2,
            Optimizer::Sgd { .. } => 1,
        }
    }

    /// The next update's scalars (see [`kernels::update`]), then the L1 factor λ, each at its
    /// position (`kernels::SCALAR_*`).
    fn advance(&mut self, lr: f64, l1: f64) -> Vec<f32> {
        use kernels::{
            SCALAR_BETA_1, SCALAR_BETA_2, SCALAR_EPSILON, SCALAR_G_COEF, SCALAR_L1, SCALAR_M_COEF,
            SCALAR_MOMENTUM, SCALAR_NEG_LR, SCALAR_ONE_MINUS_BETA_1, SCALAR_ONE_MINUS_BETA_2,
            SCALARS,
        };
        let mut s = vec![0.0f32; SCALARS];
        // β₁, 1 − β₁, β₂, 1 − β₂, the moment and gradient coefficients, ε.
        let mut moments = |[b1, c1, b2, c2, m_coef, g_coef, epsilon]: [f32; 7]| {
            s[SCALAR_BETA_1] = b1;
            s[SCALAR_ONE_MINUS_BETA_1] = c1;
            s[SCALAR_BETA_2] = b2;
            s[SCALAR_ONE_MINUS_BETA_2] = c2;
            s[SCALAR_M_COEF] = m_coef;
            s[SCALAR_G_COEF] = g_coef;
            s[SCALAR_EPSILON] = epsilon;
        };
        match self {
            Optimizer::Nadam {
                nadam,
                time,
                mu_product,
            } => {
                *time += 1;
                let c = nadam.coefficients(lr, *time, *mu_product);
                *mu_product = c.mu_product;
                let (b1, b2) = (nadam.beta_1, nadam.beta_2);
                moments(
                    [b1, 1.0 - b1, b2, 1.0 - b2, c.m_coef, c.g_coef, c.epsilon].map(|v| v as f32),
                );
            }
            Optimizer::Adam { time } => {
                // As Burn's `AdaptiveMomentum`: in f32, m̂/(√v̂ + ε) folded into
                // (√(1 − β₂ᵗ)/(1 − β₁ᵗ))·m / (√v + ε·√(1 − β₂ᵗ)), times the rate.
                *time += 1;
                let (b1, b2) = (ADAM_BETA_1, ADAM_BETA_2);
                let correction_2 = (1.0 - b2.powi(*time)).sqrt();
                let combined = correction_2 / (1.0 - b1.powi(*time));
                let m_coef = (combined as f64 * lr) as f32;
                // Adam is Nadam's update with a gradient coefficient of 0.
                moments([
                    b1,
                    1.0 - b1,
                    b2,
                    1.0 - b2,
                    m_coef,
                    0.0,
                    ADAM_EPSILON * correction_2,
                ]);
            }
            Optimizer::Sgd { momentum, .. } => {
                s[SCALAR_NEG_LR] = -lr as f32;
                s[SCALAR_MOMENTUM] = *momentum as f32;
            }
        }
        s[SCALAR_L1] = l1 as f32;
        s
    }
}

/// Room for each slot's parts of Σ|w| when there is an L1 term.
fn l1_parts_len(l1: f64, slots: usize, plan: &Plan) -> usize {
    match l1 > 0.0 {
        true => slots * plan.dense_items(),
        false => 1,
    }
}

/// A run's parameters, optimizer state and scratch buffers on the device.
pub struct FusedStep {
    pub(super) client: Client,
    pub(super) plan: Plan,
    pub(super) optimizer: Optimizer,
    pub(super) params: Handle,
    pub(super) running: Handle,
    pub(super) stats: Handle,
    pub(super) norm_grads: Handle,
    pub(super) state: Handle,
    pub(super) acts: Handle,
    pub(super) grads: Handle,
    pub(super) labels: Handle,
    pub(super) layout: Handle,
    pub(super) scalars: Handle,
    /// Loss and number right of each step since the last [`FusedStep::read_losses`] (or an MC
    /// Dropout batch's loss sum and number right).
    pub(super) out: Handle,
    pub(super) out_slots: usize,
    /// Steps taken since then, each with its slot in `out`.
    pending: usize,
    /// The L1 factor λ (0: none), and each pending step's parts of Σ|w| (see
    /// [`kernels::update`]).
    pub(super) l1: f64,
    pub(super) l1_parts: Handle,
    /// MC Dropout's summed probabilities (`batch × classes`); empty on a training step.
    pub(super) probs: Handle,
    /// The dropout masks' seed, and how many draws the training steps and the MC Dropout
    /// passes have taken (MC draws are numbered from [`MC_DRAWS`]).
    pub(super) seed: u64,
    draws: u64,
    mc_draws: u64,
}

/// Loss slots of MC Dropout's buffers before any `reserve`: `TrainConfig`'s default
/// `readback_every`, which they were made with before [`FusedConfig`].
const MC_OUT_SLOTS: usize = 25;

/// MC Dropout's draws of the masks are numbered from here, apart from any training step's.
const MC_DRAWS: u64 = 1 << 63;

impl FusedStep {
    /// Buffers for `model` (whose weights are uploaded) trained with `train`; the optimizer
    /// starts from zero state, as the generic one does.
    pub async fn new(
        model: &DenseNet,
        model_config: &ModelConfig,
        train: impl Into<FusedConfig>,
        device: &Device,
    ) -> Result<Self, TrainError> {
        let train = train.into();
        let plan = Plan::new(model_config, train.batch_size);
        let optimizer = Optimizer::new(&train.optimizer);
        Self::with_plan(model, plan, optimizer, &train, device).await
    }

    /// Buffers for MC Dropout passes over batches of up to `batch` records with `model`'s
    /// weights, the masks seeded with `seed` (no optimizer state).
    pub async fn for_mc_dropout(
        model: &DenseNet,
        model_config: &ModelConfig,
        batch: usize,
        seed: u64,
        device: &Device,
    ) -> Result<Self, TrainError> {
        let plan = Plan::new(model_config, batch);
        let sgd = Optimizer::Sgd {
            momentum: 0.0,
            nesterov: false,
        };
        let train = FusedConfig {
            seed,
            batch_size: batch,
            l1: 0.0,
            optimizer: OptimizerConfig::Adam,
            readback_every: MC_OUT_SLOTS,
            lr: 0.0,
        };
        let mut step = Self::with_plan(model, plan, sgd, &train, device).await?;
        step.probs = step.client.empty(4 * batch * model_config.classes);
        Ok(step)
    }

    async fn with_plan(
        model: &DenseNet,
        plan: Plan,
        optimizer: Optimizer,
        train: &FusedConfig,
        device: &Device,
    ) -> Result<Self, TrainError> {
        let client = client(device).ok_or_else(|| {
            TrainError::Device("the fused step needs the wgpu/WebGPU backend".into())
        })?;
        let floats = |n: usize| client.empty(4 * n.max(1));
        let zeros = |n: usize| client.create_from_slice(f32::as_bytes(&vec![0.0; n.max(1)]));
        let out_slots = train.readback_every.max(1);
        let mut step = Self {
            params: floats(plan.params),
            running: floats(plan.running),
            // Every kernel writes its region of these before any reads it, so they need no
            // zeros from the host (16 MB of them for elu-he-bn's activations at batch 256).
            stats: floats(plan.stats),
            norm_grads: floats(plan.norm_params()),
            acts: floats(plan.acts),
            grads: floats(plan.grads),
            // The optimizer's moments start at zero, as the generic optimizer's.
            state: zeros(plan.params * optimizer.state_per_parameter()),
            labels: client.create_from_slice(u32::as_bytes(&vec![0; plan.batch])),
            layout: client.create_from_slice(u32::as_bytes(&plan.table())),
            scalars: zeros(kernels::SCALARS),
            out: floats(2 * out_slots),
            out_slots,
            pending: 0,
            l1: train.l1,
            l1_parts: floats(l1_parts_len(train.l1, out_slots, &plan)),
            probs: floats(1),
            seed: train.seed,
            draws: 0,
            mc_draws: 0,
            client,
            plan,
            optimizer,
        };
        step.load(model).await?;
        Ok(step)
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Replaces the parameters and running averages with `model`'s (the optimizer state is
    /// kept, as the generic path keeps it when weights are imported).
    pub async fn load(&mut self, model: &DenseNet) -> Result<(), TrainError> {
        let tensors = weights::read_tensors(model).await?;
        let mut params = vec![0.0f32; self.plan.params];
        let mut running = vec![0.0f32; self.plan.running];
        for (slot, (_, values)) in self.plan.slots().iter().zip(tensors) {
            let buffer = match slot.buffer {
                Buffer::Params => &mut params,
                Buffer::Running => &mut running,
            };
            buffer[slot.off..slot.off + slot.values()].copy_from_slice(&values);
        }
        self.client.write(&self.params, Bytes::from_elems(params));
        if !running.is_empty() {
            self.client.write(&self.running, Bytes::from_elems(running));
        }
        Ok(())
    }

    /// `model` with this step's parameters and running averages.
    pub async fn store(&self, model: DenseNet) -> Result<DenseNet, TrainError> {
        let mut read = self
            .read(&[
                (&self.params, self.plan.params),
                (&self.running, self.plan.running),
            ])
            .await?;
        let (running, params) = (
            read.pop().unwrap_or_default(),
            read.pop().unwrap_or_default(),
        );
        let tensors = self.plan.slots().into_iter().map(|slot| {
            let buffer = match slot.buffer {
                Buffer::Params => &params,
                Buffer::Running => &running,
            };
            let values = buffer[slot.off..slot.off + slot.values()].to_vec();
            (slot.dims, values)
        });
        Ok(weights::load(model, tensors))
    }

    /// One optimizer step on a batch: `inputs` is `rows × d_0` preprocessed values, `labels`
    /// its classes. Nothing is read back: the loss waits on the device for
    /// [`FusedStep::read_losses`].
    pub fn step(&mut self, inputs: Vec<f32>, labels: &[u32], lr: f64) -> Result<(), TrainError> {
        let rows = labels.len();
        assert!(rows > 0 && rows <= self.plan.batch, "batch of {rows} rows");
        assert!(
            self.pending < self.out_slots,
            "reserve room for {} more steps' losses first",
            self.out_slots
        );
        self.client.write(&self.acts, Bytes::from_elems(inputs));
        self.client
            .write(&self.labels, Bytes::from_elems(labels.to_vec()));
        let scalars = self.optimizer.advance(lr, self.l1);
        self.client.write(&self.scalars, Bytes::from_elems(scalars));
        let draw = self.draws;
        self.draws += 1;
        self.forward(
            rows,
            Pass {
                draw,
                running_stats: false,
            },
        );
        self.loss(rows, self.pending);
        self.backward(rows, draw);
        self.update(rows, self.pending);
        self.pending += 1;
        // Submitted now: the runtime holds each write's bytes in wasm memory until its queue is
        // flushed, and a chunk's inputs would otherwise pile up (25 × 3 MB at batch 256).
        self.client.flush().map_err(TrainError::device)
    }

    /// A training step's forward pass alone on `rows` records (taking the next draw of the
    /// masks, which it returns), then each hidden layer's output as the next layer reads it,
    /// after dropout: where the tests look at the kernels' masks.
    pub async fn hidden_outputs(
        &mut self,
        inputs: Vec<f32>,
        rows: usize,
    ) -> Result<(u64, Vec<Vec<f32>>), TrainError> {
        assert!(rows > 0 && rows <= self.plan.batch, "batch of {rows} rows");
        self.client.write(&self.acts, Bytes::from_elems(inputs));
        let draw = self.draws;
        self.draws += 1;
        let running_stats = false;
        self.forward(
            rows,
            Pass {
                draw,
                running_stats,
            },
        );
        let acts = self.read(&[(&self.acts, self.plan.acts)]).await?.remove(0);
        let hidden = &self.plan.layers[..self.plan.layers.len() - 1];
        let outputs = hidden
            .iter()
            .map(|l| acts[l.a_off..l.a_off + rows * l.d_out].to_vec())
            .collect();
        Ok((draw, outputs))
    }

    /// Room for `steps` more losses before the next [`FusedStep::read_losses`].
    pub fn reserve(&mut self, steps: usize) {
        let needed = self.pending + steps;
        if needed > self.out_slots {
            assert!(self.pending == 0, "read the losses back before reserving");
            self.out_slots = needed;
            self.out = self.client.empty(4 * 2 * needed);
            self.l1_parts = self.client.empty(4 * self.l1_parts_len().max(1));
        }
    }

    /// Loss and number right of every step since the last call, in order; with L1, the loss
    /// includes its term, summed now.
    pub async fn read_losses(&mut self) -> Result<Vec<(f32, f32)>, TrainError> {
        if self.l1 > 0.0 && self.pending > 0 {
            self.l1_loss(self.pending);
        }
        self.read_out().await
    }

    /// The pairs in `out` since the last read, in order.
    async fn read_out(&mut self) -> Result<Vec<(f32, f32)>, TrainError> {
        let slots = std::mem::take(&mut self.pending);
        if slots == 0 {
            return Ok(Vec::new());
        }
        let values = self.read(&[(&self.out, 2 * slots)]).await?.remove(0);
        Ok(values.chunks_exact(2).map(|p| (p[0], p[1])).collect())
    }

    pub(super) fn l1_parts_len(&self) -> usize {
        l1_parts_len(self.l1, self.out_slots, &self.plan)
    }

    pub(super) fn probs_len(&self) -> usize {
        let classes = self.plan.layers.last().map_or(1, |l| l.d_out);
        self.plan.batch * classes
    }

    /// `passes` MC Dropout passes over one batch (batch norm on its running averages, dropout
    /// on), their softmax outputs averaged on the device; the batch's loss sum and number
    /// right wait for [`FusedStep::read_mc_dropout`].
    pub fn mc_dropout(
        &mut self,
        inputs: Vec<f32>,
        labels: &[u32],
        passes: usize,
    ) -> Result<(), TrainError> {
        let rows = labels.len();
        assert!(rows > 0 && rows <= self.plan.batch, "batch of {rows} rows");
        assert!(
            self.pending < self.out_slots,
            "reserve room for the batches' results first"
        );
        self.client.write(&self.acts, Bytes::from_elems(inputs));
        self.client
            .write(&self.labels, Bytes::from_elems(labels.to_vec()));
        for pass in 0..passes.max(1) {
            let draw = MC_DRAWS + self.mc_draws;
            self.mc_draws += 1;
            let running_stats = true;
            self.forward(
                rows,
                Pass {
                    draw,
                    running_stats,
                },
            );
            self.mc_accumulate(rows, pass == 0);
        }
        self.mc_finish(rows, passes.max(1), self.pending);
        self.pending += 1;
        self.client.flush().map_err(TrainError::device)
    }

    /// Loss sum and number right of every MC Dropout batch since the last read, in order.
    pub async fn read_mc_dropout(&mut self) -> Result<Vec<(f32, f32)>, TrainError> {
        self.read_out().await
    }

    /// The first `len` floats of each buffer, in one transfer.
    async fn read(&self, buffers: &[(&Handle, usize)]) -> Result<Vec<Vec<f32>>, TrainError> {
        let handles = buffers.iter().map(|(h, _)| (*h).clone()).collect();
        let bytes = self
            .client
            .read_async(handles)
            .await
            .map_err(TrainError::device)?;
        Ok(bytes
            .iter()
            .zip(buffers)
            .map(|(b, &(_, len))| f32::from_bytes(b)[..len].to_vec())
            .collect())
    }
}
