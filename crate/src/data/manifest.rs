//! `manifest.json`: what `scripts/prepare-data` wrote, so a loader can check every byte it reads.

use serde::{Deserialize, Serialize};

use super::error::{DataError, REPREPARE};

pub const MANIFEST_FILE: &str = "manifest.json";
pub const FORMAT: &str = "selfnorm-shards";
pub const FORMAT_VERSION: u32 = 1;
/// The three splits every manifest has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitKind {
    Train,
    Valid,
    Test,
}

impl SplitKind {
    /// In the manifest's order.
    pub const ALL: [SplitKind; 3] = [SplitKind::Train, SplitKind::Valid, SplitKind::Test];

    pub fn name(self) -> &'static str {
        match self {
            SplitKind::Train => "train",
            SplitKind::Valid => "valid",
            SplitKind::Test => "test",
        }
    }
}

impl std::fmt::Display for SplitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for SplitKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SplitKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown split '{s}' (train, valid or test)"))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// `cifar10`, `fashion-mnist`, `synthetic`.
    pub dataset: String,
    /// Class names; a label byte is an index into it.
    pub classes: Vec<String>,
    /// `[channels, height, width]`; pixels are stored planar (all of channel 0 first), row-major.
    pub image_shape: [usize; 3],
    /// One label byte followed by the pixel bytes.
    pub record_bytes: usize,
    pub train: SplitInfo,
    pub valid: SplitInfo,
    pub test: SplitInfo,
    /// Per-feature mean then std of the train split, pixels scaled to [0, 1].
    pub standardization: FileInfo,
    /// Where the records came from, for people (e.g. which 5,000 images form the validation set).
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitInfo {
    pub records: usize,
    pub shards: Vec<ShardInfo>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShardInfo {
    pub file: String,
    pub records: usize,
    pub bytes: usize,
    pub sha256: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileInfo {
    pub file: String,
    pub bytes: usize,
    pub sha256: String,
}

impl Manifest {
    /// Parses and checks a manifest: format and version, shape, and that every split's counts,
    /// shard sizes and record size agree with each other.
    pub fn parse(text: &str) -> Result<Manifest, DataError> {
        let err = |problem: String| DataError::new(MANIFEST_FILE, problem);
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| err(format!("not valid JSON ({e}); {REPREPARE}")))?;
        let format = value.get("format").and_then(|v| v.as_str());
        if format != Some(FORMAT) {
            return Err(err(format!(
                "not a selfnorm dataset manifest (format {format:?}, expected \"{FORMAT}\")"
            )));
        }
        let version = value.get("version").and_then(|v| v.as_u64());
        if version != Some(FORMAT_VERSION as u64) {
            return Err(err(format!(
                "unsupported format version {version:?} (this build reads version {FORMAT_VERSION}); \
                 {REPREPARE} with this version of selfnorm"
            )));
        }
        let manifest: Manifest = serde_json::from_value(value)
            .map_err(|e| err(format!("malformed manifest ({e}); {REPREPARE}")))?;
        manifest.check().map_err(err)?;
        Ok(manifest)
    }

    fn check(&self) -> Result<(), String> {
        let [c, h, w] = self.image_shape;
        if c == 0 || h == 0 || w == 0 {
            return Err(format!(
                "image shape {:?} has a zero dimension",
                self.image_shape
            ));
        }
        if self.record_bytes != 1 + self.feature_dim() {
            return Err(format!(
                "record size {} does not match image shape {:?} (expected 1 label byte + {} pixel bytes)",
                self.record_bytes,
                self.image_shape,
                self.feature_dim()
            ));
        }
        if !(2..=256).contains(&self.classes.len()) {
            return Err(format!("{} classes; expected 2 to 256", self.classes.len()));
        }
        for kind in SplitKind::ALL {
            self.check_split(kind)?;
        }
        let stats_bytes = 2 * 4 * self.feature_dim();
        if self.standardization.bytes != stats_bytes {
            return Err(format!(
                "standardization file is listed as {} bytes; {} features need {stats_bytes}",
                self.standardization.bytes,
                self.feature_dim()
            ));
        }
        Ok(())
    }

    fn check_split(&self, name: SplitKind) -> Result<(), String> {
        let split = self.split(name);
        if split.records == 0 || split.shards.is_empty() {
            return Err(format!("split '{name}' is empty"));
        }
        let total: usize = split.shards.iter().map(|s| s.records).sum();
        if total != split.records {
            return Err(format!(
                "split '{name}' claims {} records but its shards hold {total}",
                split.records
            ));
        }
        for shard in &split.shards {
            if shard.bytes != shard.records * self.record_bytes {
                return Err(format!(
                    "shard {} is listed as {} bytes, but {} records of {} bytes make {}",
                    shard.file,
                    shard.bytes,
                    shard.records,
                    self.record_bytes,
                    shard.records * self.record_bytes
                ));
            }
            if shard.file.contains('/') || shard.file.contains("..") {
                return Err(format!(
                    "shard name {:?} must be a plain file name",
                    shard.file
                ));
            }
        }
        Ok(())
    }

    pub fn feature_dim(&self) -> usize {
        self.image_shape.iter().product()
    }

    pub fn split(&self, kind: SplitKind) -> &SplitInfo {
        match kind {
            SplitKind::Train => &self.train,
            SplitKind::Valid => &self.valid,
            SplitKind::Test => &self.test,
        }
    }

    /// The manifest of the format's current version for these splits (train, valid, test) and
    /// statistics file.
    pub fn new(
        dataset: &str,
        classes: Vec<String>,
        image_shape: [usize; 3],
        [train, valid, test]: [SplitInfo; 3],
        standardization: FileInfo,
        source: String,
    ) -> Self {
        Self {
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            dataset: dataset.into(),
            classes,
            record_bytes: 1 + image_shape.iter().product::<usize>(),
            image_shape,
            train,
            valid,
            test,
            standardization,
            source,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest serializes")
    }
}
