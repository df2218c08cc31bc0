//! The catalogue of the model's rules, read from docs/model.md itself: each `### ID Title`
//! heading, the sources its `Source:`/`Sources:` paragraph cites (AWS pages, RFCs, other
//! references) and whether its text states an assumption (`**Assumption:**`, AWS publishes
//! nothing there). docs/model.md is the one home of the rules' words; `sim explain` lists the
//! sources of the rules a trace cites from here, and the tests check that every rule id the
//! code cites exists. Parsed once, at the first look-up.

use std::sync::OnceLock;

/// docs/model.md, as built into the binary.
pub const MODEL: &str = include_str!("../../docs/model.md");

/// The prefixes of rule ids (`AZ-1`, `NLB-17`, ...), in the order of docs/model.md.
pub const PREFIXES: [&str; 14] = [
    "AZ", "NET", "DNS", "CLI", "WL", "SG", "PL", "NLB", "HC", "EV", "CONN", "TIME", "COST", "STAT",
];

/// One rule of docs/model.md.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Its id (`PL-3`).
    pub id: &'static str,
    /// Its title, the rest of its heading.
    pub title: &'static str,
    /// What its `Source:` or `Sources:` paragraph cites, in order (none for a model choice).
    pub sources: Vec<Source>,
    /// Its text states an assumption: something AWS does not publish that `sim` decides.
    pub assumption: bool,
}

/// One reference a rule cites: an address, often with a note (`... (rule 9)`), or a reference
/// without one (glibc's `getaddrinfo.c`).
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// As docs/model.md writes it, on one line.
    pub text: String,
}

/// Who publishes a source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Publisher {
    /// An AWS page (docs.aws.amazon.com, aws.amazon.com, AWS re:Post).
    Aws,
    /// An RFC (rfc-editor.org).
    Rfc,
    /// Anything else: Linux, glibc, Terraform, a specification.
    Other,
}

impl Publisher {
    /// How `sim explain` labels it.
    pub fn label(self) -> &'static str {
        match self {
            Publisher::Aws => "AWS",
            Publisher::Rfc => "RFC",
            Publisher::Other => "other",
        }
    }
}

impl Source {
    /// Its address, when it has one (the first `https://` word, without the note).
    pub fn url(&self) -> Option<&str> {
        let start = self.text.find("https://")?;
        let rest = &self.text[start..];
        Some(rest.split_whitespace().next().unwrap_or(rest))
    }

    /// Who publishes it, by its address's host.
    pub fn publisher(&self) -> Publisher {
        let host = self.url().map(|u| {
            u.trim_start_matches("https://")
                .split('/')
                .next()
                .unwrap_or("")
        });
        match host {
            Some(h) if h == "aws.amazon.com" || h.ends_with(".aws.amazon.com") => Publisher::Aws,
            Some("repost.aws") => Publisher::Aws,
            Some("www.rfc-editor.org") | Some("rfc-editor.org") => Publisher::Rfc,
            _ => Publisher::Other,
        }
    }
}

/// Every rule, in the order of docs/model.md.
pub fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| parse(MODEL))
}

/// The rule with this id, if docs/model.md has it.
pub fn rule(id: &str) -> Option<&'static Rule> {
    rules().iter().find(|r| r.id == id)
}

/// Where in `text` a rule id of one of [`PREFIXES`] starts, and the id: a prefix, `-` and
/// digits, standing as a word (not inside `XNLB-1` or `NLB-1x`).
pub fn ids_in(text: &str) -> Vec<(usize, &str)> {
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_uppercase() && (i == 0 || !word(bytes[i - 1])) {
            let letters = bytes[i..]
                .iter()
                .take_while(|b| b.is_ascii_uppercase())
                .count();
            let dash = i + letters;
            let digits = match bytes.get(dash) {
                Some(b'-') => bytes[dash + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count(),
                _ => 0,
            };
            let end = dash + 1 + digits;
            if digits > 0
                && PREFIXES.contains(&&text[i..dash])
                && bytes.get(end).is_none_or(|&b| !word(b))
            {
                out.push((i, &text[i..end]));
                i = end;
                continue;
            }
            i += letters;
            continue;
        }
        i += 1;
    }
    out
}

/// The rules of a docs/model.md text.
fn parse(text: &'static str) -> Vec<Rule> {
    let mut rules = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(heading) = line.strip_prefix("### ") else {
            continue;
        };
        let (id, title) = heading.split_once(' ').unwrap_or((heading, ""));
        let mut body = Vec::new();
        while let Some(next) = lines.peek() {
            if next.starts_with("## ") || next.starts_with("### ") {
                break;
            }
            body.push(lines.next().unwrap_or_default());
        }
        rules.push(Rule {
            id,
            title: title.trim(),
            sources: sources(&body),
            assumption: body.iter().any(|l| l.contains("**Assumption")),
        });
    }
    rules
}

