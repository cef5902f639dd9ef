//! Dataset layouts: the table and image folder of each dataset under the data root, and
//! the columns that contain the fields every adapter maps to (image, patient, sex, age,
//! view).

use std::path::{Path, PathBuf};

use crate::spec::DatasetName;

/// The file layout and column names of one dataset.
#[derive(Debug, Clone, Copy)]
pub struct DatasetLayout {
    pub name: DatasetName,
    /// Folder under the data root.
    pub folder: &'static str,
    /// Label table, relative to the folder.
    pub table: &'static str,
    /// Image folder, relative to the folder.
    pub images: &'static str,
    pub image_column: &'static str,
    pub patient_column: &'static str,
    pub sex_column: &'static str,
    pub age_column: &'static str,
    pub view_column: &'static str,
}

/// The ieee8023 COVID-19 image data collection (Cohen et al., 2020): one row per image,
/// several images per patient, sex M/F, age in years, view PA/AP/AP Supine/L.
pub const IEEE8023_COVID: DatasetLayout = DatasetLayout {
    name: DatasetName::Ieee8023Covid,
    folder: "ieee8023-covid",
    table: "metadata.csv",
    images: "images",
    image_column: "filename",
    patient_column: "patientid",
    sex_column: "sex",
    age_column: "age",
    view_column: "view",
};

impl DatasetLayout {
    pub fn of(name: DatasetName) -> DatasetLayout {
        match name {
            DatasetName::Ieee8023Covid => IEEE8023_COVID,
        }
    }

    pub fn folder(&self, data_root: &Path) -> PathBuf {
        data_root.join(self.folder)
    }

    pub fn table_path(&self, data_root: &Path) -> PathBuf {
        self.folder(data_root).join(self.table)
    }

    pub fn image_dir(&self, data_root: &Path) -> PathBuf {
        self.folder(data_root).join(self.images)
    }

    pub fn image_path(&self, data_root: &Path, file: &str) -> PathBuf {
        self.image_dir(data_root).join(file)
    }
}
