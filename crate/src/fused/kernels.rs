//! The fused training step's kernels (CubeCL, compiled to WGSL on WebGPU and SPIR-V natively).
//!
//! A step is one `forward` per layer (matmul + bias + activation + dropout), one
//! `softmax_cross_entropy`, one `backward` per hidden layer (the input gradient with the
//! activation's and dropout's derivatives folded in), and one `update` for every parameter at
//! once (its gradient, L1's term, and the optimizer's step). MC Dropout's passes add
//! `mc_accumulate` and `mc_finish`; losses with L1 read back add `l1_loss`.
//! Buffers and their layout are described in [`super::plan`].

use cubecl::prelude::*;

/// Each invocation of the matmul kernels computes a BLOCK × BLOCK block of outputs in
/// registers, reading its operands straight from storage: no workgroup memory and no barriers.
/// Measured on CPU-emulated adapters (SwiftShader, lavapipe), where a barrier is a fiber switch
/// per invocation group, 16 × 16 shared-memory tiles were 4× slower per multiply-add than this;
/// on a GPU the caches serve these small operands.
pub const BLOCK: usize = 4;
/// Invocations per workgroup side (GROUP × GROUP) of the 2-D matmul kernels.
pub const GROUP: u32 = 8;
/// Invocations of the one-workgroup loss kernel.
pub const LOSS_UNITS: u32 = 256;
/// Invocations per workgroup of the batch-norm kernels (one per feature).
pub const NORM_UNITS: u32 = 64;
/// Invocations per workgroup of the update kernel.
pub const UPDATE_UNITS: u32 = 64;

/// Activation codes, shared with [`crate::model::Activation`] through [`super::plan::act_code`].
pub const ELU: u32 = 0;
pub const SELU: u32 = 1;
pub const RELU: u32 = 2;
pub const LEAKY_RELU: u32 = 3;
pub const TANH: u32 = 4;
pub const SIGMOID: u32 = 5;
/// No activation: the input batch norm's output, and the gradient that reaches it.
pub const IDENTITY: u32 = 6;
pub const SWISH: u32 = 7;

/// Optimizer codes for [`update`].
pub const NADAM: u32 = 0;
pub const SGD: u32 = 1;
pub const SGD_MOMENTUM: u32 = 2;
pub const SGD_NESTEROV: u32 = 3;

/// The same clamps as the generic path's activations (see `model::activation`): exp never
/// leaves f32's range, tanh's input stays within ±20.
const EXP_FLOOR: f32 = -80.0;
const TANH_LIMIT: f32 = 20.0;
const SELU_ALPHA: f32 = 1.673_263_2;
const SELU_LAMBDA: f32 = 1.050_701;
const LEAKY_SLOPE: f32 = 0.2;

// The comptime branches each assign once; the initial value only gives the variable a type.
#[allow(unused_assignments)]
#[cube]
fn activate(z: f32, #[comptime] act: u32) -> f32 {
    let mut a = z;
    if comptime![act == ELU] {
        a = f32::max(z, 0.0) + (f32::exp(f32::clamp(z, EXP_FLOOR, 0.0)) - 1.0);
    } else if comptime![act == SELU] {
        a = SELU_LAMBDA * f32::max(z, 0.0)
            + SELU_ALPHA * SELU_LAMBDA * (f32::exp(f32::clamp(z, EXP_FLOOR, 0.0)) - 1.0);
    } else if comptime![act == RELU] {
        a = f32::max(z, 0.0);
    } else if comptime![act == LEAKY_RELU] {
        a = select(z > 0.0, z, z * LEAKY_SLOPE);
    } else if comptime![act == TANH] {
        a = f32::tanh(f32::clamp(z, -TANH_LIMIT, TANH_LIMIT));
    } else if comptime![act == IDENTITY] {
        a = z;
    } else if comptime![act == SWISH] {
        a = z * logistic(z);
    } else {
        a = logistic(z);
    }
    a
}

