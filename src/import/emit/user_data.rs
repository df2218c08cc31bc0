//! An instance's `user_data` read as the web server it starts, where it is a simple shell
//! script: `python3 -m http.server [PORT]` (8000 when no port), `httpd`, `nginx` or `apache2`
//! (port 80), `busybox httpd -p PORT`; the body from `echo "..." > .../index.html` or a
//! `cat > .../index.html <<EOF` here-document. Anything else (a cloud-init YAML, a script that
//! downloads its site) is not recognised: the caller leaves a `# TODO`.

/// The server a script starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebServer {
    /// The port it listens on.
    pub port: u16,
    /// What it answers, when the script writes it.
    pub body: Option<String>,
}

/// The web server `script` starts, if it is a script sim recognises.
pub fn web_server(script: &str) -> Option<WebServer> {
    let mut port = None;
    let mut body = None;
    let lines: Vec<&str> = script.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        i += 1;
        if line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some(at) = words.iter().position(|w| *w == "http.server") {
            let given = words.get(at + 1).and_then(|w| w.parse::<u16>().ok());
            port = Some(given.unwrap_or(8000));
        } else if let Some(at) = words.iter().position(|w| *w == "httpd") {
            let given = words
                .iter()
                .skip(at)
                .position(|w| *w == "-p")
                .and_then(|p| words.get(at + p + 1))
                .and_then(|w| w.rsplit(':').next())
                .and_then(|w| w.parse::<u16>().ok());
            port = port.or(Some(given.unwrap_or(80)));
        } else if words
            .iter()
            .any(|w| matches!(*w, "nginx" | "apache2" | "httpd.service" | "nginx.service"))
        {
            port = port.or(Some(80));
        }
        if !writes_index(line) {
            continue;
        }
        if let Some(rest) = line.strip_prefix("echo ") {
            let before = rest.split('>').next().unwrap_or("").trim();
            body = Some(unquote(before));
        } else if line.starts_with("cat") && line.contains("<<") {
            let tag = line
                .split("<<")
                .nth(1)
                .unwrap_or("")
                .trim()
                .trim_start_matches('-')
                .trim_matches(['\'', '"'])
                .to_string();
            let mut text = Vec::new();
            while i < lines.len() && lines[i].trim() != tag {
                text.push(lines[i]);
                i += 1;
            }
            i += 1;
            body = Some(text.join("\n"));
        }
    }
    port.map(|port| WebServer { port, body })
}

/// Standard base64 (`user_data_base64`), as UTF-8 text; `None` for anything else.
pub fn base64_decode(encoded: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(encoded.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in encoded.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    String::from_utf8(bytes).ok()
}

/// Whether a line writes a site's index page.
fn writes_index(line: &str) -> bool {
    line.contains('>') && line.contains("index.html")
}

fn unquote(text: &str) -> String {
    let t = text.trim();
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return t[1..t.len() - 1].to_string();
        }
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_http_server_with_echo() {
        let script = "#!/bin/bash\nmkdir -p /srv && cd /srv\necho \"Hello from Provider VPC on Subnet 1\" > index.html\nnohup python3 -m http.server 80 &\n";
        assert_eq!(
            web_server(script),
            Some(WebServer {
                port: 80,
                body: Some("Hello from Provider VPC on Subnet 1".into())
            })
        );
    }

    #[test]
    fn httpd_defaults_to_80_and_here_document_body() {
        let script = "yum install -y httpd\nsystemctl start httpd\ncat > /var/www/html/index.html <<EOF\n<h1>web 2</h1>\nEOF\n";
        assert_eq!(
            web_server(script),
            Some(WebServer {
                port: 80,
                body: Some("<h1>web 2</h1>".into())
            })
        );
    }

    #[test]
    fn python_without_port_listens_on_8000_and_busybox_port() {
        assert_eq!(web_server("python3 -m http.server").unwrap().port, 8000);
        assert_eq!(web_server("busybox httpd -f -p 8080").unwrap().port, 8080);
    }

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64_decode("aGVsbG8=").as_deref(), Some("hello"));
        assert_eq!(base64_decode("aGVsbG8h").as_deref(), Some("hello!"));
        assert_eq!(base64_decode("aGk\n").as_deref(), Some("hi"));
        assert_eq!(base64_decode("a*b"), None);
    }

    #[test]
    fn a_script_without_a_server_is_none() {
        assert_eq!(web_server("#!/bin/sh\necho hi > /tmp/x\n"), None);
    }
}
