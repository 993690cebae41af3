use std::path::{Path, PathBuf};

use clap::Args;
use selfnorm::clock::now_seconds;
use selfnorm::data::manifest::SplitInfo;
use selfnorm::data::prepare::{Prepared, VALID_RECORDS, prepare_cifar10, prepare_fashion_mnist};
use selfnorm::data::writer::{DatasetSpec, RECORDS_PER_SHARD, write_dataset};
use selfnorm::data::{Manifest, SyntheticSpec};
use serde_json::json;

use crate::error::CliError;
use crate::output::Output;

#[derive(Args, Debug)]
pub struct PrepareArgs {
    /// cifar-10-binary.tar.gz.
    #[arg(long, conflicts_with = "fashion_mnist")]
    archive: Option<PathBuf>,
    /// A folder with Fashion-MNIST's four .gz IDX files.
    #[arg(long)]
    fashion_mnist: Option<PathBuf>,
    #[arg(long)]
    out: PathBuf,
    /// Records taken from the start of the training set for validation.
    #[arg(long, default_value_t = VALID_RECORDS)]
    valid: usize,
}

impl PrepareArgs {
    pub fn exec(self) -> Result<(), CliError> {
        let start = now_seconds();
        let prepared = match (&self.archive, &self.fashion_mnist) {
            (Some(archive), None) => prepare_cifar10(archive, &self.out, self.valid)?,
            (None, Some(dir)) => prepare_fashion_mnist(dir, &self.out, self.valid)?,
            _ => {
                return Err(CliError::Usage(
                    "give --archive PATH (CIFAR-10) or --fashion-mnist DIR".into(),
                ));
            }
        };
        let (status, manifest) = match prepared {
            Prepared::Written(m) => ("written", m),
            Prepared::UpToDate(m) => ("up-to-date", m),
        };
        report(status, &manifest, &self.out, now_seconds() - start)
    }
}

#[derive(Args, Debug)]
pub struct SynthArgs {
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 2000)]
    train: usize,
    #[arg(long, default_value_t = 500)]
    valid: usize,
    #[arg(long, default_value_t = 500)]
    test: usize,
    /// Image shape as C,H,W.
    #[arg(long, default_value = "3,32,32", value_parser = parse_shape)]
    shape: [usize; 3],
    #[arg(long, default_value_t = 500)]
    shard_records: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

impl SynthArgs {
    pub fn exec(self) -> Result<(), CliError> {
        let start = now_seconds();
        let spec = SyntheticSpec {
            image_shape: self.shape,
            train: self.train,
            valid: self.valid,
            test: self.test,
            seed: self.seed,
            ..SyntheticSpec::default()
        };
        let data = spec.generate();
        let desc = DatasetSpec {
            name: "synthetic",
            classes: data.manifest.classes.clone(),
            image_shape: spec.image_shape,
            source: data.manifest.source.clone(),
        };
        let records = match self.shard_records {
            0 => RECORDS_PER_SHARD,
            n => n,
        };
        let manifest = write_dataset(
            &self.out,
            desc,
            [&data.train, &data.valid, &data.test],
            records,
        )?;
        report("written", &manifest, &self.out, now_seconds() - start)
    }
}

fn report(status: &str, manifest: &Manifest, out_dir: &Path, seconds: f64) -> Result<(), CliError> {
    let split = |s: &SplitInfo| json!({ "records": s.records, "shards": s.shards.len(), "bytes": s.shards.iter().map(|x| x.bytes).sum::<usize>() });
    Output::new(None)?.emit(
        "prepared",
        json!({
            "status": status,
            "dataset": manifest.dataset,
            "out": out_dir,
            "seconds": seconds,
            "train": split(&manifest.train),
            "valid": split(&manifest.valid),
            "test": split(&manifest.test),
            "shard_bytes": manifest.train.shards.first().map(|s| s.bytes),
        }),
    );
    Ok(())
}

fn parse_shape(s: &str) -> Result<[usize; 3], String> {
    let dims: Vec<usize> = s
        .split(',')
        .map(|d| d.trim().parse().map_err(|_| format!("bad dimension '{d}'")))
        .collect::<Result<_, _>>()?;
    dims.try_into().map_err(|_| "expected C,H,W".to_string())
}
