//! The fused training step's kernels (CubeCL, compiled to WGSL on WebGPU and SPIR-V natively).
//!
//! A step is one `forward` per layer (matmul + bias + activation), one `softmax_cross_entropy`,
//! one `backward` per hidden layer (the input gradient with the activation's derivative folded
//! in), and one `update` for every parameter at once (its gradient and the optimizer's step).
//! Buffers and their layout are described in [`super::plan`].

use cubecl::prelude::*;

/// Side of the square tiles the matmul kernels stage through workgroup memory: 16 × 16 = 256
/// invocations, the WebGPU default limit per workgroup.
pub const TILE: u32 = 16;
const TILE_AREA: usize = (TILE * TILE) as usize;
/// Invocations of the one-workgroup loss kernel.
pub const LOSS_UNITS: u32 = 256;
/// Invocations per workgroup of the update kernel.
pub const UPDATE_UNITS: u32 = 256;

/// Activation codes, shared with [`crate::model::Activation`] through [`super::plan::act_code`].
pub const ELU: u32 = 0;
pub const SELU: u32 = 1;
pub const RELU: u32 = 2;
pub const LEAKY_RELU: u32 = 3;
pub const TANH: u32 = 4;
pub const SIGMOID: u32 = 5;

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
    } else {
        a = 1.0 / (1.0 + f32::exp(-f32::clamp(z, -TANH_LIMIT * 4.0, TANH_LIMIT * 4.0)));
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
    } else {
        d = a * (1.0 - a);
    }
    d
}

/// One dense layer: `Z = A_in · W + b` for `rows` samples, and `A = act(Z)` for a hidden layer.
/// Workgroup (x, y) computes the 16 × 16 tile of outputs at columns x, rows y.
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
    #[comptime] act: u32,
    #[comptime] hidden: bool,
) {
    let (rows, d_in, d_out) = (rows as usize, d_in as usize, d_out as usize);
    let (w_off, in_off) = (w_off as usize, in_off as usize);
    let tile = TILE as usize;
    let tx = UNIT_POS_X as usize;
    let ty = UNIT_POS_Y as usize;
    let row = CUBE_POS_Y as usize * tile + ty;
    let col = CUBE_POS_X as usize * tile + tx;
    let mut a_tile = Shared::new_slice(TILE_AREA);
    let mut w_tile = Shared::new_slice(TILE_AREA);
    let mut sum = 0.0f32;
    let mut k0 = 0usize;
    while k0 < d_in {
        let ka = k0 + tx;
        let kw = k0 + ty;
        let mut a = 0.0f32;
        if row < rows && ka < d_in {
            a = acts[in_off + row * d_in + ka];
        }
        let mut w = 0.0f32;
        if kw < d_in && col < d_out {
            w = params[w_off + kw * d_out + col];
        }
        a_tile[ty * tile + tx] = a;
        w_tile[ty * tile + tx] = w;
        sync_cube();
        #[unroll]
        for k in 0..TILE as usize {
            sum += a_tile[ty * tile + k] * w_tile[k * tile + tx];
        }
        sync_cube();
        k0 += tile;
    }
    if row < rows && col < d_out {
        let z = sum + params[b_off as usize + col];
        acts[z_off as usize + row * d_out + col] = z;
        if comptime![hidden] {
            acts[a_off as usize + row * d_out + col] = activate(z, act);
        }
    }
}

