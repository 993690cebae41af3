//! Where everything lives in the fused step's flat buffers.
//!
//! - `params`: for each dense layer l (the hidden ones, then the output one), its kernel
//!   `W_l` (`d_in × d_out`, row-major, the generic path's layout), then its bias `b_l`; after
//!   every dense layer's, each batch norm's γ then β (the input's first).
//! - `running`: each batch norm's running mean then running variance.
//! - `acts`: the batch's inputs `X` (`rows × d_0`) first; with an input batch norm, its `x̂`
//!   and its output; then for each dense layer its pre-activations `Z_l` (with batch norm: the
//!   matmul's output, overwritten by the norm's output `Y_l`), its norm's `x̂`, and, for a
//!   hidden layer, its activations `A_l`.
//! - `grads`: for each dense layer, the loss's gradient w.r.t. its matmul's output `dZ_l`
//!   (with batch norm: first w.r.t. `Y_l`, then, in place, w.r.t. the matmul's output); then,
//!   with an input batch norm, the gradient w.r.t. its output.
//! - `stats`: each batch norm's `1/√(var + ε)`; `norm_grads`: each norm's γ and β gradients.
//!
//! Every per-layer region holds `batch` rows; a shorter last batch uses the first rows.

use crate::model::{Activation, DropoutPlacement, ModelConfig};

use super::kernels::{self, BLOCK, LAYOUT_STRIDE};
use super::masks::MaskedDropout;

/// One batch norm over `features` columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Norm {
    pub features: usize,
    /// γ at `gamma_off`, β right after, in `params`.
    pub gamma_off: usize,
    /// Running mean at `run_off`, running variance right after, in `running`.
    pub run_off: usize,
    pub xhat_off: usize,
    pub stats_off: usize,
    /// γ's gradient at `grad_off`, β's right after, in `norm_grads`.
    pub grad_off: usize,
}

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
    pub norm: Option<Norm>,
    /// Its activations go through the plan's dropout (hidden layers only).
    pub dropout: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub batch: usize,
    pub input_norm: Option<Norm>,
    /// Where the gradient w.r.t. the input norm's output lives in `grads`.
    pub input_grad_off: usize,
    pub layers: Vec<Layer>,
    /// Dense parameters, then the norms' γ and β: `norm_params` of them from `dense_params`.
    pub dense_params: usize,
    pub params: usize,
    pub running: usize,
    pub acts: usize,
    pub grads: usize,
    pub stats: usize,
    pub activation: Activation,
    /// The dropout of the layers whose `dropout` is set: at every rate the model has one,
    /// 0 included (its masks keep every unit and its map is the identity).
    pub dropout: Option<MaskedDropout>,
    pub momentum: f64,
    pub epsilon: f64,
}

/// Running offsets into the buffers while the plan is laid out.
#[derive(Default)]
struct Cursor {
    params: usize,
    norm_params: usize,
    running: usize,
    acts: usize,
    grads: usize,
    stats: usize,
}

impl Cursor {
    fn take(field: &mut usize, n: usize) -> usize {
        *field += n;
        *field - n
    }

    fn norm(&mut self, features: usize, batch: usize) -> Norm {
        let gamma_off = Self::take(&mut self.norm_params, 2 * features);
        Norm {
            features,
            gamma_off,
            run_off: Self::take(&mut self.running, 2 * features),
            xhat_off: Self::take(&mut self.acts, batch * features),
            stats_off: Self::take(&mut self.stats, features),
            grad_off: gamma_off,
        }
    }
}

impl Plan {
    pub fn new(config: &ModelConfig, batch: usize) -> Self {
        let mut dims = vec![config.input_dim];
        dims.extend(std::iter::repeat_n(config.width, config.depth));
        dims.push(config.classes);
        let mut at = Cursor {
            acts: batch * config.input_dim,
            ..Cursor::default()
        };
        let input_norm = config
            .input_batch_norm
            .then(|| at.norm(config.input_dim, batch));
        let mut in_off = match input_norm {
            Some(_) => Cursor::take(&mut at.acts, batch * config.input_dim),
            None => 0,
        };
        let last = dims.len() - 2;
        let layers: Vec<Layer> = dims
            .windows(2)
            .enumerate()
            .map(|(l, pair)| {
                let (d_in, d_out) = (pair[0], pair[1]);
                let w_off = Cursor::take(&mut at.params, d_in * d_out + d_out);
                let z_off = Cursor::take(&mut at.acts, batch * d_out);
                let norm = (l < last && config.batch_norm).then(|| at.norm(d_out, batch));
                let dropout = config.dropout.is_some_and(|d| match d.placement {
                    DropoutPlacement::EveryHidden => l < last,
                    DropoutPlacement::BeforeOutput => l + 1 == last,
                });
                let a_off = match l < last {
                    true => Cursor::take(&mut at.acts, batch * d_out),
                    false => z_off,
                };
                let layer = Layer {
                    d_in,
                    d_out,
                    w_off,
                    b_off: w_off + d_in * d_out,
                    in_off,
                    z_off,
                    a_off,
                    g_off: Cursor::take(&mut at.grads, batch * d_out),
                    norm,
                    dropout,
                };
                in_off = a_off;
                layer
            })
            .collect();
        let input_grad_off = match input_norm {
            Some(_) => Cursor::take(&mut at.grads, batch * config.input_dim),
            None => at.grads,
        };
        let dense_params = at.params;
        let shift = |n: Option<Norm>| {
            n.map(|n| Norm {
                gamma_off: n.gamma_off + dense_params,
                ..n
            })
        };
        Self {
            batch,
            input_norm: shift(input_norm),
            input_grad_off,
            layers: layers
                .into_iter()
                .map(|l| Layer {
                    norm: shift(l.norm),
                    ..l
                })
                .collect(),
            dense_params,
            params: dense_params + at.norm_params,
            running: at.running,
            acts: at.acts,
            grads: at.grads,
            stats: at.stats,
            activation: config.activation,
            dropout: config.dropout.as_ref().map(MaskedDropout::new),
            momentum: crate::model::KERAS_BN_MOMENTUM,
            epsilon: crate::model::KERAS_BN_EPSILON,
        }
    }

