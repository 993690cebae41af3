//! Where everything lives in the fused step's flat buffers.
//!
//! - `params`: for each dense layer l (the hidden ones, then the output one), its kernel
//!   `W_l` (`d_in × d_out`, row-major, the generic path's layout), then its bias `b_l`.
//! - `acts`: the batch's inputs `X` (`rows × d_0`) first, then for each layer its
//!   pre-activations `Z_l` and, for a hidden layer, its activations `A_l`.
//! - `grads`: for each layer, the loss's gradient w.r.t. its pre-activations, `dZ_l`.
//!
//! Every per-layer region holds `batch` rows; a shorter last batch uses the first rows.

use crate::model::{Activation, ModelConfig};

use super::kernels::{self, BLOCK, LAYOUT_STRIDE};

#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub d_in: usize,
    pub d_out: usize,
    pub w_off: usize,
    pub b_off: usize,
    /// Where the layer's input starts in `acts`.
    pub in_off: usize,
    pub z_off: usize,
    /// Where its activations start in `acts`; the output layer has none (`z_off`).
    pub a_off: usize,
    pub g_off: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub batch: usize,
    pub layers: Vec<Layer>,
    pub params: usize,
    pub acts: usize,
    pub grads: usize,
    pub activation: Activation,
}

impl Plan {
    pub fn new(config: &ModelConfig, batch: usize) -> Self {
        let mut dims = vec![config.input_dim];
        dims.extend(std::iter::repeat_n(config.width, config.depth));
        dims.push(config.classes);
        let (mut params, mut acts, mut grads) = (0, batch * config.input_dim, 0);
        let mut in_off = 0;
        let last = dims.len() - 2;
        let layers = dims
            .windows(2)
            .enumerate()
            .map(|(l, pair)| {
                let (d_in, d_out) = (pair[0], pair[1]);
                let z_off = acts;
                let a_off = if l < last {
                    z_off + batch * d_out
                } else {
                    z_off
                };
                let layer = Layer {
                    d_in,
                    d_out,
                    w_off: params,
                    b_off: params + d_in * d_out,
                    in_off,
                    z_off,
                    a_off,
                    g_off: grads,
                };
                params += d_in * d_out + d_out;
                acts = a_off + batch * d_out;
                grads += batch * d_out;
                in_off = a_off;
                layer
            })
            .collect();
        Self {
            batch,
            layers,
            params,
            acts,
            grads,
            activation: config.activation,
        }
    }

    /// The per-layer table [`kernels::update`] reads to find its work item's layer, then the
    /// number of items.
    pub fn table(&self) -> Vec<u32> {
        let mut first = 0;
        let mut table: Vec<u32> = Vec::new();
        for l in &self.layers {
            table.extend(
                [first, l.w_off, l.b_off, l.d_in, l.d_out, l.in_off, l.g_off].map(|v| v as u32),
            );
            first += update_items(l);
        }
        debug_assert_eq!(table.len(), self.layers.len() * LAYOUT_STRIDE as usize);
        table.push(first as u32);
        table
    }

    /// Invocations of [`kernels::update`].
    pub fn update_items(&self) -> usize {
        self.layers.iter().map(update_items).sum()
    }

    /// Dispatches of one training step: a forward per layer, the loss, a backward per hidden
    /// layer, and the update.
    pub fn dispatches(&self) -> usize {
        2 * self.layers.len() + 1
    }
}

/// A layer's work items in [`kernels::update`]: its kernel's blocks, then its bias's runs.
fn update_items(l: &Layer) -> usize {
    let col_blocks = l.d_out.div_ceil(BLOCK);
    l.d_in.div_ceil(BLOCK) * col_blocks + col_blocks
}

/// The kernels' code for an activation.
pub fn act_code(activation: Activation) -> u32 {
    match activation {
        Activation::Elu => kernels::ELU,
        Activation::Selu => kernels::SELU,
        Activation::Relu => kernels::RELU,
        Activation::LeakyRelu => kernels::LEAKY_RELU,
        Activation::Tanh => kernels::TANH,
        Activation::Sigmoid => kernels::SIGMOID,
    }
}
