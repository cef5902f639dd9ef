//! Atomic file writes for every report and cache file.
//!
//! Each file is written to a temporary file in the destination folder and renamed over the
//! destination only once it is complete. An interrupted run therefore leaves either the old
//! file or the new one, never a truncated file.

use std::error::Error as StdError;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::{Builder, NamedTempFile};

/// Failure to write `path`, with the I/O error or the writer's error as the source.
#[derive(Debug, thiserror::Error)]
#[error("failed to write {}: {source}", path.display())]
pub struct AtomicWriteError {
    /// Destination file that was not written.
    pub path: PathBuf,
    /// Underlying error. A writer error that is not an `io::Error` is wrapped with
    /// `io::ErrorKind::Other`.
    #[source]
    pub source: io::Error,
}

/// Writes `bytes` to `path` atomically, creating missing parent folders.
///
/// The bytes go to a temporary file in the same folder, which is flushed and synced to disk
/// and then renamed over `path`. On failure `path` keeps its previous content and the
/// temporary file is removed.
///
/// NOTE: the parent folder is not synced after the rename, so after a power loss `path` may
/// still show its previous content (never a partial one on journaling file systems).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AtomicWriteError> {
    let attach_path = |source: io::Error| AtomicWriteError {
        path: path.to_path_buf(),
        source,
    };

    let mut temp_file = create_temp_file_for(path).map_err(attach_path)?;
    temp_file.write_all(bytes).map_err(attach_path)?;
    temp_file.flush().map_err(attach_path)?;
    temp_file.as_file().sync_all().map_err(attach_path)?;
    temp_file
        .persist(path)
        .map_err(|persist_error| attach_path(persist_error.error))?;
    Ok(())
}

/// Calls `write` with a temporary path in the folder of `path`, then renames that file over
/// `path`, for writers that only accept a destination path.
///
/// The temporary path ends with the extension of `path`, so writers that choose the format
/// from the extension still work. `write` may create, truncate or replace the file at the
/// temporary path. If `write` fails, `path` keeps its previous content, the temporary file is
/// removed and the error becomes the source of the returned error.
pub fn write_atomic_with<F, E>(path: &Path, write: F) -> Result<(), AtomicWriteError>
where
    F: FnOnce(&Path) -> Result<(), E>,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    let attach_path = |source: io::Error| AtomicWriteError {
        path: path.to_path_buf(),
        source,
    };

    let temp_file = create_temp_file_for(path).map_err(attach_path)?;
    write(temp_file.path()).map_err(|error| attach_path(into_io_error(error.into())))?;

    // The writer used its own handle and may have replaced the file, so sync through a new
    // handle opened on the path. Write access is needed for this on Windows.
    let written = File::options()
        .write(true)
        .open(temp_file.path())
        .map_err(attach_path)?;
    written.sync_all().map_err(attach_path)?;
    drop(written);

    temp_file
        .persist(path)
        .map_err(|persist_error| attach_path(persist_error.error))?;
    Ok(())
}

/// Creates a hidden temporary file next to `path`, named `.{file name}.{random}.{extension}`,
/// after creating the parent folders.
fn create_temp_file_for(path: &Path) -> io::Result<NamedTempFile> {
    let file_name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path does not end with a file name",
        )
    })?;

    // `Path::parent` returns an empty path for a bare file name, which means the current folder.
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(folder)?;

    let mut prefix = OsString::from(".");
    prefix.push(file_name);
    prefix.push(".");
    let suffix = match path.extension() {
        Some(extension) => {
            let mut suffix = OsString::from(".");
            suffix.push(extension);
            suffix
        }
        None => OsString::from(".tmp"),
    };

    let mut builder = Builder::new();
    builder.prefix(&prefix).suffix(&suffix).rand_bytes(6);
    // tempfile creates files with mode 0600 by default. Asking for 0666 lets the umask decide,
    // as `File::create` does, so that reports stay readable by the group when the umask allows.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(folder)
}

