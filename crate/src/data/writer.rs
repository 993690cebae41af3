//! Writes splits as shards + `manifest.json` (used by `prepare-data` and the synthetic set).

use std::fs;
use std::path::Path;

use super::error::DataError;
use super::manifest::{
    FORMAT, FORMAT_VERSION, FileInfo, MANIFEST_FILE, Manifest, ShardInfo, SplitInfo,
};
use super::preprocess::FeatureStats;
use super::split::{Split, sha256_hex};

/// 5,000 CIFAR-10 records make a 15 MB shard: small enough to download with useful progress,
/// few enough that a manifest stays short.
pub const RECORDS_PER_SHARD: usize = 5_000;
pub const STATS_FILE: &str = "train-stats.bin";

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
    let manifest = Manifest {
        format: FORMAT.into(),
        version: FORMAT_VERSION,
        dataset: spec.name.into(),
        classes: spec.classes,
        record_bytes: 1 + spec.image_shape.iter().product::<usize>(),
        image_shape: spec.image_shape,
        train: split_info("train", train)?,
        valid: split_info("valid", valid)?,
        test: split_info("test", test)?,
        standardization: stats,
        source: spec.source,
    };
    write(MANIFEST_FILE, manifest.to_json().as_bytes())?;
    Ok(manifest)
}
