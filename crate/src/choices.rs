//! Every Rust enum the page offers or shows, with its labels: the options of the form's and the
//! exercise panel's selects, and the kinds the page names (the exercise table's rows and how their
//! rates were found, why a run stopped). Values exactly as serde writes them (taken from the
//! enums, never typed out), the short label a select or a table shows, and the name prose uses.
//! The page reads these (`choices()` in `web/session.rs`) instead of keeping copies of the enums.

use serde::Serialize;

use crate::data::Preprocessing;
use crate::exercise::{Edition, Length, LrHow, Row};
use crate::model::{Activation, DropoutKind, DropoutPlacement, KernelInit};
use crate::optim::{NadamSchedule, OptimizerConfig};
use crate::train::{Schedule, StopReason};

/// One option: `value` as serde writes the variant (its `kind` for a tagged enum), `label` for
/// the form, `name` for prose.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: &'static str,
    pub name: &'static str,
}

/// Every enum's options, in the order the page lists them.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Choices {
    pub activation: Vec<Choice>,
    pub kernel_init: Vec<Choice>,
    /// "none" (no dropout layers) first, then the kinds.
    pub dropout_kind: Vec<Choice>,
    pub dropout_placement: Vec<Choice>,
    pub preprocessing: Vec<Choice>,
    pub optimizer: Vec<Choice>,
    pub nadam_schedule: Vec<Choice>,
    pub schedule: Vec<Choice>,
    /// The exercise panel's selects.
    pub edition: Vec<Choice>,
    pub exercise_length: Vec<Choice>,
    /// The exercise table's rows, in the table's order, and how a row's rate was found.
    pub exercise_row: Vec<Choice>,
    pub lr_how: Vec<Choice>,
    /// Why a run ended (the label; an early stop's best epoch is the page's to add).
    pub stop_reason: Vec<Choice>,
}

/// An enum the form offers: its variants in the form's order, and each one's label and name.
/// `labels` matches exhaustively, so a new variant does not compile until it has labels, and the
/// test below fails until it is in `FORM`.
trait Labelled: Serialize + Sized + 'static {
    const FORM: &'static [Self];
    /// (label for the form, name for prose).
    fn labels(&self) -> (&'static str, &'static str);
}

impl Labelled for Activation {
    const FORM: &'static [Self] = &Activation::ALL;
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            Activation::Elu => ("ELU", "ELU"),
            Activation::Selu => ("SELU", "SELU"),
            Activation::Relu => ("ReLU", "ReLU"),
            Activation::LeakyRelu => ("Leaky ReLU (0.2)", "leaky ReLU"),
            Activation::Tanh => ("tanh", "tanh"),
            Activation::Sigmoid => ("sigmoid", "sigmoid"),
            Activation::Swish => ("Swish", "Swish"),
        }
    }
}

impl Labelled for KernelInit {
    const FORM: &'static [Self] = &[
        KernelInit::HeNormal,
        KernelInit::LecunNormal,
        KernelInit::GlorotUniform,
        KernelInit::Identical,
        KernelInit::Constant { value: 0.0 },
    ];
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            KernelInit::HeNormal => ("He normal", "He normal init"),
            KernelInit::LecunNormal => ("LeCun normal", "LeCun normal init"),
            KernelInit::GlorotUniform => ("Glorot uniform", "Glorot uniform init"),
            KernelInit::Identical => ("identical (symmetric)", "identical init"),
            KernelInit::Constant { .. } => ("constant", "constant init"),
        }
    }
}

impl Labelled for DropoutKind {
    const FORM: &'static [Self] = &[DropoutKind::Standard, DropoutKind::Alpha];
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            DropoutKind::Standard => ("standard", "standard dropout"),
            DropoutKind::Alpha => ("alpha (for SELU)", "alpha dropout"),
        }
    }
}

impl Labelled for DropoutPlacement {
    const FORM: &'static [Self] = &[
        DropoutPlacement::BeforeOutput,
        DropoutPlacement::EveryHidden,
    ];
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            DropoutPlacement::BeforeOutput => {
                ("before the output layer", "before the output layer")
            }
            DropoutPlacement::EveryHidden => {
                ("after every hidden layer", "after every hidden layer")
            }
        }
    }
}

impl Labelled for Preprocessing {
    const FORM: &'static [Self] = &[
        Preprocessing::Scale01,
        Preprocessing::Standardize,
        Preprocessing::Raw,
    ];
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            Preprocessing::Scale01 => ("scale to [0, 1]", "inputs scaled to [0, 1]"),
            Preprocessing::Standardize => ("standardize (train mean/std)", "standardized inputs"),
            Preprocessing::Raw => ("raw pixels 0–255 (the notebook’s code)", "raw pixel inputs"),
        }
    }
}

