//! The official dataset files → shards + manifest, as a stream: the files' decompressed bytes go
//! in chunk by chunk, the shards come out as they complete, then the statistics file and the
//! manifest. One converter for `selfnorm prepare-data` (which gunzips with flate2) and for the
//! page (compiled to wasm in its archive worker, which gunzips with the browser's
//! DecompressionStream and stores what comes out): their shards are the same bytes.
//!
//! CIFAR-10 is its binary archive (`cifar-10-binary.tar.gz`: six batches of records of a label
//! byte and 3,072 planar pixels); Fashion-MNIST its four gzipped IDX files. Both take their first
//! `valid` training records as the validation split, as Géron does (`X_valid, X_train =
//! X_train_full[:5000], X_train_full[5000:]`); the test set is kept whole.

mod fashion;
mod shards;
mod tar_stream;
#[cfg(all(test, not(target_family = "wasm")))]
mod tests;

use md5::{Digest, Md5};

pub use shards::{RECORDS_PER_SHARD, STATS_FILE};

use super::error::DataError;
use super::manifest::Manifest;
use shards::{Part, ShardWriter};
use tar_stream::{Members, TarStream};

/// Géron's validation split size for both datasets.
pub const VALID_RECORDS: usize = 5_000;

/// A file to store: a shard or the statistics file.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub file: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// A file that cannot be converted, named, with what is wrong and what to do about it.
#[derive(Clone, Debug, PartialEq)]
pub struct ConvertError {
    pub error: DataError,
    pub hint: Option<String>,
}

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.hint {
            Some(hint) => write!(f, "{}. {hint}", self.error),
            None => write!(f, "{}", self.error),
        }
    }
}

impl std::error::Error for ConvertError {}

impl From<ConvertError> for DataError {
    fn from(e: ConvertError) -> Self {
        match e.hint {
            Some(hint) => DataError::new(e.error.file, format!("{}. {hint}", e.error.problem)),
            None => e.error,
        }
    }
}

fn fault(file: &str, problem: impl Into<String>, hint: Option<&str>) -> ConvertError {
    ConvertError {
        error: DataError::new(file, problem),
        hint: hint.map(str::to_owned),
    }
}

const CIFAR_DIR: &str = "cifar-10-batches-bin";
const CIFAR_TRAIN: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];
const CIFAR_TEST: &str = "test_batch.bin";
const CIFAR_RECORD: usize = 3_073;
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
/// The MD5 that the dataset's home page lists for `cifar-10-binary.tar.gz`.
const CIFAR_MD5: &str = "c32a1d4ab5d03f1284b67883e8d87530";
const CIFAR_HINT: &str = "Choose cifar-10-binary.tar.gz as downloaded from \
    https://www.cs.toronto.edu/~kriz/cifar-10.html (the \"CIFAR-10 binary version (suitable for \
    C programs)\", 162 MB)";
const CUT_SHORT_HINT: &str = "The download was incomplete: download it again";

enum Dataset {
    Cifar(Cifar),
    Fashion(fashion::Fashion),
}

/// A conversion in progress: name the files ([`Converter::for_files`]), then feed each, in the
/// order [`Converter::files`] gives, with [`Converter::begin_file`], [`Converter::push`] (and
/// [`Converter::compressed`] for its MD5) and [`Converter::end_file`]; [`Converter::finish`]
/// gives the statistics file and the manifest.
pub struct Converter {
    dataset: Dataset,
    valid: usize,
    writer: Option<ShardWriter>,
    file: Option<String>,
    md5: Md5,
    /// Compressed bytes fed for the current file's MD5 (none: no MD5 to check).
    compressed: usize,
    /// Each file's MD5 (of its bytes as given, compressed), once it has been read.
    md5s: Vec<(String, String)>,
}

impl Converter {
    /// The dataset that `names` (the files the user gave) are: CIFAR-10's one archive, or
    /// Fashion-MNIST's four files.
    pub fn for_files(names: &[String], valid: usize) -> Result<Self, ConvertError> {
        let fashion_names = fashion::FILES.map(|(name, _)| name);
        if names.iter().any(|n| fashion_names.contains(&n.as_str())) {
            return Ok(Self::new(
                Dataset::Fashion(fashion::Fashion::new(names)?),
                valid,
            ));
        }
        match names {
            [one] => Ok(Self::cifar10(one, valid)),
            _ => Err(fault(
                "the files given",
                format!(
                    "{} files were given: choose the single cifar-10-binary.tar.gz, or \
                     Fashion-MNIST's four .gz files ({})",
                    names.len(),
                    fashion_names.join(", ")
                ),
                None,
            )),
        }
    }

    /// CIFAR-10's binary archive, named `archive` in messages.
    pub fn cifar10(archive: &str, valid: usize) -> Self {
        Self::new(Dataset::Cifar(Cifar::new(archive)), valid)
    }

    /// Fashion-MNIST's four files.
    pub fn fashion_mnist(valid: usize) -> Self {
        let names = fashion::FILES.map(|(name, _)| name.to_owned());
        let fashion = fashion::Fashion::new(&names).expect("all four names");
        Self::new(Dataset::Fashion(fashion), valid)
    }

