//! The plan reader: the JSON `terraform show -json` prints for a saved plan (`planned_values`,
//! `resource_changes`, `configuration`, `prior_state`) or for a state (`values`), read into the
//! import model ([`super::ir::Model`]). Format: Terraform's "JSON Output Format"
//! (<https://developer.hashicorp.com/terraform/internals/json-format>).
//!
//! What it does:
//! - resources from the values' `root_module`, then its `child_modules` recursively (each
//!   module's resources in the file's order);
//! - a value not known before apply (absent, or `true` in the change's `after_unknown`) is taken
//!   from the resource's `configuration` expression: its `references` become [`Value::Ref`]s,
//!   resolved in the resource's module (`module.vpc.subnet_ids` follows the module's output,
//!   `var.x` inside a module the call's argument, `var.x` at the root its default), and a
//!   `count.index` among the references picks the instance's element of a list;
//! - when the configuration is there, only the attributes it sets are kept (with the computed
//!   ones a scenario can use: `id`, `arn`, `dns_name`, `dns_entry`, `service_name`), so provider
//!   defaults do not pose as the user's choices;
//! - a known string equal to another resource's `id`, `arn`, endpoint service `service_name`,
//!   load balancer `dns_name` or endpoint `dns_entry[*].dns_name` becomes a reference to it
//!   (a state, or a plan that changes nothing, knows every id);
//! - `data.aws_availability_zones` (`names`, `zone_ids`) in `prior_state` or the values give
//!   their provider's AZ name -> AZ ID map; `configuration.provider_config` the providers and
//!   their regions.
//!
//! What it does not: evaluate functions or locals (the plan keeps only their references; such a
//! value becomes [`Value::Unknown`] with its references and JSON path), or read the `.tf` files
//! (see `hcl`). [`parse`] is pure: text in, model out.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde_json::{Map, Value as Json};

use super::ir::{Address, Index, Location, Mode, Model, ModuleStep, Provider, Resource, Value};
use crate::error::{Error, ScenarioError};

/// Computed attributes kept even when the configuration does not set them: what references
/// point at.
const COMPUTED_KEPT: [&str; 5] = ["id", "arn", "dns_name", "dns_entry", "service_name"];

/// How deep references may chain (module outputs and variables) before the reader gives up.
const MAX_DEPTH: usize = 32;

/// Reads the JSON of `terraform show -json` (`file` names it in messages). Malformed JSON, or
/// JSON that is neither a plan nor a state, is an error naming `file:line:column` (exit 2).
pub fn parse(file: &str, text: &str) -> Result<Model, Error> {
    let json: Json = serde_json::from_str(text).map_err(|e| {
        let message = e.to_string();
        let message = match message.find(" at line ") {
            Some(cut) => message[..cut].to_string(),
            None => message,
        };
        malformed(
            file,
            e.line(),
            e.column(),
            format!("not valid JSON: {message}"),
        )
    })?;
    let values_root = json
        .get("planned_values")
        .or_else(|| json.get("values"))
        .and_then(|v| v.get("root_module"));
    let Some(values_root) = values_root else {
        return Err(malformed(
            file,
            1,
            1,
            "neither planned_values.root_module (a saved plan) nor values.root_module (a state): \
             give the output of `terraform show -json plan.bin` or `terraform show -json`"
                .to_string(),
        ));
    };
    let reader = Reader::new(file, &json);
    Ok(reader.read(values_root, &json))
}

fn malformed(file: &str, line: usize, column: usize, message: String) -> Error {
    Error::Scenario(vec![ScenarioError {
        file: file.to_string(),
        line,
        column,
        key_path: String::new(),
        value: None,
        message,
        variant: None,
    }])
}

/// The whole resource (module path, mode, type, name), without its index.
type ResourceKey = (Vec<ModuleStep>, Mode, String, String);

struct Reader<'a> {
    file: &'a str,
    /// `configuration.root_module`, when the JSON has a configuration.
    config_root: Option<&'a Json>,
    /// `configuration.provider_config`.
    provider_config: Option<&'a Map<String, Json>>,
    /// Full address -> `change.after_unknown`.
    after_unknown: HashMap<String, &'a Json>,
    /// The indices each counted resource has, for references to the whole resource.
    instances: BTreeMap<ResourceKey, Vec<Option<Index>>>,
}

/// Where an expression is evaluated: its module and the resource instance's index.
#[derive(Clone, Copy)]
struct Scope<'s> {
    module: &'s [ModuleStep],
    index: Option<&'s Index>,
}