/// The activation's derivative at pre-activation `z` with output `a`, as the generic path's
/// autodiff computes it (the left derivative at a kink, 0 where a clamp is active).
#[allow(unused_assignments)]
#[cube]
fn derivative(z: f32, a: f32, #[comptime] act: u32) -> f32 {
    let mut d = 1.0f32;
    if comptime![act == ELU] {
        d = select(z > 0.0, 1.0, select(z >= EXP_FLOOR, f32::exp(z), 0.0));
    } else if comptime![act == SELU] {
        d = select(
            z > 0.0,
            SELU_LAMBDA,
            select(z >= EXP_FLOOR, SELU_ALPHA * SELU_LAMBDA * f32::exp(z), 0.0),
        );
    } else if comptime![act == RELU] {
        d = select(z > 0.0, 1.0, 0.0);
    } else if comptime![act == LEAKY_RELU] {
        d = select(z > 0.0, 1.0, LEAKY_SLOPE);
    } else if comptime![act == TANH] {
        d = select(f32::abs(z) <= TANH_LIMIT, 1.0 - a * a, 0.0);
    } else if comptime![act == IDENTITY] {
        d = 1.0;
    } else if comptime![act == SWISH] {
        // (z·σ)' = σ + z·σ(1 − σ); σ is recomputed, the stored output is z·σ.
        let s = logistic(z);
        d = s + z * s * (1.0 - s);
    } else {
        d = a * (1.0 - a);
    }
    d
}

/// σ(z), its input clamped as the sigmoid activation's so that exp stays within f32's range.
#[cube]
fn logistic(z: f32) -> f32 {
    1.0 / (1.0 + f32::exp(-f32::clamp(z, -TANH_LIMIT * 4.0, TANH_LIMIT * 4.0)))
}

/// `lowbias32`, as [`super::masks::mix`].
#[cube]
fn mix(x: u32) -> u32 {
    let mut h = x;
    h ^= h >> 16u32;
    h *= 0x7feb_352du32;
    h ^= h >> 15u32;
    h *= 0x846c_a68bu32;
    h ^ (h >> 16u32)
}

/// One dropout layer's mask and map at one draw (see [`super::masks`]): unit `index` is kept
/// when its hash's top bits fall below `threshold`; kept units become `x·scale + shift`,
/// dropped ones `dropped`.
#[derive(CubeLaunch, CubeType, Clone)]
pub struct Mask {
    pub threshold: u32,
    pub key_0: u32,
    pub key_1: u32,
    pub scale: f32,
    pub shift: f32,
    pub dropped: f32,
}

#[cube]
fn kept(mask: &Mask, index: usize) -> bool {
    let h = mix(mix(index as u32 ^ mask.key_0) ^ mask.key_1);
    (h >> 8u32) < mask.threshold
}

/// The activation `a` of unit `index` after dropout.
#[cube]
fn drop_out(mask: &Mask, a: f32, index: usize) -> f32 {
    select(kept(mask, index), a * mask.scale + mask.shift, mask.dropped)
}

/// The register block's multiply-add, shared by the three matmuls ([`forward`], [`backward`]
/// and [`update`]'s kernel gradients): `acc[i·BLOCK + j] += x[i]·y[j]` for the BLOCK × BLOCK
/// block. A `#[cube]` helper is expanded inline, so the generated shaders are the same as with
/// the loops written out in each kernel.
#[cube]
fn accumulate_block(acc: &mut Array<f32>, x: &Array<f32>, y: &Array<f32>) {
    #[unroll]
    for i in 0..BLOCK {
        #[unroll]
        for j in 0..BLOCK {
            acc[i * BLOCK + j] += x[i] * y[j];
        }
    }
}

