use super::error::{DataError, REPREPARE};
use super::manifest::{MANIFEST_FILE, Manifest, SplitKind};
use super::preprocess::FeatureStats;
use super::split::{Split, sha256_hex};

/// A prepared dataset in memory: the manifest, the three splits, and the train statistics.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub manifest: Manifest,
    pub train: Split,
    pub valid: Split,
    pub test: Split,
    pub stats: FeatureStats,
}

impl Dataset {
    /// Whether the test split can be evaluated: it has arrived whole and is not empty.
    pub fn test_ready(&self) -> bool {
        self.test.is_complete() && !self.test.is_empty()
    }

    /// An empty dataset for `manifest`, ready to receive shards ([`Dataset::add_shard`]) and the
    /// statistics file; the browser fills it this way as downloads finish.
    pub fn empty(manifest: Manifest, stats_bytes: &[u8]) -> Result<Self, DataError> {
        let info = &manifest.standardization;
        if stats_bytes.len() != info.bytes {
            return Err(DataError::new(
                &info.file,
                format!(
                    "{} bytes, the manifest says {}; {REPREPARE}",
                    stats_bytes.len(),
                    info.bytes
                ),
            ));
        }
        if sha256_hex(stats_bytes) != info.sha256 {
            return Err(DataError::new(
                &info.file,
                format!("sha256 mismatch: the file is corrupt; {REPREPARE}"),
            ));
        }
        let stats = FeatureStats::from_bytes(&info.file, stats_bytes, manifest.feature_dim())?;
        Ok(Self {
            train: Split::for_manifest(&manifest, &manifest.train),
            valid: Split::for_manifest(&manifest, &manifest.valid),
            test: Split::for_manifest(&manifest, &manifest.test),
            stats,
            manifest,
        })
    }

    /// Adds shard number `index` of `split`; shards of a split must arrive in order.
    pub fn add_shard(
        &mut self,
        split: SplitKind,
        index: usize,
        bytes: &[u8],
        verify_hash: bool,
    ) -> Result<(), DataError> {
        let shards = &self.manifest.split(split).shards;
        let info = shards
            .get(index)
            .ok_or_else(|| {
                DataError::new(
                    MANIFEST_FILE,
                    format!("split '{split}' has no shard {index}"),
                )
            })?
            .clone();
        let loaded_before: usize = shards[..index].iter().map(|s| s.records).sum();
        let target = self.split_mut(split);
        if target.len() != loaded_before {
            return Err(DataError::new(
                &info.file,
                format!("arrived out of order or twice (shard {index} of '{split}')"),
            ));
        }
        target.add_shard(&info, bytes, verify_hash)
    }

    pub fn split(&self, kind: SplitKind) -> &Split {
        match kind {
            SplitKind::Train => &self.train,
            SplitKind::Valid => &self.valid,
            SplitKind::Test => &self.test,
        }
    }

    fn split_mut(&mut self, kind: SplitKind) -> &mut Split {
        match kind {
            SplitKind::Train => &mut self.train,
            SplitKind::Valid => &mut self.valid,
            SplitKind::Test => &mut self.test,
        }
    }

    /// Loads a prepared folder, checking every shard (size, sha256, labels).
    #[cfg(not(target_family = "wasm"))]
    pub fn load_dir(dir: &std::path::Path) -> Result<Self, DataError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| {
                let hint = if name == MANIFEST_FILE {
                    "prepare the dataset first: scripts/prepare-data"
                } else {
                    REPREPARE
                };
                DataError::new(
                    path.display().to_string(),
                    format!("cannot read ({e}); {hint}"),
                )
            })
        };
        let manifest_bytes = read(MANIFEST_FILE)?;
        let text = String::from_utf8_lossy(&manifest_bytes);
        let manifest = Manifest::parse(&text).map_err(|e| in_dir(dir, e))?;
        let stats = read(&manifest.standardization.file)?;
        let mut dataset = Self::empty(manifest.clone(), &stats).map_err(|e| in_dir(dir, e))?;
        for split in SplitKind::ALL {
            for (index, shard) in manifest.split(split).shards.iter().enumerate() {
                let bytes = read(&shard.file)?;
                dataset
                    .add_shard(split, index, &bytes, true)
                    .map_err(|e| in_dir(dir, e))?;
            }
        }
        Ok(dataset)
    }
}

#[cfg(not(target_family = "wasm"))]
fn in_dir(dir: &std::path::Path, e: DataError) -> DataError {
    DataError::new(dir.join(&e.file).display().to_string(), e.problem)
}
