//! The launches of one fused step, in order (see [`super::kernels`]).

use cubecl::prelude::*;
use cubecl::server::Handle;

use super::kernels::{
    self, BLOCK, GROUP, IDENTITY, LOSS_UNITS, MC_UNITS, MaskLaunch, NORM_UNITS, SCALARS,
    UPDATE_UNITS,
};
use super::masks;
use super::plan::{Layer, Norm, act_code};
use super::step::FusedStep;

/// The most workgroups WebGPU allows along one dimension of a dispatch.
const MAX_GROUPS: u32 = 65_535;

fn buffer(handle: &Handle, floats: usize) -> BufferArg {
    // SAFETY: every handle is allocated by `FusedStep` with at least `floats` elements (see
    // `Plan`), and the kernels index within the plan's regions.
    unsafe { BufferArg::from_raw_parts(handle.clone(), floats.max(1)) }
}

/// The same for a buffer of u32 (the labels, the layout table).
fn u32_buffer(handle: &Handle, len: usize) -> BufferArg {
    // SAFETY: as `buffer`: the labels hold `batch` values and the table `table_len()`, and
    // the kernels read only rows below the batch's and the table's own entries.
    unsafe { BufferArg::from_raw_parts(handle.clone(), len.max(1)) }
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

/// The mask argument of a launch whose `dropout` is off (the kernel never reads it).
fn no_mask() -> MaskLaunch {
    MaskLaunch::new(0, 0, 0, 0.0, 0.0, 0.0)
}

/// Which forward pass: a training step's (batch norm on the batch's statistics), or an MC
/// Dropout pass (on the running averages); each with its draw of the dropout masks.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pass {
    pub draw: u64,
    pub running_stats: bool,
}

impl FusedStep {
    /// Layer `l`'s dropout at `draw`, for the kernels (unused where the layer has none).
    fn mask(&self, l: usize, draw: u64) -> MaskLaunch {
        match (&self.plan.dropout, self.plan.layers[l].dropout) {
            (Some(d), true) => {
                let [key_0, key_1] = masks::keys(self.seed, draw, l);
                MaskLaunch::new(
                    d.threshold,
                    key_0,
                    key_1,
                    d.kept_scale,
                    d.kept_shift,
                    d.dropped,
                )
            }
            _ => no_mask(),
        }
    }

    pub(super) fn forward(&self, rows: usize, pass: Pass) {
        let act = act_code(self.plan.activation);
        let last = self.plan.layers.len() - 1;
        if let (Some(norm), Some(first)) = (&self.plan.input_norm, self.plan.layers.first()) {
            let io = NormIo {
                input: 0,
                y: first.in_off,
                a: first.in_off,
            };
            self.norm_forward(norm, io, rows, (IDENTITY, false, false), no_mask(), pass);
        }
        for (l, layer) in self.plan.layers.iter().enumerate() {
            let activate_here = l < last && layer.norm.is_none();
            let mask = self.mask(l, pass.draw);
            match &layer.norm {
                None => self.dense_forward(layer, rows, act, activate_here, mask),
                Some(norm) => {
                    self.dense_forward(layer, rows, act, false, no_mask());
                    let io = NormIo {
                        input: layer.z_off,
                        y: layer.z_off,
                        a: layer.a_off,
                    };
                    let how = (act, true, layer.dropout);
                    self.norm_forward(norm, io, rows, how, mask, pass);
                }
            }
        }
    }

