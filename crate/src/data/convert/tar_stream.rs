//! A tar stream read as it arrives: bytes go in as they are decompressed and each member's data
//! comes out in pieces, so an archive of any size is read without being held whole. The `tar`
//! crate parses each header; POSIX ustar names (with their prefix), pax `path` records and GNU
//! long names are understood, which covers the tools that build dataset archives.

use tar::{EntryType, Header};

const BLOCK: usize = 512;

/// What receives an archive's members. `E` is the receiver's error, into which the stream's own
/// problems (a header that is no tar header) are turned by [`Members::not_tar`].
pub trait Members<E> {
    /// A member's header: whether its data is wanted.
    fn entry(&mut self, name: &str, size: u64) -> Result<bool, E>;
    /// A piece of a wanted member's data, `offset` bytes into it.
    fn data(&mut self, offset: u64, bytes: &[u8]) -> Result<(), E>;
    fn not_tar(&mut self, problem: String) -> E;
}

enum Payload {
    /// A member's data, passed on or (false) skipped.
    Data(bool),
    /// A pax extended header's or a GNU long name's, which names the next member.
    Meta(Vec<u8>, EntryType),
}

struct Entry {
    name: String,
    size: u64,
    offset: u64,
    payload: Payload,
}

#[derive(Default)]
pub struct TarStream {
    header: Vec<u8>,
    entry: Option<Entry>,
    /// Padding left after the last member's data.
    skip: u64,
    pending_name: Option<String>,
    ended: bool,
}

impl TarStream {
    /// Reads the next piece of the stream.
    pub fn push<E>(&mut self, mut bytes: &[u8], members: &mut impl Members<E>) -> Result<(), E> {
        while !bytes.is_empty() && !self.ended {
            if let Some(entry) = &mut self.entry {
                let n = (entry.size - entry.offset).min(bytes.len() as u64) as usize;
                match &mut entry.payload {
                    Payload::Data(true) => members.data(entry.offset, &bytes[..n])?,
                    Payload::Data(false) => {}
                    Payload::Meta(buffer, _) => buffer.extend_from_slice(&bytes[..n]),
                }
                entry.offset += n as u64;
                bytes = &bytes[n..];
                if entry.offset == entry.size {
                    self.end_entry();
                }
            } else if self.skip > 0 {
                let n = self.skip.min(bytes.len() as u64) as usize;
                self.skip -= n as u64;
                bytes = &bytes[n..];
            } else {
                let n = (BLOCK - self.header.len()).min(bytes.len());
                self.header.extend_from_slice(&bytes[..n]);
                bytes = &bytes[n..];
                if self.header.len() == BLOCK {
                    let block = std::mem::take(&mut self.header);
                    self.start_entry(&block, members)?;
                }
            }
        }
        Ok(())
    }

    /// Checks that the stream did not stop inside a header or a member's data.
    pub fn finish(&self) -> Result<(), String> {
        if let Some(e) = &self.entry {
            return Err(format!(
                "it ends inside {} ({} of its {} bytes)",
                e.name, e.offset, e.size
            ));
        }
        if !self.header.is_empty() {
            return Err("it ends inside a tar header".into());
        }
        Ok(())
    }

    fn start_entry<E>(&mut self, block: &[u8], members: &mut impl Members<E>) -> Result<(), E> {
        // Two zero blocks end an archive; one is enough to know that no member follows.
        if block.iter().all(|&b| b == 0) {
            self.ended = true;
            return Ok(());
        }
        let header = Header::from_byte_slice(block);
        if header.cksum().ok() != Some(checksum(block)) {
            return Err(members
                .not_tar("it is not a tar archive (a header checksum does not match)".into()));
        }
        let Ok(size) = header.entry_size() else {
            return Err(
                members.not_tar("it is not a tar archive (a header has no valid size)".into())
            );
        };
        let name = match self.pending_name.take() {
            Some(name) => name,
            None => String::from_utf8_lossy(&header.path_bytes()).into_owned(),
        };
        let name = name.strip_prefix("./").unwrap_or(&name).to_owned();
        let kind = header.entry_type();
        let payload = match kind {
            EntryType::XHeader | EntryType::GNULongName => Payload::Meta(Vec::new(), kind),
            EntryType::Regular | EntryType::Continuous => {
                Payload::Data(members.entry(&name, size)?)
            }
            _ => Payload::Data(false),
        };
        self.entry = Some(Entry {
            name,
            size,
            offset: 0,
            payload,
        });
        if size == 0 {
            self.end_entry();
        }
        Ok(())
    }

    fn end_entry(&mut self) {
        let entry = self.entry.take().expect("a member being read");
        if let Payload::Meta(bytes, kind) = entry.payload {
            let text = String::from_utf8_lossy(&bytes);
            self.pending_name = match kind {
                EntryType::GNULongName => Some(text.trim_end_matches('\0').to_owned()),
                _ => pax_path(&text).or(self.pending_name.take()),
            };
        }
        self.skip = (BLOCK as u64 - entry.size % BLOCK as u64) % BLOCK as u64;
    }
}

/// The header checksum: the byte sum with the checksum field itself read as spaces.
fn checksum(block: &[u8]) -> u32 {
    block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                0x20
            } else {
                b as u32
            }
        })
        .sum()
}

/// The `path` record of a pax extended header (`<length> path=<name>\n`), if any.
fn pax_path(text: &str) -> Option<String> {
    text.lines().find_map(|record| {
        let (length, rest) = record.split_once(' ')?;
        length.parse::<usize>().ok()?;
        rest.strip_prefix("path=").map(str::to_owned)
    })
}
