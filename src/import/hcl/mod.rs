//! `sim import DIR`: the `.tf` files of a Terraform configuration read directly, without the
//! terraform binary, into the import model ([`crate::import::ir`]).
//!
//! What is read: the root module's `.tf` files (sorted by path), `terraform.tfvars` and
//! `*.auto.tfvars` beside them, and the local modules they call (`source = "./modules/vpc"`,
//! recursively), each call's arguments becoming the module's `var.*` and its `output` blocks
//! `module.NAME.OUTPUT`. Resources and data sources are expanded by `count` and `for_each` when
//! those are known before apply (literals, `length(...)` of known lists, variables, locals,
//! module outputs); arguments are evaluated as Terraform would before apply (`eval/`, with the
//! functions of `functions.rs`), and references to other resources' attributes stay references.
//! What is not read: modules from a registry or git (a note; their resources are skipped),
//! `dynamic` blocks, provider-defined functions, IPv6 `cidrsubnet`, and
//! anything known only after apply: each becomes an unknown value with its file and line, and a
//! note. AZ name -> ID maps are not in `.tf` files: providers are read with empty maps.
//!
//! Syntax: HashiCorp's HCL native syntax (github.com/hashicorp/hcl, hclsyntax/spec.md), parsed
//! by the `hcl-edit` crate, which keeps the byte spans the file:line of every value needs.
//! A syntax error, or a local module directory with no `.tf` file, is an error naming the file
//! and line.

mod eval;
mod functions;
mod nesting;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Body, Structure};

use crate::error::{Error, ScenarioError};
use crate::import::ir::{Location, Model, Note, Value};
use eval::{DirConfig, Evaluator, Source, Target, is_local_source, normalize};

/// Largest file read for `file()` / `templatefile()` (configuration files are read whatever
/// their size).
const MAX_DATA_FILE: u64 = 1 << 20;
/// How deep `read` looks under a module directory for files `file()` may name.
const MAX_DATA_DEPTH: usize = 3;

/// Reads the Terraform configuration in `dir`: its `.tf` and `.tfvars` files, the local
/// modules it calls, and the other files under those directories that `file()` or
/// `templatefile()` may name.
pub fn read(dir: &Path) -> Result<Model, Error> {
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut seen_dirs: Vec<PathBuf> = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(module_dir) = pending.pop() {
        let key = normalize(&module_dir);
        if seen_dirs.contains(&key) {
            continue;
        }
        seen_dirs.push(key);
        let first = files.len();
        read_dir_files(&module_dir, 0, &mut files)?;
        if module_dir == dir
            && !files[first..]
                .iter()
                .any(|(p, _)| is_config(p) && p.parent() == Some(dir))
        {
            return Err(Error::Usage(format!(
                "{} holds no .tf file: sim import DIR reads a Terraform configuration's directory",
                dir.display()
            )));
        }
        // Modules called from outside the directories read so far.
        for (path, text) in &files[first..] {
            if !is_config(path) {
                continue;
            }
            let Ok(body) = hcl_edit::parser::parse_body(text) else {
                continue;
            };
            for (_, source) in module_sources(&body) {
                if is_local_source(&source) {
                    let parent = path.parent().unwrap_or(Path::new(""));
                    pending.push(parent.join(source));
                }
            }
        }
    }
    // A module directory under the root was read twice: as data, then as a module.
    let mut seen = std::collections::HashSet::new();
    files.retain(|(path, _)| seen.insert(normalize(path)));
    parse_files(&files)
}

/// Whether a path is a `.tf` file.
fn is_config(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "tf")
}

/// Reads the regular files of `dir` (the root's own first, sorted), then its subdirectories'
/// (not hidden ones such as `.terraform`), to `MAX_DATA_DEPTH`. Files of subdirectories that
/// are not UTF-8 or are large are skipped: they are not configuration.
fn read_dir_files(dir: &Path, depth: usize, out: &mut Vec<(PathBuf, String)>) -> Result<(), Error> {
    let read_error = |source| Error::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_error)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    let mut subdirs = Vec::new();
    for path in entries {
        if path.is_dir() {
            subdirs.push(path);
            continue;
        }
        let configuration = is_config(&path) || path.extension().is_some_and(|e| e == "tfvars");
        if configuration && depth == 0 {
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
            out.push((path, text));
        } else if path.metadata().is_ok_and(|m| m.len() <= MAX_DATA_FILE) {
            if let Ok(text) = std::fs::read_to_string(&path) {
                out.push((path, text));
            }
        }
    }
    if depth < MAX_DATA_DEPTH {
        for subdir in subdirs {
            read_dir_files(&subdir, depth + 1, out)?;
        }
    }
    Ok(())
}

