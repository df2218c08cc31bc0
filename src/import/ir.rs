//! What `sim import` reads from Terraform, before it becomes a scenario: the resources of a
//! configuration or a plan, with their attribute values as far as the reader could know them,
//! references between resources kept as references, and what could not be evaluated kept with
//! its place in the source. Both readers (`plan`: the JSON of `terraform show -json`; `hcl`: the
//! `.tf` files themselves) produce this, and the mapping to a scenario (`emit`) reads only this.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// A resource's index: `count.index` or a `for_each` key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Index {
    /// `[0]`
    Count(u64),
    /// `["a"]`
    Key(String),
}

/// One step of a module path: `module.provider_vpc` or `module.vpc["consumer"]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleStep {
    /// The module call's name.
    pub name: String,
    /// Its index, for a module called with `count` or `for_each`.
    pub index: Option<Index>,
}

/// A resource address: `module.provider_vpc.aws_subnet.private[0]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    /// The module path, outermost first (empty for the root module).
    pub module: Vec<ModuleStep>,
    /// `data` sources are `Mode::Data`.
    pub mode: Mode,
    /// The resource type, `aws_subnet`.
    pub kind: String,
    /// The resource name, `private`.
    pub name: String,
    /// Its index, for a resource with `count` or `for_each`.
    pub index: Option<Index>,
}

/// Managed resource or data source.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// `resource "..." "..."`
    Managed,
    /// `data "..." "..."`
    Data,
}

/// Where something is in the sources: a `.tf` file and line, or a plan file and a JSON path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// The file, as the user named it (or found under the directory they named).
    pub file: PathBuf,
    /// 1-based line (0 when the reader cannot tell).
    pub line: usize,
}

/// An attribute value as far as it is known.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, or an attribute not set.
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string (templates already rendered when every part was known).
    String(String),
    /// A list, tuple or set.
    List(Vec<Value>),
    /// An object or map; nested blocks are a `List` of `Map`s, one per block (even a block
    /// given once), as Terraform's JSON gives them.
    Map(BTreeMap<String, Value>),
    /// An attribute of another resource that is not known before apply (an id, an ARN, a DNS
    /// name): `aws_vpc.main.id` is `Ref { to: aws_vpc.main, attribute: "id" }`. The mapping
    /// turns it into the scenario name of `to`.
    Ref {
        /// The resource referred to.
        to: Address,
        /// The attribute path after the address: `id`, `arn`, `dns_entry[0].dns_name`.
        attribute: String,
    },
    /// What the reader could not evaluate: the expression's text, and where it is.
    Unknown {
        /// The expression as written (or the JSON path, for a plan).
        text: String,
        /// Where.
        at: Option<Location>,
    },
}

/// One resource (or data source) instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    /// Its address.
    pub address: Address,
    /// The provider configuration it uses: `aws` or `aws.consumer` (an alias).
    pub provider: String,
    /// Its attributes and nested blocks.
    pub values: BTreeMap<String, Value>,
    /// Where it is declared.
    pub at: Option<Location>,
}

/// A provider configuration: its region, and the AZ name -> AZ ID map of its account when the
/// input gives one (a plan's `data.aws_availability_zones`, or `--az-ids`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Provider {
    /// `aws` or `aws.ALIAS`.
    pub key: String,
    /// `region`, when known.
    pub region: Option<String>,
    /// AZ name -> AZ ID, in name order.
    pub az_ids: BTreeMap<String, String>,
}

/// Something the reader met and did not keep, or could not evaluate: reported on stderr and as
/// a comment in the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Where.
    pub at: Option<Location>,
    /// What, in words (`resource type aws_s3_bucket is not modelled`).
    pub message: String,
}

/// Everything read: resources in the order a person reads the configuration (files sorted by
/// path, the root module first, then each module's), the providers, and the notes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Model {
    /// The resources and data sources.
    pub resources: Vec<Resource>,
    /// The provider configurations.
    pub providers: Vec<Provider>,
    /// What was dropped or left unevaluated.
    pub notes: Vec<Note>,
}

impl fmt::Display for Index {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Index::Count(i) => write!(f, "[{i}]"),
            Index::Key(k) => write!(f, "[{k:?}]"),
        }
    }
}

impl fmt::Display for Address {
    /// Terraform's form: `module.vpc["a"].data.aws_subnet.private[0]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.module {
            write!(f, "module.{}", step.name)?;
            if let Some(i) = &step.index {
                write!(f, "{i}")?;
            }
            f.write_str(".")?;
        }
        if self.mode == Mode::Data {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.kind, self.name)?;
        if let Some(i) = &self.index {
            write!(f, "{i}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}