impl<'a> Reader<'a> {
    fn new(file: &'a str, json: &'a Json) -> Reader<'a> {
        let mut after_unknown = HashMap::new();
        if let Some(changes) = json.get("resource_changes").and_then(Json::as_array) {
            for change in changes {
                let address = change.get("address").and_then(Json::as_str);
                let unknown = change.get("change").and_then(|c| c.get("after_unknown"));
                if let (Some(address), Some(unknown)) = (address, unknown) {
                    after_unknown.insert(address.to_string(), unknown);
                }
            }
        }
        Reader {
            file,
            config_root: json.get("configuration").and_then(|c| c.get("root_module")),
            provider_config: json
                .get("configuration")
                .and_then(|c| c.get("provider_config"))
                .and_then(Json::as_object),
            after_unknown,
            instances: BTreeMap::new(),
        }
    }

    fn read(mut self, values_root: &'a Json, json: &'a Json) -> Model {
        let mut found: Vec<(Vec<ModuleStep>, &Json)> = Vec::new();
        collect(values_root, &mut found);
        let prior = json
            .get("prior_state")
            .and_then(|p| p.get("values"))
            .and_then(|v| v.get("root_module"));
        if let Some(prior) = prior {
            let mut data = Vec::new();
            collect(prior, &mut data);
            for (module, r) in data {
                let is_data = r.get("mode").and_then(Json::as_str) == Some("data");
                let address = r.get("address").and_then(Json::as_str);
                let known = found
                    .iter()
                    .any(|(_, f)| f.get("address").and_then(Json::as_str) == address);
                if is_data && !known {
                    found.push((module, r));
                }
            }
        }
        let mut parsed: Vec<(Address, &Json)> = Vec::new();
        for (module, r) in &found {
            if let Some(address) = resource_address(module, r) {
                let key = (
                    address.module.clone(),
                    address.mode,
                    address.kind.clone(),
                    address.name.clone(),
                );
                self.instances
                    .entry(key)
                    .or_default()
                    .push(address.index.clone());
                parsed.push((address, r));
            }
        }
        let mut model = Model::default();
        for (address, r) in &parsed {
            model.resources.push(self.resource(address, r));
        }
        link_known_ids(&mut model.resources);
        model.providers = self.providers(&model.resources);
        model
    }

    fn at(&self) -> Option<Location> {
        Some(Location {
            file: PathBuf::from(self.file),
            line: 0,
        })
    }

    fn resource(&self, address: &Address, r: &Json) -> Resource {
        let config = self.config_resource(address);
        let scope = Scope {
            module: &address.module,
            index: address.index.as_ref(),
        };
        let values = r.get("values").and_then(Json::as_object);
        let unknown = self.after_unknown.get(&address.to_string()).copied();
        let exprs = config
            .and_then(|c| c.get("expressions"))
            .and_then(Json::as_object);
        let empty = Map::new();
        // A data source's values are all results: keep them all.
        let exprs = match (config, exprs) {
            _ if address.mode == Mode::Data => None,
            (Some(_), None) => Some(&empty),
            (_, e) => e,
        };
        let path = format!("{address}");
        let values = self.fill_map(values, unknown, exprs, scope, &path);
        let provider = match config
            .and_then(|c| c.get("provider_config_key"))
            .and_then(Json::as_str)
        {
            Some(key) => self.provider_key(key),
            None => r
                .get("provider_name")
                .and_then(Json::as_str)
                .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
                .unwrap_or_else(|| "aws".to_string()),
        };
        Resource {
            address: address.clone(),
            provider,
            values,
            at: self.at(),
        }
    }

    /// The configuration block of a resource: its module's `resources` entry of the same mode,
    /// type and name.
    fn config_resource(&self, address: &Address) -> Option<&'a Json> {
        let module = self.config_module(&address.module)?;
        let mode = match address.mode {
            Mode::Managed => "managed",
            Mode::Data => "data",
        };
        module.get("resources")?.as_array()?.iter().find(|c| {
            c.get("mode").and_then(Json::as_str) == Some(mode)
                && c.get("type").and_then(Json::as_str) == Some(address.kind.as_str())
                && c.get("name").and_then(Json::as_str) == Some(address.name.as_str())
        })
    }

    /// The configuration of a module, following `module_calls` from the root.
    fn config_module(&self, path: &[ModuleStep]) -> Option<&'a Json> {
        let mut module = self.config_root?;
        for step in path {
            module = module.get("module_calls")?.get(&step.name)?.get("module")?;
        }
        Some(module)
    }

    /// A `provider_config_key` as the provider's key (`aws`, `aws.consumer`): Terraform writes
    /// `aws.consumer`, or `MODULE:aws` for a provider passed to a module.
    fn provider_key(&self, key: &str) -> String {
        let configs = self.provider_configs();
        let entry = configs
            .and_then(|c| c.get(key))
            .or_else(|| configs.and_then(|c| c.get(key.rsplit(':').next().unwrap_or(key))));
        match entry {
            Some(entry) => canonical_provider(entry)
                .unwrap_or_else(|| key.rsplit(':').next().unwrap_or(key).to_string()),
            None => key.rsplit(':').next().unwrap_or(key).to_string(),
        }
    }

    fn provider_configs(&self) -> Option<&'a Map<String, Json>> {
        self.provider_config
    }

    fn providers(&self, resources: &[Resource]) -> Vec<Provider> {
        let mut providers: BTreeMap<String, Provider> = BTreeMap::new();
        if let Some(configs) = self.provider_configs() {
            for entry in configs.values() {
                let Some(key) = canonical_provider(entry) else {
                    continue;
                };
                let region = entry
                    .get("expressions")
                    .and_then(|e| e.get("region"))
                    .map(|e| {
                        self.expression(
                            e,
                            Scope {
                                module: &[],
                                index: None,
                            },
                            &format!("provider_config.{key}.region"),
                            0,
                        )
                    });
                let region = match region {
                    Some(Value::String(r)) => Some(r),
                    _ => None,
                };
                providers.insert(
                    key.clone(),
                    Provider {
                        key,
                        region,
                        az_ids: BTreeMap::new(),
                    },
                );
            }
        }
        for r in resources {
            let provider = providers
                .entry(r.provider.clone())
                .or_insert_with(|| Provider {
                    key: r.provider.clone(),
                    ..Provider::default()
                });
            if r.address.mode != Mode::Data || r.address.kind != "aws_availability_zones" {
                continue;
            }
            let (Some(Value::List(names)), Some(Value::List(ids))) =
                (r.values.get("names"), r.values.get("zone_ids"))
            else {
                continue;
            };
            for (name, id) in names.iter().zip(ids) {
                if let (Value::String(name), Value::String(id)) = (name, id) {
                    provider.az_ids.insert(name.clone(), id.clone());
                }
            }
        }
        for provider in providers.values_mut() {
            if provider.region.is_none() {
                provider.region = provider.az_ids.keys().next().map(|az| {
                    az.trim_end_matches(|c: char| c.is_ascii_lowercase())
                        .to_string()
                });
            }
        }
        providers.into_values().collect()
    }

    /// The attributes of a resource or nested block: its values, with what is unknown taken
    /// from the expressions. With expressions, only what they set (and [`COMPUTED_KEPT`]).
    fn fill_map(
        &self,
        values: Option<&Map<String, Json>>,
        unknown: Option<&Json>,
        exprs: Option<&Map<String, Json>>,
        scope: Scope<'_>,
        path: &str,
    ) -> BTreeMap<String, Value> {
        let mut keys: Vec<&String> = Vec::new();
        match exprs {
            Some(exprs) => {
                keys.extend(exprs.keys());
                if let Some(values) = values {
                    keys.extend(
                        values
                            .keys()
                            .filter(|k| COMPUTED_KEPT.contains(&k.as_str())),
                    );
                }
            }
            None => {
                if let Some(values) = values {
                    keys.extend(values.keys());
                }
            }
        }
        keys.sort();
        keys.dedup();
        let mut out = BTreeMap::new();
        for key in keys {
            let v = values.and_then(|m| m.get(key.as_str()));
            let u = unknown.and_then(|u| u.get(key.as_str()));
            let e = exprs.and_then(|m| m.get(key.as_str()));
            let value = self.fill_one(v, u, e, scope, &format!("{path}.{key}"));
            if v.is_some() || value != Value::Null {
                out.insert(key.clone(), value);
            }
        }
        out
    }

    fn fill_one(
        &self,
        v: Option<&Json>,
        u: Option<&Json>,
        e: Option<&Json>,
        scope: Scope<'_>,
        path: &str,
    ) -> Value {
        let missing = matches!(v, None | Some(Json::Null));
        match e {
            Some(e) if is_expression(e) => {
                if missing || any_true(u) {
                    if missing && e.get("references").is_none() && e.get("constant_value").is_none()
                    {
                        return Value::Unknown {
                            text: format!("an expression the plan does not show ({path})"),
                            at: self.at(),
                        };
                    }
                    let value = self.expression(e, scope, path, 0);
                    return match v {
                        // A structure known but for some leaves (a rule block whose group is
                        // a reference): the leaves take what the references resolve to, when
                        // that cannot be ambiguous.
                        Some(known @ (Json::Array(_) | Json::Object(_))) => {
                            let leaves = unknown_leaves(u);
                            let single = matches!(value, Value::Ref { .. })
                                || primary_references(&references(e)).len() == 1;
                            let replacement = if leaves == 1 || single {
                                value
                            } else {
                                Value::Unknown {
                                    text: format!("{} ({path})", references(e).join(", ")),
                                    at: self.at(),
                                }
                            };
                            patch_unknown(to_value(known), u, &replacement)
                        }
                        _ => value,
                    };
                }
                // A string the provider stores transformed (user_data as its hash): the
                // configuration's constant is what the user wrote.
                if let (Some(Json::String(_)), Some(Json::String(constant))) =
                    (v, e.get("constant_value"))
                {
                    return Value::String(constant.clone());
                }
                to_value(v.unwrap_or(&Json::Null))
            }
            // Nested blocks: a list of objects of expressions, or one object.
            Some(Json::Array(blocks)) => {
                let values = v.and_then(Json::as_array);
                let items = blocks
                    .iter()
                    .enumerate()
                    .map(|(i, block)| {
                        let value = values.and_then(|vs| vs.get(i)).and_then(Json::as_object);
                        let unknown = u.and_then(|u| u.get(i));
                        Value::Map(self.fill_map(
                            value,
                            unknown,
                            block.as_object(),
                            scope,
                            &format!("{path}[{i}]"),
                        ))
                    })
                    .collect();
                Value::List(items)
            }
            Some(Json::Object(block)) => {
                let value = match v {
                    Some(Json::Array(vs)) => vs.first().and_then(Json::as_object),
                    Some(other) => other.as_object(),
                    None => None,
                };
                Value::Map(self.fill_map(value, u, Some(block), scope, path))
            }
            _ => match v {
                Some(v) => to_value(v),
                None => Value::Null,
            },
        }
    }

    /// One configuration expression's value: its constant, or what its references resolve to.
    fn expression(&self, e: &Json, scope: Scope<'_>, path: &str, depth: usize) -> Value {
        if let Some(constant) = e.get("constant_value") {
            return to_value(constant);
        }
        let refs: Vec<&str> = e
            .get("references")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let unknown = || Value::Unknown {
            text: format!("{} ({path})", refs.join(", ")),
            at: self.at(),
        };
        if depth > MAX_DEPTH {
            return unknown();
        }
        let counted = refs.contains(&"count.index");
        let primaries = primary_references(&refs);
        if primaries.is_empty() {
            return unknown();
        }
        let mut resolved = Vec::new();
        for r in &primaries {
            match self.reference(r, scope, depth + 1) {
                Some(v) => resolved.push(v),
                None => return unknown(),
            }
        }
        if resolved.len() > 1 {
            return Value::List(resolved);
        }
        let value = resolved.pop().expect("one primary reference");
        if counted {
            return match (value, scope.index) {
                (Value::List(items), Some(Index::Count(i))) => usize::try_from(*i)
                    .ok()
                    .and_then(|i| items.into_iter().nth(i))
                    .unwrap_or_else(unknown),
                (Value::List(_), _) => unknown(),
                (other, _) => other,
            };
        }
        value
    }

    /// What one reference (`aws_vpc.main.id`, `module.vpc.subnet_ids`, `var.cidr`) refers to,
    /// seen from `scope`.
    fn reference(&self, r: &str, scope: Scope<'_>, depth: usize) -> Option<Value> {
        let steps = traversal(r)?;
        let name_at = |i: usize| match steps.get(i) {
            Some(Step::Attr(a)) => Some(a.as_str()),
            _ => None,
        };
        match name_at(0)? {
            "var" => {
                let name = name_at(1)?;
                let value = match scope.module.split_last() {
                    None => to_value(
                        self.config_root?
                            .get("variables")?
                            .get(name)?
                            .get("default")?,
                    ),
                    Some((call, parent)) => {
                        let e = self
                            .config_module(parent)?
                            .get("module_calls")?
                            .get(&call.name)?
                            .get("expressions")?
                            .get(name)?;
                        let parent_scope = Scope {
                            module: parent,
                            index: None,
                        };
                        self.expression(e, parent_scope, &format!("var.{name}"), depth)
                    }
                };
                follow(value, &steps[2..])
            }
            "module" => {
                let name = name_at(1)?;
                let (index, rest) = match steps.get(2) {
                    Some(Step::Index(i)) => (Some(i.clone()), &steps[3..]),
                    _ => (None, &steps[2..]),
                };
                let Some(Step::Attr(output)) = rest.first() else {
                    return None;
                };
                let mut module = scope.module.to_vec();
                module.push(ModuleStep {
                    name: name.to_string(),
                    index,
                });
                let e = self
                    .config_module(&module)?
                    .get("outputs")?
                    .get(output)?
                    .get("expression")?;
                let inner = Scope {
                    module: &module,
                    index: None,
                };
                let value = self.expression(e, inner, r, depth);
                if matches!(value, Value::Unknown { .. }) {
                    return None;
                }
                follow(value, &rest[1..])
            }
            "local" | "count" | "each" | "path" | "self" | "terraform" => None,
            first => {
                let (mode, kind, name, rest) = if first == "data" {
                    (Mode::Data, name_at(1)?, name_at(2)?, &steps[3..])
                } else {
                    (Mode::Managed, first, name_at(1)?, &steps[2..])
                };
                let (index, rest) = match rest.first() {
                    Some(Step::Index(i)) => (Some(i.clone()), &rest[1..]),
                    _ => (None, rest),
                };
                let attribute = render_steps(rest);
                let to = |index: Option<Index>| Address {
                    module: scope.module.to_vec(),
                    mode,
                    kind: kind.to_string(),
                    name: name.to_string(),
                    index,
                };
                let key = (
                    scope.module.to_vec(),
                    mode,
                    kind.to_string(),
                    name.to_string(),
                );
                let counted = self
                    .instances
                    .get(&key)
                    .filter(|list| list.iter().any(Option::is_some));
                match (index, counted) {
                    (None, Some(list)) => Some(Value::List(
                        list.iter()
                            .map(|i| Value::Ref {
                                to: to(i.clone()),
                                attribute: attribute.clone(),
                            })
                            .collect(),
                    )),
                    (index, _) => Some(Value::Ref {
                        to: to(index),
                        attribute,
                    }),
                }
            }
        }
    }
}

