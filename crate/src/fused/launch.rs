//! The launches of one fused step, in order (see [`super::kernels`]).

use cubecl::prelude::*;
use cubecl::server::Handle;

use super::kernels::{self, BLOCK, GROUP, IDENTITY, LOSS_UNITS, NORM_UNITS, UPDATE_UNITS};
use super::plan::{Layer, Norm, act_code};
use super::step::FusedStep;

/// The most workgroups WebGPU allows along one dimension of a dispatch.
const MAX_GROUPS: u32 = 65_535;

fn buffer(handle: &Handle, floats: usize) -> BufferArg {
    // Safety: every handle is allocated by `FusedStep::new` with at least `floats` elements
    // (see `Plan`), and the kernels index within the plan's regions.
    unsafe { BufferArg::from_raw_parts(handle.clone(), floats.max(1)) }
}

/// Workgroups along a dimension of `n` outputs (BLOCK per invocation, GROUP per workgroup).
fn groups(n: usize) -> u32 {
    n.div_ceil(BLOCK).div_ceil(GROUP as usize) as u32
}

/// Where a batch norm reads its input and writes its outputs, in `acts`.
struct NormIo {
    input: usize,
    y: usize,
    a: usize,
}

impl FusedStep {
    pub(super) fn forward(&self, rows: usize) {
        let act = act_code(self.plan.activation);
        let last = self.plan.layers.len() - 1;
        if let (Some(norm), Some(first)) = (&self.plan.input_norm, self.plan.layers.first()) {
            let io = NormIo {
                input: 0,
                y: first.in_off,
                a: first.in_off,
            };
            self.norm_forward(norm, io, rows, IDENTITY, false);
        }
        for (l, layer) in self.plan.layers.iter().enumerate() {
            let activate_here = l < last && layer.norm.is_none();
            self.dense_forward(layer, rows, act, activate_here);
            if let Some(norm) = &layer.norm {
                let io = NormIo {
                    input: layer.z_off,
                    y: layer.z_off,
                    a: layer.a_off,
                };
                self.norm_forward(norm, io, rows, act, true);
            }
        }
    }

    fn dense_forward(&self, layer: &Layer, rows: usize, act: u32, activate: bool) {
        kernels::forward::launch(
            &self.client,
            CubeCount::Static(groups(layer.d_out), groups(rows), 1),
            CubeDim::new_2d(GROUP, GROUP),
            buffer(&self.params, self.plan.params),
            buffer(&self.acts, self.plan.acts),
            rows as u32,
            layer.d_in as u32,
            layer.d_out as u32,
            layer.w_off as u32,
            layer.b_off as u32,
            layer.in_off as u32,
            layer.z_off as u32,
            layer.a_off as u32,
            act,
            activate,
        );
    }

    fn norm_forward(&self, norm: &Norm, io: NormIo, rows: usize, act: u32, activate: bool) {
        kernels::norm_forward::launch(
            &self.client,
            CubeCount::Static(norm.features.div_ceil(NORM_UNITS as usize) as u32, 1, 1),
            CubeDim::new_1d(NORM_UNITS),
            buffer(&self.params, self.plan.params),
            buffer(&self.running, self.plan.running),
            buffer(&self.acts, self.plan.acts),
            buffer(&self.stats, self.plan.stats),
            rows as u32,
            norm.features as u32,
            norm.gamma_off as u32,
            norm.run_off as u32,
            io.input as u32,
            norm.xhat_off as u32,
            io.y as u32,
            io.a as u32,
            norm.stats_off as u32,
            self.plan.momentum as f32,
            self.plan.epsilon as f32,
            act,
            activate,
        );
    }

    pub(super) fn loss(&self, rows: usize, slot: usize) {
        let output = self
            .plan
            .layers
            .last()
            .expect("the net has an output layer");
        kernels::softmax_cross_entropy::launch(
            &self.client,
            CubeCount::Static(1, 1, 1),
            CubeDim::new_1d(LOSS_UNITS),
            buffer(&self.acts, self.plan.acts),
            unsafe { BufferArg::from_raw_parts(self.labels.clone(), self.plan.batch) },
            buffer(&self.grads, self.plan.grads),
            buffer(&self.out, 2 * self.out_slots),
            rows as u32,
            output.d_out as u32,
            output.z_off as u32,
            output.g_off as u32,
            slot as u32,
        );
    }

