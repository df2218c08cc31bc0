//! Evaluation of a parsed Terraform configuration into resources: every module instance (the
//! root, then each local module call, with its `count` / `for_each` instances) gets its input
//! variables (the call's arguments, or `terraform.tfvars` and defaults for the root), its
//! locals and outputs evaluated on demand, and each resource block expanded by its `count` or
//! `for_each` into instances whose arguments are evaluated with `count.index` / `each.key` /
//! `each.value`. References to resource attributes stay references ([`Value::Ref`]): their
//! values exist only after apply. Whatever cannot be evaluated becomes [`Value::Unknown`] with
//! its text and line, and a [`Note`] says why. Evaluation is bounded (a step budget, a nesting
//! depth, a module depth, a largest `count`) so that no input can make it run away.
//!
//! Here: the declarations, the walk over module instances and resources, bodies and
//! expressions; `reference.rs`: what references resolve to (variables, locals, module outputs,
//! resources), module instances and `count` / `for_each`; `template.rs`: templates and the
//! files they read.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Attribute, Block, Body, Structure};
use hcl_edit::template::{Directive, Element, Template};

mod reference;
mod template;

use super::functions::{self, Fail, MAX_ELEMENTS};
use crate::import::ir::{
    Address, Index, Location, Mode, ModuleStep, Note, Provider, Resource, Value,
};

/// Expressions evaluated in one import, at most: beyond, values are left unknown.
const MAX_STEPS: u64 = 1_000_000;
/// Nesting of evaluations (expressions within expressions, locals referring to locals).
const MAX_DEPTH: usize = 48;
/// Module calls within module calls.
const MAX_MODULE_DEPTH: usize = 16;
/// Longest expression text kept in a note.
const NOTE_TEXT: usize = 120;

/// One file given to the reader, with its line starts.
pub(super) struct Source {
    /// As the user named it.
    pub path: PathBuf,
    /// Its contents.
    pub text: String,
    line_starts: Vec<usize>,
}

impl Source {
    pub(super) fn new(path: PathBuf, text: String) -> Source {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source {
            path,
            text,
            line_starts,
        }
    }

    /// 1-based line of a byte offset.
    pub(super) fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&start| start <= offset)
    }
}

/// The parsed `.tf` files of one module directory, sorted by path.
pub(super) struct DirConfig {
    /// The directory, normalised.
    pub dir: PathBuf,
    /// (index into the sources, parsed body).
    pub files: Vec<(usize, Body)>,
}

/// Where a module call's source points.
pub(super) enum Target {
    /// A directory read (index into the dir configs).
    Local(usize),
    /// A registry, git or other source that is not read; the text is the source.
    Remote(String),
}

struct ResourceDecl<'a> {
    mode: Mode,
    kind: String,
    name: String,
    file: usize,
    block: &'a Block,
}

struct CallDecl<'a> {
    name: String,
    file: usize,
    block: &'a Block,
    target: Target,
}

