//! Official archives → shards + manifest (native only; `selfnorm prepare-data`).
//!
//! Both datasets take their first 5,000 training records as the validation split, as Géron does
//! (`X_valid, X_train = X_train_full[:5000], X_train_full[5000:]`); the test set is kept whole.

use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;

use super::error::DataError;
use super::manifest::Manifest;
use super::split::{Split, sha256_hex};
use super::writer::{DatasetSpec, RECORDS_PER_SHARD, write_dataset};

/// Géron's validation split size for both datasets.
pub const VALID_RECORDS: usize = 5_000;
const CIFAR_RECORD: usize = 3_073;
const CIFAR_BATCH_RECORDS: usize = 10_000;
const CIFAR_DIR: &str = "cifar-10-batches-bin";
const CIFAR_TRAIN: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
const CIFAR_TEST: &str = "test_batch.bin";
const CIFAR_CLASSES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];
const FASHION_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// What `prepare_*` did.
pub enum Prepared {
    Written(Manifest),
    /// The folder already holds a complete dataset made from the same source bytes.
    UpToDate(Manifest),
}

/// Converts the CIFAR-10 *binary* archive (`cifar-10-binary.tar.gz`) at `archive` into `out`.
pub fn prepare_cifar10(
    archive: &Path,
    out: &Path,
    valid_records: usize,
) -> Result<Prepared, DataError> {
    let bytes = read(archive)?;
    let source = format!(
        "CIFAR-10 binary archive {} (sha256 {}); valid = first {valid_records} records of data_batch_1..5, train = the rest, test = test_batch",
        file_name(archive),
        sha256_hex(&bytes)
    );
    if let Some(manifest) = up_to_date(out, &source) {
        return Ok(Prepared::UpToDate(manifest));
    }
    let members = untar(archive, &bytes)?;
    let batch = |name: &str| -> Result<&[u8], DataError> {
        let path = format!("{CIFAR_DIR}/{name}");
        let data = members
            .iter()
            .find(|(n, _)| n.trim_start_matches("./") == path)
            .map(|(_, d)| d)
            .ok_or_else(|| not_cifar(archive, &format!("it has no {path}")))?;
        if data.is_empty() || data.len() % CIFAR_RECORD != 0 {
            return Err(not_cifar(
                archive,
                &format!(
                    "{path} is {} bytes, not a whole number of {CIFAR_RECORD}-byte records (the official batches hold {CIFAR_BATCH_RECORDS})",
                    data.len()
                ),
            ));
        }
        Ok(data)
    };
    let to_split = |data: &[u8]| {
        records_to_split(data, CIFAR_RECORD - 1, 10)
            .map_err(|p| DataError::new(archive.display().to_string(), p))
    };
    let train_bytes = CIFAR_TRAIN
        .iter()
        .map(|n| batch(n))
        .collect::<Result<Vec<_>, _>>()?
        .concat();
    let full = to_split(&train_bytes)?;
    let test = to_split(batch(CIFAR_TEST)?)?;
    let (valid, train) = split_at(&full, valid_records)?;
    let spec = DatasetSpec {
        name: "cifar10",
        classes: CIFAR_CLASSES.map(String::from).to_vec(),
        image_shape: [3, 32, 32],
        source,
    };
    Ok(Prepared::Written(write_dataset(
        out,
        spec,
        [&train, &valid, &test],
        RECORDS_PER_SHARD,
    )?))
}

/// Converts Fashion-MNIST's four IDX files (`train-images-idx3-ubyte.gz`, …) in `dir` into `out`.
pub fn prepare_fashion_mnist(
    dir: &Path,
    out: &Path,
    valid_records: usize,
) -> Result<Prepared, DataError> {
    let names = [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ];
    let files: Vec<Vec<u8>> = names
        .iter()
        .map(|n| read(&dir.join(n)))
        .collect::<Result<_, _>>()?;
    let digest: Vec<String> = files
        .iter()
        .map(|f| sha256_hex(f)[..16].to_string())
        .collect();
    let source = format!(
        "Fashion-MNIST IDX files from {} (sha256 prefixes {}); valid = first {valid_records} training images, train = the rest, test = t10k",
        dir.display(),
        digest.join(" ")
    );
    if let Some(manifest) = up_to_date(out, &source) {
        return Ok(Prepared::UpToDate(manifest));
    }
    let idx = |k: usize| {
        idx_file(
            &dir.join(names[k]),
            &files[k],
            if k.is_multiple_of(2) { 3 } else { 1 },
        )
    };
    let full = fashion_split(dir, idx(0)?, idx(1)?)?;
    let test = fashion_split(dir, idx(2)?, idx(3)?)?;
    let (valid, train) = split_at(&full, valid_records)?;
    let spec = DatasetSpec {
        name: "fashion-mnist",
        classes: FASHION_CLASSES.map(String::from).to_vec(),
        image_shape: [1, 28, 28],
        source,
    };
    Ok(Prepared::Written(write_dataset(
        out,
        spec,
        [&train, &valid, &test],
        RECORDS_PER_SHARD,
    )?))
}