/// One dense layer: `Z = A_in · W + b` for `rows` samples, and `A = act(Z)` for a hidden layer,
/// through `mask`'s dropout when `dropout`. Invocation (x, y) computes the block at columns
/// `BLOCK·x…`, rows `BLOCK·y…`.
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn forward(
    params: &[f32],
    acts: &mut [f32],
    rows: u32,
    d_in: u32,
    d_out: u32,
    w_off: u32,
    b_off: u32,
    in_off: u32,
    z_off: u32,
    a_off: u32,
    mask: Mask,
    #[comptime] act: u32,
    #[comptime] hidden: bool,
    #[comptime] dropout: bool,
) {
    let (rows, d_in, d_out) = (rows as usize, d_in as usize, d_out as usize);
    let r0 = (CUBE_POS_Y * GROUP + UNIT_POS_Y) as usize * BLOCK;
    let c0 = (CUBE_POS_X * GROUP + UNIT_POS_X) as usize * BLOCK;
    if r0 < rows && c0 < d_out {
        // Rows and columns past the edge read the last valid one; their sums are not stored.
        let mut a_at = Array::<usize>::new(BLOCK);
        let mut w_at = Array::<usize>::new(BLOCK);
        #[unroll]
        for i in 0..BLOCK {
            a_at[i] = in_off as usize + usize::min(r0 + i, rows - 1) * d_in;
            w_at[i] = w_off as usize + usize::min(c0 + i, d_out - 1);
        }
        let mut acc = Array::<f32>::new(BLOCK * BLOCK);
        let mut a = Array::<f32>::new(BLOCK);
        let mut w = Array::<f32>::new(BLOCK);
        for k in 0..d_in {
            #[unroll]
            for i in 0..BLOCK {
                a[i] = acts[a_at[i] + k];
                w[i] = params[w_at[i] + k * d_out];
            }
            accumulate_block(&mut acc, &a, &w);
        }
        #[unroll]
        for i in 0..BLOCK {
            #[unroll]
            for j in 0..BLOCK {
                let (r, c) = (r0 + i, c0 + j);
                if r < rows && c < d_out {
                    let z = acc[i * BLOCK + j] + params[b_off as usize + c];
                    acts[z_off as usize + r * d_out + c] = z;
                    if comptime![hidden] {
                        let mut a = activate(z, act);
                        if comptime![dropout] {
                            a = drop_out(&mask, a, r * d_out + c);
                        }
                        acts[a_off as usize + r * d_out + c] = a;
                    }
                }
            }
        }
    }
}

/// The input gradient of dense layer l, with the previous layer's activation derivative folded
/// in: `dZ_prev = act'(Z_prev) ⊙ (dZ · Wᵀ)`, and with `dropout`, its mask's derivative too
/// (`mask.scale` where kept, 0 where dropped: the same hash as the forward pass, recomputed). Invocation (x, y) computes the block at units
/// `BLOCK·x…`, rows `BLOCK·y…`.
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn backward(
    params: &[f32],
    acts: &[f32],
    grads: &mut [f32],
    rows: u32,
    d_in: u32,
    d_out: u32,
    w_off: u32,
    g_off: u32,
    prev_z_off: u32,
    prev_a_off: u32,
    prev_g_off: u32,
    mask: Mask,
    #[comptime] act: u32,
    #[comptime] dropout: bool,
) {
    let (rows, d_in, d_out) = (rows as usize, d_in as usize, d_out as usize);
    let r0 = (CUBE_POS_Y * GROUP + UNIT_POS_Y) as usize * BLOCK;
    let u0 = (CUBE_POS_X * GROUP + UNIT_POS_X) as usize * BLOCK;
    if r0 < rows && u0 < d_in {
        let mut g_at = Array::<usize>::new(BLOCK);
        let mut w_at = Array::<usize>::new(BLOCK);
        #[unroll]
        for i in 0..BLOCK {
            g_at[i] = g_off as usize + usize::min(r0 + i, rows - 1) * d_out;
            w_at[i] = w_off as usize + usize::min(u0 + i, d_in - 1) * d_out;
        }
        let mut acc = Array::<f32>::new(BLOCK * BLOCK);
        let mut g = Array::<f32>::new(BLOCK);
        let mut w = Array::<f32>::new(BLOCK);
        for j in 0..d_out {
            #[unroll]
            for i in 0..BLOCK {
                g[i] = grads[g_at[i] + j];
                w[i] = params[w_at[i] + j];
            }
            accumulate_block(&mut acc, &g, &w);
        }
        #[unroll]
        for i in 0..BLOCK {
            #[unroll]
            for u in 0..BLOCK {
                let (r, unit) = (r0 + i, u0 + u);
                if r < rows && unit < d_in {
                    let at = r * d_in + unit;
                    let z = acts[prev_z_off as usize + at];
                    if comptime![dropout] {
                        // The stored output is after dropout: the activation is recomputed.
                        let d = derivative(z, activate(z, act), act);
                        let keep = select(kept(&mask, at), mask.scale, 0.0f32);
                        grads[prev_g_off as usize + at] = acc[i * BLOCK + u] * d * keep;
                    } else {
                        let a = acts[prev_a_off as usize + at];
                        grads[prev_g_off as usize + at] =
                            acc[i * BLOCK + u] * derivative(z, a, act);
                    }
                }
            }
        }
    }
}

