//! Reading back numbers that JSON could not hold: serde_json, and the run files the page writes,
//! write a NaN or infinite loss or statistic as `null` (JSON has neither). A history read back
//! (a run file sent to the CSV writer, a CLI log) takes such a `null` as NaN instead of refusing
//! the whole history for one diverged value.

use serde::{Deserialize, Deserializer};

/// A number, or NaN for `null`.
pub fn f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// A column of numbers, each `null` read as NaN.
pub fn f32s<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
    let column = Vec::<Option<f32>>::deserialize(d)?;
    Ok(column.into_iter().map(|v| v.unwrap_or(f32::NAN)).collect())
}

/// An optional column of numbers (`null` as a whole: none), each `null` in it read as NaN.
pub fn opt_f32s<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<f32>>, D::Error> {
    let column = Option::<Vec<Option<f32>>>::deserialize(d)?;
    Ok(column.map(|c| c.into_iter().map(|v| v.unwrap_or(f32::NAN)).collect()))
}

#[cfg(test)]
mod tests {
    use crate::stats::LayerStats;
    use crate::train::EpochRecord;

    #[test]
    fn null_reads_back_as_nan() {
        let record: EpochRecord = serde_json::from_str(
            r#"{"epoch":1,"train_loss":null,"train_accuracy":0.5,"val_loss":2.5,"val_accuracy":0.5,
                "lr":0.001,"samples":32,"train_seconds":1.0,"seconds":1.5,"samples_per_s":32.0}"#,
        )
        .unwrap();
        assert!(record.train_loss.is_nan());
        assert_eq!(record.val_loss, 2.5);
        let column = r#"[1.0,null]"#;
        let stats: LayerStats = serde_json::from_str(&format!(
            r#"{{"pre_mean":{column},"pre_std":{column},"act_mean":{column},"act_std":{column},
                "saturated":{column},"dead":{column},"grad_norm":{column},"unit_spread":{column},
                "update_ratio":{column}}}"#
        ))
        .unwrap();
        assert_eq!(stats.act_std[0], 1.0);
        assert!(stats.act_std[1].is_nan());
        assert!(stats.update_ratio.unwrap()[1].is_nan());
        let without: LayerStats = serde_json::from_str(&format!(
            r#"{{"pre_mean":{column},"pre_std":{column},"act_mean":{column},"act_std":{column},
                "saturated":{column},"dead":{column},"grad_norm":{column},"unit_spread":{column}}}"#
        ))
        .unwrap();
        assert_eq!(without.update_ratio, None);
    }
}