/// The declarations of one module directory.
#[derive(Default)]
struct Decls<'a> {
    variables: HashMap<String, (usize, &'a Block)>,
    locals: HashMap<String, (usize, &'a Attribute)>,
    resources: Vec<ResourceDecl<'a>>,
    resource_index: HashMap<(Mode, String, String), usize>,
    calls: Vec<CallDecl<'a>>,
    call_index: HashMap<String, usize>,
    outputs: HashMap<String, (usize, &'a Block)>,
    providers: Vec<(usize, &'a Block)>,
}

/// How many instances a resource or module call has.
#[derive(Clone)]
enum Expansion {
    /// Being evaluated (a reference cycle if met again).
    InProgress,
    /// No `count` or `for_each`.
    One,
    /// `count = N`.
    Count(u64),
    /// `for_each`: the keys in order, each with its value.
    Keys(Vec<(String, Value)>),
    /// Could not be evaluated: the unknown value.
    Unknown(Value),
}

/// A computed value, or not yet (a cycle).
enum Slot {
    InProgress,
    Done(Value),
}

/// One instance of a module: the root, or one call (one index of a counted call).
struct Instance {
    path: Vec<ModuleStep>,
    parent: Option<usize>,
    dir: usize,
    /// Input variables given: the call's arguments, or the root's tfvars.
    given: HashMap<String, Value>,
    vars: HashMap<String, Value>,
    locals: HashMap<String, Slot>,
    outputs: HashMap<String, Slot>,
    expansions: HashMap<usize, Expansion>,
    call_expansions: HashMap<usize, Expansion>,
    children: HashMap<(usize, Option<Index>), Option<usize>>,
    /// Provider keys as the module names them -> as the root names them.
    providers: HashMap<String, String>,
}

/// Names bound in a scope: `count`, `each`, `for` variables, `templatefile` variables.
type Names = Vec<(String, Value)>;

/// What an expression is evaluated in.
#[derive(Clone)]
struct Scope {
    inst: usize,
    file: usize,
    /// `count`, `each`, `for` variables, `templatefile` variables.
    names: Names,
    /// In a `templatefile` template: only `names` are visible.
    template: bool,
}

/// The evaluator of one configuration.
pub(super) struct Evaluator<'a> {
    sources: &'a [Source],
    dirs: &'a [DirConfig],
    files_by_path: HashMap<PathBuf, usize>,
    decls: Vec<Decls<'a>>,
    instances: Vec<Instance>,
    notes: Vec<Note>,
    noted: HashSet<(Option<Location>, String)>,
    steps: u64,
    /// Resource arguments being evaluated for a reference (a cycle if met again).
    configuring: HashSet<(Address, String)>,
    depth: usize,
}

/// `a/./b/../c` -> `a/c`, lexically (`..` past the start is kept).
pub(super) fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// The text of a label or a string literal key.
fn string_literal(expr: &Expression) -> Option<&str> {
    match expr {
        Expression::String(s) => Some(s.as_str()),
        Expression::StringTemplate(t) => match t.iter().collect::<Vec<_>>().as_slice() {
            [] => Some(""),
            [Element::Literal(s)] => Some(s.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// A Terraform identifier: a letter or `_`, then letters, digits, `_` and `-`.
fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// A module source that Terraform reads from the local file system.
pub(super) fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

/// `aws.consumer` from the expression `aws.consumer` (a provider reference).
fn provider_reference(expr: &Expression) -> Option<String> {
    match expr {
        Expression::Variable(v) => Some(v.as_str().to_string()),
        Expression::Traversal(t) => {
            let Expression::Variable(root) = &t.expr else {
                return None;
            };
            let mut key = root.as_str().to_string();
            for op in &t.operators {
                match op.value() {
                    TraversalOperator::GetAttr(name) => {
                        key.push('.');
                        key.push_str(name.as_str());
                    }
                    _ => return None,
                }
            }
            Some(key)
        }
        _ => string_literal(expr).map(str::to_string),
    }
}

impl<'a> Evaluator<'a> {
    /// The evaluator over the module directories read, `dirs[root]` being the root module, with
    /// the calls' targets already resolved (`targets[dir][call name]`).
    pub(super) fn new(
        sources: &'a [Source],
        dirs: &'a [DirConfig],
        targets: &mut [HashMap<String, Target>],
        root: usize,
        root_given: HashMap<String, Value>,
    ) -> Evaluator<'a> {
        let mut evaluator = Evaluator {
            sources,
            dirs,
            files_by_path: sources
                .iter()
                .enumerate()
                .map(|(i, s)| (normalize(&s.path), i))
                .collect(),
            decls: Vec::new(),
            instances: Vec::new(),
            notes: Vec::new(),
            noted: HashSet::new(),
            steps: 0,
            configuring: HashSet::new(),
            depth: 0,
        };
        for (d, dir) in dirs.iter().enumerate() {
            let decls = evaluator.declarations(dir, &mut targets[d]);
            evaluator.decls.push(decls);
        }
        evaluator.instances.push(Instance {
            path: Vec::new(),
            parent: None,
            dir: root,
            given: root_given,
            vars: HashMap::new(),
            locals: HashMap::new(),
            outputs: HashMap::new(),
            expansions: HashMap::new(),
            call_expansions: HashMap::new(),
            children: HashMap::new(),
            providers: HashMap::new(),
        });
        evaluator
    }

    fn location(&self, file: usize, span: Option<Range<usize>>) -> Option<Location> {
        let source = &self.sources[file];
        Some(Location {
            file: source.path.clone(),
            line: span.map_or(0, |s| source.line(s.start)),
        })
    }

    fn note(&mut self, at: Option<Location>, message: String) {
        if self.noted.insert((at.clone(), message.clone())) {
            self.notes.push(Note { at, message });
        }
    }

    fn text(&self, file: usize, span: Option<Range<usize>>) -> String {
        span.and_then(|s| self.sources[file].text.get(s))
            .map_or_else(String::new, |t| t.trim().to_string())
    }

    /// Collects the declarations of a module directory, noting duplicates and what is not read.
    fn declarations(
        &mut self,
        dir: &'a DirConfig,
        targets: &mut HashMap<String, Target>,
    ) -> Decls<'a> {
        let mut decls = Decls::default();
        for (file, body) in &dir.files {
            let file = *file;
            for structure in body.iter() {
                let block = match structure {
                    Structure::Block(block) => block,
                    Structure::Attribute(attribute) => {
                        let at = self.location(file, attribute.span());
                        self.note(
                            at,
                            format!(
                                "top-level attribute {} is not Terraform and is ignored",
                                attribute.key.as_str()
                            ),
                        );
                        continue;
                    }
                };
                let at = self.location(file, block.span());
                let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
                match (block.ident.as_str(), labels.as_slice()) {
                    ("resource" | "data", [kind, name])
                        if !is_identifier(kind) || !is_identifier(name) =>
                    {
                        self.note(
                            at,
                            format!("{kind:?} {name:?} is not a valid resource type and name; the block is ignored"),
                        );
                    }
                    ("resource" | "data", [kind, name]) => {
                        let mode = if block.ident.as_str() == "data" {
                            Mode::Data
                        } else {
                            Mode::Managed
                        };
                        let key = (mode, kind.to_string(), name.to_string());
                        if decls.resource_index.contains_key(&key) {
                            self.note(
                                at,
                                format!("{kind}.{name} is declared twice; the second is ignored"),
                            );
                            continue;
                        }
                        decls.resource_index.insert(key, decls.resources.len());
                        decls.resources.push(ResourceDecl {
                            mode,
                            kind: kind.to_string(),
                            name: name.to_string(),
                            file,
                            block,
                        });
                    }
                    ("variable", [name]) => {
                        decls
                            .variables
                            .entry(name.to_string())
                            .or_insert((file, block));
                    }
                    ("output", [name]) => {
                        decls
                            .outputs
                            .entry(name.to_string())
                            .or_insert((file, block));
                    }
                    ("locals", []) => {
                        for attribute in block.body.attributes() {
                            decls
                                .locals
                                .entry(attribute.key.as_str().to_string())
                                .or_insert((file, attribute));
                        }
                    }
                    ("module", [name]) => {
                        let Some(target) = targets.remove(*name) else {
                            self.note(
                                at,
                                format!("module {name} is declared twice; the second is ignored"),
                            );
                            continue;
                        };
                        decls.call_index.insert(name.to_string(), decls.calls.len());
                        decls.calls.push(CallDecl {
                            name: name.to_string(),
                            file,
                            block,
                            target,
                        });
                    }
                    ("provider", [_]) => decls.providers.push((file, block)),
                    ("terraform", []) => {}
                    (other, _) => {
                        self.note(at, format!("{other} block is not read by sim import"));
                    }
                }
            }
        }
        decls
    }

    /// Evaluates everything: the resources in reading order (the root module's, then each
    /// module call's, depth first, in call order), the root's providers, and the notes.
    pub(super) fn run(mut self) -> (Vec<Resource>, Vec<Provider>, Vec<Note>) {
        let mut resources = Vec::new();
        self.collect(0, &mut resources);
        let mut providers = Vec::new();
        let root_dir = self.instances[0].dir;
        let blocks: Vec<(usize, &'a Block)> = self.decls[root_dir].providers.clone();
        for (file, block) in blocks {
            let name = block.labels.first().map_or("", |l| l.as_str()).to_string();
            let scope = Scope {
                inst: 0,
                file,
                names: Vec::new(),
                template: false,
            };
            let key = match block.body.get_attribute("alias") {
                Some(alias) => {
                    match self.eval(&scope, &alias.value) {
                        Value::String(alias) => format!("{name}.{alias}"),
                        _ => {
                            let at = self.location(file, alias.span());
                            self.note(at, format!("provider {name}: alias is not a known string; the block is ignored"));
                            continue;
                        }
                    }
                }
                None => name,
            };
            let region = match block.body.get_attribute("region") {
                None => None,
                Some(region) => match self.eval(&scope, &region.value) {
                    Value::String(region) => Some(region),
                    _ => {
                        let at = self.location(file, region.span());
                        self.note(at, format!("provider {key}: region is not known"));
                        None
                    }
                },
            };
            providers.push(Provider {
                key,
                region,
                az_ids: BTreeMap::new(),
            });
        }
        (resources, providers, self.notes)
    }

    fn collect(&mut self, inst: usize, out: &mut Vec<Resource>) {
        let dir = self.instances[inst].dir;
        if inst != 0 {
            for (file, block) in self.decls[dir].providers.clone() {
                let at = self.location(file, block.span());
                self.note(at, "a provider block inside a module is not read: configure providers in the root module".into());
            }
        }
        for r in 0..self.decls[dir].resources.len() {
            let (mode, kind, name, file, block) = {
                let decl = &self.decls[dir].resources[r];
                (
                    decl.mode,
                    decl.kind.clone(),
                    decl.name.clone(),
                    decl.file,
                    decl.block,
                )
            };
            let expansion = self.expansion(inst, r);
            let at = self.location(file, block.span());
            for (index, names) in
                self.instances_of(&expansion, file, block, &format!("{kind}.{name}"))
            {
                let scope = Scope {
                    inst,
                    file,
                    names,
                    template: false,
                };
                let values = self.eval_body(&scope, &block.body, true);
                let provider = self.provider_of(inst, block, &kind);
                out.push(Resource {
                    address: Address {
                        module: self.instances[inst].path.clone(),
                        mode,
                        kind: kind.clone(),
                        name: name.clone(),
                        index,
                    },
                    provider,
                    values,
                    at: at.clone(),
                });
            }
        }
        for c in 0..self.decls[dir].calls.len() {
            let (file, block) = {
                let call = &self.decls[dir].calls[c];
                (call.file, call.block)
            };
            if let Target::Remote(source) = &self.decls[dir].calls[c].target {
                let message = format!(
                    "module {}: source {source:?} is not a local directory; its resources are skipped",
                    self.decls[dir].calls[c].name
                );
                let at = self.location(file, block.span());
                self.note(at, message);
                continue;
            }
            let expansion = self.call_expansion(inst, c);
            let label = format!("module.{}", self.decls[dir].calls[c].name);
            for (index, _) in self.instances_of(&expansion, file, block, &label) {
                match self.child(inst, c, index) {
                    Ok(child) => self.collect(child, out),
                    Err(fail) => {
                        let at = self.location(file, block.span());
                        let message = match fail {
                            Fail::Invalid(m) => format!("{label}: {m}; its resources are skipped"),
                            _ => format!(
                                "{label}: its inputs could not be evaluated; its resources are skipped"
                            ),
                        };
                        self.note(at, message);
                    }
                }
            }
        }
    }

    /// The instances of an expansion: index and the names (`count` / `each`) they bind.
    fn instances_of(
        &mut self,
        expansion: &Expansion,
        file: usize,
        block: &Block,
        label: &str,
    ) -> Vec<(Option<Index>, Names)> {
        match expansion {
            Expansion::One | Expansion::InProgress => vec![(None, Vec::new())],
            Expansion::Count(n) => (0..*n)
                .map(|i| (Some(Index::Count(i)), count_names(i)))
                .collect(),
            Expansion::Keys(keys) => keys
                .iter()
                .map(|(k, v)| (Some(Index::Key(k.clone())), each_names(k, v.clone())))
                .collect(),
            Expansion::Unknown(unknown) => {
                let at = self.location(file, block.span());
                self.note(
                    at,
                    format!("{label}: its count or for_each could not be evaluated; one instance is kept"),
                );
                let unknown_names = vec![
                    ("count".to_string(), object([("index", unknown.clone())])),
                    (
                        "each".to_string(),
                        object([("key", unknown.clone()), ("value", unknown.clone())]),
                    ),
                ];
                vec![(None, unknown_names)]
            }
        }
    }

    fn provider_of(&self, inst: usize, block: &Block, kind: &str) -> String {
        // Terraform's default: the provider named by the type's prefix (`aws` of `aws_vpc`).
        let local = block
            .body
            .get_attribute("provider")
            .and_then(|a| provider_reference(&a.value))
            .filter(|key| !key.is_empty())
            .unwrap_or_else(|| match kind.split('_').next() {
                Some(prefix) if !prefix.is_empty() => prefix.to_string(),
                _ => kind.to_string(),
            });
        self.resolve_provider(inst, &local)
    }

    fn resolve_provider(&self, inst: usize, key: &str) -> String {
        let instance = &self.instances[inst];
        if let Some(resolved) = instance.providers.get(key) {
            return resolved.clone();
        }
        match instance.parent {
            Some(parent) if !key.contains('.') => self.resolve_provider(parent, key),
            _ => key.to_string(),
        }
    }

    /// The values of a body: attributes, nested blocks as a list of maps (one per block),
    /// `dynamic` blocks unknown. `top`: a resource's own body, whose
    /// meta-arguments are not values.
    fn eval_body(&mut self, scope: &Scope, body: &Body, top: bool) -> BTreeMap<String, Value> {
        let mut values = BTreeMap::new();
        let mut blocks: Vec<(String, Vec<Value>)> = Vec::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attribute) => {
                    let key = attribute.key.as_str();
                    if top && matches!(key, "count" | "for_each" | "provider" | "depends_on") {
                        continue;
                    }
                    let value = self.eval(scope, &attribute.value);
                    values.insert(key.to_string(), value);
                }
                Structure::Block(block) => {
                    let ident = block.ident.as_str();
                    if top && matches!(ident, "lifecycle" | "provisioner" | "connection") {
                        if ident != "lifecycle" {
                            let at = self.location(scope.file, block.span());
                            self.note(at, format!("{ident} blocks are not read"));
                        }
                        continue;
                    }
                    if ident == "dynamic" {
                        let label = block.labels.first().map_or("", |l| l.as_str()).to_string();
                        let at = self.location(scope.file, block.span());
                        self.note(
                            at.clone(),
                            format!("dynamic \"{label}\" block is not evaluated by sim import"),
                        );
                        values.insert(
                            label.clone(),
                            Value::Unknown {
                                text: format!("dynamic \"{label}\" {{ ... }}"),
                                at,
                            },
                        );
                        continue;
                    }
                    let value = if self.depth >= MAX_DEPTH {
                        let message = format!("blocks nested more than {MAX_DEPTH} deep");
                        self.unknown(scope, block.span(), Fail::Invalid(message))
                    } else {
                        self.depth += 1;
                        let body = self.eval_body(scope, &block.body, false);
                        self.depth -= 1;
                        Value::Map(body)
                    };
                    match blocks.iter_mut().find(|(k, _)| k == ident) {
                        Some((_, list)) => list.push(value),
                        None => blocks.push((ident.to_string(), vec![value])),
                    }
                }
            }
        }
        // Blocks are a list of maps, one per block, even when given once: Terraform's JSON
        // (and so the plan reader) gives them so.
        for (key, list) in blocks {
            values.insert(key, Value::List(list));
        }
        values
    }

    /// An expression's value (unknown, with a note, when it cannot be evaluated).
    fn eval(&mut self, scope: &Scope, expr: &Expression) -> Value {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            let message = format!("evaluation stopped after {MAX_STEPS} steps");
            return self.unknown(scope, expr.span(), Fail::Invalid(message));
        }
        if self.depth >= MAX_DEPTH {
            let message = format!("nested more than {MAX_DEPTH} deep");
            return self.unknown(scope, expr.span(), Fail::Invalid(message));
        }
        self.depth += 1;
        let value = self.eval_inner(scope, expr);
        self.depth -= 1;
        match value {
            Ok(value) => value,
            Err(fail) => self.unknown(scope, expr.span(), fail),
        }
    }

    /// Counts a copy of a named value against the step budget, so that values built by
    /// referring to each other (`b = concat(local.a, local.a)`, `"${local.s}${local.s}"`)
    /// cannot grow without bound.
    fn charge(&mut self, value: Value) -> Result<Value, Fail> {
        self.steps += weight(&value);
        if self.steps > MAX_STEPS {
            return Err(Fail::Invalid(format!(
                "evaluation stopped after {MAX_STEPS} steps"
            )));
        }
        Ok(value)
    }

    fn unknown(&mut self, scope: &Scope, span: Option<Range<usize>>, fail: Fail) -> Value {
        let text = self.text(scope.file, span.clone());
        let at = self.location(scope.file, span);
        let shown: String = if text.chars().count() > NOTE_TEXT {
            text.chars().take(NOTE_TEXT).chain("...".chars()).collect()
        } else {
            text.clone()
        };
        match fail {
            Fail::Unknown => {}
            Fail::AfterApply(reference) => self.note(
                at.clone(),
                format!("`{shown}` is not evaluated: {reference} is known only after apply"),
            ),
            Fail::Invalid(message) => {
                self.note(at.clone(), format!("`{shown}` is not evaluated: {message}"));
            }
        }
        Value::Unknown { text, at }
    }

    fn eval_inner(&mut self, scope: &Scope, expr: &Expression) -> Result<Value, Fail> {
        match expr {
            Expression::Null(_) => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b.value())),
            Expression::Number(n) => n
                .as_f64()
                .map(Value::Number)
                .ok_or_else(|| Fail::Invalid("not a number".into())),
            Expression::String(s) => Ok(Value::String(s.to_string())),
            Expression::Array(array) => Ok(Value::List(
                array.iter().map(|item| self.eval(scope, item)).collect(),
            )),
            Expression::Object(object) => {
                let mut map = BTreeMap::new();
                for (key, value) in object.iter() {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_string(),
                        ObjectKey::Expression(Expression::Variable(v)) => v.as_str().to_string(),
                        ObjectKey::Expression(e) => {
                            let key = self.eval(scope, e);
                            functions::to_string(&key)?
                        }
                    };
                    let value = self.eval(scope, value.expr());
                    map.insert(key, value);
                }
                Ok(Value::Map(map))
            }
            Expression::StringTemplate(template) => {
                // `"${expr}"` alone is expr's value, not its string (Terraform 0.11's style of
                // reference: `vpc_id = "${aws_vpc.main.id}"`).
                if let [Element::Interpolation(only)] =
                    template.iter().collect::<Vec<_>>().as_slice()
                {
                    return Ok(self.eval(scope, &only.expr));
                }
                self.eval_template(scope, template).map(Value::String)
            }
            Expression::HeredocTemplate(heredoc) => self
                .eval_template(scope, &heredoc.template)
                .map(Value::String),
            Expression::Parenthesis(inner) => Ok(self.eval(scope, inner.inner())),
            Expression::Variable(name) => match lookup(scope, name.as_str()) {
                Some(value) => self.charge(value),
                None => Err(Fail::Invalid(format!(
                    "{} is not a known name",
                    name.as_str()
                ))),
            },
            Expression::Conditional(conditional) => {
                let condition = self.eval(scope, &conditional.cond_expr);
                if functions::to_bool(&condition)? {
                    Ok(self.eval(scope, &conditional.true_expr))
                } else {
                    Ok(self.eval(scope, &conditional.false_expr))
                }
            }
            Expression::FuncCall(call) => {
                if call.name.is_namespaced() {
                    return Err(Fail::Invalid("provider functions are not evaluated".into()));
                }
                let name = call.name.name.as_str();
                let mut args: Vec<Value> = call.args.iter().map(|a| self.eval(scope, a)).collect();
                if call.args.expand_final() {
                    match args.pop() {
                        Some(Value::List(items)) => args.extend(items),
                        Some(Value::Unknown { .. }) => return Err(Fail::Unknown),
                        _ => return Err(Fail::Invalid("`...` expands only a list".into())),
                    }
                }
                let result = match name {
                    "file" => self.file(scope, &args),
                    "templatefile" => self.templatefile(scope, &args),
                    _ => functions::call(name, &args),
                };
                // A function's result is charged by its size, as a copy is: `range`,
                // `concat` and the like build values larger than their arguments.
                self.charge(result?)
            }
            Expression::Traversal(traversal) => {
                let operators: Vec<&TraversalOperator> =
                    traversal.operators.iter().map(|op| op.value()).collect();
                let (base, used) = match &traversal.expr {
                    Expression::Variable(root) => {
                        self.root_reference(scope, root.as_str(), &operators)?
                    }
                    other => (self.eval(scope, other), 0),
                };
                match self.apply(scope, base, &operators[used..])? {
                    Value::Unknown { .. } => Err(Fail::Unknown),
                    value => Ok(value),
                }
            }
            Expression::UnaryOp(op) => {
                let value = self.eval(scope, &op.expr);
                match op.operator.value() {
                    UnaryOperator::Neg => Ok(Value::Number(-functions::to_number(&value)?)),
                    UnaryOperator::Not => Ok(Value::Bool(!functions::to_bool(&value)?)),
                }
            }
            Expression::BinaryOp(op) => {
                let lhs = self.eval(scope, &op.lhs_expr);
                let rhs = self.eval(scope, &op.rhs_expr);
                binary(*op.operator.value(), &lhs, &rhs)
            }
            Expression::ForExpr(for_expr) => {
                if for_expr.grouping {
                    return Err(Fail::Invalid("grouping `...` in a for expression".into()));
                }
                let collection = self.eval(scope, &for_expr.intro.collection_expr);
                let pairs = for_pairs(collection, "a for expression")?;
                let value_var = for_expr.intro.value_var.as_str().to_string();
                let key_var = for_expr
                    .intro
                    .key_var
                    .as_ref()
                    .map(|k| k.as_str().to_string());
                let mut list = Vec::new();
                let mut map = BTreeMap::new();
                let names_weight: u64 = scope.names.iter().map(|(_, v)| weight(v)).sum();
                for (key, value) in pairs {
                    // Each iteration copies the names in scope: charged like any other copy.
                    self.steps += names_weight;
                    if self.steps > MAX_STEPS {
                        return Err(Fail::Invalid(format!(
                            "evaluation stopped after {MAX_STEPS} steps"
                        )));
                    }
                    let mut inner = scope.clone();
                    if let Some(key_var) = &key_var {
                        inner.names.push((key_var.clone(), key));
                    }
                    inner.names.push((value_var.clone(), value));
                    if let Some(cond) = &for_expr.cond {
                        let keep = self.eval(&inner, &cond.expr);
                        if !functions::to_bool(&keep)? {
                            continue;
                        }
                    }
                    let value = self.eval(&inner, &for_expr.value_expr);
                    match &for_expr.key_expr {
                        Some(key_expr) => {
                            let key = self.eval(&inner, key_expr);
                            map.insert(functions::to_string(&key)?, value);
                        }
                        None => list.push(value),
                    }
                }
                Ok(if for_expr.key_expr.is_some() {
                    Value::Map(map)
                } else {
                    Value::List(list)
                })
            }
        }
    }
}