/// Mean softmax cross-entropy of the logits against the labels, its gradient w.r.t. the logits
/// (`(softmax − onehot) / rows`), and the number of right predictions, written to
/// `out[2·slot]` and `out[2·slot + 1]`. One workgroup; each invocation takes rows
/// `u, u + LOSS_UNITS, …`.
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn softmax_cross_entropy(
    acts: &[f32],
    labels: &[u32],
    grads: &mut [f32],
    out: &mut [f32],
    rows: u32,
    classes: u32,
    z_off: u32,
    g_off: u32,
    slot: u32,
) {
    let (rows, classes) = (rows as usize, classes as usize);
    let (z_off, g_off) = (z_off as usize, g_off as usize);
    let units = LOSS_UNITS as usize;
    let u = UNIT_POS_X as usize;
    let mut loss = 0.0f32;
    let mut right = 0.0f32;
    let scale = 1.0 / f32::cast_from(rows);
    let mut r = u;
    while r < rows {
        let base = z_off + r * classes;
        let label = labels[r] as usize;
        let mut max = acts[base];
        let mut arg = 0usize;
        for c in 1..classes {
            let z = acts[base + c];
            if z > max {
                max = z;
                arg = c;
            }
        }
        let mut total = 0.0f32;
        for c in 0..classes {
            total += f32::exp(acts[base + c] - max);
        }
        loss += f32::ln(total) + max - acts[base + label];
        if arg == label {
            right += 1.0;
        }
        for c in 0..classes {
            let p = f32::exp(acts[base + c] - max) / total;
            let hit = select(c == label, 1.0f32, 0.0f32);
            grads[g_off + r * classes + c] = (p - hit) * scale;
        }
        r += units;
    }
    write_totals(loss, right, out, slot, scale);
}

/// Sums each invocation's `loss` and `right` over the one workgroup of [`LOSS_UNITS`], and
/// writes `Σ loss · scale` and `Σ right` to `out[2·slot]` and `out[2·slot + 1]`.
#[cube]
fn write_totals(loss: f32, right: f32, out: &mut [f32], slot: u32, scale: f32) {
    let u = UNIT_POS_X as usize;
    let mut loss_part = Shared::new_slice(LOSS_UNITS as usize);
    let mut right_part = Shared::new_slice(LOSS_UNITS as usize);
    loss_part[u] = loss;
    right_part[u] = right;
    sync_cube();
    if u == 0 {
        let mut loss_sum = 0.0f32;
        let mut right_sum = 0.0f32;
        for i in 0..LOSS_UNITS as usize {
            loss_sum += loss_part[i];
            right_sum += right_part[i];
        }
        out[2 * slot as usize] = loss_sum * scale;
        out[2 * slot as usize + 1] = right_sum;
    }
}

/// The layout table that [`update`] reads, written by [`super::plan::Plan::table`]: a row of
/// [`LAYOUT_STRIDE`] entries per dense layer, at these positions, then the number of dense
/// work items.
/// The layer's first work item.
pub const LAYOUT_FIRST_ITEM: usize = 0;
/// Where its kernel starts in `params`.
pub const LAYOUT_W_OFF: usize = 1;
/// Where its bias starts in `params`.
pub const LAYOUT_B_OFF: usize = 2;
pub const LAYOUT_D_IN: usize = 3;
pub const LAYOUT_D_OUT: usize = 4;
/// Where its input starts in `acts`.
pub const LAYOUT_IN_OFF: usize = 5;
/// Where its output's gradient starts in `grads`.
pub const LAYOUT_G_OFF: usize = 6;
/// 1 when a batch norm follows the layer (its bias is then left alone), else 0.
pub const LAYOUT_NORMED: usize = 7;
/// Entries per layer in the layout table.
pub const LAYOUT_STRIDE: usize = 8;

