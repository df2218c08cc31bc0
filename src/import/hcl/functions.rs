//! The Terraform functions `sim import DIR` evaluates, on values it knows: the ones network
//! configurations use (`length`, `cidrsubnet`, `cidrhost`, `element`, `tolist`, `toset`,
//! `concat`, `format`, `lookup`, `merge`, `join`, `keys`, `values`, `range`, ...), each as the
//! Terraform documentation defines it. `cidrsubnet` and `cidrhost` follow Terraform's IPv4
//! arithmetic exactly (the prefix's host bits cleared, the new number placed after the prefix,
//! numbers that do not fit refused); IPv6 is not evaluated. `file` and `templatefile` read the
//! sources and live with the evaluator. A function not listed here, or one whose operands are
//! not known, gives a [`Fail`] that the evaluator turns into an unknown value with a note.

use std::collections::BTreeMap;

use crate::import::ir::Value;

/// Why a value could not be computed.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Fail {
    /// An operand was already unknown (and noted where it became so).
    Unknown,
    /// An operand is an attribute known only after apply (the reference, as text).
    AfterApply(String),
    /// The operation itself cannot be evaluated here, in words.
    Invalid(String),
}

/// The most elements a computed collection may have (`range`, `count`): beyond it the value is
/// left unknown rather than built.
pub(super) const MAX_ELEMENTS: usize = 4096;

/// How a value that must be known is missing, or `None` when it is known.
fn pending(value: &Value) -> Option<Fail> {
    match value {
        Value::Unknown { .. } => Some(Fail::Unknown),
        Value::Ref { to, attribute } => Some(Fail::AfterApply(ref_text(to, attribute))),
        _ => None,
    }
}

/// `aws_vpc.this.id`: a reference as Terraform writes it.
pub(super) fn ref_text(to: &crate::import::ir::Address, attribute: &str) -> String {
    if attribute.is_empty() {
        to.to_string()
    } else if attribute.starts_with('[') {
        format!("{to}{attribute}")
    } else {
        format!("{to}.{attribute}")
    }
}

/// Terraform's name for a value's type, for messages.
pub(super) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "list",
        Value::Map(_) => "object",
        Value::Ref { .. } => "reference",
        Value::Unknown { .. } => "unknown value",
    }
}

/// A number as Terraform prints it: integers without a decimal point.
pub(super) fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A primitive value as a string (Terraform's automatic conversion).
pub(super) fn to_string(value: &Value) -> Result<String, Fail> {
    if let Some(fail) = pending(value) {
        return Err(fail);
    }
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(number_text(*n)),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err(Fail::Invalid(
            "a null value cannot be used as a string".into(),
        )),
        other => Err(Fail::Invalid(format!(
            "a {} cannot be used as a string",
            type_name(other)
        ))),
    }
}

/// A value as a number (strings holding a number convert, as in Terraform).
pub(super) fn to_number(value: &Value) -> Result<f64, Fail> {
    if let Some(fail) = pending(value) {
        return Err(fail);
    }
    match value {
        Value::Number(n) => Ok(*n),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| Fail::Invalid(format!("{s:?} is not a number"))),
        other => Err(Fail::Invalid(format!(
            "a {} is not a number",
            type_name(other)
        ))),
    }
}

/// A value as a whole number in `i64` range.
pub(super) fn to_integer(value: &Value) -> Result<i64, Fail> {
    let n = to_number(value)?;
    if n.fract() != 0.0 || n.abs() > 9.0e15 {
        return Err(Fail::Invalid(format!(
            "{} is not a whole number",
            number_text(n)
        )));
    }
    Ok(n as i64)
}

/// A value as a bool (`"true"` / `"false"` convert).
pub(super) fn to_bool(value: &Value) -> Result<bool, Fail> {
    if let Some(fail) = pending(value) {
        return Err(fail);
    }
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        other => Err(Fail::Invalid(format!(
            "a {} is not a bool",
            type_name(other)
        ))),
    }
}

/// A list, set or tuple.
fn to_list(value: &Value) -> Result<&[Value], Fail> {
    if let Some(fail) = pending(value) {
        return Err(fail);
    }
    match value {
        Value::List(items) => Ok(items),
        other => Err(Fail::Invalid(format!(
            "a {} is not a list",
            type_name(other)
        ))),
    }
}