/// The size of a value in steps: one per element, one per 16 bytes of text.
fn weight(value: &Value) -> u64 {
    match value {
        Value::String(s) => 1 + s.len() as u64 / 16,
        Value::List(items) => 1 + items.iter().map(weight).sum::<u64>(),
        Value::Map(map) => {
            1 + map
                .iter()
                .map(|(k, v)| k.len() as u64 / 16 + weight(v))
                .sum::<u64>()
        }
        Value::Unknown { text, .. } => 1 + text.len() as u64 / 16,
        _ => 1,
    }
}

fn lookup(scope: &Scope, name: &str) -> Option<Value> {
    scope
        .names
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn count_names(i: u64) -> Names {
    vec![(
        "count".to_string(),
        object([("index", Value::Number(i as f64))]),
    )]
}

fn each_names(key: &str, value: Value) -> Names {
    vec![(
        "each".to_string(),
        object([("key", Value::String(key.to_string())), ("value", value)]),
    )]
}

fn binary(operator: BinaryOperator, lhs: &Value, rhs: &Value) -> Result<Value, Fail> {
    use BinaryOperator as Op;
    let number = functions::to_number;
    Ok(match operator {
        Op::Eq => Value::Bool(functions::equal(lhs, rhs)?),
        Op::NotEq => Value::Bool(!functions::equal(lhs, rhs)?),
        Op::And => Value::Bool(functions::to_bool(lhs)? && functions::to_bool(rhs)?),
        Op::Or => Value::Bool(functions::to_bool(lhs)? || functions::to_bool(rhs)?),
        Op::Less => Value::Bool(number(lhs)? < number(rhs)?),
        Op::LessEq => Value::Bool(number(lhs)? <= number(rhs)?),
        Op::Greater => Value::Bool(number(lhs)? > number(rhs)?),
        Op::GreaterEq => Value::Bool(number(lhs)? >= number(rhs)?),
        Op::Plus => Value::Number(number(lhs)? + number(rhs)?),
        Op::Minus => Value::Number(number(lhs)? - number(rhs)?),
        Op::Mul => Value::Number(number(lhs)? * number(rhs)?),
        Op::Div | Op::Mod => {
            let (a, b) = (number(lhs)?, number(rhs)?);
            if b == 0.0 {
                return Err(Fail::Invalid("division by zero".into()));
            }
            Value::Number(if operator == Op::Div { a / b } else { a % b })
        }
    })
}

/// The (key, value) pairs a `for` (expression or template directive) iterates over: a list's
/// indices and elements, a map's keys and values; `what` names the construct in the message
/// for anything else.
pub(super) fn for_pairs(collection: Value, what: &str) -> Result<Vec<(Value, Value)>, Fail> {
    match collection {
        Value::List(items) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (Value::Number(i as f64), v))
            .collect()),
        Value::Map(map) => Ok(map
            .into_iter()
            .map(|(k, v)| (Value::String(k), v))
            .collect()),
        Value::Unknown { .. } => Err(Fail::Unknown),
        Value::Ref { to, attribute } => Err(Fail::AfterApply(functions::ref_text(&to, &attribute))),
        other => Err(Fail::Invalid(format!(
            "{what} over a {}",
            functions::type_name(&other)
        ))),
    }
}