/// The scalars that [`update`] and [`l1_loss`] read, written by the host each step
/// (`super::step::Optimizer::advance`). Nadam's and Adam's, at these positions: β₁, 1 − β₁, β₂,
/// 1 − β₂, the moment and gradient coefficients, and ε.
pub const SCALAR_BETA_1: usize = 0;
pub const SCALAR_ONE_MINUS_BETA_1: usize = 1;
pub const SCALAR_BETA_2: usize = 2;
pub const SCALAR_ONE_MINUS_BETA_2: usize = 3;
pub const SCALAR_M_COEF: usize = 4;
pub const SCALAR_G_COEF: usize = 5;
pub const SCALAR_EPSILON: usize = 6;
/// SGD's: minus the learning rate, and the momentum.
pub const SCALAR_NEG_LR: usize = 0;
pub const SCALAR_MOMENTUM: usize = 1;
/// L1's λ, after every optimizer's own scalars.
pub const SCALAR_L1: usize = 7;
/// The number of scalars: the length of their buffer.
pub const SCALARS: usize = 8;

/// Every parameter in one dispatch. The work items of a dense layer are its kernel's BLOCK ×
/// BLOCK blocks, then its bias in runs of BLOCK, and after every dense layer's, one item per
/// batch-norm parameter; an invocation computes its item's gradients over the
/// batch (`Σ_b A_in[b, i]·dZ[b, j]` for a kernel entry, `Σ_b dZ[b, j]` for a bias) and applies
/// the optimizer's update to them and to their state. Nadam's scalars: β₁, 1 − β₁, β₂, 1 − β₂,
/// the moment and gradient coefficients and ε (see [`crate::optim::Nadam`]); Adam's are the
/// same with a gradient coefficient of 0; SGD's: minus the learning rate, and the momentum.
/// With `l1`, each kernel entry's gradient gains λ·sign(w) (λ = `scalars[SCALAR_L1]`), and each dense
/// item writes Σ|w| over its kernel entries, before the update, to `l1_parts[slot·items + q]`:
/// the loss's L1 term, summed by [`l1_loss`] only when losses are read back.
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn update(
    params: &mut [f32],
    state: &mut [f32],
    acts: &[f32],
    grads: &[f32],
    layout: &[u32],
    scalars: &[f32],
    norm_grads: &[f32],
    l1_parts: &mut [f32],
    layers: u32,
    rows: u32,
    total: u32,
    norm_off: u32,
    slot: u32,
    #[comptime] optimizer: u32,
    #[comptime] l1: bool,
) {
    let stride = LAYOUT_STRIDE;
    let q = (CUBE_POS_Y * CUBE_COUNT_X + CUBE_POS_X) as usize * UPDATE_UNITS as usize
        + UNIT_POS_X as usize;
    let layers = layers as usize;
    // The entry after the last row: the number of dense items.
    let last_item = layout[layers * stride] as usize;
    let total = total as usize;
    if q >= last_item {
        // Batch norm's γ and β, whose gradients `norm_backward` computed: they follow the
        // dense layers' parameters, in the same order as their gradients.
        let p = norm_off as usize + q - last_item;
        if p < total {
            apply(
                params,
                state,
                scalars,
                p,
                total,
                norm_grads[p - norm_off as usize],
                optimizer,
            );
        }
    } else {
        let mut l = 0usize;
        while l + 1 < layers && layout[(l + 1) * stride + LAYOUT_FIRST_ITEM] as usize <= q {
            l += 1;
        }
        let e = l * stride;
        let local = q - layout[e + LAYOUT_FIRST_ITEM] as usize;
        let d_in = layout[e + LAYOUT_D_IN] as usize;
        let d_out = layout[e + LAYOUT_D_OUT] as usize;
        let col_blocks = d_out.div_ceil(BLOCK);
        let weight_items = d_in.div_ceil(BLOCK) * col_blocks;
        let g_off = layout[e + LAYOUT_G_OFF] as usize;
        let rows = rows as usize;
        let mut l1_part = 0.0f32;
        if local < weight_items {
            let i0 = (local / col_blocks) * BLOCK;
            let j0 = (local % col_blocks) * BLOCK;
            let in_off = layout[e + LAYOUT_IN_OFF] as usize;
            let mut acc = Array::<f32>::new(BLOCK * BLOCK);
            let mut a = Array::<f32>::new(BLOCK);
            let mut g = Array::<f32>::new(BLOCK);
            for b in 0..rows {
                #[unroll]
                for i in 0..BLOCK {
                    a[i] = acts[in_off + b * d_in + usize::min(i0 + i, d_in - 1)];
                    g[i] = grads[g_off + b * d_out + usize::min(j0 + i, d_out - 1)];
                }
                accumulate_block(&mut acc, &a, &g);
            }
            let w_off = layout[e + LAYOUT_W_OFF] as usize;
            #[unroll]
            for i in 0..BLOCK {
                #[unroll]
                for j in 0..BLOCK {
                    if i0 + i < d_in && j0 + j < d_out {
                        let p = w_off + (i0 + i) * d_out + j0 + j;
                        let mut g = acc[i * BLOCK + j];
                        if comptime![l1] {
                            let w = params[p];
                            l1_part += f32::abs(w);
                            g += scalars[SCALAR_L1]
                                * select(w > 0.0, 1.0f32, select(w < 0.0, -1.0f32, 0.0));
                        }
                        apply(params, state, scalars, p, total, g, optimizer);
                    }
                }
            }
        } else if layout[e + LAYOUT_NORMED] == 0 {
            // A bias followed by batch norm is left alone: the norm subtracts the batch mean, so
            // its gradient is exactly zero, and the sum over the batch would be rounding that
            // Nadam divides by its own size into steps of ±lr.
            let j0 = (local - weight_items) * BLOCK;
            let mut acc = Array::<f32>::new(BLOCK);
            for b in 0..rows {
                #[unroll]
                for j in 0..BLOCK {
                    acc[j] += grads[g_off + b * d_out + usize::min(j0 + j, d_out - 1)];
                }
            }
            let b_off = layout[e + LAYOUT_B_OFF] as usize;
            #[unroll]
            for j in 0..BLOCK {
                if j0 + j < d_out {
                    apply(
                        params,
                        state,
                        scalars,
                        b_off + j0 + j,
                        total,
                        acc[j],
                        optimizer,
                    );
                }
            }
        }
        if comptime![l1] {
            l1_parts[slot as usize * last_item + q] = l1_part;
        }
    }
}

