//! Reading a directory of `.tf` files into the import model: not built on this branch (the HCL
//! reader lands separately and replaces this module, keeping [`read`]'s signature).

use std::path::Path;

use crate::error::Error;
use crate::import::ir;

/// Reads the `.tf` files of `dir` into the import model. Not built yet: always refuses, saying
/// so, and pointing at the plan reader.
pub fn read(dir: &Path) -> Result<ir::Model, Error> {
    Err(Error::Usage(format!(
        "{}: reading .tf files is not built yet; import the plan instead: terraform plan -out plan.bin && terraform show -json plan.bin > plan.json && sim import plan.json",
        dir.display()
    )))
}
