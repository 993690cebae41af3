//! Writes splits held in memory (the synthetic set, `selfnorm synth-data`) as shards +
//! `manifest.json`; the official archives stream through [`super::convert`] instead.

use std::fs;
use std::path::Path;

use super::error::DataError;
use super::manifest::{FileInfo, MANIFEST_FILE, Manifest, ShardInfo, SplitInfo};
use super::preprocess::FeatureStats;
use super::split::{Split, sha256_hex};

pub use super::convert::{RECORDS_PER_SHARD, STATS_FILE};

pub struct DatasetSpec<'a> {
    pub name: &'a str,
    pub classes: Vec<String>,
    pub image_shape: [usize; 3],
    pub source: String,
}

/// Writes `train`, `valid`, `test` into `dir` and returns the manifest it wrote (last, so that a
/// folder with a manifest is a complete one).
pub fn write_dataset(
    dir: &Path,
    spec: DatasetSpec,
    splits: [&Split; 3],
    records_per_shard: usize,
) -> Result<Manifest, DataError> {
    let io = |path: &Path, e: std::io::Error| {
        DataError::new(path.display().to_string(), format!("cannot write: {e}"))
    };
    fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        fs::write(&path, bytes).map_err(|e| io(&path, e))?;
        Ok::<_, DataError>(FileInfo {
            file: name.to_string(),
            bytes: bytes.len(),
            sha256: sha256_hex(bytes),
        })
    };
    let [train, valid, test] = splits;
    let stats = write(STATS_FILE, &FeatureStats::compute(train).to_bytes())?;
    let split_info = |name: &str, split: &Split| {
        let mut shards = Vec::new();
        for (k, start) in (0..split.len()).step_by(records_per_shard).enumerate() {
            let end = (start + records_per_shard).min(split.len());
            let file = write(
                &format!("{name}-{k:03}.bin"),
                &split.record_bytes(start..end),
            )?;
            shards.push(ShardInfo {
                file: file.file,
                records: end - start,
                bytes: file.bytes,
                sha256: file.sha256,
            });
        }
        Ok::<_, DataError>(SplitInfo {
            records: split.len(),
            shards,
        })
    };
    let splits = [
        split_info("train", train)?,
        split_info("valid", valid)?,
        split_info("test", test)?,
    ];
    let manifest = Manifest::new(
        spec.name,
        spec.classes,
        spec.image_shape,
        splits,
        stats,
        spec.source,
    );
    write(MANIFEST_FILE, manifest.to_json().as_bytes())?;
    Ok(manifest)
}