/// Adds the loss's L1 term, λ·Σ|w| over every kernel before the step's update, to each of the
/// first `slots` steps' losses in `out` (λ = `scalars[SCALAR_L1]`): one invocation per step, summing
/// the `items` parts [`update`] wrote.
#[cube(launch)]
pub fn l1_loss(l1_parts: &[f32], scalars: &[f32], out: &mut [f32], slots: u32, items: u32) {
    let slot = ABSOLUTE_POS;
    if slot < slots as usize {
        let items = items as usize;
        let mut sum = 0.0f32;
        for q in 0..items {
            sum += l1_parts[slot * items + q];
        }
        out[2 * slot] += scalars[SCALAR_L1] * sum;
    }
}

/// The optimizer's update of parameter `p` with gradient `g` (see [`update`]).
#[cube]
fn apply(
    params: &mut [f32],
    state: &mut [f32],
    scalars: &[f32],
    p: usize,
    total: usize,
    g: f32,
    #[comptime] optimizer: u32,
) {
    let w = params[p];
    if comptime![optimizer == NADAM] {
        let m = scalars[SCALAR_BETA_1] * state[p] + scalars[SCALAR_ONE_MINUS_BETA_1] * g;
        let v =
            scalars[SCALAR_BETA_2] * state[total + p] + scalars[SCALAR_ONE_MINUS_BETA_2] * (g * g);
        state[p] = m;
        state[total + p] = v;
        params[p] = w
            - (scalars[SCALAR_M_COEF] * m + scalars[SCALAR_G_COEF] * g)
                / (f32::sqrt(v) + scalars[SCALAR_EPSILON]);
    } else if comptime![optimizer == SGD] {
        params[p] = w + g * scalars[SCALAR_NEG_LR];
    } else {
        let step = g * scalars[SCALAR_NEG_LR];
        let velocity = state[p] * scalars[SCALAR_MOMENTUM] + step;
        state[p] = velocity;
        if comptime![optimizer == SGD_NESTEROV] {
            params[p] = w + (velocity * scalars[SCALAR_MOMENTUM] + step);
        } else {
            params[p] = w + velocity;
        }
    }
}

