//! Line numbers: where a JSON pointer lies in a template's text, and where a setting lies in an
//! estate file (JSON or YAML), so findings point at lines.

use std::collections::BTreeMap;

/// The line (1-based) of every value in a JSON text, by lower-case JSON pointer. For members
/// of an object, the line of the key.
pub fn json_lines(text: &str) -> BTreeMap<String, u32> {
    struct S<'a> {
        b: &'a [u8],
        i: usize,
        line: u32,
        out: BTreeMap<String, u32>,
    }
    impl S<'_> {
        fn ws(&mut self) {
            while let Some(&c) = self.b.get(self.i) {
                if c == b'\n' {
                    self.line += 1;
                } else if !c.is_ascii_whitespace() {
                    break;
                }
                self.i += 1;
            }
        }
        fn string(&mut self) -> Option<String> {
            // at '"'
            self.i += 1;
            let start = self.i;
            while let Some(&c) = self.b.get(self.i) {
                match c {
                    b'\\' => self.i += 2,
                    b'"' => {
                        let s = String::from_utf8_lossy(&self.b[start..self.i]).into_owned();
                        self.i += 1;
                        return Some(s);
                    }
                    b'\n' => {
                        self.line += 1;
                        self.i += 1;
                    }
                    _ => self.i += 1,
                }
            }
            None
        }
        fn value(&mut self, ptr: &str, depth: u32) -> Option<()> {
            if depth > 256 {
                return None;
            }
            self.ws();
            self.out.entry(ptr.to_string()).or_insert(self.line);
            match *self.b.get(self.i)? {
                b'{' => {
                    self.i += 1;
                    loop {
                        self.ws();
                        match *self.b.get(self.i)? {
                            b'}' => {
                                self.i += 1;
                                return Some(());
                            }
                            b',' => self.i += 1,
                            b'"' => {
                                let line = self.line;
                                let key = self.string()?;
                                let child = format!(
                                    "{ptr}/{}",
                                    key.to_ascii_lowercase()
                                        .replace('~', "~0")
                                        .replace('/', "~1")
                                );
                                self.out.entry(child.clone()).or_insert(line);
                                self.ws();
                                if self.b.get(self.i) != Some(&b':') {
                                    return None;
                                }
                                self.i += 1;
                                let before = self.out.get(&child).copied();
                                self.value(&child, depth + 1)?;
                                if let Some(l) = before {
                                    self.out.insert(child, l);
                                }
                            }
                            _ => return None,
                        }
                    }
                }
                b'[' => {
                    self.i += 1;
                    let mut n = 0usize;
                    loop {
                        self.ws();
                        match *self.b.get(self.i)? {
                            b']' => {
                                self.i += 1;
                                return Some(());
                            }
                            b',' => self.i += 1,
                            _ => {
                                self.value(&format!("{ptr}/{n}"), depth + 1)?;
                                n += 1;
                            }
                        }
                    }
                }
                b'"' => self.string().map(|_| ()),
                _ => {
                    while let Some(&c) = self.b.get(self.i) {
                        if c == b',' || c == b'}' || c == b']' || c.is_ascii_whitespace() {
                            break;
                        }
                        self.i += 1;
                    }
                    Some(())
                }
            }
        }
    }
    let mut s = S {
        b: text.as_bytes(),
        i: 0,
        line: 1,
        out: BTreeMap::new(),
    };
    let _ = s.value("", 0);
    s.out
}

/// The line of the setting at a JSON pointer pattern (`*` matches any key) in an estate file,
/// JSON or YAML, by scanning for its keys in order. Returns the line and how many segments were
/// found.
pub fn estate_line(text: &str, pattern: &str) -> Option<(u32, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut at = 0usize;
    let mut found = None;
    let mut matched = 0usize;
    for seg in pattern.split('/').filter(|s| !s.is_empty()) {
        if seg == "*" {
            matched += 1;
            continue;
        }
        let quoted = format!("\"{seg}\"");
        let hit = (at..lines.len()).find(|&i| {
            let l = lines[i].trim_start();
            let l = l.strip_prefix("- ").unwrap_or(l);
            (l.starts_with(&quoted) && l[quoted.len()..].trim_start().starts_with(':'))
                || (l.starts_with(seg) && l[seg.len()..].starts_with(':'))
        });
        match hit {
            Some(i) => {
                at = i + 1;
                matched += 1;
                found = Some(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
            None => break,
        }
    }
    found.map(|l| (l, matched))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn lines_of_pointers() {
        let text = "{\n  \"a\": {\n    \"b\": [\n      1,\n      {\"c\": true}\n    ]\n  }\n}\n";
        let l = json_lines(text);
        assert_eq!(l.get("/a"), Some(&2));
        assert_eq!(l.get("/a/b/0"), Some(&4));
        assert_eq!(l.get("/a/b/1/c"), Some(&5));
    }

    #[test]
    fn estate_keys_are_found_in_order() {
        let text = "{\n  \"extends\": \"prod\",\n  \"spokes\": {\n    \"prod\": {\n      \"cluster\": {\n        \"apiServer\": {\n          \"private\": false\n        }\n      }\n    }\n  }\n}\n";
        assert_eq!(
            estate_line(text, "/spokes/*/cluster/apiServer/private"),
            Some((7, 5))
        );
        let yaml = "extends: prod\nspokes:\n  prod:\n    cluster:\n      apiServer:\n        private: false\n";
        assert_eq!(
            estate_line(yaml, "/spokes/*/cluster/apiServer/private"),
            Some((6, 5))
        );
    }
}