/// A map or object.
fn to_map(value: &Value) -> Result<&BTreeMap<String, Value>, Fail> {
    if let Some(fail) = pending(value) {
        return Err(fail);
    }
    match value {
        Value::Map(map) => Ok(map),
        other => Err(Fail::Invalid(format!(
            "a {} is not a map",
            type_name(other)
        ))),
    }
}

/// Whether two values are equal, when both are known well enough to tell.
pub(super) fn equal(a: &Value, b: &Value) -> Result<bool, Fail> {
    if let Some(fail) = pending(a).or_else(|| pending(b)) {
        return Err(fail);
    }
    match (a, b) {
        (Value::List(x), Value::List(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(y) {
                if !equal(p, q)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.len() != y.len() || x.keys().ne(y.keys()) {
                return Ok(false);
            }
            for (p, q) in x.values().zip(y.values()) {
                if !equal(p, q)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        _ => Ok(a == b),
    }
}

/// A set of strings or numbers as Terraform keeps it: distinct elements, sorted (strings
/// lexically, as `toset` of strings prints).
pub(super) fn to_set(items: &[Value]) -> Result<Vec<Value>, Fail> {
    let mut out = distinct(items)?;
    if out.iter().all(|v| matches!(v, Value::String(_))) {
        out.sort_by(|a, b| match (a, b) {
            (Value::String(x), Value::String(y)) => x.cmp(y),
            _ => std::cmp::Ordering::Equal,
        });
    } else if out.iter().all(|v| matches!(v, Value::Number(_))) {
        out.sort_by(|a, b| match (a, b) {
            (Value::Number(x), Value::Number(y)) => x.total_cmp(y),
            _ => std::cmp::Ordering::Equal,
        });
    }
    Ok(out)
}

/// The most structured values (lists, maps) compared pairwise to remove duplicates.
const MAX_PAIRWISE: usize = 512;

/// The distinct elements of a list, first occurrences in order: primitives through a hash set,
/// lists and maps pairwise (a few hundred at most).
fn distinct(items: &[Value]) -> Result<Vec<Value>, Fail> {
    let mut seen_primitives = std::collections::HashSet::new();
    let mut structured: Vec<&Value> = Vec::new();
    let mut out: Vec<Value> = Vec::new();
    for item in items {
        if let Some(fail) = pending(item) {
            return Err(fail);
        }
        let key = match item {
            Value::Null => Some("n".to_string()),
            Value::Bool(b) => Some(format!("b{b}")),
            Value::Number(n) => Some(format!("#{}", n.to_bits())),
            Value::String(s) => Some(format!("s{s}")),
            _ => None,
        };
        let fresh = match key {
            Some(key) => seen_primitives.insert(key),
            None => {
                if structured.len() == MAX_PAIRWISE {
                    return Err(Fail::Invalid(format!(
                        "more than {MAX_PAIRWISE} lists or maps to compare"
                    )));
                }
                let mut fresh = true;
                for kept in &structured {
                    if equal(kept, item)? {
                        fresh = false;
                        break;
                    }
                }
                if fresh {
                    structured.push(item);
                }
                fresh
            }
        };
        if fresh {
            out.push(item.clone());
        }
    }
    Ok(out)
}

fn arity(name: &str, args: &[Value], min: usize, max: usize) -> Result<(), Fail> {
    if args.len() < min || args.len() > max {
        let wanted = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(Fail::Invalid(format!(
            "{name} takes {wanted} arguments, given {}",
            args.len()
        )));
    }
    Ok(())
}

/// Calls the function `name` on evaluated arguments.
pub(super) fn call(name: &str, args: &[Value]) -> Result<Value, Fail> {
    match name {
        "length" => {
            arity(name, args, 1, 1)?;
            if let Some(fail) = pending(&args[0]) {
                return Err(fail);
            }
            match &args[0] {
                Value::List(items) => Ok(Value::Number(items.len() as f64)),
                Value::Map(map) => Ok(Value::Number(map.len() as f64)),
                Value::String(s) => Ok(Value::Number(s.chars().count() as f64)),
                other => Err(Fail::Invalid(format!(
                    "length of a {} is not defined",
                    type_name(other)
                ))),
            }
        }
        "cidrsubnet" => {
            arity(name, args, 3, 3)?;
            let prefix = to_string(&args[0])?;
            let newbits = to_integer(&args[1])?;
            let netnum = to_integer(&args[2])?;
            cidrsubnet(&prefix, newbits, netnum).map(Value::String)
        }
        "cidrhost" => {
            arity(name, args, 2, 2)?;
            let prefix = to_string(&args[0])?;
            let hostnum = to_integer(&args[1])?;
            cidrhost(&prefix, hostnum).map(Value::String)
        }
        "cidrnetmask" => {
            arity(name, args, 1, 1)?;
            let (_, len) = parse_cidr(&to_string(&args[0])?)?;
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            Ok(Value::String(ipv4_text(mask)))
        }
        "element" => {
            arity(name, args, 2, 2)?;
            let items = to_list(&args[0])?;
            let index = to_integer(&args[1])?;
            if items.is_empty() {
                return Err(Fail::Invalid("element of an empty list".into()));
            }
            if index < 0 {
                return Err(Fail::Invalid("element index must not be negative".into()));
            }
            Ok(items[(index as usize) % items.len()].clone())
        }
        "tolist" => {
            arity(name, args, 1, 1)?;
            Ok(Value::List(to_list(&args[0])?.to_vec()))
        }
        "toset" => {
            arity(name, args, 1, 1)?;
            Ok(Value::List(to_set(to_list(&args[0])?)?))
        }
        "tomap" => {
            arity(name, args, 1, 1)?;
            Ok(Value::Map(to_map(&args[0])?.clone()))
        }
        "tostring" => {
            arity(name, args, 1, 1)?;
            match &args[0] {
                Value::Null => Ok(Value::Null),
                other => to_string(other).map(Value::String),
            }
        }
        "tonumber" => {
            arity(name, args, 1, 1)?;
            match &args[0] {
                Value::Null => Ok(Value::Null),
                other => to_number(other).map(Value::Number),
            }
        }
        "tobool" => {
            arity(name, args, 1, 1)?;
            match &args[0] {
                Value::Null => Ok(Value::Null),
                other => to_bool(other).map(Value::Bool),
            }
        }
        "concat" => {
            let mut out = Vec::new();
            for arg in args {
                out.extend(to_list(arg)?.iter().cloned());
            }
            Ok(Value::List(out))
        }
        "flatten" => {
            arity(name, args, 1, 1)?;
            let mut out = Vec::new();
            flatten_into(to_list(&args[0])?, &mut out, 0)?;
            Ok(Value::List(out))
        }
        "distinct" => {
            arity(name, args, 1, 1)?;
            Ok(Value::List(distinct(to_list(&args[0])?)?))
        }
        "contains" => {
            arity(name, args, 2, 2)?;
            for item in to_list(&args[0])? {
                if equal(item, &args[1])? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        "index" => {
            arity(name, args, 2, 2)?;
            for (i, item) in to_list(&args[0])?.iter().enumerate() {
                if equal(item, &args[1])? {
                    return Ok(Value::Number(i as f64));
                }
            }
            Err(Fail::Invalid("index: the value is not in the list".into()))
        }
        "format" => {
            if args.is_empty() {
                return Err(Fail::Invalid("format needs a format string".into()));
            }
            let spec = to_string(&args[0])?;
            format(&spec, &args[1..]).map(Value::String)
        }
        "join" => {
            arity(name, args, 2, 2)?;
            let separator = to_string(&args[0])?;
            let mut parts = Vec::new();
            for item in to_list(&args[1])? {
                parts.push(to_string(item)?);
            }
            Ok(Value::String(parts.join(&separator)))
        }
        "split" => {
            arity(name, args, 2, 2)?;
            let separator = to_string(&args[0])?;
            let text = to_string(&args[1])?;
            if separator.is_empty() {
                return Err(Fail::Invalid("split on an empty separator".into()));
            }
            Ok(Value::List(
                text.split(separator.as_str())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            ))
        }
        "upper" | "lower" | "trimspace" => {
            arity(name, args, 1, 1)?;
            let text = to_string(&args[0])?;
            Ok(Value::String(match name {
                "upper" => text.to_uppercase(),
                "lower" => text.to_lowercase(),
                _ => text.trim().to_string(),
            }))
        }
        "replace" => {
            arity(name, args, 3, 3)?;
            let text = to_string(&args[0])?;
            let from = to_string(&args[1])?;
            let to = to_string(&args[2])?;
            if from.starts_with('/') && from.ends_with('/') && from.len() > 1 {
                return Err(Fail::Invalid("replace with a regular expression".into()));
            }
            if from.is_empty() {
                return Err(Fail::Invalid("replace of an empty string".into()));
            }
            Ok(Value::String(text.replace(&from, &to)))
        }
        "lookup" => {
            arity(name, args, 2, 3)?;
            let map = to_map(&args[0])?;
            let key = to_string(&args[1])?;
            match (map.get(&key), args.get(2)) {
                (Some(value), _) => Ok(value.clone()),
                (None, Some(default)) => Ok(default.clone()),
                (None, None) => Err(Fail::Invalid(format!("lookup: no key {key:?} in the map"))),
            }
        }
        "merge" => {
            let mut out = BTreeMap::new();
            for arg in args {
                if *arg == Value::Null {
                    continue;
                }
                for (k, v) in to_map(arg)? {
                    out.insert(k.clone(), v.clone());
                }
            }
            Ok(Value::Map(out))
        }
        "keys" => {
            arity(name, args, 1, 1)?;
            Ok(Value::List(
                to_map(&args[0])?
                    .keys()
                    .map(|k| Value::String(k.clone()))
                    .collect(),
            ))
        }
        "values" => {
            arity(name, args, 1, 1)?;
            Ok(Value::List(to_map(&args[0])?.values().cloned().collect()))
        }
        "zipmap" => {
            arity(name, args, 2, 2)?;
            let keys = to_list(&args[0])?;
            let values = to_list(&args[1])?;
            if keys.len() != values.len() {
                return Err(Fail::Invalid("zipmap of lists of different lengths".into()));
            }
            let mut out = BTreeMap::new();
            for (k, v) in keys.iter().zip(values) {
                out.insert(to_string(k)?, v.clone());
            }
            Ok(Value::Map(out))
        }
        "range" => {
            arity(name, args, 1, 3)?;
            let numbers: Vec<f64> = args.iter().map(to_number).collect::<Result<_, _>>()?;
            let (start, end, step) = match numbers.as_slice() {
                [end] => (0.0, *end, 1.0),
                [start, end] => (*start, *end, if end >= start { 1.0 } else { -1.0 }),
                [start, end, step] => (*start, *end, *step),
                _ => unreachable!("arity checked"),
            };
            if step == 0.0 || (step > 0.0) != (end >= start) && start != end {
                return Err(Fail::Invalid(
                    "range: the step does not reach the end".into(),
                ));
            }
            let mut out = Vec::new();
            let mut x = start;
            while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
                if out.len() == MAX_ELEMENTS {
                    return Err(Fail::Invalid(format!(
                        "range of more than {MAX_ELEMENTS} elements"
                    )));
                }
                out.push(Value::Number(x));
                x += step;
            }
            Ok(Value::List(out))
        }
        "min" | "max" => {
            if args.is_empty() {
                return Err(Fail::Invalid(format!("{name} needs at least one number")));
            }
            let mut best = to_number(&args[0])?;
            for arg in &args[1..] {
                let n = to_number(arg)?;
                best = if name == "min" {
                    best.min(n)
                } else {
                    best.max(n)
                };
            }
            Ok(Value::Number(best))
        }
        "abs" | "floor" | "ceil" => {
            arity(name, args, 1, 1)?;
            let n = to_number(&args[0])?;
            Ok(Value::Number(match name {
                "abs" => n.abs(),
                "floor" => n.floor(),
                _ => n.ceil(),
            }))
        }
        "coalesce" => {
            for arg in args {
                if let Some(fail) = pending(arg) {
                    return Err(fail);
                }
                match arg {
                    Value::Null => {}
                    Value::String(s) if s.is_empty() => {}
                    other => return Ok(other.clone()),
                }
            }
            Err(Fail::Invalid("coalesce: no non-null argument".into()))
        }
        _ => Err(Fail::Invalid(format!(
            "function {name} is not evaluated by sim import"
        ))),
    }
}

fn flatten_into(items: &[Value], out: &mut Vec<Value>, depth: usize) -> Result<(), Fail> {
    for item in items {
        if let Some(fail) = pending(item) {
            return Err(fail);
        }
        match item {
            Value::List(inner) if depth < 64 => flatten_into(inner, out, depth + 1)?,
            Value::List(_) => return Err(Fail::Invalid("flatten: too deeply nested".into())),
            other => out.push(other.clone()),
        }
    }
    Ok(())
}

/// `format` with the verbs configurations use: `%s`, `%d`, `%v` and `%%`.
fn format(spec: &str, args: &[Value]) -> Result<String, Fail> {
    let mut out = String::new();
    let mut next = 0;
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let verb = chars
            .next()
            .ok_or_else(|| Fail::Invalid("format: a lone % at the end".into()))?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = args
            .get(next)
            .ok_or_else(|| Fail::Invalid("format: too few arguments".into()))?;
        next += 1;
        match verb {
            's' | 'v' => out.push_str(&to_string(arg)?),
            'd' => out.push_str(&to_integer(arg)?.to_string()),
            other => {
                return Err(Fail::Invalid(format!(
                    "format verb %{other} is not evaluated"
                )));
            }
        }
    }
    if next != args.len() {
        return Err(Fail::Invalid("format: too many arguments".into()));
    }
    Ok(out)
}

/// `10.11.0.0/24` -> (network address with host bits cleared, prefix length), as Go's
/// `net.ParseCIDR` (which Terraform uses) reads it.
fn parse_cidr(text: &str) -> Result<(u32, u32), Fail> {
    let bad = || Fail::Invalid(format!("{text:?} is not an IPv4 CIDR prefix"));
    if text.contains(':') {
        return Err(Fail::Invalid(format!(
            "{text:?}: IPv6 prefixes are not evaluated by sim import"
        )));
    }
    let (address, len) = text.split_once('/').ok_or_else(bad)?;
    let len: u32 = len.parse().map_err(|_| bad())?;
    if len > 32 || len.to_string() != text.split_once('/').map_or("", |p| p.1) {
        return Err(bad());
    }
    let mut octets = [0u32; 4];
    let mut count = 0;
    for part in address.split('.') {
        if count == 4
            || part.is_empty()
            || part.len() > 3
            || !part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        // Go rejects leading zeros (they would read as octal elsewhere).
        if part.len() > 1 && part.starts_with('0') {
            return Err(bad());
        }
        let octet: u32 = part.parse().map_err(|_| bad())?;
        if octet > 255 {
            return Err(bad());
        }
        octets[count] = octet;
        count += 1;
    }
    if count != 4 {
        return Err(bad());
    }
    let address = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3];
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Ok((address & mask, len))
}

fn ipv4_text(address: u32) -> String {
    format!(
        "{}.{}.{}.{}",
        address >> 24,
        (address >> 16) & 0xff,
        (address >> 8) & 0xff,
        address & 0xff
    )
}

/// Terraform's `cidrsubnet(prefix, newbits, netnum)` for IPv4: the prefix extended by `newbits`
/// bits holding `netnum`.
pub(super) fn cidrsubnet(prefix: &str, newbits: i64, netnum: i64) -> Result<String, Fail> {
    let (network, len) = parse_cidr(prefix)?;
    if newbits < 0 {
        return Err(Fail::Invalid(
            "cidrsubnet: newbits must not be negative".into(),
        ));
    }
    if netnum < 0 {
        return Err(Fail::Invalid(
            "cidrsubnet: netnum must not be negative".into(),
        ));
    }
    let new_len = i64::from(len) + newbits;
    if new_len > 32 {
        return Err(Fail::Invalid(format!(
            "cidrsubnet: insufficient address space to extend prefix of {len} by {newbits}"
        )));
    }
    if newbits < 63 && netnum >= (1i64 << newbits) {
        return Err(Fail::Invalid(format!(
            "cidrsubnet: prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
        )));
    }
    let new_len = new_len as u32;
    let shifted = if new_len == 32 {
        netnum as u32
    } else {
        (netnum as u32) << (32 - new_len)
    };
    Ok(format!("{}/{new_len}", ipv4_text(network | shifted)))
}

/// Terraform's `cidrhost(prefix, hostnum)` for IPv4: the host numbered `hostnum` in the prefix
/// (negative numbers count back from the end).
pub(super) fn cidrhost(prefix: &str, hostnum: i64) -> Result<String, Fail> {
    let (network, len) = parse_cidr(prefix)?;
    let size = 1i64 << (32 - len);
    let host = if hostnum < 0 { size + hostnum } else { hostnum };
    if host < 0 || host >= size {
        return Err(Fail::Invalid(format!(
            "cidrhost: prefix of {len} bits has no host numbered {hostnum}"
        )));
    }
    Ok(ipv4_text(network | host as u32))
}