/// Batch norm, one invocation per feature (column). In training mode: the batch's mean and
/// biased variance of `input`, `x̂ = (x − mean)/√(var + ε)` into `xhat`, `y = γ·x̂ + β` into
/// `y` (which may be `input`'s own region: a column is read whole before it is written),
/// `1/√(var + ε)` into `stats` for the backward pass, and the running averages moved by
/// `momentum` (the new batch's weight, as the generic path's). With `running_stats` (MC
/// Dropout's passes): `y` from the running averages, which stay as they are. Then `act(y)`
/// into `a` when `with_activation`, through `mask`'s dropout when `dropout`.
// The comptime branches overwrite the running averages' values in training mode.
#[allow(unused_assignments)]
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn norm_forward(
    params: &[f32],
    running: &mut [f32],
    acts: &mut [f32],
    stats: &mut [f32],
    rows: u32,
    features: u32,
    gamma_off: u32,
    run_off: u32,
    in_off: u32,
    xhat_off: u32,
    y_off: u32,
    a_off: u32,
    stats_off: u32,
    momentum: f32,
    epsilon: f32,
    mask: Mask,
    #[comptime] act: u32,
    #[comptime] with_activation: bool,
    #[comptime] dropout: bool,
    #[comptime] running_stats: bool,
) {
    let f = (CUBE_POS_X * NORM_UNITS + UNIT_POS_X) as usize;
    let (rows, features) = (rows as usize, features as usize);
    if f < features {
        let (in_off, xhat_off, y_off) = (in_off as usize, xhat_off as usize, y_off as usize);
        let (rm, rv) = (run_off as usize + f, run_off as usize + features + f);
        let gamma = params[gamma_off as usize + f];
        let beta = params[gamma_off as usize + features + f];
        let mut mean = running[rm];
        let mut inv = 1.0 / f32::sqrt(running[rv] + epsilon);
        if comptime![!running_stats] {
            let mut sum = 0.0f32;
            for b in 0..rows {
                sum += acts[in_off + b * features + f];
            }
            mean = sum / f32::cast_from(rows);
            let mut squares = 0.0f32;
            for b in 0..rows {
                let d = acts[in_off + b * features + f] - mean;
                squares += d * d;
            }
            let var = squares / f32::cast_from(rows);
            inv = 1.0 / f32::sqrt(var + epsilon);
            stats[stats_off as usize + f] = inv;
            running[rm] = running[rm] * (1.0 - momentum) + mean * momentum;
            running[rv] = running[rv] * (1.0 - momentum) + var * momentum;
        }
        for b in 0..rows {
            let at = b * features + f;
            let xhat = (acts[in_off + at] - mean) * inv;
            let y = gamma * xhat + beta;
            if comptime![!running_stats] {
                acts[xhat_off + at] = xhat;
            }
            acts[y_off + at] = y;
            if comptime![with_activation] {
                let mut a = activate(y, act);
                if comptime![dropout] {
                    a = drop_out(&mask, a, at);
                }
                acts[a_off as usize + at] = a;
            }
        }
    }
}

