//! Reader for the zip container that `torch.save` writes (PyTorch 1.6 and later).
//!
//! PyTorch's writer stores every entry uncompressed, so this reader handles stored entries
//! only, with zip64 for archives over 4 GiB. It reads the central directory once and then
//! seeks to each entry on request, so that a training checkpoint of several gigabytes is
//! never read whole. Errors are plain reasons; the caller adds the file name.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const ZIP64_EXTRA_FIELD: u16 = 0x0001;
/// The end record is 22 bytes plus a comment of at most 65535 bytes.
const MAX_END_RECORD_SEARCH: u64 = 22 + 65_535;

/// Error from reading an archive.
#[derive(Debug)]
pub(crate) enum ZipError {
    Io(std::io::Error),
    /// The bytes do not form a zip archive, or it is cut short.
    Invalid(String),
    /// A valid archive that uses a feature this reader lacks (compression, encryption).
    Unsupported(String),
}

impl From<std::io::Error> for ZipError {
    fn from(error: std::io::Error) -> Self {
        ZipError::Io(error)
    }
}

#[derive(Debug, Clone)]
struct Entry {
    local_header_offset: u64,
    size: u64,
    compressed_size: u64,
    method: u16,
    flags: u16,
    crc32: u32,
}

/// An open archive: its file and the central directory.
#[derive(Debug)]
pub(crate) struct ZipArchive {
    file: File,
    file_len: u64,
    entries: BTreeMap<String, Entry>,
}

impl ZipArchive {
    pub fn open(path: &Path) -> Result<ZipArchive, ZipError> {
        let mut file = File::open(path)?;
        let file_len = file.metadata()?.len();
        let (directory_offset, directory_size, count) = find_central_directory(&mut file, file_len)?;
        if directory_offset.checked_add(directory_size).is_none_or(|end| end > file_len) {
            return Err(ZipError::Invalid(format!(
                "central directory at byte {directory_offset} ({directory_size} bytes) lies past the end of the {file_len}-byte file"
            )));
        }
        let mut directory = vec![0u8; directory_size as usize];
        file.seek(SeekFrom::Start(directory_offset))?;
        file.read_exact(&mut directory)?;
        let entries = parse_central_directory(&directory, count)?;
        Ok(ZipArchive { file, file_len, entries })
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// Reads one entry whole and checks its CRC-32.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, ZipError> {
        let entry = self.entries.get(name).ok_or_else(|| ZipError::Invalid(format!("entry {name} not found in the archive")))?;
        if entry.flags & 1 != 0 {
            return Err(ZipError::Unsupported(format!("entry {name} is encrypted")));
        }
        if entry.method != 0 || entry.compressed_size != entry.size {
            return Err(ZipError::Unsupported(format!(
                "entry {name} is compressed (method {}); torch.save writes stored entries, so re-save the checkpoint with torch.save",
                entry.method
            )));
        }

        // `&File` implements Read and Seek, so reads need no `&mut self`.
        let mut file = &self.file;
        let mut header = [0u8; 30];
        file.seek(SeekFrom::Start(entry.local_header_offset))?;
        read_exact_or_truncated(&mut file, &mut header, name)?;
        if u32_at(&header, 0) != LOCAL_HEADER {
            return Err(ZipError::Invalid(format!("entry {name} has no local header at byte {}", entry.local_header_offset)));
        }

        let data_offset = entry.local_header_offset + 30 + u16_at(&header, 26) as u64 + u16_at(&header, 28) as u64;
        if data_offset + entry.size > self.file_len {
            return Err(ZipError::Invalid(format!(
                "entry {name} ends at byte {} but the file has {} bytes",
                data_offset + entry.size,
                self.file_len
            )));
        }

        let mut data = vec![0u8; entry.size as usize];
        file.seek(SeekFrom::Start(data_offset))?;
        read_exact_or_truncated(&mut file, &mut data, name)?;

        let found = crc32(&data);
        if found != entry.crc32 {
            return Err(ZipError::Invalid(format!("entry {name}: CRC-32 expected {:08x}, got {found:08x}", entry.crc32)));
        }
        Ok(data)
    }
}

fn read_exact_or_truncated(file: &mut &File, buffer: &mut [u8], name: &str) -> Result<(), ZipError> {
    file.read_exact(buffer).map_err(|error| match error.kind() {
        std::io::ErrorKind::UnexpectedEof => ZipError::Invalid(format!("entry {name} is cut short")),
        _ => ZipError::Io(error),
    })
}

/// Finds the end record and returns the central directory's offset, size and entry count.
fn find_central_directory(file: &mut File, file_len: u64) -> Result<(u64, u64, u64), ZipError> {
    let tail_len = file_len.min(MAX_END_RECORD_SEARCH);
    let tail_start = file_len - tail_len;
    let mut tail = vec![0u8; tail_len as usize];
    file.seek(SeekFrom::Start(tail_start))?;
    file.read_exact(&mut tail)?;
    let end = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&at| u32_at(&tail, at) == END_OF_CENTRAL_DIRECTORY)
        .ok_or_else(|| ZipError::Invalid("no zip end-of-central-directory record; the file is truncated or not a zip archive".to_string()))?;
    let record = &tail[end..];
    let count = u16_at(record, 10) as u64;
    let size = u32_at(record, 12) as u64;
    let offset = u32_at(record, 16) as u64;
    let needs_zip64 = count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF;
    if !needs_zip64 {
        return Ok((offset, size, count));
    }

    // The zip64 locator sits just before the end record and points at the zip64 record.
    let locator_at = (tail_start + end as u64)
        .checked_sub(20)
        .ok_or_else(|| ZipError::Invalid("zip64 archive without a zip64 locator".to_string()))?;
    let mut locator = [0u8; 20];
    file.seek(SeekFrom::Start(locator_at))?;
    file.read_exact(&mut locator)?;
    if u32_at(&locator, 0) != ZIP64_LOCATOR {
        return Err(ZipError::Invalid("zip64 archive without a zip64 locator".to_string()));
    }
    let record_at = u64_at(&locator, 8);
    let mut record = [0u8; 56];
    if record_at + 56 > file_len {
        return Err(ZipError::Invalid("zip64 end record lies past the end of the file".to_string()));
    }
    file.seek(SeekFrom::Start(record_at))?;
    file.read_exact(&mut record)?;
    if u32_at(&record, 0) != ZIP64_END_OF_CENTRAL_DIRECTORY {
        return Err(ZipError::Invalid("zip64 locator points at no zip64 end record".to_string()));
    }
    Ok((u64_at(&record, 48), u64_at(&record, 40), u64_at(&record, 32)))
}

