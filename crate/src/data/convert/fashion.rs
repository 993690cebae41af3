//! Fashion-MNIST's four gzipped IDX files (big-endian magic `0x0000_08NN`, then NN u32
//! dimensions, then the bytes): the label files are read whole (60 KB), then each image file is
//! streamed into the shards, every image behind its label.

use super::shards::{Part, ShardWriter};
use super::{CUT_SHORT_HINT, ConvertError, Stored, fault};

/// The files, with the MD5 that the dataset's repository lists for each.
pub const FILES: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte.gz",
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    ),
    (
        "train-labels-idx1-ubyte.gz",
        "25c81989df183df01b3e8a0aad5dffbe",
    ),
    (
        "t10k-images-idx3-ubyte.gz",
        "bef4ecab320f06d8554ea6380940ec79",
    ),
    (
        "t10k-labels-idx1-ubyte.gz",
        "bb300cfdad3c16e7a12a480ee83cd310",
    ),
];
/// Labels first: an image's record starts with its label.
pub const ORDER: [usize; 4] = [1, 3, 0, 2];
pub const CLASSES: [&str; 10] = [
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
const PIXELS: usize = 28 * 28;
const HOME: &str = "https://github.com/zalandoresearch/fashion-mnist";

/// An IDX file as it is read: its header, then its payload's length so far.
struct Idx {
    name: String,
    header: Vec<u8>,
    dims: Option<Vec<usize>>,
    payload: usize,
}

impl Idx {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            header: Vec::new(),
            dims: None,
            payload: 0,
        }
    }

    fn expected_dims(&self) -> usize {
        if self.name.contains("images") { 3 } else { 1 }
    }

    /// The payload bytes in `chunk` (after the header, once it is in).
    fn payload<'a>(&mut self, mut chunk: &'a [u8]) -> Result<&'a [u8], ConvertError> {
        let dims = self.expected_dims();
        if self.dims.is_none() {
            let n = (4 + 4 * dims - self.header.len()).min(chunk.len());
            self.header.extend_from_slice(&chunk[..n]);
            chunk = &chunk[n..];
            if self.header.len() < 4 + 4 * dims {
                return Ok(&[]);
            }
            let h = &self.header;
            if h[..3] != [0, 0, 8] || h[3] as usize != dims {
                return Err(fault(
                    &self.name,
                    format!("not an IDX file of unsigned bytes with {dims} dimension(s)"),
                    None,
                ));
            }
            let read = |i: usize| u32::from_be_bytes(h[4 + 4 * i..8 + 4 * i].try_into().unwrap());
            self.dims = Some((0..dims).map(|i| read(i) as usize).collect());
        }
        self.payload += chunk.len();
        if self.payload > self.size() {
            return Err(fault(
                &self.name,
                format!("longer than its header says ({} bytes)", self.size()),
                None,
            ));
        }
        Ok(chunk)
    }

    fn size(&self) -> usize {
        self.dims.as_ref().map_or(0, |d| d.iter().product())
    }

    fn finish(&self) -> Result<(), ConvertError> {
        match &self.dims {
            Some(_) if self.payload == self.size() => Ok(()),
            Some(_) => Err(fault(
                &self.name,
                format!(
                    "cut short: {} payload bytes, its header says {}",
                    self.payload,
                    self.size()
                ),
                Some(CUT_SHORT_HINT),
            )),
            None => Err(fault(
                &self.name,
                "cut short: it ends inside its header",
                Some(CUT_SHORT_HINT),
            )),
        }
    }
}

pub struct Fashion {
    /// Train and test labels, once read.
    labels: [Vec<u8>; 2],
    /// Whether each set's image file has been checked against its labels.
    checked: [bool; 2],
    idx: Option<Idx>,
}

