//! The fused step's buffers on the device and the host side of each step: uploads, launches,
//! readbacks, and the conversions from and to the generic path's [`DenseNet`].

use burn::tensor::Device;
use burn_dispatch::DispatchDevice;
use cubecl::bytes::Bytes;
use cubecl::client::Client;
use cubecl::prelude::*;
use cubecl::server::Handle;

use super::kernels;
use super::plan::{Buffer, Plan};
use crate::error::TrainError;
use crate::model::{DenseNet, ModelConfig};
use crate::optim::{Nadam, OptimizerConfig};
use crate::train::TrainConfig;
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
    Sgd {
        momentum: f64,
        nesterov: bool,
    },
}

impl Optimizer {
    fn new(config: &OptimizerConfig) -> Self {
        match *config {
            OptimizerConfig::Nadam { momentum_schedule } => Optimizer::Nadam {
                nadam: momentum_schedule.nadam(),
                time: 0,
                mu_product: 1.0,
            },
            OptimizerConfig::Sgd { momentum, nesterov } => Optimizer::Sgd { momentum, nesterov },
            OptimizerConfig::Adam => unreachable!("the fused step does not run Adam"),
        }
    }

    pub(super) fn code(&self) -> u32 {
        match *self {
            Optimizer::Nadam { .. } => kernels::NADAM,
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
            Optimizer::Nadam { .. } => 2,
            Optimizer::Sgd { .. } => 1,
        }
    }

    /// The next update's scalars (see [`kernels::update`]).
    fn advance(&mut self, lr: f64) -> Vec<f32> {
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
                [b1, 1.0 - b1, b2, 1.0 - b2, c.m_coef, c.g_coef, c.epsilon]
                    .map(|v| v as f32)
                    .to_vec()
            }
            Optimizer::Sgd { momentum, .. } => vec![-lr as f32, *momentum as f32],
        }
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
    /// Loss and number right of each step since the last [`FusedStep::read_losses`].
    pub(super) out: Handle,
    pub(super) out_slots: usize,
    /// Steps taken since then, each with its slot in `out`.
    pending: usize,
}

impl FusedStep {
    /// Buffers for `model` (whose weights are uploaded) trained with `train`; the optimizer
    /// starts from zero state, as the generic one does.
    pub async fn new(
        model: &DenseNet,
        model_config: &ModelConfig,
        train: &TrainConfig,
        device: &Device,
    ) -> Result<Self, TrainError> {
        let client = client(device).ok_or_else(|| {
            TrainError::Device("the fused step needs the wgpu/WebGPU backend".into())
        })?;
        let plan = Plan::new(model_config, train.batch_size);
        let optimizer = Optimizer::new(&train.optimizer);
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
            scalars: zeros(8),
            out: floats(2 * out_slots),
            out_slots,
            pending: 0,
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
        let scalars = self.optimizer.advance(lr);
        self.client.write(&self.scalars, Bytes::from_elems(scalars));
        self.forward(rows);
        self.loss(rows, self.pending);
        self.backward(rows);
        self.update(rows);
        self.pending += 1;
        // Submitted now: the runtime holds each write's bytes in wasm memory until its queue is
        // flushed, and a chunk's inputs would otherwise pile up (25 × 3 MB at batch 256).
        self.client.flush().map_err(TrainError::device)
    }

    /// Room for `steps` more losses before the next [`FusedStep::read_losses`].
    pub fn reserve(&mut self, steps: usize) {
        let needed = self.pending + steps;
        if needed > self.out_slots {
            assert!(self.pending == 0, "read the losses back before reserving");
            self.out_slots = needed;
            self.out = self.client.empty(4 * 2 * needed);
        }
    }

    /// Loss and number right of every step since the last call, in order.
    pub async fn read_losses(&mut self) -> Result<Vec<(f32, f32)>, TrainError> {
        let slots = std::mem::take(&mut self.pending);
        if slots == 0 {
            return Ok(Vec::new());
        }
        let values = self.read(&[(&self.out, 2 * slots)]).await?.remove(0);
        Ok(values.chunks_exact(2).map(|p| (p[0], p[1])).collect())
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