/// The input gradient of dense layer l, with the previous layer's activation derivative folded
/// in: `dZ_prev = act'(Z_prev) ⊙ (dZ · Wᵀ)`. Workgroup (x, y) computes the 16 × 16 tile of
/// `dZ_prev` at units x, rows y.
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
    #[comptime] act: u32,
) {
    let (rows, d_in, d_out) = (rows as usize, d_in as usize, d_out as usize);
    let (w_off, g_off) = (w_off as usize, g_off as usize);
    let tile = TILE as usize;
    let tx = UNIT_POS_X as usize;
    let ty = UNIT_POS_Y as usize;
    let row = CUBE_POS_Y as usize * tile + ty;
    let unit = CUBE_POS_X as usize * tile + tx;
    let mut g_tile = Shared::new_slice(TILE_AREA);
    let mut w_tile = Shared::new_slice(TILE_AREA);
    let mut sum = 0.0f32;
    let mut j0 = 0usize;
    while j0 < d_out {
        let jg = j0 + tx;
        let jw = j0 + ty;
        let mut g = 0.0f32;
        if row < rows && jg < d_out {
            g = grads[g_off + row * d_out + jg];
        }
        // Wᵀ[jw, unit] = W[unit, jw]
        let mut w = 0.0f32;
        if jw < d_out && unit < d_in {
            w = params[w_off + unit * d_out + jw];
        }
        g_tile[ty * tile + tx] = g;
        w_tile[ty * tile + tx] = w;
        sync_cube();
        #[unroll]
        for j in 0..TILE as usize {
            sum += g_tile[ty * tile + j] * w_tile[j * tile + tx];
        }
        sync_cube();
        j0 += tile;
    }
    if row < rows && unit < d_in {
        let at = row * d_in + unit;
        let z = acts[prev_z_off as usize + at];
        let a = acts[prev_a_off as usize + at];
        grads[prev_g_off as usize + at] = sum * derivative(z, a, act);
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
    let mut loss_part = Shared::new_slice(LOSS_UNITS as usize);
    let mut right_part = Shared::new_slice(LOSS_UNITS as usize);
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
    loss_part[u] = loss;
    right_part[u] = right;
    sync_cube();
    if u == 0 {
        let mut loss_sum = 0.0f32;
        let mut right_sum = 0.0f32;
        for i in 0..units {
            loss_sum += loss_part[i];
            right_sum += right_part[i];
        }
        out[2 * slot as usize] = loss_sum * scale;
        out[2 * slot as usize + 1] = right_sum;
    }
}

/// Entries per layer in the layout table that [`update`] reads: `w_off, b_off, d_in, d_out,
/// in_off, g_off` (see [`super::plan::Plan::table`]).
pub const LAYOUT_STRIDE: u32 = 6;

/// Every parameter in one dispatch: each invocation computes its parameter's gradient over the
/// batch (`Σ_b A_in[b, i]·dZ[b, j]` for a kernel entry, `Σ_b dZ[b, j]` for a bias) and applies the optimizer's update to it and to its state.
/// Nadam's scalars `s`: β₁, 1 − β₁, β₂, 1 − β₂, the moment and gradient coefficients and ε
/// (see [`crate::optim::Nadam`]); SGD's: the learning rate and the momentum.
#[cube(launch)]
#[allow(clippy::too_many_arguments)]
pub fn update(
    params: &mut [f32],
    state: &mut [f32],
    acts: &[f32],
    grads: &[f32],
    layout: &[u32],
    scalars: &[f32],
    layers: u32,
    rows: u32,
    total: u32,
    #[comptime] optimizer: u32,
) {
    let stride = LAYOUT_STRIDE as usize;
    let p = (CUBE_POS_Y as usize * CUBE_COUNT_X as usize + CUBE_POS_X as usize)
        * UPDATE_UNITS as usize
        + UNIT_POS_X as usize;
    let total = total as usize;
    if p < total {
        let mut l = 0usize;
        while l + 1 < layers as usize && layout[(l + 1) * stride] as usize <= p {
            l += 1;
        }
        let e = l * stride;
        let w_off = layout[e] as usize;
        let b_off = layout[e + 1] as usize;
        let d_in = layout[e + 2] as usize;
        let d_out = layout[e + 3] as usize;
        let in_off = layout[e + 4] as usize;
        let g_off = layout[e + 5] as usize;
        let w = params[p];
        let mut g = 0.0f32;
        if p < b_off {
            let k = p - w_off;
            let i = k / d_out;
            let j = k % d_out;
            for b in 0..rows as usize {
                g += acts[in_off + b * d_in + i] * grads[g_off + b * d_out + j];
            }
        } else {
            let j = p - b_off;
            for b in 0..rows as usize {
                g += grads[g_off + b * d_out + j];
            }
        }
        if comptime![optimizer == NADAM] {
            let m = scalars[0] * state[p] + scalars[1] * g;
            let v = scalars[2] * state[total + p] + scalars[3] * (g * g);
            state[p] = m;
            state[total + p] = v;
            params[p] = w - (scalars[4] * m + scalars[5] * g) / (f32::sqrt(v) + scalars[6]);
        } else if comptime![optimizer == SGD] {
            params[p] = w + g * scalars[0];
        } else {
            let step = g * scalars[0];
            let velocity = state[p] * scalars[1] + step;
            state[p] = velocity;
            if comptime![optimizer == SGD_NESTEROV] {
                params[p] = w + (velocity * scalars[1] + step);
            } else {
                params[p] = w + velocity;
            }
        }
    }
}