/// The references of a rule's `Source:` or `Sources:` paragraph (up to a blank line), split at
/// the commas that are outside parentheses and backticks.
fn sources(body: &[&str]) -> Vec<Source> {
    let Some(start) = body
        .iter()
        .position(|l| l.starts_with("Source: ") || l.starts_with("Sources: "))
    else {
        return Vec::new();
    };
    let paragraph: Vec<&str> = body[start..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim())
        .collect();
    let joined = paragraph.join(" ");
    let (_, list) = joined.split_once(": ").unwrap_or(("", &joined));
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut item) = (0i32, false, String::new());
    for ch in list.chars() {
        match ch {
            '`' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(std::mem::take(&mut item));
                continue;
            }
            _ => {}
        }
        item.push(ch);
    }
    out.push(item);
    out.into_iter()
        .map(|s| s.trim().trim_end_matches('.').trim().to_string())
        .filter(|s| !s.is_empty())
        .map(|text| Source { text })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_an_id_of_a_known_prefix_a_title_and_is_listed_once() {
        assert!(rules().len() >= 70, "{}", rules().len());
        for (i, r) in rules().iter().enumerate() {
            assert_eq!(ids_in(r.id), [(0, r.id)], "heading id {:?}", r.id);
            assert!(!r.title.is_empty(), "{} has no title", r.id);
            assert!(
                rules()[..i].iter().all(|other| other.id != r.id),
                "{} twice",
                r.id
            );
        }
    }

    #[test]
    fn sources_are_split_into_references_and_aws_pages_are_recognised() {
        let pl2 = rule("PL-2").expect("PL-2");
        assert_eq!(pl2.title, "The service exists only in its NLBs' zones");
        assert_eq!(pl2.sources.len(), 2);
        assert!(pl2.sources.iter().all(|s| s.publisher() == Publisher::Aws));
        assert_eq!(
            pl2.sources[0].url(),
            Some("https://docs.aws.amazon.com/vpc/latest/privatelink/create-endpoint-service.html")
        );
        // An RFC with its note, and a reference without an address.
        let dns7 = rule("DNS-7").expect("DNS-7");
        assert_eq!(dns7.sources.len(), 2);
        assert_eq!(dns7.sources[0].publisher(), Publisher::Rfc);
        assert_eq!(
            dns7.sources[0].text,
            "https://www.rfc-editor.org/rfc/rfc6724 (rule 9)"
        );
        assert_eq!(dns7.sources[1].url(), None);
        assert_eq!(dns7.sources[1].publisher(), Publisher::Other);
        // Several pages over several lines; a blog on aws.amazon.com is AWS's.
        let cli1 = rule("CLI-1").expect("CLI-1");
        assert_eq!(cli1.sources.len(), 3, "{:?}", cli1.sources);
        let cost = rule("COST-1").expect("COST-1");
        assert_eq!(cost.sources[0].publisher(), Publisher::Aws);
        // Every address is one word, and every AWS host is recognised as AWS.
        for r in rules() {
            for s in &r.sources {
                if let Some(url) = s.url() {
                    assert!(
                        !url.ends_with(',') && !url.ends_with('.'),
                        "{}: {url}",
                        r.id
                    );
                    let aws = url.contains("docs.aws.amazon.com/")
                        || url.starts_with("https://aws.amazon.com/")
                        || url.starts_with("https://repost.aws/");
                    assert_eq!(s.publisher() == Publisher::Aws, aws, "{}: {url}", r.id);
                }
            }
        }
        // A model choice cites nothing.
        assert!(rule("WL-1").expect("WL-1").sources.is_empty());
    }

    #[test]
    fn assumptions_are_read_from_the_rules_text() {
        for id in [
            "NLB-7", "NLB-8", "DNS-5", "CLI-1", "HC-2", "HC-5", "PL-10", "TIME-1",
        ] {
            assert!(rule(id).expect(id).assumption, "{id}");
        }
        for id in ["PL-2", "NLB-2", "WL-1", "DNS-6"] {
            assert!(!rule(id).expect(id).assumption, "{id}");
        }
    }

    #[test]
    fn ids_stand_as_words() {
        let found: Vec<&str> =
            ids_in("PL-3, AZ-2 (NLB-17); XNLB-1 NLB-1x use1-az1 TCP-80 EV- HC-5 AZ")
                .into_iter()
                .map(|(_, id)| id)
                .collect();
        assert_eq!(found, ["PL-3", "AZ-2", "NLB-17", "HC-5"]);
    }

    /// Every rule id cited anywhere in src/ (code, comments, messages) is a rule of
    /// docs/model.md.
    #[test]
    fn every_rule_id_the_code_cites_is_in_the_catalogue() {
        fn walk(dir: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).expect("src/ readable") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    walk(&path, files);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        assert!(files.len() > 50);
        let mut cited = 0;
        let mut missing = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file");
            for (_, id) in ids_in(&text) {
                cited += 1;
                if rule(id).is_none() {
                    missing.push(format!("{}: {id}", file.display()));
                }
            }
        }
        assert!(cited > 500, "{cited}");
        assert!(missing.is_empty(), "ids not in docs/model.md: {missing:#?}");
    }
}
