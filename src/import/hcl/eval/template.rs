//! Templates: quoted strings and heredocs with interpolations, `%{ if }` and `%{ for }`
//! directives and `~` strip markers, and the files `file()` and `templatefile()` read from the
//! sources given to the reader.

use super::*;

impl Evaluator<'_> {
    pub(super) fn eval_template(
        &mut self,
        scope: &Scope,
        template: &Template,
    ) -> Result<String, Fail> {
        let mut out = String::new();
        let mut trim_next = false;
        self.render(scope, template, &mut out, &mut trim_next)?;
        Ok(out)
    }

    /// Renders a template into `out`: literals, interpolations, `%{ if }` and `%{ for }`
    /// directives, with the `~` strip markers (`trim_next`: the next literal loses its leading
    /// whitespace).
    pub(super) fn render(
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
                        let collection = self.eval(scope, &intro.collection_expr);
                        let pairs = super::for_pairs(collection, "a template for")?;
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
    pub(super) fn find_file(&self, scope: &Scope, args: &[Value]) -> Result<usize, Fail> {
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

    pub(super) fn file(&mut self, scope: &Scope, args: &[Value]) -> Result<Value, Fail> {
        if args.len() != 1 {
            return Err(Fail::Invalid("file takes 1 argument".into()));
        }
        let found = self.find_file(scope, args)?;
        Ok(Value::String(self.sources[found].text.clone()))
    }

    pub(super) fn templatefile(&mut self, scope: &Scope, args: &[Value]) -> Result<Value, Fail> {
        if args.len() != 2 {
            return Err(Fail::Invalid("templatefile takes 2 arguments".into()));
        }
        let found = self.find_file(scope, args)?;
        let names: Vec<(String, Value)> = match &args[1] {
            Value::Map(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Value::Unknown { .. } => return Err(Fail::Unknown),
            _ => return Err(Fail::Invalid("templatefile variables must be a map".into())),
        };
        if super::super::nesting::too_deep(&self.sources[found].text, true).is_some() {
            return Err(Fail::Invalid(format!(
                "{} nests interpolations more than {} deep",
                self.sources[found].path.display(),
                super::super::nesting::MAX_NESTING
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
}
