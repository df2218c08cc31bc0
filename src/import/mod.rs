//! `sim import`: Terraform in, a scenario out. Reads the JSON `terraform show -json` prints for
//! a saved plan or a state (`plan`), or the `.tf` files of a directory (`hcl`), into one model
//! of resources and references ([`ir`]); maps that model to a scenario people would have
//! written (`emit`), naming everything it drops or cannot evaluate.

pub mod emit;
pub mod hcl;
pub mod ir;
pub mod plan;

use crate::error::Error;

/// Applies `--az-ids [PROVIDER:]NAME=ID,...` to the model's providers: each pair goes to the
/// provider it names (`aws`, `aws.consumer`, or just the alias `consumer`), or to every
/// provider when none is named. A pair given here replaces the one the input gave.
pub fn set_az_ids(model: &mut ir::Model, spec: &str) -> Result<(), Error> {
    let bad = |pair: &str, why: &str| {
        Error::Usage(format!(
            "--az-ids {spec}: {pair:?} {why}; give [PROVIDER:]NAME=ID pairs separated by commas, e.g. --az-ids us-east-1a=use1-az1,us-east-1b=use1-az2 or aws.consumer:us-east-1a=use1-az2"
        ))
    };
    for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (provider, assignment) = match pair.split_once(':') {
            Some((p, rest)) => (Some(p.trim()), rest),
            None => (None, pair),
        };
        let (name, id) = assignment
            .split_once('=')
            .map(|(n, i)| (n.trim(), i.trim()))
            .filter(|(n, i)| !n.is_empty() && !i.is_empty())
            .ok_or_else(|| bad(pair, "is not NAME=ID"))?;
        if model.providers.is_empty() {
            model.providers.push(ir::Provider {
                key: "aws".into(),
                ..ir::Provider::default()
            });
        }
        let matches = |key: &str| match provider {
            None => true,
            Some(p) => key == p || key.strip_prefix("aws.") == Some(p),
        };
        let mut found = false;
        for p in model.providers.iter_mut().filter(|p| matches(&p.key)) {
            p.az_ids.insert(name.to_string(), id.to_string());
            found = true;
        }
        if !found {
            let known: Vec<&str> = model.providers.iter().map(|p| p.key.as_str()).collect();
            return Err(bad(
                pair,
                &format!(
                    "names no provider of the input (it has {})",
                    known.join(", ")
                ),
            ));
        }
    }
    Ok(())
}