    fn new(dataset: Dataset, valid: usize) -> Self {
        Self {
            dataset,
            valid,
            writer: None,
            file: None,
            md5: Md5::new(),
            compressed: 0,
            md5s: Vec::new(),
        }
    }

    /// `cifar10` or `fashion-mnist`: the dataset's name, and its folder's.
    pub fn dataset(&self) -> &'static str {
        match self.dataset {
            Dataset::Cifar(_) => "cifar10",
            Dataset::Fashion(_) => "fashion-mnist",
        }
    }

    /// The files, in the order they are to be fed (Fashion-MNIST's labels before its images).
    pub fn files(&self) -> Vec<String> {
        match &self.dataset {
            Dataset::Cifar(c) => vec![c.archive.clone()],
            Dataset::Fashion(_) => fashion::ORDER
                .map(|k| fashion::FILES[k].0.to_owned())
                .to_vec(),
        }
    }

    pub fn begin_file(&mut self, name: &str) -> Result<(), ConvertError> {
        if !self.files().iter().any(|f| f == name) {
            return Err(fault(name, "is not one of this dataset's files", None));
        }
        if let Dataset::Fashion(f) = &mut self.dataset {
            f.begin(name);
        }
        self.file = Some(name.to_owned());
        self.md5 = Md5::new();
        self.compressed = 0;
        Ok(())
    }

    /// The file's bytes as given (compressed), for its MD5.
    pub fn compressed(&mut self, chunk: &[u8]) {
        self.md5.update(chunk);
        self.compressed += chunk.len();
    }

    /// The next decompressed bytes of the current file; the shards they complete.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Stored>, ConvertError> {
        let mut out = Vec::new();
        match &mut self.dataset {
            Dataset::Cifar(c) => {
                let mut members = CifarMembers {
                    cifar: c,
                    writer: &mut self.writer,
                    valid: self.valid,
                    out: &mut out,
                };
                let mut tar = std::mem::take(&mut members.cifar.tar);
                let pushed = tar.push(chunk, &mut members);
                c.tar = tar;
                pushed?;
            }
            Dataset::Fashion(f) => f.push(chunk, &mut self.writer, self.valid, &mut out)?,
        }
        Ok(out)
    }

    /// Ends the current file: checks that it was whole; a notice when its MD5 (if it was fed to
    /// [`Converter::compressed`]) is not the official one.
    pub fn end_file(&mut self) -> Result<Option<String>, ConvertError> {
        let name = self.file.take().unwrap_or_default();
        let official = match &mut self.dataset {
            Dataset::Cifar(c) => {
                c.finish()?;
                CIFAR_MD5
            }
            Dataset::Fashion(f) => f.end(&name)?,
        };
        if self.compressed == 0 {
            return Ok(None);
        }
        let md5 = crate::data::split::hex(&std::mem::take(&mut self.md5).finalize());
        let notice = (md5 != official).then(|| {
            format!(
                "{name} has MD5 {md5}, not the official {}'s ({official}): it is another copy \
                 (recompressed, mirrored or rebuilt), whose contents may differ from the official \
                 ones. It passed every layout check and was converted.",
                match self.dataset {
                    Dataset::Cifar(_) => "archive",
                    Dataset::Fashion(_) => "file",
                }
            )
        });
        self.md5s.push((name, md5));
        Ok(notice)
    }

    /// The statistics file and the manifest (`source`: where the records came from; by default
    /// the files' names and MD5s, as the page converts them).
    pub fn finish(self, source: Option<String>) -> Result<(Stored, Manifest), ConvertError> {
        let source = source.unwrap_or_else(|| self.page_source());
        let (dataset, name) = (self.dataset(), self.files().join(", "));
        let Some(writer) = self.writer else {
            return Err(fault(&name, "holds no records", None));
        };
        let (classes, shape) = match &self.dataset {
            Dataset::Cifar(_) => (CIFAR_CLASSES.map(String::from).to_vec(), [3, 32, 32]),
            Dataset::Fashion(_) => (fashion::CLASSES.map(String::from).to_vec(), [1, 28, 28]),
        };
        writer
            .finish(dataset, classes, shape, source)
            .map_err(|p| fault(&name, p, None))
    }

    fn page_source(&self) -> String {
        let md5 = |file: &str| {
            self.md5s
                .iter()
                .find(|(n, _)| n == file)
                .map_or("?", |(_, m)| m.as_str())
                .to_owned()
        };
        let valid = self.valid;
        match &self.dataset {
            Dataset::Cifar(c) => format!(
                "CIFAR-10 binary archive {} (md5 {}), converted in the browser; valid = first \
                 {valid} records of data_batch_1..5, train = the rest, test = test_batch",
                c.archive,
                md5(&c.archive)
            ),
            Dataset::Fashion(_) => format!(
                "Fashion-MNIST IDX files (image md5 {} {}), converted in the browser; valid = \
                 first {valid} training images, train = the rest, test = t10k",
                md5(fashion::FILES[0].0),
                md5(fashion::FILES[2].0)
            ),
        }
    }
}

