//! Records streamed in, in pieces and in any order, cut into the shards of the dataset format:
//! the first `valid` records of the training set are the validation split and the rest the train
//! split, the test set is kept whole, [`RECORDS_PER_SHARD`] records a shard named
//! `<split>-NNN.bin`. A shard is checked, hashed and handed out as soon as it is complete, so only
//! the shards being filled are held; the train split's statistics are summed as its shards
//! complete, in record order.

use std::collections::BTreeMap;

use super::Stored;
use crate::data::manifest::{FileInfo, Manifest, ShardInfo, SplitInfo};
use crate::data::preprocess::FeatureSums;
use crate::data::split::sha256_hex;

/// 5,000 CIFAR-10 records make a 15 MB shard: small enough to download with useful progress,
/// few enough that a manifest stays short.
pub const RECORDS_PER_SHARD: usize = 5_000;
pub const STATS_FILE: &str = "train-stats.bin";

/// The two record streams a dataset comes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The training set: validation, then train.
    Full,
    Test,
}

struct Shard {
    split: &'static str,
    part: Part,
    /// Its first record in its part.
    start: usize,
    records: usize,
    buffer: Vec<u8>,
    filled: usize,
    info: Option<ShardInfo>,
}

pub struct ShardWriter {
    record_bytes: usize,
    classes: usize,
    shards: Vec<Shard>,
    train_sums: FeatureSums,
    /// The next train shard (by index among them) whose records the statistics take.
    next_train: usize,
    /// Train shards completed ahead of their turn, kept for the statistics.
    waiting: BTreeMap<usize, Vec<u8>>,
}

impl ShardWriter {
    /// The shards of `full` training records (the first `valid` of them for validation) and
    /// `test` test records, each record `record_bytes` long (a label byte, then the pixels).
    pub fn new(
        full: usize,
        valid: usize,
        test: usize,
        record_bytes: usize,
        classes: usize,
    ) -> Self {
        let mut shards = Vec::new();
        let mut plan = |split, part, first: usize, records: usize| {
            for start in (0..records).step_by(RECORDS_PER_SHARD) {
                shards.push(Shard {
                    split,
                    part,
                    start: first + start,
                    records: RECORDS_PER_SHARD.min(records - start),
                    buffer: Vec::new(),
                    filled: 0,
                    info: None,
                });
            }
        };
        plan("valid", Part::Full, 0, valid);
        plan("train", Part::Full, valid, full - valid);
        plan("test", Part::Test, 0, test);
        Self {
            record_bytes,
            classes,
            shards,
            train_sums: FeatureSums::new(record_bytes - 1),
            next_train: 0,
            waiting: BTreeMap::new(),
        }
    }

    /// `bytes` at byte `offset` of `part`; the shards they complete. `describe(record)` says
    /// where a record of the part came from, for the message about a bad label.
    pub fn write(
        &mut self,
        part: Part,
        offset: usize,
        bytes: &[u8],
        describe: &dyn Fn(usize) -> String,
    ) -> Result<Vec<Stored>, String> {
        let end = offset + bytes.len();
        let mut done = Vec::new();
        for k in 0..self.shards.len() {
            let s = &mut self.shards[k];
            let (first, last) = (
                s.start * self.record_bytes,
                (s.start + s.records) * self.record_bytes,
            );
            let (lo, hi) = (offset.max(first), end.min(last));
            if s.part != part || lo >= hi {
                continue;
            }
            if s.buffer.is_empty() {
                s.buffer = vec![0; last - first];
            }
            s.buffer[lo - first..hi - first].copy_from_slice(&bytes[lo - offset..hi - offset]);
            s.filled += hi - lo;
            if s.filled == s.buffer.len() {
                done.push(self.complete(k, describe)?);
            }
        }
        Ok(done)
    }

    fn complete(&mut self, k: usize, describe: &dyn Fn(usize) -> String) -> Result<Stored, String> {
        let classes = self.classes;
        let split = self.shards[k].split;
        let index = self.shards[..k].iter().filter(|o| o.split == split).count();
        let s = &mut self.shards[k];
        let bytes = std::mem::take(&mut s.buffer);
        if let Some((r, record)) = bytes
            .chunks_exact(self.record_bytes)
            .enumerate()
            .find(|(_, record)| record[0] as usize >= classes)
        {
            return Err(format!(
                "{} has label {} (expected 0..{}); the file does not have the dataset's layout",
                describe(s.start + r),
                record[0],
                classes - 1
            ));
        }
        let file = format!("{}-{index:03}.bin", s.split);
        let sha256 = sha256_hex(&bytes);
        s.info = Some(ShardInfo {
            file: file.clone(),
            records: s.records,
            bytes: bytes.len(),
            sha256: sha256.clone(),
        });
        if s.split == "train" {
            self.waiting.insert(index, bytes.clone());
            while let Some(ready) = self.waiting.remove(&self.next_train) {
                ready
                    .chunks_exact(self.record_bytes)
                    .for_each(|record| self.train_sums.add(&record[1..]));
                self.next_train += 1;
            }
        }
        Ok(Stored {
            file,
            sha256,
            bytes,
        })
    }

    /// Once every shard is complete: the statistics file, and the manifest (written last by
    /// whoever stores them: a folder with a manifest is a complete one).
    pub fn finish(
        self,
        dataset: &str,
        classes: Vec<String>,
        image_shape: [usize; 3],
        source: String,
    ) -> Result<(Stored, Manifest), String> {
        if let Some(s) = self.shards.iter().find(|s| s.info.is_none()) {
            return Err(format!(
                "records {}..{} of the {} split never arrived",
                s.start,
                s.start + s.records,
                s.split
            ));
        }
        let bytes = self.train_sums.stats().to_bytes();
        let stats = Stored {
            file: STATS_FILE.into(),
            sha256: sha256_hex(&bytes),
            bytes,
        };
        let split = |name: &str| {
            let shards: Vec<ShardInfo> = self
                .shards
                .iter()
                .filter(|s| s.split == name)
                .filter_map(|s| s.info.clone())
                .collect();
            SplitInfo {
                records: shards.iter().map(|s| s.records).sum(),
                shards,
            }
        };
        let info = FileInfo {
            file: stats.file.clone(),
            bytes: stats.bytes.len(),
            sha256: stats.sha256.clone(),
        };
        let splits = [split("train"), split("valid"), split("test")];
        let manifest = Manifest::new(dataset, classes, image_shape, splits, info, source);
        Ok((stats, manifest))
    }
}
