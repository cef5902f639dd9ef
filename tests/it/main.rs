//! Integration tests: the CLI and the pipeline on real chest X-rays.
//!
//! The real data come from the data root: `RAYDINO_DATA`, or `../shared/data` beside the
//! repository. Tests that need it fail with a message naming the folder when it is absent.

mod cli;
mod end_to_end;
mod pretrain;
mod tables;
mod util;
mod validate;