    pub fn norm_params(&self) -> usize {
        self.params - self.dense_params
    }

    /// The per-layer table [`kernels::update`] reads to find its work item's layer, then the
    /// number of dense items.
    pub fn table(&self) -> Vec<u32> {
        let mut first = 0;
        let mut table: Vec<u32> = Vec::new();
        for l in &self.layers {
            let mut row = [0usize; LAYOUT_STRIDE];
            row[kernels::LAYOUT_FIRST_ITEM] = first;
            row[kernels::LAYOUT_W_OFF] = l.w_off;
            row[kernels::LAYOUT_B_OFF] = l.b_off;
            row[kernels::LAYOUT_D_IN] = l.d_in;
            row[kernels::LAYOUT_D_OUT] = l.d_out;
            row[kernels::LAYOUT_IN_OFF] = l.in_off;
            row[kernels::LAYOUT_G_OFF] = l.g_off;
            row[kernels::LAYOUT_NORMED] = usize::from(l.norm.is_some());
            table.extend(row.map(|v| v as u32));
            first += update_items(l);
        }
        table.push(first as u32);
        debug_assert_eq!(table.len(), self.table_len());
        table
    }

    /// Entries of [`Plan::table`]: a row per layer, then the number of dense items.
    pub fn table_len(&self) -> usize {
        self.layers.len() * LAYOUT_STRIDE + 1
    }

    /// Invocations of [`kernels::update`]: the dense layers' items, then one per norm parameter.
    pub fn update_items(&self) -> usize {
        self.dense_items() + self.norm_params()
    }

    /// The dense layers' work items in [`kernels::update`].
    pub fn dense_items(&self) -> usize {
        self.layers.iter().map(update_items).sum()
    }

    /// Dispatches of one training step: per dense layer a forward and, but for the first, a
    /// backward; per batch norm a forward and a backward (the input's needs the first layer's
    /// backward too); the loss and the update.
    pub fn dispatches(&self) -> usize {
        let norms = self.layers.iter().filter(|l| l.norm.is_some()).count()
            + self.input_norm.iter().count();
        2 * self.layers.len() + 1 + 2 * norms + self.input_norm.iter().count()
    }
}

/// Which buffer holds a tensor of the generic model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Buffer {
    Params,
    Running,
}

/// Where one of the generic model's float tensors lives in the fused step's buffers.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    pub buffer: Buffer,
    pub off: usize,
    pub dims: Vec<usize>,
}

impl Slot {
    /// Its number of values.
    pub fn values(&self) -> usize {
        self.dims.iter().product()
    }
}

impl Plan {
    /// The generic model's float tensors in its visiting order (an input norm's γ, β, running
    /// mean and variance; per dense layer its kernel, bias, then its norm's four), and where
    /// each lives here.
    pub fn slots(&self) -> Vec<Slot> {
        let slot = |buffer, off, dims: &[usize]| Slot {
            buffer,
            off,
            dims: dims.to_vec(),
        };
        let norm = |n: &Norm| {
            let f = n.features;
            [
                slot(Buffer::Params, n.gamma_off, &[f]),
                slot(Buffer::Params, n.gamma_off + f, &[f]),
                slot(Buffer::Running, n.run_off, &[f]),
                slot(Buffer::Running, n.run_off + f, &[f]),
            ]
        };
        let mut slots: Vec<Slot> = self.input_norm.iter().flat_map(norm).collect();
        for l in &self.layers {
            slots.push(slot(Buffer::Params, l.w_off, &[l.d_in, l.d_out]));
            slots.push(slot(Buffer::Params, l.b_off, &[l.d_out]));
            slots.extend(l.norm.iter().flat_map(norm));
        }
        slots
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
        Activation::Swish => kernels::SWISH,
    }
}
