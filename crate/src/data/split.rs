use sha2::{Digest, Sha256};

use super::error::{DataError, REPREPARE};
use super::manifest::{Manifest, ShardInfo, SplitInfo};

/// One split's records in memory: pixel bytes as stored (planar), and label bytes.
///
/// Shards may arrive one at a time (the browser streams them), so a split knows how many
/// records are in so far; training uses what has arrived.
#[derive(Clone, Debug, Default)]
pub struct Split {
    pub feature_dim: usize,
    pub classes: usize,
    images: Vec<u8>,
    labels: Vec<u8>,
    expected: usize,
}

impl Split {
    pub fn new(feature_dim: usize, classes: usize, expected: usize) -> Self {
        Self {
            feature_dim,
            classes,
            images: Vec::with_capacity(expected * feature_dim),
            labels: Vec::with_capacity(expected),
            expected,
        }
    }

    pub fn for_manifest(manifest: &Manifest, info: &SplitInfo) -> Self {
        Self::new(manifest.feature_dim(), manifest.classes.len(), info.records)
    }

    /// Builds a split from records directly (synthetic data, tests).
    pub fn from_records(
        feature_dim: usize,
        classes: usize,
        images: Vec<u8>,
        labels: Vec<u8>,
    ) -> Self {
        assert_eq!(images.len(), labels.len() * feature_dim);
        let expected = labels.len();
        Self {
            feature_dim,
            classes,
            images,
            labels,
            expected,
        }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn is_complete(&self) -> bool {
        self.len() == self.expected
    }

    pub fn expected(&self) -> usize {
        self.expected
    }

    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * self.feature_dim..(i + 1) * self.feature_dim]
    }

    pub fn label(&self, i: usize) -> u8 {
        self.labels[i]
    }

    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// Checks a shard's bytes against its manifest entry (size, optionally sha256, label range)
    /// and appends its records. Nothing is appended when a check fails.
    pub fn add_shard(
        &mut self,
        shard: &ShardInfo,
        bytes: &[u8],
        verify_hash: bool,
    ) -> Result<(), DataError> {
        let err = |problem: String| DataError::new(&shard.file, problem);
        if bytes.len() != shard.bytes {
            let what = if bytes.len() < shard.bytes {
                "truncated"
            } else {
                "too long"
            };
            return Err(err(format!(
                "{what}: {} bytes, the manifest says {}; {REPREPARE}",
                bytes.len(),
                shard.bytes
            )));
        }
        if verify_hash {
            let digest = hex(&Sha256::digest(bytes));
            if digest != shard.sha256 {
                return Err(err(format!(
                    "sha256 mismatch: the file is corrupt (got {digest}, the manifest says {}); {REPREPARE}",
                    shard.sha256
                )));
            }
        }
        if self.len() + shard.records > self.expected {
            return Err(err(format!(
                "one shard too many: the split holds {} records",
                self.expected
            )));
        }
        let record = self.feature_dim + 1;
        if let Some(i) = (0..shard.records).find(|i| bytes[i * record] as usize >= self.classes) {
            return Err(err(format!(
                "record {i} has label {} but there are only {} classes; {REPREPARE}",
                bytes[i * record],
                self.classes
            )));
        }
        for chunk in bytes.chunks_exact(record) {
            self.labels.push(chunk[0]);
            self.images.extend_from_slice(&chunk[1..]);
        }
        Ok(())
    }

    /// Records per class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &label in &self.labels {
            counts[label as usize] += 1;
        }
        counts
    }

    /// The records in the shard format (label byte, then pixels), for writing shards.
    pub fn record_bytes(&self, range: std::ops::Range<usize>) -> Vec<u8> {
        let mut out = Vec::with_capacity(range.len() * (self.feature_dim + 1));
        for i in range {
            out.push(self.labels[i]);
            out.extend_from_slice(self.image(i));
        }
        out
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}