fn parse_central_directory(directory: &[u8], count: u64) -> Result<BTreeMap<String, Entry>, ZipError> {
    let mut entries = BTreeMap::new();
    let mut at = 0usize;
    for index in 0..count {
        let truncated = || ZipError::Invalid(format!("central directory ends inside entry {index}"));
        let header = directory.get(at..at + 46).ok_or_else(truncated)?;
        if u32_at(header, 0) != CENTRAL_HEADER {
            return Err(ZipError::Invalid(format!("central directory entry {index} has no header signature")));
        }
        let name_len = u16_at(header, 28) as usize;
        let extra_len = u16_at(header, 30) as usize;
        let comment_len = u16_at(header, 32) as usize;
        let name = directory.get(at + 46..at + 46 + name_len).ok_or_else(truncated)?;
        let extra = directory.get(at + 46 + name_len..at + 46 + name_len + extra_len).ok_or_else(truncated)?;
        let name = String::from_utf8_lossy(name).into_owned();

        let mut entry = Entry {
            local_header_offset: u32_at(header, 42) as u64,
            size: u32_at(header, 24) as u64,
            compressed_size: u32_at(header, 20) as u64,
            method: u16_at(header, 10),
            flags: u16_at(header, 8),
            crc32: u32_at(header, 16),
        };
        apply_zip64_extra(&mut entry, extra);
        entries.insert(name, entry);
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(entries)
}

/// Replaces the 32-bit fields set to 0xFFFFFFFF with their values from the zip64 extra
/// field, which lists them in the order size, compressed size, local header offset.
fn apply_zip64_extra(entry: &mut Entry, mut extra: &[u8]) {
    while extra.len() >= 4 {
        let id = u16_at(extra, 0);
        let len = (u16_at(extra, 2) as usize).min(extra.len() - 4);
        if id == ZIP64_EXTRA_FIELD {
            let mut values = extra[4..4 + len].chunks_exact(8).map(|bytes| u64_at(bytes, 0));
            if entry.size == 0xFFFF_FFFF {
                entry.size = values.next().unwrap_or(entry.size);
            }
            if entry.compressed_size == 0xFFFF_FFFF {
                entry.compressed_size = values.next().unwrap_or(entry.compressed_size);
            }
            if entry.local_header_offset == 0xFFFF_FFFF {
                entry.local_header_offset = values.next().unwrap_or(entry.local_header_offset);
            }
        }
        extra = &extra[4 + len..];
    }
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// CRC-32 as zip uses it (IEEE 802.3 polynomial, reflected).
fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = [0u32; 256];
        for (index, slot) in table.iter_mut().enumerate() {
            let mut value = index as u32;
            for _ in 0..8 {
                value = if value & 1 != 0 { 0xEDB8_8320 ^ (value >> 1) } else { value >> 1 };
            }
            *slot = value;
        }
        table
    });
    !data.iter().fold(!0u32, |crc, &byte| table[((crc ^ byte as u32) & 0xFF) as usize] ^ (crc >> 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/encoders").join(name)
    }

    #[test]
    fn crc32_of_check_string() {
        // The standard check value of CRC-32/ISO-HDLC for the ASCII digits 1 to 9.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn torch_save_archive_lists_its_entries() {
        let archive = ZipArchive::open(&fixture("dinov2_chunked.pth")).unwrap();
        assert!(archive.contains("dinov2_chunked/data.pkl"), "{:?}", archive.names().collect::<Vec<_>>());
        assert!(archive.contains("dinov2_chunked/byteorder"));
        assert_eq!(archive.read("dinov2_chunked/byteorder").unwrap(), b"little");
    }

    #[test]
    fn truncated_archive_is_invalid() {
        let bytes = std::fs::read(fixture("dinov2_chunked.pth")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.pth");
        std::fs::write(&path, &bytes[..bytes.len() - 100]).unwrap();
        let error = ZipArchive::open(&path).unwrap_err();
        assert!(matches!(error, ZipError::Invalid(ref reason) if reason.contains("truncated")), "{error:?}");
    }

    #[test]
    fn corrupted_entry_fails_its_crc() {
        let archive_path = fixture("dinov2_chunked.pth");
        let mut bytes = std::fs::read(&archive_path).unwrap();
        let archive = ZipArchive::open(&archive_path).unwrap();
        let entry = archive.entries["dinov2_chunked/byteorder"].clone();
        let data_at = bytes.windows(6).position(|window| window == b"little").unwrap();
        assert!(data_at as u64 > entry.local_header_offset);
        bytes[data_at] = b'L';
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("corrupt.pth");
        std::fs::write(&path, &bytes).unwrap();
        let error = ZipArchive::open(&path).unwrap().read("dinov2_chunked/byteorder").unwrap_err();
        assert!(matches!(error, ZipError::Invalid(ref reason) if reason.contains("CRC-32")), "{error:?}");
    }
}
