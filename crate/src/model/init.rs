use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// Std of N(0, 1) truncated to ±2: Keras divides by it so a truncated normal keeps the
/// variance the scaling asks for (`VarianceScaling`, `distribution="truncated_normal"`).
const TRUNCATED_NORMAL_STD: f64 = 0.879_625_661_034_239_8;

/// How a Dense kernel is initialized. Biases are set separately (zero by default, as in Keras).
///
/// Weights are drawn on the host from [`Rng`], not by Burn's device RNG, so that the native CLI
/// and the browser (WebGPU or CPU) start from bit-identical weights for the same seed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KernelInit {
    /// Keras `he_normal`: truncated normal, std √(2 / fan_in) (He et al. 2015).
    HeNormal,
    /// Keras `lecun_normal`: truncated normal, std √(1 / fan_in) (LeCun et al. 1998), what SELU needs.
    LecunNormal,
    /// Keras `glorot_uniform`: U(±√(6 / (fan_in + fan_out))) (Glorot & Bengio 2010).
    GlorotUniform,
    /// Every weight of a layer gets one value, ±√2 / fan_in with a random sign (chapter 11,
    /// question 1): all units compute the same thing, and gradient descent can never tell them
    /// apart. With identical weights a unit's inputs add up coherently, so He's √(2 / fan_in)
    /// would grow the signal √(2·fan_in)-fold per layer (a 20-layer net overflows at its first
    /// step); He's gain over fan_in keeps it level, so the lesson shows symmetry, not overflow.
    Identical,
    /// Every weight equals `value`.
    Constant { value: f32 },
}

impl KernelInit {
    /// The output layer's init that goes with hidden kernels of this kind: the same for identical
    /// and constant weights (the symmetry lessons make every layer alike), else Keras's default
    /// `glorot_uniform`.
    pub fn output_default(self) -> KernelInit {
        match self {
            KernelInit::Identical | KernelInit::Constant { .. } => self,
            KernelInit::HeNormal | KernelInit::LecunNormal | KernelInit::GlorotUniform => {
                KernelInit::GlorotUniform
            }
        }
    }

    /// A `[fan_in, fan_out]` kernel in row-major order (Burn's `Linear` layout).
    pub fn kernel(self, fan_in: usize, fan_out: usize, rng: &mut Rng) -> Vec<f32> {
        let n = fan_in * fan_out;
        match self {
            KernelInit::HeNormal => truncated(n, 2.0 / fan_in as f64, rng),
            KernelInit::LecunNormal => truncated(n, 1.0 / fan_in as f64, rng),
            KernelInit::GlorotUniform => {
                let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
                (0..n)
                    .map(|_| ((2.0 * rng.uniform() - 1.0) * limit) as f32)
                    .collect()
            }
            KernelInit::Identical => {
                let sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                vec![(sign * 2f64.sqrt() / fan_in as f64) as f32; n]
            }
            KernelInit::Constant { value } => vec![value; n],
        }
    }

    pub fn name(self) -> String {
        match self {
            KernelInit::HeNormal => "he-normal".into(),
            KernelInit::LecunNormal => "lecun-normal".into(),
            KernelInit::GlorotUniform => "glorot-uniform".into(),
            KernelInit::Identical => "identical".into(),
            KernelInit::Constant { value } => format!("constant={value}"),
        }
    }
}

/// Keras `VarianceScaling(scale, mode="fan_in", distribution="truncated_normal")` with
/// `variance = scale / fan_in`.
fn truncated(n: usize, variance: f64, rng: &mut Rng) -> Vec<f32> {
    let std = variance.sqrt() / TRUNCATED_NORMAL_STD;
    (0..n)
        .map(|_| (rng.truncated_normal() * std) as f32)
        .collect()
}

impl std::str::FromStr for KernelInit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "he-normal" => Ok(KernelInit::HeNormal),
            "lecun-normal" => Ok(KernelInit::LecunNormal),
            "glorot-uniform" => Ok(KernelInit::GlorotUniform),
            "identical" => Ok(KernelInit::Identical),
            _ => match s.strip_prefix("constant=").map(str::parse::<f32>) {
                Some(Ok(value)) if value.is_finite() => Ok(KernelInit::Constant { value }),
                _ => Err(format!(
                    "unknown kernel init '{s}' (expected he-normal, lecun-normal, glorot-uniform, \
                     identical or constant=VALUE)"
                )),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std_of(xs: &[f32]) -> f64 {
        let n = xs.len() as f64;
        let mean = xs.iter().map(|&x| x as f64).sum::<f64>() / n;
        (xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n).sqrt()
    }

    #[test]
    fn he_and_lecun_normal_have_the_keras_std() {
        // 3072×100 weights: the std's sampling error is about std/√(2n) ≈ 0.13 %.
        let mut rng = Rng::new(0);
        let he = KernelInit::HeNormal.kernel(3072, 100, &mut rng);
        let lecun = KernelInit::LecunNormal.kernel(3072, 100, &mut rng);
        let he_std = (2.0f64 / 3072.0).sqrt();
        let lecun_std = (1.0f64 / 3072.0).sqrt();
        assert!((std_of(&he) / he_std - 1.0).abs() < 0.01, "{}", std_of(&he));
        assert!((std_of(&lecun) / lecun_std - 1.0).abs() < 0.01);
        // Truncated at two (untruncated) standard deviations, as Keras does.
        let bound = 2.0 * he_std / TRUNCATED_NORMAL_STD;
        assert!(he.iter().all(|&w| (w as f64).abs() <= bound + 1e-9));
    }

    #[test]
    fn the_output_layer_follows_identical_and_constant_inits_only() {
        let constant = KernelInit::Constant { value: 0.25 };
        assert_eq!(constant.output_default(), constant);
        assert_eq!(
            KernelInit::Identical.output_default(),
            KernelInit::Identical
        );
        for init in [
            KernelInit::HeNormal,
            KernelInit::LecunNormal,
            KernelInit::GlorotUniform,
        ] {
            assert_eq!(init.output_default(), KernelInit::GlorotUniform);
        }
    }

    #[test]
    fn glorot_uniform_bounds_and_identical_init() {
        let mut rng = Rng::new(0);
        let limit = (6.0f64 / 200.0).sqrt() as f32;
        let w = KernelInit::GlorotUniform.kernel(100, 100, &mut rng);
        assert!(w.iter().all(|x| x.abs() <= limit));
        assert!((std_of(&w) - limit as f64 / 3f64.sqrt()).abs() < 0.005);
        let same = KernelInit::Identical.kernel(100, 100, &mut rng);
        assert!(same.iter().all(|&x| x == same[0]));
        assert!((same[0].abs() - 2f32.sqrt() / 100.0).abs() < 1e-7);
    }

    #[test]
    fn parses_names_and_rejects_unknown() {
        assert_eq!("he-normal".parse(), Ok(KernelInit::HeNormal));
        assert_eq!(
            "constant=0.5".parse(),
            Ok(KernelInit::Constant { value: 0.5 })
        );
        let err = "xavier".parse::<KernelInit>().unwrap_err();
        assert!(err.contains("unknown kernel init 'xavier'"), "{err}");
        assert!("constant=nan".parse::<KernelInit>().is_err());
    }
}
