//! Official archives → a dataset folder (native only; `selfnorm prepare-data`): the files are
//! gunzipped and fed to the streaming converter ([`super::convert`], the page's too), whose
//! shards are written as they complete, the manifest last.

use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;

use super::convert::{Converter, Stored};
use super::error::DataError;
use super::manifest::Manifest;
use super::split::sha256_hex;

pub use super::convert::VALID_RECORDS;

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
    let name = archive.display().to_string();
    let mut converter = Converter::cifar10(&name, valid_records);
    feed(&mut converter, &name, &name, &bytes, out)?;
    finish(converter, source, out)
}

/// Converts Fashion-MNIST's four IDX files (`train-images-idx3-ubyte.gz`, …) in `dir` into `out`.
pub fn prepare_fashion_mnist(
    dir: &Path,
    out: &Path,
    valid_records: usize,
) -> Result<Prepared, DataError> {
    let mut converter = Converter::fashion_mnist(valid_records);
    // The source names the files in the dataset's own order, not the feeding one.
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
    for name in converter.files() {
        let k = names
            .iter()
            .position(|n| *n == name)
            .expect("one of the four");
        let path = dir.join(&name).display().to_string();
        feed(&mut converter, &name, &path, &files[k], out)?;
    }
    finish(converter, source, out)
}

/// Gunzips `gz` (the converter's `file`, at `path`) into the converter in 1 MiB pieces, writing
/// each shard it completes into `out`.
fn feed(
    converter: &mut Converter,
    file: &str,
    path: &str,
    gz: &[u8],
    out: &Path,
) -> Result<(), DataError> {
    let fault = |problem: String| DataError::new(path, problem);
    if gz.len() < 2 || gz[..2] != [0x1f, 0x8b] {
        return Err(fault("not a gzip file".into()));
    }
    converter.begin_file(file)?;
    let mut decoder = GzDecoder::new(gz);
    let mut chunk = vec![0; 1 << 20];
    loop {
        let n = decoder.read(&mut chunk).map_err(|e| {
            fault(format!(
                "damaged or cut short: the gzip stream cannot be read ({e})"
            ))
        })?;
        if n == 0 {
            break;
        }
        for stored in converter.push(&chunk[..n])? {
            write(out, &stored)?;
        }
    }
    converter.end_file()?;
    Ok(())
}

fn finish(converter: Converter, source: String, out: &Path) -> Result<Prepared, DataError> {
    let (stats, manifest) = converter.finish(Some(source))?;
    write(out, &stats)?;
    let text = manifest.to_json();
    std::fs::write(out.join(super::manifest::MANIFEST_FILE), text)
        .map_err(|e| DataError::new(out.display().to_string(), format!("cannot write: {e}")))?;
    Ok(Prepared::Written(manifest))
}

fn write(out: &Path, stored: &Stored) -> Result<(), DataError> {
    let path = out.join(&stored.file);
    std::fs::create_dir_all(out)
        .and_then(|()| std::fs::write(&path, &stored.bytes))
        .map_err(|e| DataError::new(path.display().to_string(), format!("cannot write: {e}")))
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
