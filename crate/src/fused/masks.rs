//! Dropout masks from a counter-based generator: whether unit `i` of a layer's activations is
//! kept at one draw is a hash of (seed, draw, layer, i), so the forward kernel and the backward
//! one compute the same mask independently, and nothing is stored or uploaded. This module is
//! the host's copy of the generator the kernels run (`kernels::kept`), for the tests'
//! references and for the per-draw keys the launches pass.
//!
//! The hash: 64-bit keys per (seed, draw, layer) from SplitMix64's finalizer (Steele, Lea and
//! Flood 2014), then per unit two rounds of Wellons's `lowbias32` (a 32-bit finalizer with
//! near-ideal avalanche), each after an XOR with one half of the key. A unit is kept when the
//! top 24 bits of the result fall below `(1 − rate)·2²⁴`: an integer comparison, the same on
//! every adapter.

use crate::model::dropout::alpha_dropout_constants;
use crate::model::{DropoutConfig, DropoutKind};

/// Bits of the hash compared against the threshold.
pub const MASK_BITS: u32 = 24;

/// What a dropout layer does to a unit: `kept_scale·x + kept_shift` where kept, `dropped`
/// where not; its gradient is `kept_scale` where kept, 0 where not.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MaskedDropout {
    /// A unit is kept when its hash's top [`MASK_BITS`] bits are below this.
    pub threshold: u32,
    pub kept_scale: f32,
    pub kept_shift: f32,
    pub dropped: f32,
}

impl MaskedDropout {
    /// The same map as [`crate::model::Dropout`] in training mode. At rate 0 it is the identity
    /// (scale 1, shift 0, every unit kept).
    pub fn new(config: &DropoutConfig) -> Self {
        let (p, q) = (config.rate, 1.0 - config.rate);
        let threshold = (q * (1u64 << MASK_BITS) as f64).round() as u32;
        match config.kind {
            DropoutKind::Standard => Self {
                threshold,
                kept_scale: (1.0 / q) as f32,
                kept_shift: 0.0,
                dropped: 0.0,
            },
            DropoutKind::Alpha => {
                let (alpha_p, a, b) = alpha_dropout_constants(p);
                Self {
                    threshold,
                    kept_scale: a as f32,
                    kept_shift: b as f32,
                    dropped: (a * alpha_p + b) as f32,
                }
            }
        }
    }

    /// The unit's output given its activation `x` and whether it is kept.
    pub fn apply(&self, x: f32, kept: bool) -> f32 {
        match kept {
            true => x * self.kept_scale + self.kept_shift,
            false => self.dropped,
        }
    }
}

/// SplitMix64's output function.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The two 32-bit keys of layer `layer`'s mask at draw `draw` of a run seeded `seed`.
pub fn keys(seed: u64, draw: u64, layer: usize) -> [u32; 2] {
    let k = splitmix64(seed ^ splitmix64(draw ^ splitmix64(layer as u64)));
    [k as u32, (k >> 32) as u32]
}

/// Wellons's `lowbias32`.
pub fn mix(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}

/// Whether unit `index` (row-major within the layer's activations) is kept.
pub fn kept(keys: [u32; 2], index: u32, threshold: u32) -> bool {
    (mix(mix(index ^ keys[0]) ^ keys[1]) >> (32 - MASK_BITS)) < threshold
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DropoutPlacement;

    fn config(kind: DropoutKind, rate: f64) -> DropoutConfig {
        DropoutConfig {
            kind,
            rate,
            placement: DropoutPlacement::EveryHidden,
        }
    }

    #[test]
    fn rate_zero_is_the_identity() {
        for kind in [DropoutKind::Standard, DropoutKind::Alpha] {
            let d = MaskedDropout::new(&config(kind, 0.0));
            assert_eq!(d.threshold, 1 << MASK_BITS);
            for x in [-1.5f32, 0.0, 0.3, 7.0] {
                assert_eq!(d.apply(x, true), x);
            }
        }
    }

    /// Pins the hash (a change to it changes every mask) against a second implementation:
    /// Python's integers, `x ^= x >> 16; x = (x * 0x7feb352d) & M; x ^= x >> 15;
    /// x = (x * 0x846ca68b) & M; x ^ (x >> 16)` with M = 2³² − 1.
    #[test]
    fn the_hash_is_lowbias32() {
        assert_eq!(mix(0), 0);
        assert_eq!(mix(1), 0x6889_90c0);
        assert_eq!(mix(0xdead_beef), 0xe628_c683);
        let keys = keys(42, 7, 3);
        assert_ne!(keys[0], keys[1]);
        // Neighbouring inputs land far apart: about half the bits differ.
        let differing = (0..1000u32)
            .map(|i| (mix(i) ^ mix(i + 1)).count_ones())
            .sum::<u32>() as f64
            / 1000.0;
        assert!((differing - 16.0).abs() < 1.0, "{differing} bits");
    }
}