/// Keeps an `io::Error` from the writer as it is and wraps any other error.
fn into_io_error(error: Box<dyn StdError + Send + Sync>) -> io::Error {
    match error.downcast::<io::Error>() {
        Ok(io_error) => *io_error,
        Err(other) => io::Error::other(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_entries(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(folder)
            .expect("read test folder")
            .map(|entry| {
                entry
                    .expect("read folder entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn write_atomic_writes_content() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("report.json");

        write_atomic(&path, b"{\"auroc\": 0.81}").unwrap();

        assert_eq!(fs::read(&path).unwrap(), b"{\"auroc\": 0.81}");
    }

    #[test]
    fn write_atomic_replaces_existing_file() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("report.json");
        fs::write(&path, b"old content that is longer than the new one").unwrap();

        write_atomic(&path, b"new").unwrap();

        assert_eq!(fs::read(&path).unwrap(), b"new");
    }

    #[test]
    fn write_atomic_leaves_no_temp_file() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("table.csv");

        write_atomic(&path, b"a,b\n1,2\n").unwrap();
        write_atomic(&path, b"a,b\n3,4\n").unwrap();

        assert_eq!(folder_entries(folder.path()), vec!["table.csv".to_string()]);
    }

    #[test]
    fn write_atomic_creates_parent_folders() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder
            .path()
            .join("runs")
            .join("cxr14")
            .join("metrics.json");

        write_atomic(&path, b"{}").unwrap();

        assert_eq!(fs::read(&path).unwrap(), b"{}");
    }

    #[test]
    fn write_atomic_error_names_path() {
        let folder = tempfile::tempdir().unwrap();
        // A regular file where a parent folder should be makes the location unwritable, even
        // for root, which ignores permission bits.
        let blocker = folder.path().join("not_a_folder");
        fs::write(&blocker, b"").unwrap();
        let path = blocker.join("report.json");

        let error = write_atomic(&path, b"{}").unwrap_err();

        assert_eq!(error.path, path);
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("failed to write {}: ", path.display())),
            "unexpected message: {message}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn write_atomic_mode_matches_file_create() {
        use std::os::unix::fs::PermissionsExt;

        let folder = tempfile::tempdir().unwrap();
        let reference = folder.path().join("reference.md");
        File::create(&reference).unwrap();
        let path = folder.path().join("report.md");

        write_atomic(&path, b"# report\n").unwrap();

        let mode_of = |file: &Path| fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode_of(&path), mode_of(&reference));
    }

    #[test]
    fn write_atomic_with_renames_writer_output() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("chart.png");
        let mut seen_temp_path = None;

        write_atomic_with(&path, |temp_path| {
            seen_temp_path = Some(temp_path.to_path_buf());
            fs::write(temp_path, b"png bytes")
        })
        .unwrap();

        let temp_path = seen_temp_path.expect("writer was called");
        assert_eq!(temp_path.parent(), Some(folder.path()));
        assert_eq!(temp_path.extension(), path.extension());
        assert!(!temp_path.exists(), "temporary file still exists");
        assert_eq!(fs::read(&path).unwrap(), b"png bytes");
        assert_eq!(folder_entries(folder.path()), vec!["chart.png".to_string()]);
    }

    #[test]
    fn write_atomic_with_keeps_old_file_on_error() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("chart.svg");
        fs::write(&path, b"<svg>old</svg>").unwrap();

        let result = write_atomic_with(&path, |temp_path| {
            fs::write(temp_path, b"<svg>half").unwrap();
            Err("renderer ran out of colours")
        });

        let error = result.unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "failed to write {}: renderer ran out of colours",
                path.display()
            )
        );
        assert_eq!(fs::read(&path).unwrap(), b"<svg>old</svg>");
        assert_eq!(folder_entries(folder.path()), vec!["chart.svg".to_string()]);
    }

    #[test]
    fn write_atomic_with_keeps_io_error_kind() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("features.bin");

        let error = write_atomic_with(&path, |_| {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "permission denied",
            ))
        })
        .unwrap_err();

        assert_eq!(error.source.kind(), io::ErrorKind::PermissionDenied);
        assert!(!path.exists());
    }
}