/// The resources of a values module and its child modules, depth first, each module's own
/// resources before its children's.
fn collect<'a>(module: &'a Json, out: &mut Vec<(Vec<ModuleStep>, &'a Json)>) {
    let path = module
        .get("address")
        .and_then(Json::as_str)
        .and_then(module_path)
        .unwrap_or_default();
    if let Some(resources) = module.get("resources").and_then(Json::as_array) {
        for r in resources {
            out.push((path.clone(), r));
        }
    }
    if let Some(children) = module.get("child_modules").and_then(Json::as_array) {
        for child in children {
            collect(child, out);
        }
    }
}

/// A values resource's address: its module's path and its own `mode`, `type`, `name`, `index`.
fn resource_address(module: &[ModuleStep], r: &Json) -> Option<Address> {
    let mode = match r.get("mode").and_then(Json::as_str) {
        Some("data") => Mode::Data,
        _ => Mode::Managed,
    };
    let index = match r.get("index") {
        Some(Json::Number(n)) => Some(Index::Count(n.as_u64()?)),
        Some(Json::String(k)) => Some(Index::Key(k.clone())),
        // Without an `index`, the address's last step says it (`aws_subnet.a[0]`).
        _ => r
            .get("address")
            .and_then(Json::as_str)
            .and_then(traversal)
            .and_then(|steps| match steps.last() {
                Some(Step::Index(i)) => Some(i.clone()),
                _ => None,
            }),
    };
    Some(Address {
        module: module.to_vec(),
        mode,
        kind: r.get("type")?.as_str()?.to_string(),
        name: r.get("name")?.as_str()?.to_string(),
        index,
    })
}