impl Labelled for OptimizerConfig {
    const FORM: &'static [Self] = &[
        OptimizerConfig::Nadam {
            momentum_schedule: NadamSchedule::Legacy,
        },
        OptimizerConfig::Adam,
        OptimizerConfig::Sgd {
            momentum: 0.9,
            nesterov: true,
        },
    ];
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            OptimizerConfig::Nadam { .. } => ("Nadam", "Nadam"),
            OptimizerConfig::Adam => ("Adam", "Adam"),
            OptimizerConfig::Sgd { .. } => ("SGD", "SGD"),
        }
    }
}

impl Labelled for NadamSchedule {
    const FORM: &'static [Self] = &[NadamSchedule::Legacy, NadamSchedule::Keras3];
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            NadamSchedule::Legacy => (
                "0.96^(0.004·t): tf.keras ≤ 2.10 (the book), PyTorch",
                "the legacy Nadam schedule",
            ),
            NadamSchedule::Keras3 => (
                "0.96^t: Keras ≥ 2.11, Keras 3",
                "the Keras 3 Nadam schedule",
            ),
        }
    }
}

impl Labelled for Schedule {
    const FORM: &'static [Self] = &[Schedule::Constant, Schedule::OneCycle];
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            Schedule::Constant => ("constant", "constant learning rate"),
            Schedule::OneCycle => ("1cycle", "1cycle"),
        }
    }
}

impl Labelled for Edition {
    const FORM: &'static [Self] = &Edition::ALL;
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            Edition::Second => ("2nd edition (ELU, batch norm of the inputs)", "2nd edition"),
            Edition::Third => ("3rd edition (Swish, Keras 3)", "3rd edition"),
        }
    }
}

impl Labelled for Length {
    const FORM: &'static [Self] = &[Length::Quick, Length::Full];
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            Length::Quick => ("Quick: 2,000 records, 3 epochs (a first look)", "quick"),
            Length::Full => ("Full: the book's protocol (hours on a CPU)", "full"),
        }
    }
}

impl Labelled for Row {
    const FORM: &'static [Self] = &[
        Row::B,
        Row::C,
        Row::D,
        Row::E,
        Row::Mc10,
        Row::Mc100,
        Row::F,
    ];
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            Row::B => ("(b) Nadam + early stopping", "(b)"),
            Row::C => ("(c) + batch norm", "(c)"),
            Row::D => ("(d) SELU, self-normalizing", "(d)"),
            Row::E => ("(e) + alpha dropout", "(e)"),
            Row::Mc10 => ("(e) MC Dropout, 10 passes", "(e) MC Dropout, 10 passes"),
            Row::Mc100 => ("(e) MC Dropout, 100 passes", "(e) MC Dropout, 100 passes"),
            Row::F => ("(f) 1cycle", "(f)"),
        }
    }
}

impl Labelled for LrHow {
    const FORM: &'static [Self] = &[LrHow::Search, LrHow::LrFinder, LrHow::Same];
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            LrHow::Search => ("search", "the learning-rate search"),
            LrHow::LrFinder => ("LR finder", "the LR finder"),
            LrHow::Same => ("same net", "the same net's"),
        }
    }
}

impl Labelled for StopReason {
    const FORM: &'static [Self] = &[
        StopReason::EarlyStopping { best_epoch: 0 },
        StopReason::MaxEpochs,
        StopReason::Stopped,
        StopReason::Diverged {
            message: String::new(),
            epoch: 0,
            step: 0,
        },
        StopReason::Failed {
            message: String::new(),
        },
    ];
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            StopReason::EarlyStopping { .. } => ("early stopping", "stopped early"),
            StopReason::MaxEpochs => ("reached max epochs", "reached its last epoch"),
            StopReason::Stopped => ("stopped by you", "stopped by you"),
            StopReason::Diverged { .. } => ("diverged", "diverged"),
            StopReason::Failed { .. } => ("failed", "failed"),
        }
    }
}

/// The variant's name as serde writes it: the string of a unit variant, the tag of a tagged one.
fn serde_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(o)) => match o.get("kind") {
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => unreachable!("a tagged choice serializes with a string `kind`"),
        },
        _ => unreachable!("a choice serializes as a string or a tagged object"),
    }
}

