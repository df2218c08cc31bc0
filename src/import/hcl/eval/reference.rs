//! References: what a traversal starts from (`var.*`, `local.*`, `module.NAME.OUTPUT`,
//! `TYPE.NAME`, `data.TYPE.NAME`, `path.*`, scope names), the operators after it (attributes,
//! indexes, splats), the module instances and their outputs, and the expansion of resources and
//! module calls by `count` and `for_each`.

use super::*;

impl Evaluator<'_> {
    /// The value a traversal starts from (`var.x`, `local.x`, `module.m.out`, `data.t.n`,
    /// `t.n`, a scope name), and how many of its operators that used.
    pub(super) fn root_reference(
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
    pub(super) fn apply(
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
    pub(super) fn configured(&mut self, to: &Address, argument: &str) -> Option<Value> {
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

    pub(super) fn var(&mut self, inst: usize, name: &str) -> Result<Value, Fail> {
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

    pub(super) fn local(&mut self, inst: usize, name: &str) -> Result<Value, Fail> {
        if let Some(known) = self.remembered(inst, Named::Local, name) {
            return known;
        }
        let dir = self.instances[inst].dir;
        let (file, attribute) = *self.decls[dir]
            .locals
            .get(name)
            .ok_or_else(|| Fail::Invalid(format!("no local {name} is declared")))?;
        Ok(self.remember(inst, Named::Local, name, file, &attribute.value))
    }

    pub(super) fn output(&mut self, inst: usize, name: &str) -> Result<Value, Fail> {
        if let Some(known) = self.remembered(inst, Named::Output, name) {
            return known;
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
        Ok(self.remember(inst, Named::Output, name, file, &attribute.value))
    }

    /// The remembered slots of instance `inst` for `named` values.
    fn slots(&mut self, inst: usize, named: Named) -> &mut HashMap<String, Slot> {
        match named {
            Named::Local => &mut self.instances[inst].locals,
            Named::Output => &mut self.instances[inst].outputs,
        }
    }

    /// A local's or output's value already evaluated (charged again, as every copy is), a
    /// refusal when its own evaluation needs it, or `None` when it has not been asked for yet.
    fn remembered(&mut self, inst: usize, named: Named, name: &str) -> Option<Result<Value, Fail>> {
        match self.slots(inst, named).get(name) {
            Some(Slot::Done(value)) => {
                let value = value.clone();
                Some(self.charge(value))
            }
            Some(Slot::InProgress) => Some(Err(Fail::Invalid(format!(
                "{} refers to itself",
                named.words(name)
            )))),
            None => None,
        }
    }

    /// Evaluates a local's or output's `expression` (declared in `file`) in instance `inst`,
    /// marked in progress meanwhile, and remembers the value.
    fn remember(
        &mut self,
        inst: usize,
        named: Named,
        name: &str,
        file: usize,
        expression: &Expression,
    ) -> Value {
        self.slots(inst, named)
            .insert(name.to_string(), Slot::InProgress);
        let scope = Scope {
            inst,
            file,
            names: Vec::new(),
            template: false,
        };
        let value = self.eval(&scope, expression);
        self.slots(inst, named)
            .insert(name.to_string(), Slot::Done(value.clone()));
        value
    }

    /// `module.NAME` as a whole: its outputs as a map, or a list / map of them for a counted
    /// call.
    pub(super) fn module_value(
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
    pub(super) fn child(
        &mut self,
        inst: usize,
        call: usize,
        index: Option<Index>,
    ) -> Result<usize, Fail> {
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
    pub(super) fn resource_value(
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

    pub(super) fn expansion(&mut self, inst: usize, r: usize) -> Expansion {
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

    pub(super) fn call_expansion(&mut self, inst: usize, c: usize) -> Expansion {
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
    pub(super) fn expand(&mut self, inst: usize, file: usize, block: &Block) -> Expansion {
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

pub(super) fn get_attr(value: Value, name: &str) -> Result<Value, Fail> {
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

pub(super) fn get_index(value: Value, key: &Value) -> Result<Value, Fail> {
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

/// Which of a module instance's named values: a `local` or an `output`.
#[derive(Copy, Clone)]
enum Named {
    Local,
    Output,
}

impl Named {
    /// `local.NAME` or `output NAME`, as messages say it.
    fn words(self, name: &str) -> String {
        match self {
            Named::Local => format!("local.{name}"),
            Named::Output => format!("output {name}"),
        }
    }
}