/// `module.a.module.b["x"]` as steps.
fn module_path(text: &str) -> Option<Vec<ModuleStep>> {
    let steps = traversal(text)?;
    let mut path = Vec::new();
    let mut i = 0;
    while i < steps.len() {
        match (&steps[i], steps.get(i + 1)) {
            (Step::Attr(m), Some(Step::Attr(name))) if m == "module" => {
                let index = match steps.get(i + 2) {
                    Some(Step::Index(index)) => Some(index.clone()),
                    _ => None,
                };
                i += if index.is_some() { 3 } else { 2 };
                path.push(ModuleStep {
                    name: name.clone(),
                    index,
                });
            }
            _ => return None,
        }
    }
    Some(path)
}

/// One step of a reference.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Attr(String),
    Index(Index),
}

/// `a.b[0]["k"].c` as steps; `None` for anything else (a dynamic index, unbalanced brackets).
fn traversal(text: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            let close = if let Some(quoted) = after.strip_prefix('"') {
                let end = quoted.find('"')? + 1;
                end + after[end..].find(']')?
            } else {
                after.find(']')?
            };
            let inside = &after[..close];
            let index = if let Some(key) = inside.strip_prefix('"') {
                Index::Key(key.strip_suffix('"')?.to_string())
            } else {
                Index::Count(inside.parse().ok()?)
            };
            steps.push(Step::Index(index));
            rest = &after[close + 1..];
        } else {
            let rest_trimmed = rest.strip_prefix('.').unwrap_or(rest);
            let end = rest_trimmed.find(['.', '[']).unwrap_or(rest_trimmed.len());
            let name = &rest_trimmed[..end];
            if name.is_empty() {
                return None;
            }
            steps.push(Step::Attr(name.to_string()));
            rest = &rest_trimmed[end..];
        }
    }
    Some(steps)
}