/// Batch norm's backward pass, one invocation per feature: from `dY` (in `grads` at `g_off`),
/// γ's and β's gradients `Σ dY·x̂` and `Σ dY` (0 when `zero_beta`) into `norm_grads`, and, when `input_grad`, the
/// input's gradient `γ/(√(var + ε)·n)·(n·dY − Σ dY − x̂·Σ dY·x̂)` over `dY` in place.
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn norm_backward(
    params: &[f32],
    acts: &[f32],
    stats: &[f32],
    grads: &mut [f32],
    norm_grads: &mut [f32],
    rows: u32,
    features: u32,
    gamma_off: u32,
    xhat_off: u32,
    g_off: u32,
    stats_off: u32,
    grad_off: u32,
    #[comptime] input_grad: bool,
    #[comptime] zero_beta: bool,
) {
    let f = (CUBE_POS_X * NORM_UNITS + UNIT_POS_X) as usize;
    let (rows, features) = (rows as usize, features as usize);
    if f < features {
        let (xhat_off, g_off) = (xhat_off as usize, g_off as usize);
        let mut sum_dy = 0.0f32;
        let mut sum_dy_xhat = 0.0f32;
        for b in 0..rows {
            let at = b * features + f;
            let dy = grads[g_off + at];
            sum_dy += dy;
            sum_dy_xhat += dy * acts[xhat_off + at];
        }
        norm_grads[grad_off as usize + f] = sum_dy_xhat;
        // β's gradient is exactly zero when the layer after this norm normalizes its own output
        // (the input norm followed by a normed first layer): the sum would be rounding only.
        norm_grads[grad_off as usize + features + f] = select(zero_beta, 0.0f32, sum_dy);
        if comptime![input_grad] {
            let n = f32::cast_from(rows);
            let scale = params[gamma_off as usize + f] * stats[stats_off as usize + f] / n;
            for b in 0..rows {
                let at = b * features + f;
                let dy = grads[g_off + at];
                grads[g_off + at] = scale * (n * dy - sum_dy - acts[xhat_off + at] * sum_dy_xhat);
            }
        }
    }
}

/// Invocations per workgroup of [`mc_accumulate`].
pub const MC_UNITS: u32 = 64;

/// One MC Dropout pass's softmax, one invocation per row: `probs = softmax(logits)` on the
/// first pass, `probs += softmax(logits)` after.
#[cube(launch)]
pub fn mc_accumulate(
    acts: &[f32],
    probs: &mut [f32],
    rows: u32,
    classes: u32,
    z_off: u32,
    #[comptime] first: bool,
) {
    let r = (CUBE_POS_X * MC_UNITS + UNIT_POS_X) as usize;
    let classes = classes as usize;
    if r < rows as usize {
        let base = z_off as usize + r * classes;
        let mut max = acts[base];
        for c in 1..classes {
            max = f32::max(max, acts[base + c]);
        }
        let mut total = 0.0f32;
        for c in 0..classes {
            total += f32::exp(acts[base + c] - max);
        }
        for c in 0..classes {
            let p = f32::exp(acts[base + c] - max) / total;
            if comptime![first] {
                probs[r * classes + c] = p;
            } else {
                probs[r * classes + c] += p;
            }
        }
    }
}

/// The mean of `passes` passes' probabilities against the labels: `Σ −ln(max(p̄, 10⁻¹²))` of
/// the labels' and the number of rows whose largest p̄ is the label's, into `out[2·slot]` and
/// `out[2·slot + 1]`, as the generic MC evaluation computes them. One workgroup of
/// [`LOSS_UNITS`].
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn mc_finish(
    probs: &[f32],
    labels: &[u32],
    out: &mut [f32],
    rows: u32,
    classes: u32,
    passes: f32,
    slot: u32,
) {
    let (rows, classes) = (rows as usize, classes as usize);
    let u = UNIT_POS_X as usize;
    let units = LOSS_UNITS as usize;
    let mut loss = 0.0f32;
    let mut right = 0.0f32;
    let mut r = u;
    while r < rows {
        let base = r * classes;
        let label = labels[r] as usize;
        let mut best = probs[base];
        let mut arg = 0usize;
        for c in 1..classes {
            if probs[base + c] > best {
                best = probs[base + c];
                arg = c;
            }
        }
        loss -= f32::ln(f32::max(probs[base + label] / passes, 1e-12));
        if arg == label {
            right += 1.0;
        }
        r += units;
    }
    write_totals(loss, right, out, slot, 1.0f32);
}