/// The `module` blocks of a body: (name, source) where the source is a literal string.
fn module_sources(body: &Body) -> Vec<(String, String)> {
    body.blocks()
        .filter(|b| b.ident.as_str() == "module" && b.labels.len() == 1)
        .filter_map(|b| {
            let source = b.body.get_attribute("source")?;
            let text = literal_string(&source.value)?;
            Some((b.labels[0].as_str().to_string(), text))
        })
        .collect()
}

fn literal_string(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.to_string()),
        Expression::StringTemplate(t) => {
            let mut text = String::new();
            for element in t.iter() {
                match element {
                    hcl_edit::template::Element::Literal(s) => text.push_str(s.as_str()),
                    _ => return None,
                }
            }
            Some(text)
        }
        _ => None,
    }
}

/// The error for a problem at a place in a `.tf` file.
fn error_at(
    source: &Source,
    offset: usize,
    key_path: &str,
    value: Option<String>,
    message: String,
) -> Error {
    let line = source.line(offset);
    let line_start = source
        .text
        .get(..offset)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |i| i + 1);
    let column = source
        .text
        .get(line_start..offset)
        .map_or(1, |s| s.chars().count() + 1);
    Error::Scenario(vec![ScenarioError {
        file: source.path.display().to_string(),
        line,
        column,
        key_path: key_path.to_string(),
        value,
        message,
        variant: None,
    }])
}

/// Reads a configuration given as files (path, contents), without touching the file system:
/// the root module is the directory of the first `.tf` file; `.tf` files elsewhere are
/// modules when a local `source` names their directory; `terraform.tfvars` and
/// `*.auto.tfvars` of the root directory give variables; any other file is there for `file()`
/// and `templatefile()`.
pub fn parse_files(files: &[(PathBuf, String)]) -> Result<Model, Error> {
    let sources: Vec<Source> = files
        .iter()
        .map(|(path, text)| Source::new(path.clone(), text.clone()))
        .collect();
    let Some(first) = sources.iter().find(|s| is_config(&s.path)) else {
        return Ok(Model::default());
    };
    let root_dir = normalize(first.path.parent().unwrap_or(Path::new("")));
    let mut loader = Loader {
        sources: &sources,
        dirs: Vec::new(),
        targets: Vec::new(),
    };
    let root = loader
        .load(&root_dir)?
        .expect("the root directory holds the first .tf file");
    let given = root_variables(&sources, &root_dir)?;
    let Loader {
        dirs, mut targets, ..
    } = loader;
    let evaluator = Evaluator::new(&sources, &dirs, &mut targets, root, given);
    let (resources, providers, mut notes) = evaluator.run();
    for source in &sources {
        let name = source
            .path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        let dir = normalize(source.path.parent().unwrap_or(Path::new("")));
        if !dirs.iter().any(|d| d.dir == dir) {
            continue;
        }
        let message = if name.ends_with(".tf.json") {
            "Terraform JSON configuration is not read by sim import"
        } else if name == "override.tf" || name.ends_with("_override.tf") {
            "an override file is read as an ordinary file, not merged as Terraform merges it"
        } else {
            continue;
        };
        notes.push(Note {
            at: Some(Location {
                file: source.path.clone(),
                line: 0,
            }),
            message: message.to_string(),
        });
    }
    Ok(Model {
        resources,
        providers,
        notes,
    })
}

/// Parses one source file, or the error naming its file, line and column.
fn parse(source: &Source) -> Result<Body, Error> {
    if let Some(offset) = nesting::too_deep(&source.text, false) {
        return Err(error_at(
            source,
            offset,
            "",
            None,
            format!(
                "parentheses, braces and interpolations nested more than {} deep: sim import does not read it",
                nesting::MAX_NESTING
            ),
        ));
    }
    hcl_edit::parser::parse_body(&source.text).map_err(|e| {
        let location = e.location();
        Error::Scenario(vec![ScenarioError {
            file: source.path.display().to_string(),
            line: location.line(),
            column: location.column(),
            key_path: String::new(),
            value: None,
            message: format!(
                "Terraform syntax error: {}",
                e.message().replace('\n', "; ")
            ),
            variant: None,
        }])
    })
}

/// Parses module directories as calls reach them.
struct Loader<'s> {
    sources: &'s [Source],
    dirs: Vec<DirConfig>,
    /// Per directory: module call name -> where its source points.
    targets: Vec<HashMap<String, Target>>,
}