/// The payload of a gzipped IDX file of `dims` dimensions (images 3, labels 1).
fn idx_file(path: &Path, gz: &[u8], dims: usize) -> Result<Vec<u8>, DataError> {
    let mut raw = Vec::new();
    GzDecoder::new(gz).read_to_end(&mut raw).map_err(|e| {
        DataError::new(path.display().to_string(), format!("not a gzip file ({e})"))
    })?;
    idx_payload(&raw, dims).map_err(|p| DataError::new(path.display().to_string(), p))
}

/// Fashion-MNIST's 28 × 28 images and their labels as a split, checked.
fn fashion_split(dir: &Path, images: Vec<u8>, labels: Vec<u8>) -> Result<Split, DataError> {
    let problem = |p: String| DataError::new(dir.display().to_string(), p);
    if images.len() != labels.len() * 784 {
        return Err(problem("image and label counts differ".to_string()));
    }
    if let Some(l) = labels.iter().find(|&&l| l >= 10) {
        return Err(problem(format!("label {l} out of range 0..9")));
    }
    Ok(Split::from_records(784, 10, images, labels))
}

/// The payload of an IDX file (big-endian magic 0x0000_08NN, then NN u32 dimensions).
fn idx_payload(raw: &[u8], dims: usize) -> Result<Vec<u8>, String> {
    let header = 4 + 4 * dims;
    if raw.len() < header || raw[..3] != [0, 0, 8] || raw[3] as usize != dims {
        return Err(format!(
            "not an IDX file of unsigned bytes with {dims} dimension(s)"
        ));
    }
    let size: usize = (0..dims)
        .map(|i| u32::from_be_bytes(raw[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize)
        .product();
    if raw.len() != header + size {
        return Err(format!(
            "truncated: {} payload bytes, the header says {size}",
            raw.len() - header
        ));
    }
    Ok(raw[header..].to_vec())
}

fn records_to_split(data: &[u8], feature_dim: usize, classes: usize) -> Result<Split, String> {
    let record = feature_dim + 1;
    let mut images = Vec::with_capacity(data.len() / record * feature_dim);
    let mut labels = Vec::with_capacity(data.len() / record);
    for (i, chunk) in data.chunks_exact(record).enumerate() {
        if chunk[0] as usize >= classes {
            return Err(format!(
                "record {i} has label {} (expected 0..{})",
                chunk[0],
                classes - 1
            ));
        }
        labels.push(chunk[0]);
        images.extend_from_slice(&chunk[1..]);
    }
    Ok(Split::from_records(feature_dim, classes, images, labels))
}

/// The first `n` records (validation) and the rest (training).
fn split_at(full: &Split, n: usize) -> Result<(Split, Split), DataError> {
    if n == 0 || n >= full.len() {
        return Err(DataError::new(
            "prepare-data",
            format!(
                "cannot take {n} validation records from {} training records",
                full.len()
            ),
        ));
    }
    let part = |range: std::ops::Range<usize>| {
        let images = range.clone().flat_map(|i| full.image(i).to_vec()).collect();
        Split::from_records(
            full.feature_dim,
            full.classes,
            images,
            full.labels()[range].to_vec(),
        )
    };
    Ok((part(0..n), part(n..full.len())))
}

fn untar(archive: &Path, bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, DataError> {
    let err = |what: String| not_cifar(archive, &what);
    if bytes.len() < 2 || bytes[..2] != [0x1f, 0x8b] {
        return Err(err("it is not a gzip file".into()));
    }
    let mut tar = tar::Archive::new(GzDecoder::new(bytes));
    let entries = tar
        .entries()
        .map_err(|e| err(format!("it is not a tar archive ({e})")))?;
    let mut members = Vec::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| err(format!("the tar stream is damaged ({e})")))?;
        let name = entry
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .map_err(|e| err(format!("{name} cannot be read ({e})")))?;
        members.push((name, data));
    }
    Ok(members)
}

fn not_cifar(archive: &Path, why: &str) -> DataError {
    DataError::new(
        archive.display().to_string(),
        format!(
            "not a CIFAR-10 binary archive: {why}; expected the official cifar-10-binary.tar.gz \
             (https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz)"
        ),
    )
}

fn read(path: &Path) -> Result<Vec<u8>, DataError> {
    std::fs::read(path)
        .map_err(|e| DataError::new(path.display().to_string(), format!("cannot read: {e}")))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A prepared folder counts as up to date when its manifest parses, records the same source
/// bytes, and every file it lists has the listed size.
fn up_to_date(out: &Path, source: &str) -> Option<Manifest> {
    let text = std::fs::read_to_string(out.join(super::manifest::MANIFEST_FILE)).ok()?;
    let manifest = Manifest::parse(&text).ok()?;
    let sizes_match = super::manifest::SplitKind::ALL
        .into_iter()
        .flat_map(|s| {
            manifest
                .split(s)
                .shards
                .iter()
                .map(|f| (f.file.clone(), f.bytes))
        })
        .chain([(
            manifest.standardization.file.clone(),
            manifest.standardization.bytes,
        )])
        .all(|(file, bytes)| {
            std::fs::metadata(out.join(file)).is_ok_and(|m| m.len() as usize == bytes)
        });
    (manifest.source == source && sizes_match).then_some(manifest)
}