/// CIFAR-10's archive as it is read: which batches have come, and every member's name (for the
/// message when the archive is another one).
struct Cifar {
    archive: String,
    tar: TarStream,
    seen: Vec<String>,
    names: Vec<String>,
    /// The batch being read: its part and its first byte there.
    route: Option<(Part, usize)>,
    /// Records per batch: the first batch's, which every other must match.
    batch_records: Option<usize>,
}

impl Cifar {
    fn new(archive: &str) -> Self {
        Self {
            archive: archive.to_owned(),
            tar: TarStream::default(),
            seen: Vec::new(),
            names: Vec::new(),
            route: None,
            batch_records: None,
        }
    }

    fn not_cifar(&self, why: impl std::fmt::Display) -> ConvertError {
        fault(
            &self.archive,
            format!("not the CIFAR-10 binary archive: {why}"),
            Some(CIFAR_HINT),
        )
    }

    fn finish(&self) -> Result<(), ConvertError> {
        self.tar.finish().map_err(|why| {
            fault(
                &self.archive,
                format!("cut short: {why}"),
                Some(CUT_SHORT_HINT),
            )
        })?;
        let all = CIFAR_TRAIN.iter().chain([&CIFAR_TEST]);
        let missing: Vec<String> = all
            .map(|n| format!("{CIFAR_DIR}/{n}"))
            .filter(|n| !self.seen.contains(n))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let python = self
            .names
            .iter()
            .any(|n| n.starts_with("cifar-10-batches-py/"));
        let what = if self.seen.is_empty() {
            let more = if self.names.len() > 3 { ", …" } else { "" };
            format!(
                "{CIFAR_DIR}/ with data_batch_1.bin … {CIFAR_TEST}; its entries: {}{more}",
                self.names[..self.names.len().min(3)].join(", ")
            )
        } else {
            missing.join(", ")
        };
        let python = if python {
            " (this is the Python version of CIFAR-10; the binary version is needed)"
        } else {
            ""
        };
        Err(self.not_cifar(format!("it has no {what}{python}")))
    }
}

/// Routes the archive's batches into the shards.
struct CifarMembers<'a> {
    cifar: &'a mut Cifar,
    writer: &'a mut Option<ShardWriter>,
    valid: usize,
    out: &'a mut Vec<Stored>,
}

impl Members<ConvertError> for CifarMembers<'_> {
    fn entry(&mut self, name: &str, size: u64) -> Result<bool, ConvertError> {
        let c = &mut *self.cifar;
        c.names.push(name.to_owned());
        c.route = None;
        let Some(batch) = name.strip_prefix(&format!("{CIFAR_DIR}/")) else {
            return Ok(false);
        };
        let index = CIFAR_TRAIN.iter().position(|&b| b == batch);
        if index.is_none() && batch != CIFAR_TEST {
            return Ok(false);
        }
        if c.seen.iter().any(|n| n == name) {
            return Err(c.not_cifar(format!("it holds {name} twice")));
        }
        let size = size as usize;
        let records = size / CIFAR_RECORD;
        let whole = size > 0 && size.is_multiple_of(CIFAR_RECORD);
        if !whole || c.batch_records.is_some_and(|r| r != records) {
            let expected = c.batch_records.unwrap_or(10_000);
            return Err(c.not_cifar(format!(
                "{name} is {size} bytes, not {expected} records of {CIFAR_RECORD} bytes as every \
                 batch of the archive (the official batches hold 10000)"
            )));
        }
        c.batch_records = Some(records);
        c.seen.push(name.to_owned());
        if self.writer.is_none() {
            if self.valid == 0 || self.valid >= 5 * records {
                return Err(c.not_cifar(format!(
                    "its batches of {records} records cannot give {} validation records",
                    self.valid
                )));
            }
            *self.writer = Some(ShardWriter::new(
                5 * records,
                self.valid,
                records,
                CIFAR_RECORD,
                CIFAR_CLASSES.len(),
            ));
        }
        c.route = Some(match index {
            Some(i) => (Part::Full, i * size),
            None => (Part::Test, 0),
        });
        Ok(true)
    }

    fn data(&mut self, offset: u64, bytes: &[u8]) -> Result<(), ConvertError> {
        let c = &*self.cifar;
        let (part, start) = c.route.expect("a batch's data after its header");
        let records = c.batch_records.expect("set with the route");
        let describe = |record: usize| {
            let (batch, r) = (record / records, record % records);
            let name = CIFAR_TRAIN
                .get(batch)
                .filter(|_| part == Part::Full)
                .unwrap_or(&CIFAR_TEST);
            format!("{CIFAR_DIR}/{name}, record {r}")
        };
        let writer = self.writer.as_mut().expect("made at the first batch");
        let done = writer
            .write(part, start + offset as usize, bytes, &describe)
            .map_err(|p| fault(&c.archive, p, Some(CIFAR_HINT)))?;
        self.out.extend(done);
        Ok(())
    }

    fn not_tar(&mut self, problem: String) -> ConvertError {
        self.cifar.not_cifar(problem)
    }
}
