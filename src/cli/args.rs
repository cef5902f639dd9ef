//! Command-line flags, parsed by clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::encoder::DeviceChoice;

/// Benchmark and audit chest X-ray foundation encoders with frozen features and small
/// adapters, reported with patient-level confidence intervals.
#[derive(Debug, Parser)]
#[command(name = "raydino-bench", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Folder that contains the datasets (e.g. DIR/ieee8023-covid/metadata.csv).
    #[arg(long, global = true, env = "RAYDINO_DATA", default_value = "data", value_name = "DIR")]
    pub data_root: PathBuf,

    /// Folder for reports; each benchmark gets a subfolder, plus index.md and run.log.
    #[arg(long, global = true, default_value = "reports", value_name = "DIR")]
    pub out: PathBuf,

    /// Folder for the feature cache.
    #[arg(long, global = true, default_value = ".cache/features", value_name = "DIR")]
    pub cache_dir: PathBuf,

    /// Folder of benchmark specs.
    #[arg(long, global = true, default_value = "benchmarks", value_name = "DIR")]
    pub benchmarks_dir: PathBuf,

    /// Folder of encoder (baseline) specs.
    #[arg(long, global = true, default_value = "baselines", value_name = "DIR")]
    pub baselines_dir: PathBuf,

    /// Device for the encoders: auto picks CUDA when libtorch finds a CUDA device.
    #[arg(long, global = true, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,

    /// Seed of the bootstrap resampling and of any random draw in adapter training (splits
    /// use the spec's own seed).
    #[arg(long, global = true, default_value_t = 0)]
    pub seed: u64,

    /// Images per encoder forward pass.
    #[arg(long, global = true, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub batch_size: u32,

    /// More log output on stderr: -v for progress messages, -vv for debugging.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run benchmarks and write their reports: `run all` or `run NAME...`.
    Run {
        /// Benchmark names (file stems in the benchmarks folder), or `all`.
        #[arg(required = true, value_name = "all|NAME")]
        names: Vec<String>,
    },
    /// List benchmarks and encoders, one line each.
    List,
    /// Pretrain a ViT with the DINOv2 objectives (DINO, iBOT, KoLeo) on the images a preset
    /// names; writes checkpoints, loss curves and the teacher backbone to the run folder.
    Pretrain {
        /// Preset file, e.g. pretrain/cpu_vit_tiny.toml.
        preset: PathBuf,
        /// Run folder; defaults to runs/<preset file stem>.
        #[arg(long, value_name = "DIR")]
        run_dir: Option<PathBuf>,
        /// Continue the run folder's checkpoint instead of starting a new run.
        #[arg(long)]
        resume: bool,
        /// Stop (with a checkpoint) once this many steps are complete; resume later.
        #[arg(long, value_name = "STEPS")]
        stop_after: Option<usize>,
    },
    /// Check spec files and report every problem; runs nothing.
    Validate {
        /// Spec files to check; defaults to every spec in the benchmarks and baselines folders.
        files: Vec<PathBuf>,
    },
    /// Summarise the CheXpert, NIH and PadChest label tables under the data root (subgroup
    /// sizes, finding frequencies, patient-split checks) into OUT/label_tables/.
    Tables {
        /// Seed of the harness patient split whose integrity is checked.
        #[arg(long, default_value_t = crate::cli::tables::DEFAULT_SPLIT_SEED)]
        split_seed: u64,
    },
}
