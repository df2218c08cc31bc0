//! Evaluation of a parsed Terraform configuration into resources: every module instance (the
//! root, then each local module call, with its `count` / `for_each` instances) gets its input
//! variables (the call's arguments, or `terraform.tfvars` and defaults for the root), its
//! locals and outputs evaluated on demand, and each resource block expanded by its `count` or
//! `for_each` into instances whose arguments are evaluated with `count.index` / `each.key` /
//! `each.value`. References to resource attributes stay references ([`Value::Ref`]): their
//! values exist only after apply. Whatever cannot be evaluated becomes [`Value::Unknown`] with
//! its text and line, and a [`Note`] says why. Evaluation is bounded (a step budget, a nesting
//! depth, a module depth, a largest `count`) so that no input can make it run away.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Attribute, Block, Body, Structure};
use hcl_edit::template::{Directive, Element, Template};

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
                let pairs: Vec<(Value, Value)> = match collection {
                    Value::List(items) => items
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (Value::Number(i as f64), v))
                        .collect(),
                    Value::Map(map) => map
                        .into_iter()
                        .map(|(k, v)| (Value::String(k), v))
                        .collect(),
                    Value::Unknown { .. } => return Err(Fail::Unknown),
                    Value::Ref { to, attribute } => {
                        return Err(Fail::AfterApply(functions::ref_text(&to, &attribute)));
                    }
                    other => {
                        return Err(Fail::Invalid(format!(
                            "a for expression over a {}",
                            functions::type_name(&other)
                        )));
                    }
                };
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

    fn eval_template(&mut self, scope: &Scope, template: &Template) -> Result<String, Fail> {
        let mut out = String::new();
        let mut trim_next = false;
        self.render(scope, template, &mut out, &mut trim_next)?;
        Ok(out)
    }

    /// Renders a template into `out`: literals, interpolations, `%{ if }` and `%{ for }`
    /// directives, with the `~` strip markers (`trim_next`: the next literal loses its leading
    /// whitespace).
    fn render(
        &mut self,
        scope: &Scope,
        template: &Template,
        out: &mut String,
        trim_next: &mut bool,
    ) -> Result<(), Fail> {
        fn trim_end(out: &mut String) {
            let len = out.trim_end().len();
            out.truncate(len);
        }
        for element in template.iter() {
            match element {
                Element::Literal(literal) => {
                    let text = if *trim_next {
                        literal.trim_start()
                    } else {
                        literal.as_str()
                    };
                    *trim_next = false;
                    out.push_str(text);
                }
                Element::Interpolation(interpolation) => {
                    if interpolation.strip.strip_start() {
                        trim_end(out);
                    }
                    let value = self.eval(scope, &interpolation.expr);
                    out.push_str(&functions::to_string(&value)?);
                    *trim_next = interpolation.strip.strip_end();
                }
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(when) => {
                        if when.if_expr.strip.strip_start() {
                            trim_end(out);
                        }
                        let condition = self.eval(scope, &when.if_expr.cond_expr);
                        *trim_next = when.if_expr.strip.strip_end();
                        if functions::to_bool(&condition)? {
                            self.render(scope, &when.if_expr.template, out, trim_next)?;
                        } else if let Some(otherwise) = &when.else_expr {
                            if otherwise.strip.strip_start() {
                                trim_end(out);
                            }
                            *trim_next = otherwise.strip.strip_end();
                            self.render(scope, &otherwise.template, out, trim_next)?;
                        }
                        if when.endif_expr.strip.strip_start() {
                            trim_end(out);
                        }
                        *trim_next = when.endif_expr.strip.strip_end();
                    }
                    Directive::For(each) => {
                        let intro = &each.for_expr;
                        if intro.strip.strip_start() {
                            trim_end(out);
                        }
                        let pairs: Vec<(Value, Value)> = match self
                            .eval(scope, &intro.collection_expr)
                        {
                            Value::List(items) => items
                                .into_iter()
                                .enumerate()
                                .map(|(i, v)| (Value::Number(i as f64), v))
                                .collect(),
                            Value::Map(map) => map
                                .into_iter()
                                .map(|(k, v)| (Value::String(k), v))
                                .collect(),
                            Value::Unknown { .. } => return Err(Fail::Unknown),
                            Value::Ref { to, attribute } => {
                                return Err(Fail::AfterApply(functions::ref_text(&to, &attribute)));
                            }
                            other => {
                                return Err(Fail::Invalid(format!(
                                    "a template for over a {}",
                                    functions::type_name(&other)
                                )));
                            }
                        };
                        for (key, value) in pairs {
                            self.steps +=
                                1 + scope.names.iter().map(|(_, v)| weight(v)).sum::<u64>();
                            if self.steps > MAX_STEPS {
                                return Err(Fail::Invalid(format!(
                                    "evaluation stopped after {MAX_STEPS} steps"
                                )));
                            }
                            let mut inner = scope.clone();
                            if let Some(key_var) = &intro.key_var {
                                inner.names.push((key_var.as_str().to_string(), key));
                            }
                            inner
                                .names
                                .push((intro.value_var.as_str().to_string(), value));
                            *trim_next = intro.strip.strip_end();
                            self.render(&inner, &intro.template, out, trim_next)?;
                            if each.endfor_expr.strip.strip_start() {
                                trim_end(out);
                            }
                        }
                        *trim_next = each.endfor_expr.strip.strip_end();
                    }
                },
            }
        }
        Ok(())
    }

    /// The source file a `file` / `templatefile` path names: as written, or relative to the
    /// root module's directory (Terraform's working directory).
    fn find_file(&self, scope: &Scope, args: &[Value]) -> Result<usize, Fail> {
        let path = functions::to_string(args.first().unwrap_or(&Value::Null))?;
        let path = Path::new(&path);
        let root = &self.dirs[self.instances[0].dir].dir;
        let module = &self.dirs[self.instances[scope.inst].dir].dir;
        [
            normalize(path),
            normalize(&root.join(path)),
            normalize(&module.join(path)),
        ]
        .iter()
        .find_map(|p| self.files_by_path.get(p).copied())
        .ok_or_else(|| Fail::Invalid(format!("file {} was not read", path.display())))
    }

    fn file(&mut self, scope: &Scope, args: &[Value]) -> Result<Value, Fail> {
        if args.len() != 1 {
            return Err(Fail::Invalid("file takes 1 argument".into()));
        }
        let found = self.find_file(scope, args)?;
        Ok(Value::String(self.sources[found].text.clone()))
    }

    fn templatefile(&mut self, scope: &Scope, args: &[Value]) -> Result<Value, Fail> {
        if args.len() != 2 {
            return Err(Fail::Invalid("templatefile takes 2 arguments".into()));
        }
        let found = self.find_file(scope, args)?;
        let names: Vec<(String, Value)> = match &args[1] {
            Value::Map(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Value::Unknown { .. } => return Err(Fail::Unknown),
            _ => return Err(Fail::Invalid("templatefile variables must be a map".into())),
        };
        if super::nesting::too_deep(&self.sources[found].text, true).is_some() {
            return Err(Fail::Invalid(format!(
                "{} nests interpolations more than {} deep",
                self.sources[found].path.display(),
                super::nesting::MAX_NESTING
            )));
        }
        let template =
            hcl_edit::parser::parse_template(&self.sources[found].text).map_err(|e| {
                Fail::Invalid(format!(
                    "{}:{}: {}",
                    self.sources[found].path.display(),
                    e.location().line(),
                    e.message()
                ))
            })?;
        let inner = Scope {
            inst: scope.inst,
            file: found,
            names,
            template: true,
        };
        self.eval_template(&inner, &template).map(Value::String)
    }

    /// The value a traversal starts from (`var.x`, `local.x`, `module.m.out`, `data.t.n`,
    /// `t.n`, a scope name), and how many of its operators that used.
    fn root_reference(
        &mut self,
        scope: &Scope,
        root: &str,
        operators: &[&TraversalOperator],
    ) -> Result<(Value, usize), Fail> {
        if let Some(value) = lookup(scope, root) {
            return Ok((self.charge(value)?, 0));
        }
        if scope.template {
            return Err(Fail::Invalid(format!("{root} is not a template variable")));
        }
        let attr = |i: usize| match operators.get(i) {
            Some(TraversalOperator::GetAttr(name)) => Some(name.as_str().to_string()),
            _ => None,
        };
        let missing = |what: &str| Fail::Invalid(format!("{root} needs {what}"));
        match root {
            "var" => {
                let name = attr(0).ok_or_else(|| missing("a variable name"))?;
                Ok((self.var(scope.inst, &name)?, 1))
            }
            "local" => {
                let name = attr(0).ok_or_else(|| missing("a local name"))?;
                Ok((self.local(scope.inst, &name)?, 1))
            }
            "module" => {
                let name = attr(0).ok_or_else(|| missing("a module name"))?;
                let dir = self.instances[scope.inst].dir;
                let call = *self.decls[dir]
                    .call_index
                    .get(&name)
                    .ok_or_else(|| Fail::Invalid(format!("no module {name} is declared")))?;
                if let Target::Remote(source) = &self.decls[dir].calls[call].target {
                    return Err(Fail::Invalid(format!(
                        "module {name} comes from {source:?}, which is not read"
                    )));
                }
                let expansion = self.call_expansion(scope.inst, call);
                match (&expansion, attr(1)) {
                    (Expansion::One, Some(output)) => {
                        let child = self.child(scope.inst, call, None)?;
                        Ok((self.output(child, &output)?, 2))
                    }
                    _ => Ok((self.module_value(scope.inst, call, &expansion)?, 1)),
                }
            }
            "data" => {
                let kind = attr(0).ok_or_else(|| missing("a data source type"))?;
                let name = attr(1).ok_or_else(|| missing("a data source name"))?;
                Ok((
                    self.resource_value(scope.inst, Mode::Data, &kind, &name)?,
                    2,
                ))
            }
            "path" => {
                let which = attr(0).ok_or_else(|| missing("module, root or cwd"))?;
                let dir = match which.as_str() {
                    "module" => &self.dirs[self.instances[scope.inst].dir].dir,
                    "root" => &self.dirs[self.instances[0].dir].dir,
                    "cwd" => Path::new("."),
                    _ => return Err(Fail::Invalid(format!("path.{which} is not known"))),
                };
                let text = if dir.as_os_str().is_empty() {
                    ".".to_string()
                } else {
                    dir.display().to_string()
                };
                Ok((Value::String(text), 1))
            }
            "terraform" => match attr(0).as_deref() {
                Some("workspace") => Ok((Value::String("default".into()), 1)),
                _ => Err(Fail::Invalid("only terraform.workspace is known".into())),
            },
            "count" | "each" => Err(Fail::Invalid(format!(
                "{root} is used outside a block with {}",
                if root == "count" { "count" } else { "for_each" }
            ))),
            "self" => Err(Fail::Invalid("self is not evaluated".into())),
            kind => {
                let name =
                    attr(0).ok_or_else(|| Fail::Invalid(format!("{kind} is not a known name")))?;
                Ok((
                    self.resource_value(scope.inst, Mode::Managed, kind, &name)?,
                    1,
                ))
            }
        }
    }

    /// Applies traversal operators (attributes, indexes, splats) to a value.
    fn apply(
        &mut self,
        scope: &Scope,
        mut value: Value,
        operators: &[&TraversalOperator],
    ) -> Result<Value, Fail> {
        let mut i = 0;
        while i < operators.len() {
            match operators[i] {
                TraversalOperator::GetAttr(name) => {
                    value = match value {
                        Value::Ref { to, attribute } if attribute.is_empty() => {
                            match self.configured(&to, name.as_str()) {
                                Some(configured) => configured,
                                None => Value::Ref {
                                    to,
                                    attribute: name.to_string(),
                                },
                            }
                        }
                        other => get_attr(other, name.as_str())?,
                    }
                }
                TraversalOperator::Index(index) => {
                    let key = self.eval(scope, index);
                    value = get_index(value, &key)?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    value = get_index(value, &Value::Number(*n.value() as f64))?;
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let items = match value {
                        Value::List(items) => items,
                        Value::Null => Vec::new(),
                        Value::Unknown { .. } => return Err(Fail::Unknown),
                        other => vec![other],
                    };
                    // `.*` takes the attributes that follow; `[*]` everything that follows.
                    let end = if matches!(operators[i], TraversalOperator::AttrSplat(_)) {
                        operators[i + 1..]
                            .iter()
                            .position(|op| !matches!(op, TraversalOperator::GetAttr(_)))
                            .map_or(operators.len(), |p| i + 1 + p)
                    } else {
                        operators.len()
                    };
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        out.push(self.apply(scope, item, &operators[i + 1..end])?);
                    }
                    value = Value::List(out);
                    i = end;
                    continue;
                }
            }
            i += 1;
        }
        Ok(value)
    }

    /// `TYPE.NAME.ARG` where the configuration sets ARG: its value as the configuration gives
    /// it (Terraform knows it before apply; it may itself be a reference). `None` for what
    /// only the provider computes (ids, ARNs, DNS names), for nested blocks and meta-arguments,
    /// or when it cannot be evaluated.
    fn configured(&mut self, to: &Address, argument: &str) -> Option<Value> {
        if matches!(argument, "count" | "for_each" | "provider" | "depends_on") {
            return None;
        }
        let inst = self.instances.iter().position(|i| i.path == to.module)?;
        let dir = self.instances[inst].dir;
        let key = (to.mode, to.kind.clone(), to.name.clone());
        let r = *self.decls[dir].resource_index.get(&key)?;
        let (file, block) = (
            self.decls[dir].resources[r].file,
            self.decls[dir].resources[r].block,
        );
        let attribute = block.body.get_attribute(argument)?;
        let names = match (&to.index, self.expansion(inst, r)) {
            (None, Expansion::One) => Vec::new(),
            (Some(Index::Count(i)), Expansion::Count(_)) => count_names(*i),
            (Some(Index::Key(k)), Expansion::Keys(keys)) => {
                let value = keys.iter().find(|(key, _)| key == k)?.1.clone();
                each_names(k, value)
            }
            _ => return None,
        };
        let guard = (to.clone(), argument.to_string());
        if !self.configuring.insert(guard.clone()) {
            return None;
        }
        let scope = Scope {
            inst,
            file,
            names,
            template: false,
        };
        let value = self.eval(&scope, &attribute.value);
        self.configuring.remove(&guard);
        match value {
            Value::Unknown { .. } => None,
            known => Some(known),
        }
    }

    fn var(&mut self, inst: usize, name: &str) -> Result<Value, Fail> {
        if let Some(value) = self.instances[inst].vars.get(name) {
            let value = value.clone();
            return self.charge(value);
        }
        let dir = self.instances[inst].dir;
        let (file, block) = *self.decls[dir]
            .variables
            .get(name)
            .ok_or_else(|| Fail::Invalid(format!("no variable {name} is declared")))?;
        let value = match self.instances[inst].given.get(name) {
            Some(value) => value.clone(),
            None => match block.body.get_attribute("default") {
                Some(default) => {
                    let scope = Scope {
                        inst,
                        file,
                        names: Vec::new(),
                        template: false,
                    };
                    self.eval(&scope, &default.value)
                }
                None => {
                    let at = self.location(file, block.span());
                    let given_by = if inst == 0 {
                        "terraform.tfvars"
                    } else {
                        "the module call"
                    };
                    self.note(
                        at.clone(),
                        format!("variable {name} has no default and {given_by} gives no value"),
                    );
                    Value::Unknown {
                        text: format!("var.{name}"),
                        at,
                    }
                }
            },
        };
        self.instances[inst]
            .vars
            .insert(name.to_string(), value.clone());
        Ok(value)
    }

    fn local(&mut self, inst: usize, name: &str) -> Result<Value, Fail> {
        match self.instances[inst].locals.get(name) {
            Some(Slot::Done(value)) => {
                let value = value.clone();
                return self.charge(value);
            }
            Some(Slot::InProgress) => {
                return Err(Fail::Invalid(format!("local.{name} refers to itself")));
            }
            None => {}
        }
        let dir = self.instances[inst].dir;
        let (file, attribute) = *self.decls[dir]
            .locals
            .get(name)
            .ok_or_else(|| Fail::Invalid(format!("no local {name} is declared")))?;
        self.instances[inst]
            .locals
            .insert(name.to_string(), Slot::InProgress);
        let scope = Scope {
            inst,
            file,
            names: Vec::new(),
            template: false,
        };
        let value = self.eval(&scope, &attribute.value);
        self.instances[inst]
            .locals
            .insert(name.to_string(), Slot::Done(value.clone()));
        Ok(value)
    }

    fn output(&mut self, inst: usize, name: &str) -> Result<Value, Fail> {
        match self.instances[inst].outputs.get(name) {
            Some(Slot::Done(value)) => {
                let value = value.clone();
                return self.charge(value);
            }
            Some(Slot::InProgress) => {
                return Err(Fail::Invalid(format!("output {name} refers to itself")));
            }
            None => {}
        }
        let dir = self.instances[inst].dir;
        let (file, block) = *self.decls[dir]
            .outputs
            .get(name)
            .ok_or_else(|| Fail::Invalid(format!("the module has no output {name}")))?;
        let attribute = block
            .body
            .get_attribute("value")
            .ok_or_else(|| Fail::Invalid(format!("output {name} has no value")))?;
        self.instances[inst]
            .outputs
            .insert(name.to_string(), Slot::InProgress);
        let scope = Scope {
            inst,
            file,
            names: Vec::new(),
            template: false,
        };
        let value = self.eval(&scope, &attribute.value);
        self.instances[inst]
            .outputs
            .insert(name.to_string(), Slot::Done(value.clone()));
        Ok(value)
    }

    /// `module.NAME` as a whole: its outputs as a map, or a list / map of them for a counted
    /// call.
    fn module_value(
        &mut self,
        inst: usize,
        call: usize,
        expansion: &Expansion,
    ) -> Result<Value, Fail> {
        let dir = self.instances[inst].dir;
        let child_dir = match self.decls[dir].calls[call].target {
            Target::Local(d) => d,
            Target::Remote(_) => return Err(Fail::Invalid("a module that is not read".into())),
        };
        let mut names: Vec<String> = self.decls[child_dir].outputs.keys().cloned().collect();
        names.sort();
        let outputs_of = |this: &mut Self, index: Option<Index>| -> Result<Value, Fail> {
            let child = this.child(inst, call, index)?;
            let mut map = BTreeMap::new();
            for name in &names {
                map.insert(name.clone(), this.output(child, name)?);
            }
            Ok(Value::Map(map))
        };
        match expansion {
            Expansion::One => outputs_of(self, None),
            Expansion::Count(n) => {
                let mut list = Vec::new();
                for i in 0..*n {
                    list.push(outputs_of(self, Some(Index::Count(i)))?);
                }
                Ok(Value::List(list))
            }
            Expansion::Keys(keys) => {
                let mut map = BTreeMap::new();
                for (key, _) in keys {
                    map.insert(
                        key.clone(),
                        outputs_of(self, Some(Index::Key(key.clone())))?,
                    );
                }
                Ok(Value::Map(map))
            }
            Expansion::Unknown(_) => Err(Fail::Unknown),
            Expansion::InProgress => {
                Err(Fail::Invalid("the module's count refers to itself".into()))
            }
        }
    }

    /// The instance of a module call (one index of it), created on first use with its inputs
    /// evaluated in the caller.
    fn child(&mut self, inst: usize, call: usize, index: Option<Index>) -> Result<usize, Fail> {
        let key = (call, index.clone());
        match self.instances[inst].children.get(&key) {
            Some(Some(child)) => return Ok(*child),
            Some(None) => {
                return Err(Fail::Invalid(
                    "the module's inputs refer to its outputs".into(),
                ));
            }
            None => {}
        }
        let dir = self.instances[inst].dir;
        let (name, file, block, child_dir) = {
            let decl = &self.decls[dir].calls[call];
            let child_dir = match decl.target {
                Target::Local(d) => d,
                Target::Remote(_) => return Err(Fail::Invalid("a module that is not read".into())),
            };
            (decl.name.clone(), decl.file, decl.block, child_dir)
        };
        if self.instances[inst].path.len() >= MAX_MODULE_DEPTH {
            return Err(Fail::Invalid(format!(
                "modules nested more than {MAX_MODULE_DEPTH} deep"
            )));
        }
        self.instances[inst].children.insert(key.clone(), None);
        let names = match (&index, self.instances[inst].call_expansions.get(&call)) {
            (Some(Index::Count(i)), _) => count_names(*i),
            (Some(Index::Key(k)), Some(Expansion::Keys(keys))) => {
                let value = keys
                    .iter()
                    .find(|(key, _)| key == k)
                    .map_or(Value::Null, |(_, v)| v.clone());
                each_names(k, value)
            }
            _ => Vec::new(),
        };
        let scope = Scope {
            inst,
            file,
            names,
            template: false,
        };
        let mut given = HashMap::new();
        let mut providers = HashMap::new();
        for attribute in block.body.attributes() {
            let key = attribute.key.as_str();
            match key {
                "source" | "version" | "count" | "for_each" | "depends_on" => {}
                "providers" => {
                    if let Expression::Object(object) = &attribute.value {
                        for (child_key, parent) in object.iter() {
                            let child_key = match child_key {
                                ObjectKey::Ident(ident) => Some(ident.as_str().to_string()),
                                ObjectKey::Expression(e) => provider_reference(e),
                            };
                            let parent = provider_reference(parent.expr());
                            if let (Some(child_key), Some(parent)) = (child_key, parent) {
                                let resolved = self.resolve_provider(inst, &parent);
                                providers.insert(child_key, resolved);
                            }
                        }
                    }
                }
                _ => {
                    let value = self.eval(&scope, &attribute.value);
                    given.insert(key.to_string(), value);
                }
            }
        }
        let mut path = self.instances[inst].path.clone();
        path.push(ModuleStep { name, index });
        self.instances.push(Instance {
            path,
            parent: Some(inst),
            dir: child_dir,
            given,
            vars: HashMap::new(),
            locals: HashMap::new(),
            outputs: HashMap::new(),
            expansions: HashMap::new(),
            call_expansions: HashMap::new(),
            children: HashMap::new(),
            providers,
        });
        let child = self.instances.len() - 1;
        self.instances[inst].children.insert(key, Some(child));
        Ok(child)
    }

    /// `TYPE.NAME` (or `data.TYPE.NAME`): a reference to its instance, a list of them (count)
    /// or a map of them (for_each).
    fn resource_value(
        &mut self,
        inst: usize,
        mode: Mode,
        kind: &str,
        name: &str,
    ) -> Result<Value, Fail> {
        let dir = self.instances[inst].dir;
        let r = *self.decls[dir]
            .resource_index
            .get(&(mode, kind.to_string(), name.to_string()))
            .ok_or_else(|| {
                let prefix = if mode == Mode::Data { "data." } else { "" };
                Fail::Invalid(format!(
                    "no {prefix}{kind}.{name} is declared in this module"
                ))
            })?;
        let module = self.instances[inst].path.clone();
        let address = |index: Option<Index>| Address {
            module: module.clone(),
            mode,
            kind: kind.to_string(),
            name: name.to_string(),
            index,
        };
        let reference = |index| Value::Ref {
            to: address(index),
            attribute: String::new(),
        };
        let expansion = self.expansion(inst, r);
        match expansion {
            Expansion::One => Ok(reference(None)),
            Expansion::Count(n) => Ok(Value::List(
                (0..n).map(|i| reference(Some(Index::Count(i)))).collect(),
            )),
            Expansion::Keys(keys) => Ok(Value::Map(
                keys.into_iter()
                    .map(|(k, _)| (k.clone(), reference(Some(Index::Key(k)))))
                    .collect(),
            )),
            Expansion::Unknown(_) => Err(Fail::Unknown),
            Expansion::InProgress => Err(Fail::Invalid(format!(
                "{kind}.{name}'s count refers to itself"
            ))),
        }
    }

    fn expansion(&mut self, inst: usize, r: usize) -> Expansion {
        if let Some(expansion) = self.instances[inst].expansions.get(&r) {
            return expansion.clone();
        }
        self.instances[inst]
            .expansions
            .insert(r, Expansion::InProgress);
        let dir = self.instances[inst].dir;
        let (file, block) = (
            self.decls[dir].resources[r].file,
            self.decls[dir].resources[r].block,
        );
        let expansion = self.expand(inst, file, block);
        self.instances[inst].expansions.insert(r, expansion.clone());
        expansion
    }

    fn call_expansion(&mut self, inst: usize, c: usize) -> Expansion {
        if let Some(expansion) = self.instances[inst].call_expansions.get(&c) {
            return expansion.clone();
        }
        self.instances[inst]
            .call_expansions
            .insert(c, Expansion::InProgress);
        let dir = self.instances[inst].dir;
        let (file, block) = (
            self.decls[dir].calls[c].file,
            self.decls[dir].calls[c].block,
        );
        let expansion = self.expand(inst, file, block);
        self.instances[inst]
            .call_expansions
            .insert(c, expansion.clone());
        expansion
    }

    /// Evaluates a block's `count` or `for_each`.
    fn expand(&mut self, inst: usize, file: usize, block: &Block) -> Expansion {
        let scope = Scope {
            inst,
            file,
            names: Vec::new(),
            template: false,
        };
        if let Some(count) = block.body.get_attribute("count") {
            let value = self.eval(&scope, &count.value);
            let n = match functions::to_integer(&value) {
                Ok(n) if n >= 0 && n as usize <= MAX_ELEMENTS => Ok(n as u64),
                Ok(n) => Err(Fail::Invalid(format!(
                    "count = {n} is not between 0 and {MAX_ELEMENTS}"
                ))),
                Err(fail) => Err(fail),
            };
            return match n {
                Ok(n) => Expansion::Count(n),
                Err(fail) => Expansion::Unknown(self.unknown(&scope, count.value.span(), fail)),
            };
        }
        if let Some(for_each) = block.body.get_attribute("for_each") {
            let value = self.eval(&scope, &for_each.value);
            let keys = match value {
                Value::Map(map) => Ok(map.into_iter().collect()),
                Value::List(items) => functions::to_set(&items).and_then(|set| {
                    set.iter()
                        .map(|v| match v {
                            Value::String(s) => Ok((s.clone(), v.clone())),
                            _ => Err(Fail::Invalid(
                                "for_each over a set that is not of strings".into(),
                            )),
                        })
                        .collect::<Result<Vec<_>, _>>()
                }),
                Value::Unknown { .. } => Err(Fail::Unknown),
                Value::Ref { to, attribute } => {
                    Err(Fail::AfterApply(functions::ref_text(&to, &attribute)))
                }
                other => Err(Fail::Invalid(format!(
                    "for_each over a {}",
                    functions::type_name(&other)
                ))),
            };
            return match keys {
                Ok(keys) => Expansion::Keys(keys),
                Err(fail) => Expansion::Unknown(self.unknown(&scope, for_each.value.span(), fail)),
            };
        }
        Expansion::One
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

fn get_attr(value: Value, name: &str) -> Result<Value, Fail> {
    match value {
        Value::Map(mut map) => map
            .remove(name)
            .ok_or_else(|| Fail::Invalid(format!("no attribute {name}"))),
        Value::Ref { to, attribute } => Ok(Value::Ref {
            to,
            attribute: if attribute.is_empty() {
                name.to_string()
            } else {
                format!("{attribute}.{name}")
            },
        }),
        Value::Unknown { .. } => Err(Fail::Unknown),
        other => Err(Fail::Invalid(format!(
            "a {} has no attribute {name}",
            functions::type_name(&other)
        ))),
    }
}

fn get_index(value: Value, key: &Value) -> Result<Value, Fail> {
    match key {
        Value::Unknown { .. } => return Err(Fail::Unknown),
        Value::Ref { to, attribute } => {
            return Err(Fail::AfterApply(functions::ref_text(to, attribute)));
        }
        _ => {}
    }
    match value {
        Value::List(mut items) => {
            let i = functions::to_integer(key)?;
            if i < 0 || i as usize >= items.len() {
                return Err(Fail::Invalid(format!(
                    "index {i} is out of range for a list of {}",
                    items.len()
                )));
            }
            Ok(items.swap_remove(i as usize))
        }
        Value::Map(mut map) => {
            let k = functions::to_string(key)?;
            map.remove(&k)
                .ok_or_else(|| Fail::Invalid(format!("no key {k:?}")))
        }
        Value::Ref { to, attribute } => {
            if attribute.is_empty() {
                return Err(Fail::Invalid(format!(
                    "{to} has no count or for_each: it cannot be indexed"
                )));
            }
            let step = match key {
                Value::Number(n) => format!("[{}]", functions::number_text(*n)),
                other => format!("[{:?}]", functions::to_string(other)?),
            };
            Ok(Value::Ref {
                to,
                attribute: format!("{attribute}{step}"),
            })
        }
        Value::Unknown { .. } => Err(Fail::Unknown),
        other => Err(Fail::Invalid(format!(
            "a {} cannot be indexed",
            functions::type_name(&other)
        ))),
    }
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