    pub(super) fn backward(&self, rows: usize) {
        let act = act_code(self.plan.activation);
        for pair in self.plan.layers.windows(2).rev() {
            let (prev, layer) = (&pair[0], &pair[1]);
            let target = (prev.z_off, prev.a_off, prev.g_off);
            self.dense_backward(layer, rows, target, act);
            if let Some(norm) = &prev.norm {
                self.norm_backward(norm, prev.g_off, rows, true, false);
            }
        }
        if let (Some(norm), Some(first)) = (&self.plan.input_norm, self.plan.layers.first()) {
            let target = (first.in_off, first.in_off, self.plan.input_grad_off);
            self.dense_backward(first, rows, target, IDENTITY);
            let zero_beta = first.norm.is_some();
            self.norm_backward(norm, self.plan.input_grad_off, rows, false, zero_beta);
        }
    }

    /// The gradient w.r.t. `layer`'s input, through the activation `act` whose pre-activations
    /// and outputs are at `target`'s first two offsets, into `grads` at its third.
    fn dense_backward(&self, layer: &Layer, rows: usize, target: (usize, usize, usize), act: u32) {
        kernels::backward::launch(
            &self.client,
            CubeCount::Static(groups(layer.d_in), groups(rows), 1),
            CubeDim::new_2d(GROUP, GROUP),
            buffer(&self.params, self.plan.params),
            buffer(&self.acts, self.plan.acts),
            buffer(&self.grads, self.plan.grads),
            rows as u32,
            layer.d_in as u32,
            layer.d_out as u32,
            layer.w_off as u32,
            layer.g_off as u32,
            target.0 as u32,
            target.1 as u32,
            target.2 as u32,
            act,
        );
    }

    fn norm_backward(
        &self,
        norm: &Norm,
        g_off: usize,
        rows: usize,
        input_grad: bool,
        zero_beta: bool,
    ) {
        kernels::norm_backward::launch(
            &self.client,
            CubeCount::Static(norm.features.div_ceil(NORM_UNITS as usize) as u32, 1, 1),
            CubeDim::new_1d(NORM_UNITS),
            buffer(&self.params, self.plan.params),
            buffer(&self.acts, self.plan.acts),
            buffer(&self.stats, self.plan.stats),
            buffer(&self.grads, self.plan.grads),
            buffer(&self.norm_grads, self.plan.norm_params()),
            rows as u32,
            norm.features as u32,
            norm.gamma_off as u32,
            norm.xhat_off as u32,
            g_off as u32,
            norm.stats_off as u32,
            norm.grad_off as u32,
            input_grad,
            zero_beta,
        );
    }

    pub(super) fn update(&self, rows: usize) {
        let total = self.plan.params;
        let groups = self.plan.update_items().div_ceil(UPDATE_UNITS as usize) as u32;
        let (x, y) = (groups.min(MAX_GROUPS), groups.div_ceil(MAX_GROUPS));
        kernels::update::launch(
            &self.client,
            CubeCount::Static(x, y, 1),
            CubeDim::new_1d(UPDATE_UNITS),
            buffer(&self.params, total),
            buffer(&self.state, total * self.optimizer.state_per_parameter()),
            buffer(&self.acts, self.plan.acts),
            buffer(&self.grads, self.plan.grads),
            unsafe { BufferArg::from_raw_parts(self.layout.clone(), self.plan.table_len()) },
            buffer(&self.scalars, 8),
            buffer(&self.norm_grads, self.plan.norm_params()),
            self.plan.layers.len() as u32,
            rows as u32,
            total as u32,
            self.plan.dense_params as u32,
            self.optimizer.code(),
        );
    }
}