/// Steps after an address, as the attribute path: `dns_entry[0].dns_name`.
fn render_steps(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Attr(a) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(a);
            }
            Step::Index(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

/// A value followed further by the steps after the reference's object (`[0]`, `.id`).
fn follow(value: Value, steps: &[Step]) -> Option<Value> {
    let mut value = value;
    for (n, step) in steps.iter().enumerate() {
        value = match (value, step) {
            (Value::List(items), Step::Index(Index::Count(i))) => {
                items.into_iter().nth(usize::try_from(*i).ok()?)?
            }
            (Value::Map(mut map), Step::Attr(a)) => map.remove(a)?,
            (Value::Map(mut map), Step::Index(Index::Key(k))) => map.remove(k)?,
            (Value::Ref { to, attribute }, _) => {
                let more = render_steps(&steps[n..]);
                let attribute = if attribute.is_empty() {
                    more
                } else if more.starts_with('[') {
                    format!("{attribute}{more}")
                } else {
                    format!("{attribute}.{more}")
                };
                return Some(Value::Ref { to, attribute });
            }
            _ => return None,
        };
    }
    Some(value)
}

/// The references that name something, without Terraform's prefixes of them
/// (`aws_vpc.main.id` and `aws_vpc.main` -> `aws_vpc.main.id`) or `count.index` and the like.
fn primary_references<'r>(refs: &[&'r str]) -> Vec<&'r str> {
    let markers = ["count.", "each.", "path.", "self.", "terraform."];
    let named: Vec<&str> = refs
        .iter()
        .copied()
        .filter(|r| !markers.iter().any(|m| r.starts_with(m)))
        .collect();
    let mut out: Vec<&str> = Vec::new();
    for r in &named {
        let prefix_of_another = named.iter().any(|other| {
            other.len() > r.len()
                && other.starts_with(r)
                && matches!(other.as_bytes()[r.len()], b'.' | b'[')
        });
        if !prefix_of_another && !out.contains(r) {
            out.push(r);
        }
    }
    out
}

fn is_expression(e: &Json) -> bool {
    match e.as_object() {
        Some(map) => map
            .keys()
            .all(|k| k == "constant_value" || k == "references"),
        None => false,
    }
}

/// The references of an expression.
fn references(e: &Json) -> Vec<&str> {
    e.get("references")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default()
}

/// How many leaves an `after_unknown` value marks unknown.
fn unknown_leaves(u: Option<&Json>) -> usize {
    match u {
        Some(Json::Bool(true)) => 1,
        Some(Json::Array(items)) => items.iter().map(|i| unknown_leaves(Some(i))).sum(),
        Some(Json::Object(map)) => map.values().map(|i| unknown_leaves(Some(i))).sum(),
        _ => 0,
    }
}

/// A known structure with the leaves `after_unknown` marks replaced.
fn patch_unknown(value: Value, u: Option<&Json>, replacement: &Value) -> Value {
    match (value, u) {
        (_, Some(Json::Bool(true))) => replacement.clone(),
        (Value::List(items), Some(Json::Array(marks))) => Value::List(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| patch_unknown(item, marks.get(i), replacement))
                .collect(),
        ),
        (Value::Map(mut map), Some(Json::Object(marks))) => {
            for (k, mark) in marks {
                let item = map.remove(k).unwrap_or(Value::Null);
                map.insert(k.clone(), patch_unknown(item, Some(mark), replacement));
            }
            Value::Map(map)
        }
        (value, _) => value,
    }
}

/// Whether an `after_unknown` value marks anything unknown.
fn any_true(u: Option<&Json>) -> bool {
    match u {
        Some(Json::Bool(b)) => *b,
        Some(Json::Array(items)) => items.iter().any(|i| any_true(Some(i))),
        Some(Json::Object(map)) => map.values().any(|i| any_true(Some(i))),
        _ => false,
    }
}

fn canonical_provider(entry: &Json) -> Option<String> {
    let name = entry.get("name")?.as_str()?;
    Some(match entry.get("alias").and_then(Json::as_str) {
        Some(alias) if !alias.is_empty() => format!("{name}.{alias}"),
        _ => name.to_string(),
    })
}

/// A JSON value as an import value.
fn to_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::List(items.iter().map(to_value).collect()),
        Json::Object(map) => {
            Value::Map(map.iter().map(|(k, v)| (k.clone(), to_value(v))).collect())
        }
    }
}

