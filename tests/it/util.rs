//! Helpers: temporary project folders, the real data root, running the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Returns the folder of real datasets: RAYDINO_DATA, else ../shared/data next to the
/// repository.
pub fn data_root() -> PathBuf {
    let root = std::env::var_os("RAYDINO_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    assert!(
        root.join("ieee8023-covid/metadata.csv").is_file(),
        "real data not found under {}; set RAYDINO_DATA to the folder holding ieee8023-covid/",
        root.display()
    );
    root
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the release binary with `args` in `cwd`.
pub fn run_bin(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_raydino-bench"))
        .current_dir(cwd)
        .args(args)
        .env_remove("RAYDINO_DATA")
        .output()
        .expect("the binary starts")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A temporary project: benchmarks/ and baselines/ folders, data root elsewhere.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("benchmarks")).unwrap();
        std::fs::create_dir_all(dir.path().join("baselines")).unwrap();
        Project { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }
}