    fn dense_forward(
        &self,
        layer: &Layer,
        rows: usize,
        act: u32,
        activate: bool,
        mask: MaskLaunch,
    ) {
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
            mask,
            act,
            activate,
            activate && layer.dropout,
        );
    }

    /// `how`: the activation, whether to apply it, whether through dropout.
    fn norm_forward(
        &self,
        norm: &Norm,
        io: NormIo,
        rows: usize,
        how: (u32, bool, bool),
        mask: MaskLaunch,
        pass: Pass,
    ) {
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
            mask,
            how.0,
            how.1,
            how.2,
            pass.running_stats,
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
            u32_buffer(&self.labels, self.plan.batch),
            buffer(&self.grads, self.plan.grads),
            buffer(&self.out, 2 * self.out_slots),
            rows as u32,
            output.d_out as u32,
            output.z_off as u32,
            output.g_off as u32,
            slot as u32,
        );
    }

    pub(super) fn backward(&self, rows: usize, draw: u64) {
        let act = act_code(self.plan.activation);
        for (l, pair) in self.plan.layers.windows(2).enumerate().rev() {
            let (prev, layer) = (&pair[0], &pair[1]);
            let target = (prev.z_off, prev.a_off, prev.g_off);
            let mask = (prev.dropout, self.mask(l, draw));
            self.dense_backward(layer, rows, target, act, mask);
            if let Some(norm) = &prev.norm {
                self.norm_backward(norm, prev.g_off, rows, true, false);
            }
        }
        if let (Some(norm), Some(first)) = (&self.plan.input_norm, self.plan.layers.first()) {
            let target = (first.in_off, first.in_off, self.plan.input_grad_off);
            self.dense_backward(first, rows, target, IDENTITY, (false, no_mask()));
            let zero_beta = first.norm.is_some();
            self.norm_backward(norm, self.plan.input_grad_off, rows, false, zero_beta);
        }
    }

    /// The gradient w.r.t. `layer`'s input, through the activation `act` whose pre-activations
    /// and outputs are at `target`'s first two offsets, into `grads` at its third; and through
    /// `mask`'s dropout where its flag is set.
    fn dense_backward(
        &self,
        layer: &Layer,
        rows: usize,
        target: (usize, usize, usize),
        act: u32,
        mask: (bool, MaskLaunch),
    ) {
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
            mask.1,
            act,
            mask.0,
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

    pub(super) fn update(&self, rows: usize, slot: usize) {
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
            u32_buffer(&self.layout, self.plan.table_len()),
            buffer(&self.scalars, SCALARS),
            buffer(&self.norm_grads, self.plan.norm_params()),
            buffer(&self.l1_parts, self.l1_parts_len()),
            self.plan.layers.len() as u32,
            rows as u32,
            total as u32,
            self.plan.dense_params as u32,
            slot as u32,
            self.optimizer.code(),
            self.l1 > 0.0,
        );
    }

    /// Adds the L1 term to the first `slots` losses (see [`kernels::l1_loss`]).
    pub(super) fn l1_loss(&self, slots: usize) {
        kernels::l1_loss::launch(
            &self.client,
            CubeCount::Static(slots.div_ceil(64) as u32, 1, 1),
            CubeDim::new_1d(64),
            buffer(&self.l1_parts, self.l1_parts_len()),
            buffer(&self.scalars, SCALARS),
            buffer(&self.out, 2 * self.out_slots),
            slots as u32,
            self.plan.dense_items() as u32,
        );
    }

    /// Adds the softmax of the logits `pass` just computed to the MC Dropout sums.
    pub(super) fn mc_accumulate(&self, rows: usize, first: bool) {
        let output = self.plan.layers.last().expect("an output layer");
        kernels::mc_accumulate::launch(
            &self.client,
            CubeCount::Static(rows.div_ceil(MC_UNITS as usize) as u32, 1, 1),
            CubeDim::new_1d(MC_UNITS),
            buffer(&self.acts, self.plan.acts),
            buffer(&self.probs, self.probs_len()),
            rows as u32,
            output.d_out as u32,
            output.z_off as u32,
            first,
        );
    }

    /// The MC Dropout loss sum and number right of the batch, into slot `slot` of `out`.
    pub(super) fn mc_finish(&self, rows: usize, passes: usize, slot: usize) {
        let output = self.plan.layers.last().expect("an output layer");
        kernels::mc_finish::launch(
            &self.client,
            CubeCount::Static(1, 1, 1),
            CubeDim::new_1d(LOSS_UNITS),
            buffer(&self.probs, self.probs_len()),
            u32_buffer(&self.labels, self.plan.batch),
            buffer(&self.out, 2 * self.out_slots),
            rows as u32,
            output.d_out as u32,
            passes as f32,
            slot as u32,
        );
    }
}