impl Loader<'_> {
    /// Parses the `.tf` files of `dir` and, recursively, of the local modules they call; the
    /// index of its config, or `None` when `dir` holds no `.tf` file.
    fn load(&mut self, dir: &Path) -> Result<Option<usize>, Error> {
        if let Some(i) = self.dirs.iter().position(|d| d.dir == dir) {
            return Ok(Some(i));
        }
        let mut members: Vec<usize> = (0..self.sources.len())
            .filter(|&i| {
                let path = &self.sources[i].path;
                is_config(path) && normalize(path.parent().unwrap_or(Path::new(""))) == dir
            })
            .collect();
        if members.is_empty() {
            return Ok(None);
        }
        members.sort_by(|&a, &b| self.sources[a].path.cmp(&self.sources[b].path));
        let mut files = Vec::new();
        for i in members {
            files.push((i, parse(&self.sources[i])?));
        }
        let index = self.dirs.len();
        self.dirs.push(DirConfig {
            dir: dir.to_path_buf(),
            files,
        });
        self.targets.push(HashMap::new());
        // Calls, in order; a directory already loaded (or being loaded) is reused.
        let mut calls = Vec::new();
        for (file, body) in &self.dirs[index].files {
            for block in body.iter().filter_map(Structure::as_block) {
                if block.ident.as_str() != "module" || block.labels.len() != 1 {
                    continue;
                }
                let name = block.labels[0].as_str().to_string();
                let source = block.body.get_attribute("source");
                let offset = block.span().map_or(0, |s| s.start);
                let text = source.and_then(|s| literal_string(&s.value));
                calls.push((*file, name, text, offset));
            }
        }
        for (file, name, text, offset) in calls {
            let source = &self.sources[file];
            let target = match text {
                None => {
                    return Err(error_at(
                        source,
                        offset,
                        &format!("module.{name}.source"),
                        None,
                        "a module needs a source that is a literal string".into(),
                    ));
                }
                Some(text) if is_local_source(&text) => {
                    let child_dir = normalize(&dir.join(&text));
                    match self.load(&child_dir)? {
                        Some(child) => Target::Local(child),
                        None => {
                            return Err(error_at(
                                source,
                                offset,
                                &format!("module.{name}.source"),
                                Some(format!("{text:?}")),
                                format!(
                                    "no .tf file in the module directory {}",
                                    child_dir.display()
                                ),
                            ));
                        }
                    }
                }
                Some(text) => Target::Remote(text),
            };
            // A name declared twice keeps its first source (the evaluator notes the second).
            self.targets[index].entry(name).or_insert(target);
        }
        Ok(Some(index))
    }
}

/// The root module's variables from `terraform.tfvars`, then `*.auto.tfvars` in name order
/// (later files win, as in Terraform).
fn root_variables(sources: &[Source], root_dir: &Path) -> Result<HashMap<String, Value>, Error> {
    let mut tfvars: Vec<&Source> = sources
        .iter()
        .filter(|s| {
            let name = s
                .path
                .file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned());
            normalize(s.path.parent().unwrap_or(Path::new(""))) == root_dir
                && (name == "terraform.tfvars" || name.ends_with(".auto.tfvars"))
        })
        .collect();
    tfvars.sort_by_key(|s| (!s.path.ends_with("terraform.tfvars"), s.path.clone()));
    let mut given = HashMap::new();
    for source in tfvars {
        let body = parse(source)?;
        for attribute in body.attributes() {
            let value = constant(&attribute.value).ok_or_else(|| {
                let offset = attribute.span().map_or(0, |s| s.start);
                error_at(
                    source,
                    offset,
                    attribute.key.as_str(),
                    None,
                    "a .tfvars value must be a constant (no references or functions)".into(),
                )
            })?;
            given.insert(attribute.key.as_str().to_string(), value);
        }
    }
    Ok(given)
}

/// A constant expression's value (what `.tfvars` files hold).
fn constant(expr: &Expression) -> Option<Value> {
    Some(match expr {
        Expression::Null(_) => Value::Null,
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => Value::Number(n.as_f64()?),
        Expression::String(_) | Expression::StringTemplate(_) => {
            Value::String(literal_string(expr)?)
        }
        Expression::HeredocTemplate(h) => {
            let mut text = String::new();
            for element in h.template.iter() {
                match element {
                    hcl_edit::template::Element::Literal(s) => text.push_str(s.as_str()),
                    _ => return None,
                }
            }
            Value::String(text)
        }
        Expression::Parenthesis(p) => constant(p.inner())?,
        Expression::Array(a) => Value::List(a.iter().map(constant).collect::<Option<_>>()?),
        Expression::Object(o) => {
            let mut map = std::collections::BTreeMap::new();
            for (key, value) in o.iter() {
                let key = match key {
                    hcl_edit::expr::ObjectKey::Ident(i) => i.as_str().to_string(),
                    hcl_edit::expr::ObjectKey::Expression(e) => match e {
                        Expression::Variable(v) => v.as_str().to_string(),
                        other => literal_string(other)?,
                    },
                };
                map.insert(key, constant(value.expr())?);
            }
            Value::Map(map)
        }
        Expression::UnaryOp(op) if *op.operator.value() == hcl_edit::expr::UnaryOperator::Neg => {
            match constant(&op.expr)? {
                Value::Number(n) => Value::Number(-n),
                _ => return None,
            }
        }
        _ => return None,
    })
}