fn list<T: Labelled>() -> Vec<Choice> {
    T::FORM
        .iter()
        .map(|v| {
            let (label, name) = v.labels();
            Choice {
                value: serde_name(v),
                label,
                name,
            }
        })
        .collect()
}

pub fn all() -> Choices {
    let none = Choice {
        value: "none".into(),
        label: "none",
        name: "no dropout",
    };
    Choices {
        activation: list::<Activation>(),
        kernel_init: list::<KernelInit>(),
        dropout_kind: std::iter::once(none).chain(list::<DropoutKind>()).collect(),
        dropout_placement: list::<DropoutPlacement>(),
        preprocessing: list::<Preprocessing>(),
        optimizer: list::<OptimizerConfig>(),
        nadam_schedule: list::<NadamSchedule>(),
        schedule: list::<Schedule>(),
        edition: list::<Edition>(),
        exercise_length: list::<Length>(),
        exercise_row: list::<Row>(),
        lr_how: list::<LrHow>(),
        stop_reason: list::<StopReason>(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde::de::DeserializeOwned;

    use super::*;

    /// Every variant name serde knows for `T`, read from the list its "unknown variant" error
    /// gives (the derive's own table, so no variant can be left out).
    fn serde_variants<T: DeserializeOwned>(tagged: bool) -> BTreeSet<String> {
        let unknown = "\u{1}";
        let probe = if tagged {
            serde_json::json!({ "kind": unknown })
        } else {
            serde_json::json!(unknown)
        };
        let Err(e) = serde_json::from_value::<T>(probe) else {
            panic!("{unknown:?} parsed as a variant");
        };
        let message = e.to_string();
        assert!(message.contains("unknown variant"), "{message}");
        // "unknown variant `\u{1}`, expected one of `a`, `b`": the quoted names after the first.
        message
            .split('`')
            .skip(1)
            .step_by(2)
            .skip(1)
            .map(String::from)
            .collect()
    }

    fn check<T: Labelled + DeserializeOwned>(tagged: bool) {
        let choices = list::<T>();
        let values: BTreeSet<String> = choices.iter().map(|c| c.value.clone()).collect();
        assert_eq!(values.len(), choices.len(), "a value twice: {choices:?}");
        let known = serde_variants::<T>(tagged);
        assert!(known.len() >= 2, "{known:?}");
        assert_eq!(
            values, known,
            "the form's options are not the enum's variants"
        );
        for c in &choices {
            assert!(!c.label.is_empty() && !c.name.is_empty(), "{c:?}");
        }
    }

    #[test]
    fn choices_cover_every_variant_with_labels() {
        check::<Activation>(false);
        check::<KernelInit>(true);
        check::<DropoutKind>(false);
        check::<DropoutPlacement>(false);
        check::<Preprocessing>(false);
        check::<OptimizerConfig>(true);
        check::<NadamSchedule>(false);
        check::<Schedule>(true);
        check::<Edition>(false);
        check::<Length>(false);
        check::<Row>(false);
        check::<LrHow>(false);
        check::<StopReason>(true);
    }

    #[test]
    fn choices_keep_the_forms_values_in_order() {
        let c = all();
        let values = |l: &[Choice]| l.iter().map(|c| c.value.clone()).collect::<Vec<_>>();
        assert_eq!(
            values(&c.activation),
            [
                "elu",
                "selu",
                "relu",
                "leaky-relu",
                "tanh",
                "sigmoid",
                "swish"
            ]
        );
        assert_eq!(
            values(&c.kernel_init),
            [
                "he-normal",
                "lecun-normal",
                "glorot-uniform",
                "identical",
                "constant"
            ]
        );
        assert_eq!(values(&c.dropout_kind), ["none", "standard", "alpha"]);
        assert_eq!(values(&c.preprocessing), ["scale01", "standardize", "raw"]);
        assert_eq!(values(&c.optimizer), ["nadam", "adam", "sgd"]);
        assert_eq!(values(&c.nadam_schedule), ["legacy", "keras3"]);
        assert_eq!(values(&c.schedule), ["constant", "one-cycle"]);
        assert_eq!(values(&c.edition), ["second", "third"]);
        assert_eq!(values(&c.exercise_length), ["quick", "full"]);
        assert_eq!(
            values(&c.exercise_row),
            ["b", "c", "d", "e", "mc10", "mc100", "f"]
        );
        assert_eq!(values(&c.lr_how), ["search", "lr-finder", "same"]);
        assert_eq!(
            values(&c.stop_reason),
            [
                "early-stopping",
                "max-epochs",
                "stopped",
                "diverged",
                "failed"
            ]
        );
    }
}
