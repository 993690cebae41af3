//! The `SNW1` layout that selfnorm wrote before it used safetensors, read so that older files
//! keep loading: `SNW1`, a u32 tensor count, then per tensor its rank, its dims (u32 each) and
//! its f32 values, all little-endian, in the module's visiting order.
//!
//! The bytes are untrusted (an imported run file): every count is checked against what the
//! model expects and every size computed with overflow checks, before anything is allocated.

use super::Tensors;

pub const MAGIC: &[u8; 4] = b"SNW1";

/// The tensors in `bytes`, which must have exactly the shapes in `expected`.
pub fn parse(bytes: &[u8], expected: &[Vec<usize>]) -> Result<Tensors, String> {
    let mut words = Reader { bytes, at: 0 };
    words.take(MAGIC.len())?;
    let count = words.u32()? as usize;
    if count != expected.len() {
        return Err(format!(
            "the weights hold {count} tensors but this model has {}: they come from a different \
             architecture",
            expected.len()
        ));
    }
    let mut tensors = Vec::with_capacity(count);
    for (i, want) in expected.iter().enumerate() {
        let rank = words.u32()? as usize;
        if rank != want.len() {
            return Err(format!(
                "tensor {i} has rank {rank} but this model expects {want:?}: different architecture"
            ));
        }
        let dims: Vec<usize> = (0..rank)
            .map(|_| words.u32().map(|d| d as usize))
            .collect::<Result<_, _>>()?;
        if &dims != want {
            return Err(format!(
                "tensor {i} has shape {dims:?} but this model expects {want:?}: different architecture"
            ));
        }
        let len = dims
            .iter()
            .try_fold(4usize, |n, &d| n.checked_mul(d))
            .ok_or_else(|| format!("tensor {i}: dims {dims:?} overflow"))?;
        let values = words
            .take(len)?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        tensors.push((dims, values));
    }
    if words.at != bytes.len() {
        return Err(format!(
            "{} unexpected bytes after the last tensor",
            bytes.len() - words.at
        ));
    }
    Ok(tensors)
}

/// Checks the layout of `bytes` without a model's shapes to compare with: every tensor's rank
/// and dims, and that its values are there.
pub fn check(bytes: &[u8]) -> Result<(), String> {
    let mut words = Reader { bytes, at: 0 };
    words.take(MAGIC.len())?;
    let count = words.u32()?;
    for i in 0..count {
        let rank = words.u32()? as usize;
        if rank > MAX_RANK {
            return Err(format!("give tensor {i} rank {rank} (at most {MAX_RANK})"));
        }
        let dims: Vec<usize> = (0..rank)
            .map(|_| words.u32().map(|d| d as usize))
            .collect::<Result<_, _>>()?;
        let len = dims.iter().try_fold(4usize, |n, &d| n.checked_mul(d));
        len.and_then(|len| words.take(len).ok()).ok_or_else(|| {
            format!("give tensor {i} the dimensions {dims:?}, more than the file holds")
        })?;
    }
    if words.at != bytes.len() {
        return Err(format!(
            "have {} bytes after the last tensor",
            bytes.len() - words.at
        ));
    }
    Ok(())
}

/// Tensors of more dimensions are no weights of a dense net.
const MAX_RANK: usize = 8;

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end =
            end.ok_or_else(|| format!("truncated weights file ({} bytes)", self.bytes.len()))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u32(&mut self) -> Result<u32, String> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}