impl Fashion {
    pub fn new(names: &[String]) -> Result<Self, ConvertError> {
        let missing: Vec<&str> = FILES
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| !names.iter().any(|n| n == name))
            .collect();
        if let Some(first) = missing.first() {
            return Err(fault(
                first,
                format!(
                    "Fashion-MNIST needs its four files; {} {} missing",
                    missing.join(", "),
                    if missing.len() > 1 { "are" } else { "is" }
                ),
                Some(&format!("Choose all four .gz files from {HOME} at once")),
            ));
        }
        Ok(Self {
            labels: [Vec::new(), Vec::new()],
            checked: [false; 2],
            idx: None,
        })
    }

    pub fn begin(&mut self, name: &str) {
        self.idx = Some(Idx::new(name));
    }

    /// 0 for the training set's files, 1 for the test set's.
    fn set(name: &str) -> usize {
        usize::from(name.starts_with("t10k"))
    }

    pub fn push(
        &mut self,
        chunk: &[u8],
        writer: &mut Option<ShardWriter>,
        valid: usize,
        out: &mut Vec<Stored>,
    ) -> Result<(), ConvertError> {
        let idx = self.idx.as_mut().expect("a file begun");
        let before = idx.payload;
        let payload = idx.payload(chunk)?;
        let (name, set) = (idx.name.clone(), Self::set(&idx.name));
        if idx.expected_dims() == 1 {
            self.labels[set].extend_from_slice(payload);
            return Ok(());
        }
        let Some(dims) = idx.dims.clone() else {
            return Ok(());
        };
        let labels = &self.labels[set];
        if !self.checked[set] {
            check_images(&name, &dims, labels.len())?;
            self.checked[set] = true;
        }
        if writer.is_none() {
            let (full, test) = (self.labels[0].len(), self.labels[1].len());
            if valid == 0 || valid >= full {
                return Err(fault(
                    &name,
                    format!("cannot take {valid} validation records from {full} training images"),
                    None,
                ));
            }
            *writer = Some(ShardWriter::new(
                full,
                valid,
                test,
                1 + PIXELS,
                CLASSES.len(),
            ));
        }
        let writer = writer.as_mut().expect("made above");
        let part = if set == 0 { Part::Full } else { Part::Test };
        let describe = |i: usize| format!("{name}, image {i}");
        let mut offset = before;
        let mut rest = payload;
        while !rest.is_empty() {
            let (record, within) = (offset / PIXELS, offset % PIXELS);
            let n = (PIXELS - within).min(rest.len());
            let at = record * (1 + PIXELS);
            if within == 0 {
                out.extend(write(
                    writer,
                    part,
                    at,
                    &labels[record..=record],
                    &describe,
                    &name,
                )?);
            }
            out.extend(write(
                writer,
                part,
                at + 1 + within,
                &rest[..n],
                &describe,
                &name,
            )?);
            rest = &rest[n..];
            offset += n;
        }
        Ok(())
    }

    /// Ends file `name`: checks it was whole (and a label file's labels); its official MD5.
    pub fn end(&mut self, name: &str) -> Result<&'static str, ConvertError> {
        let idx = self.idx.take().expect("a file begun");
        idx.finish()?;
        let labels = &self.labels[Self::set(name)];
        if idx.expected_dims() == 1
            && let Some(i) = labels.iter().position(|&l| l as usize >= CLASSES.len())
        {
            return Err(fault(
                name,
                format!(
                    "label {i} is {} (expected 0..9); it is not a Fashion-MNIST label file",
                    labels[i]
                ),
                None,
            ));
        }
        Ok(FILES
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, md5)| md5))
    }
}

fn check_images(name: &str, dims: &[usize], labels: usize) -> Result<(), ConvertError> {
    if dims.len() == 3 && dims[0] == labels && dims[1] * dims[2] == PIXELS {
        return Ok(());
    }
    let dims: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    Err(fault(
        name,
        format!(
            "holds {} images, but Fashion-MNIST needs {labels} images of 28×28 to match its labels",
            dims.join("×")
        ),
        None,
    ))
}

fn write(
    writer: &mut ShardWriter,
    part: Part,
    offset: usize,
    bytes: &[u8],
    describe: &dyn Fn(usize) -> String,
    name: &str,
) -> Result<Vec<Stored>, ConvertError> {
    writer
        .write(part, offset, bytes, describe)
        .map_err(|p| fault(name, p, None))
}
