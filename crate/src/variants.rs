//! The exercise's named variants (Géron, ch. 11, exercise 8), each with its preprocessing and
//! the learning rate the solution notebook found for it. The 2nd edition's (b) and (c) use ELU
//! and batch-normalize the inputs too; the 3rd edition's use Swish and do not. Both editions'
//! (d) and (e) are the same nets ([`crate::exercise::Edition`] sets what else differs).

use serde::{Deserialize, Serialize};

use crate::data::Preprocessing;
use crate::error::ConfigError;
use crate::model::{
    Activation, DropoutConfig, DropoutKind, DropoutPlacement, KernelInit, ModelConfig,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub name: String,
    /// A short human name for pickers: the exercise part, then what the model is.
    pub label: String,
    /// The exercise question it answers and what it is.
    pub title: String,
    pub model: ModelConfig,
    pub preprocessing: Preprocessing,
    pub lr: f64,
}

pub const VARIANT_NAMES: [&str; 6] = [
    "elu-he",
    "elu-he-bn",
    "selu-lecun",
    "selu-alpha-dropout",
    "swish-he",
    "swish-he-bn",
];

pub fn variant(name: &str) -> Result<Variant, ConfigError> {
    let base = ModelConfig::default();
    let selu = ModelConfig {
        activation: Activation::Selu,
        kernel_init: KernelInit::LecunNormal,
        ..base.clone()
    };
    let (label, title, model, preprocessing, lr) = match name {
        "elu-he" => (
            "8b · ELU + He init",
            "(a/b) 20 × Dense(100), ELU, He normal init",
            base,
            Preprocessing::Scale01,
            5e-5,
        ),
        "elu-he-bn" => (
            "8c · ELU + He + Batch Norm",
            "(c) ELU + He with Batch Normalization of the inputs and before each activation",
            ModelConfig {
                batch_norm: true,
                input_batch_norm: true,
                ..base
            },
            Preprocessing::Scale01,
            5e-4,
        ),
        "selu-lecun" => (
            "8d · SELU + LeCun init (self-normalizing)",
            "(d) SELU, LeCun normal init, standardized inputs: self-normalizing",
            selu,
            Preprocessing::Standardize,
            7e-4,
        ),
        "selu-alpha-dropout" => (
            "8e · SELU + alpha dropout",
            "(e) SELU + alpha dropout (rate 0.1, before the output layer)",
            ModelConfig {
                dropout: Some(DropoutConfig {
                    kind: DropoutKind::Alpha,
                    rate: 0.1,
                    placement: DropoutPlacement::BeforeOutput,
                }),
                ..selu
            },
            Preprocessing::Standardize,
            5e-4,
        ),
        "swish-he" => (
            "8b · Swish + He init (3rd edition)",
            "(b) 3rd edition: 20 × Dense(100), Swish, He normal init",
            ModelConfig {
                activation: Activation::Swish,
                ..base
            },
            Preprocessing::Scale01,
            5e-5,
        ),
        "swish-he-bn" => (
            "8c · Swish + He + Batch Norm (3rd edition)",
            "(c) 3rd edition: Swish + He with Batch Normalization before each activation (not of the inputs)",
            ModelConfig {
                activation: Activation::Swish,
                batch_norm: true,
                ..base
            },
            Preprocessing::Scale01,
            5e-4,
        ),
        _ => {
            return Err(ConfigError(format!(
                "unknown variant '{name}' (expected one of: {})",
                VARIANT_NAMES.join(", ")
            )));
        }
    };
    Ok(Variant {
        name: name.into(),
        label: label.into(),
        title: title.into(),
        model,
        preprocessing,
        lr,
    })
}

pub fn all() -> Vec<Variant> {
    VARIANT_NAMES
        .iter()
        .map(|n| variant(n).expect("known variant"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_exercise_part_once_each() {
        let variants = all();
        for v in &variants {
            // The title opens with the part in parentheses, "(d) …"; the label with "8d · …".
            let part = v.title[1..].split(')').next().unwrap();
            let last = part.chars().last().unwrap();
            assert!(
                v.label.starts_with(&format!("8{last} · ")),
                "{}: {}",
                v.name,
                v.label
            );
        }
        let mut labels: Vec<_> = variants.iter().map(|v| v.label.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), variants.len());
    }
}
