//! The launches of one fused step, in order (see [`super::kernels`]).

use cubecl::prelude::*;
use cubecl::server::Handle;

use super::kernels::{self, BLOCK, GROUP, LOSS_UNITS, UPDATE_UNITS};
use super::plan::act_code;
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

impl FusedStep {
    pub(super) fn forward(&self, rows: usize) {
        let act = act_code(self.plan.activation);
        let last = self.plan.layers.len() - 1;
        for (l, layer) in self.plan.layers.iter().enumerate() {
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
                l < last,
            );
        }
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
                prev.z_off as u32,
                prev.a_off as u32,
                prev.g_off as u32,
                act,
            );
        }
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
            unsafe { BufferArg::from_raw_parts(self.layout.clone(), self.plan.table().len()) },
            buffer(&self.scalars, 8),
            self.plan.layers.len() as u32,
            rows as u32,
            total as u32,
            self.optimizer.code(),
        );
    }
}