/// Known strings that are another resource's id, ARN, service name or DNS name become
/// references to it.
fn link_known_ids(resources: &mut [Resource]) {
    let mut known: HashMap<String, (Address, String)> = HashMap::new();
    for r in resources.iter() {
        let mut add = |value: Option<&Value>, attribute: &str| {
            if let Some(Value::String(s)) = value {
                if !s.is_empty() {
                    known
                        .entry(s.clone())
                        .or_insert_with(|| (r.address.clone(), attribute.to_string()));
                }
            }
        };
        add(r.values.get("id"), "id");
        add(r.values.get("arn"), "arn");
        match r.address.kind.as_str() {
            "aws_vpc_endpoint_service" => add(r.values.get("service_name"), "service_name"),
            "aws_lb" => add(r.values.get("dns_name"), "dns_name"),
            "aws_vpc_endpoint" => {
                if let Some(Value::List(entries)) = r.values.get("dns_entry") {
                    for (i, entry) in entries.iter().enumerate() {
                        if let Value::Map(m) = entry {
                            add(m.get("dns_name"), &format!("dns_entry[{i}].dns_name"));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if known.is_empty() {
        return;
    }
    for r in resources.iter_mut() {
        for value in r.values.values_mut() {
            relink(value, &known, &r.address);
        }
    }
}

fn relink(value: &mut Value, known: &HashMap<String, (Address, String)>, own: &Address) {
    match value {
        Value::String(s) => {
            if let Some((to, attribute)) = known.get(s.as_str()) {
                if to != own {
                    *value = Value::Ref {
                        to: to.clone(),
                        attribute: attribute.clone(),
                    };
                }
            }
        }
        Value::List(items) => items.iter_mut().for_each(|i| relink(i, known, own)),
        Value::Map(map) => map.values_mut().for_each(|i| relink(i, known, own)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn managed(address: &str) -> Address {
        let steps = traversal(address).expect("an address");
        let mut module = Vec::new();
        let mut i = 0;
        while matches!(&steps[i], Step::Attr(m) if m == "module") {
            let Step::Attr(name) = &steps[i + 1] else {
                panic!("module name")
            };
            module.push(ModuleStep {
                name: name.clone(),
                index: None,
            });
            i += 2;
        }
        let (Step::Attr(kind), Step::Attr(name)) = (&steps[i], &steps[i + 1]) else {
            panic!("type and name")
        };
        let index = match steps.get(i + 2) {
            Some(Step::Index(index)) => Some(index.clone()),
            _ => None,
        };
        Address {
            module,
            mode: Mode::Managed,
            kind: kind.clone(),
            name: name.clone(),
            index,
        }
    }

    fn reference(to: &str, attribute: &str) -> Value {
        Value::Ref {
            to: managed(to),
            attribute: attribute.into(),
        }
    }

    fn read(plan: serde_json::Value) -> Model {
        parse("plan.json", &plan.to_string()).expect("a plan")
    }

    fn resource<'m>(model: &'m Model, address: &str) -> &'m Resource {
        model
            .resources
            .iter()
            .find(|r| r.address.to_string() == address)
            .unwrap_or_else(|| panic!("{address} in {:?}", model.resources))
    }

    fn res(address: &str, kind: &str, name: &str, values: serde_json::Value) -> serde_json::Value {
        json!({ "address": address, "mode": "managed", "type": kind, "name": name,
                "provider_name": "registry.terraform.io/hashicorp/aws", "values": values })
    }

    /// A VPC module called twice, subnets with count, instances picking a subnet by count.index.
    fn modules_plan() -> serde_json::Value {
        let module_config = json!({
            "outputs": {
                "vpc_id": { "expression": { "references": ["aws_vpc.this.id", "aws_vpc.this"] } },
                "subnet_ids": { "expression": { "references": ["aws_subnet.private"] } }
            },
            "resources": [
                { "address": "aws_vpc.this", "mode": "managed", "type": "aws_vpc", "name": "this",
                  "provider_config_key": "aws",
                  "expressions": { "cidr_block": { "references": ["var.cidr"] } } },
                { "address": "aws_subnet.private", "mode": "managed", "type": "aws_subnet", "name": "private",
                  "provider_config_key": "aws",
                  "expressions": { "vpc_id": { "references": ["aws_vpc.this.id", "aws_vpc.this"] },
                                   "cidr_block": { "references": ["var.cidr", "count.index"] } } }
            ]
        });
        json!({
            "planned_values": { "root_module": {
                "resources": [
                    res("aws_instance.web[0]", "aws_instance", "web", json!({ "ami": "ami-1" })),
                    res("aws_instance.web[1]", "aws_instance", "web", json!({ "ami": "ami-1" })),
                ],
                "child_modules": [{ "address": "module.vpc", "resources": [
                    res("module.vpc.aws_vpc.this", "aws_vpc", "this", json!({})),
                    res("module.vpc.aws_subnet.private[0]", "aws_subnet", "private", json!({ "cidr_block": "10.0.0.0/24" })),
                    res("module.vpc.aws_subnet.private[1]", "aws_subnet", "private", json!({ "cidr_block": "10.0.1.0/24" })),
                ]}]
            }},
            "resource_changes": [
                { "address": "aws_instance.web[0]", "change": { "after_unknown": { "subnet_id": true, "id": true } } }
            ],
            "configuration": {
                "provider_config": { "aws": { "name": "aws", "expressions": { "region": { "references": ["var.region"] } } } },
                "root_module": {
                    "variables": { "region": { "default": "eu-west-1" } },
                    "resources": [
                        { "address": "aws_instance.web", "mode": "managed", "type": "aws_instance", "name": "web",
                          "provider_config_key": "aws",
                          "expressions": {
                              "ami": { "constant_value": "ami-1" },
                              "subnet_id": { "references": ["module.vpc.subnet_ids", "module.vpc", "count.index"] },
                              "vpc_security_group_ids": { "references": ["local.groups"] }
                          } }
                    ],
                    "module_calls": { "vpc": { "source": "./modules/vpc",
                        "expressions": { "cidr": { "constant_value": "10.0.0.0/16" } },
                        "module": module_config } }
                }
            }
        })
    }

    #[test]
    fn resources_come_root_first_then_modules_in_file_order() {
        let model = read(modules_plan());
        let order: Vec<String> = model
            .resources
            .iter()
            .map(|r| r.address.to_string())
            .collect();
        assert_eq!(
            order,
            [
                "aws_instance.web[0]",
                "aws_instance.web[1]",
                "module.vpc.aws_vpc.this",
                "module.vpc.aws_subnet.private[0]",
                "module.vpc.aws_subnet.private[1]"
            ]
        );
    }

    #[test]
    fn unknown_values_become_references_resolved_in_the_module() {
        let model = read(modules_plan());
        let subnet = resource(&model, "module.vpc.aws_subnet.private[1]");
        assert_eq!(
            subnet.values["vpc_id"],
            reference("module.vpc.aws_vpc.this", "id")
        );
        assert_eq!(
            subnet.values["cidr_block"],
            Value::String("10.0.1.0/24".into()),
            "a known value stays"
        );
        // var.cidr inside the module is the call's argument.
        let vpc = resource(&model, "module.vpc.aws_vpc.this");
        assert_eq!(
            vpc.values["cidr_block"],
            Value::String("10.0.0.0/16".into())
        );
    }

    #[test]
    fn module_outputs_are_followed_and_count_index_picks_the_instance_element() {
        let model = read(modules_plan());
        for (i, subnet) in [(0, "[0]"), (1, "[1]")] {
            let web = resource(&model, &format!("aws_instance.web[{i}]"));
            assert_eq!(
                web.values["subnet_id"],
                reference(&format!("module.vpc.aws_subnet.private{subnet}"), ""),
            );
        }
    }

    #[test]
    fn what_cannot_be_evaluated_is_unknown_with_its_references_and_path() {
        let model = read(modules_plan());
        let web = resource(&model, "aws_instance.web[0]");
        match &web.values["vpc_security_group_ids"] {
            Value::Unknown { text, .. } => {
                assert!(text.contains("local.groups"), "{text}");
                assert!(
                    text.contains("aws_instance.web[0].vpc_security_group_ids"),
                    "{text}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(model.providers[0].region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn only_configured_attributes_are_kept_when_the_configuration_is_there() {
        let mut plan = modules_plan();
        plan["planned_values"]["root_module"]["resources"][0]["values"]["instance_type"] =
            json!("t3.micro");
        let model = read(plan);
        let web = resource(&model, "aws_instance.web[0]");
        assert!(!web.values.contains_key("instance_type"));
        assert_eq!(web.values["ami"], Value::String("ami-1".into()));
    }

    #[test]
    fn az_maps_come_from_prior_state_data_sources_per_provider() {
        let az = |names: [&str; 2], ids: [&str; 2]| json!({ "names": names, "zone_ids": ids, "id": "us-east-1" });
        let data = |name: &str, values: serde_json::Value| {
            json!({ "address": format!("data.aws_availability_zones.{name}"), "mode": "data",
                    "type": "aws_availability_zones", "name": name, "values": values })
        };
        let config = |name: &str, key: &str| {
            json!({ "address": format!("data.aws_availability_zones.{name}"), "mode": "data",
                    "type": "aws_availability_zones", "name": name, "provider_config_key": key,
                    "expressions": { "state": { "constant_value": "available" } } })
        };
        let plan = json!({
            "planned_values": { "root_module": {} },
            "prior_state": { "values": { "root_module": { "resources": [
                data("provider", az(["us-east-1a", "us-east-1b"], ["use1-az1", "use1-az2"])),
                data("consumer", az(["us-east-1a", "us-east-1b"], ["use1-az2", "use1-az4"])),
            ]}}},
            "configuration": {
                "provider_config": {
                    "aws": { "name": "aws", "expressions": { "region": { "constant_value": "us-east-1" } } },
                    "aws.consumer": { "name": "aws", "alias": "consumer",
                                      "expressions": { "region": { "constant_value": "us-east-1" } } }
                },
                "root_module": { "resources": [config("provider", "aws"), config("consumer", "aws.consumer")] }
            }
        });
        let model = read(plan);
        let keys: Vec<&str> = model.providers.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["aws", "aws.consumer"]);
        assert_eq!(model.providers[0].az_ids["us-east-1a"], "use1-az1");
        assert_eq!(model.providers[1].az_ids["us-east-1a"], "use1-az2");
        assert_eq!(model.providers[1].region.as_deref(), Some("us-east-1"));
    }

    #[test]
    fn a_state_links_known_ids_to_references() {
        let state = json!({ "values": { "root_module": { "resources": [
            res("aws_vpc.main", "aws_vpc", "main", json!({ "id": "vpc-1", "cidr_block": "10.0.0.0/16" })),
            res("aws_subnet.a", "aws_subnet", "a", json!({ "id": "subnet-1", "vpc_id": "vpc-1" })),
            res("aws_vpc_endpoint_service.s", "aws_vpc_endpoint_service", "s",
                json!({ "id": "vpce-svc-1", "service_name": "com.amazonaws.vpce.us-east-1.vpce-svc-1" })),
            res("aws_vpc_endpoint.e", "aws_vpc_endpoint", "e",
                json!({ "id": "vpce-1", "service_name": "com.amazonaws.vpce.us-east-1.vpce-svc-1" })),
        ]}}});
        let model = read(state);
        let endpoint = resource(&model, "aws_vpc_endpoint.e");
        assert_eq!(
            endpoint.values["service_name"],
            reference("aws_vpc_endpoint_service.s", "service_name")
        );
        let subnet = resource(&model, "aws_subnet.a");
        assert_eq!(subnet.values["vpc_id"], reference("aws_vpc.main", "id"));
        assert_eq!(subnet.values["id"], Value::String("subnet-1".into()));
    }

    #[test]
    fn the_configured_script_replaces_the_hash_the_plan_keeps() {
        let plan = json!({
            "planned_values": { "root_module": { "resources": [
                res("aws_instance.a", "aws_instance", "a", json!({ "user_data": "0f2e5c9d1b7a3e4f6a8b9c0d1e2f3a4b5c6d7e8f" }))
            ]}},
            "configuration": { "root_module": { "resources": [
                { "address": "aws_instance.a", "mode": "managed", "type": "aws_instance", "name": "a",
                  "expressions": { "user_data": { "constant_value": "python3 -m http.server 80" } } }
            ]}}
        });
        let model = read(plan);
        assert_eq!(
            resource(&model, "aws_instance.a").values["user_data"],
            Value::String("python3 -m http.server 80".into())
        );
    }

    #[test]
    fn blocks_are_filled_from_their_expressions() {
        let plan = json!({
            "planned_values": { "root_module": { "resources": [
                res("aws_lb_listener.l", "aws_lb_listener", "l", json!({ "port": 80, "default_action": [{ "type": "forward" }] })),
                res("aws_lb_target_group.t", "aws_lb_target_group", "t", json!({ "port": 80 })),
            ]}},
            "resource_changes": [{ "address": "aws_lb_listener.l",
                "change": { "after_unknown": { "default_action": [{ "target_group_arn": true }] } } }],
            "configuration": { "root_module": { "resources": [
                { "address": "aws_lb_listener.l", "mode": "managed", "type": "aws_lb_listener", "name": "l",
                  "expressions": { "port": { "constant_value": 80 },
                    "default_action": [{ "type": { "constant_value": "forward" },
                        "target_group_arn": { "references": ["aws_lb_target_group.t.arn", "aws_lb_target_group.t"] } }] } }
            ]}}
        });
        let model = read(plan);
        let Value::List(actions) = &resource(&model, "aws_lb_listener.l").values["default_action"]
        else {
            panic!("a list of blocks")
        };
        let Value::Map(action) = &actions[0] else {
            panic!("a block")
        };
        assert_eq!(action["type"], Value::String("forward".into()));
        assert_eq!(
            action["target_group_arn"],
            reference("aws_lb_target_group.t", "arn")
        );
    }

    #[test]
    fn unknown_leaves_of_a_known_structure_take_the_reference() {
        let rule =
            json!({ "protocol": "tcp", "from_port": 80, "to_port": 80, "security_groups": null });
        let plan = json!({
            "planned_values": { "root_module": { "resources": [
                res("aws_security_group.web", "aws_security_group", "web", json!({ "ingress": [rule] })),
                res("aws_security_group.lb", "aws_security_group", "lb", json!({})),
            ]}},
            "resource_changes": [{ "address": "aws_security_group.web",
                "change": { "after_unknown": { "ingress": [{ "security_groups": true }] } } }],
            "configuration": { "root_module": { "resources": [
                { "address": "aws_security_group.web", "mode": "managed", "type": "aws_security_group", "name": "web",
                  "expressions": { "ingress": { "references": ["aws_security_group.lb.id", "aws_security_group.lb"] } } }
            ]}}
        });
        let model = read(plan);
        let Value::List(rules) = &resource(&model, "aws_security_group.web").values["ingress"]
        else {
            panic!("a list of rules")
        };
        let Value::Map(rule) = &rules[0] else {
            panic!("a rule")
        };
        assert_eq!(rule["from_port"], Value::Number(80.0));
        assert_eq!(
            rule["security_groups"],
            reference("aws_security_group.lb", "id")
        );
    }

    #[test]
    fn malformed_json_names_file_line_and_column() {
        let err = parse(
            "bad.json",
            "{\n  \"planned_values\": {\n    \"root_module\": [1,\n  }\n}\n",
        )
        .expect_err("malformed");
        assert_eq!(err.exit_code(), 2);
        let text = err.to_string();
        assert!(text.starts_with("bad.json:4:3: not valid JSON"), "{text}");
    }

    #[test]
    fn json_that_is_neither_plan_nor_state_is_refused() {
        let err = parse("x.json", "{\"format_version\": \"1.0\"}").expect_err("not a plan");
        assert!(err.to_string().contains("planned_values"), "{err}");
        assert!(parse("x.json", "[]").is_err());
        assert!(parse("x.json", "\"text\"").is_err());
    }

    #[test]
    fn references_parse_with_indices_and_keys() {
        assert_eq!(
            traversal("module.vpc[\"a\"].aws_subnet.private[0].id"),
            Some(vec![
                Step::Attr("module".into()),
                Step::Attr("vpc".into()),
                Step::Index(Index::Key("a".into())),
                Step::Attr("aws_subnet".into()),
                Step::Attr("private".into()),
                Step::Index(Index::Count(0)),
                Step::Attr("id".into()),
            ])
        );
        assert_eq!(traversal("a[count.index]"), None);
        assert_eq!(traversal("a..b"), None);
        assert_eq!(
            primary_references(&["aws_vpc.main.id", "aws_vpc.main", "count.index"]),
            ["aws_vpc.main.id"]
        );
    }
}
