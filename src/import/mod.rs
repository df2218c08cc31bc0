//! `sim import`: Terraform in, a scenario out. Reads the JSON `terraform show -json` prints for
//! a saved plan or a state (`plan`), or the `.tf` files of a directory (`hcl`), into one model
//! of resources and references ([`ir`]); maps that model to a scenario people would have
//! written (`emit`), naming everything it drops or cannot evaluate.

pub mod hcl;
pub mod ir;
