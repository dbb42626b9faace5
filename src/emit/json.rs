//! The JSON printer behind [`super::pretty`]: serde_json's pretty format (two-space indentation,
//! `": "` between key and value, `[]` and `{}` for empty containers, serde_json's string escapes)
//! written straight into one `String`, without going through a `Serializer` and its `io::Write`.

use serde_json::Value;
use std::fmt::Write as _;

const SPACES: &str = "                                                                ";

/// Two spaces per level.
pub(crate) fn indent(out: &mut String, depth: usize) {
    let mut n = depth * 2;
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

/// `v` at nesting `depth`; the caller has written the indentation of its first line.
pub(crate) fn value(out: &mut String, v: &Value, depth: usize) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // `Number`'s `Display` is the serializer's spelling (itoa for integers, ryu for floats).
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) => string(out, s),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                value(out, x, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        Value::Object(m) if m.is_empty() => out.push_str("{}"),
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                indent(out, depth + 1);
                string(out, k);
                out.push_str(": ");
                value(out, x, depth + 1);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
    }
}

/// What a byte becomes inside a JSON string: 0 as is, `u` as `\u00xx`, else `\` and that byte.
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Whether any of the eight bytes of `w` is a control character, `"` or `\\`: the classic
/// "has a byte less than n" and "has a zero byte" word tricks, exact for the question "any".
fn needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    control | zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\'))) != 0
}

/// A JSON string literal with serde_json's escapes: `\"`, `\\`, the short forms `\b \f \n \r \t`
/// and `\u00xx` (lower-case hex) for the other control characters; everything else as is.
pub(crate) fn string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Eight bytes at a time while none of them needs escaping.
        if let Some(Ok(chunk)) = bytes.get(i..i + 8).map(<[u8; 8]>::try_from) {
            if !needs_escape(u64::from_le_bytes(chunk)) {
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        let e = ESCAPE[usize::from(b)];
        if e == 0 {
            i += 1;
            continue;
        }
        // Every byte escaped is ASCII, so `start..i` falls on character boundaries.
        out.push_str(&s[start..i]);
        out.push('\\');
        if e == b'u' {
            out.push_str("u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push(char::from(e));
        }
        i += 1;
        start = i;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    fn serde(v: &Value) -> String {
        let mut s = serde_json::to_string_pretty(v).unwrap();
        s.push('\n');
        s
    }

    #[test]
    fn prints_what_serde_json_prints() {
        let every_control: String = (0u8..0x20).map(char::from).collect();
        let deep = (0..40).fold(json!("leaf"), |v, i| json!({ format!("k{i}"): [v] }));
        for v in [
            json!(null),
            json!(true),
            json!("plain"),
            json!(-12),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(1.5),
            json!(1e300),
            json!(0.1),
            json!([]),
            json!({}),
            json!([[], {}, [[]], {"a": {}}]),
            json!({
                "quote\"back\\slash": "tab\tnew\nline\rcr\u{8}\u{c}\u{7f}",
                "controls": every_control,
                "unicode": "é ü 中 😀 \u{2028}",
                "slash": "a/b</script>",
                "": "",
                "nested": { "list": [1, "two", null, false, { "x": [] }] },
            }),
            deep,
        ] {
            assert_eq!(super::super::pretty(&v), serde(&v), "{v}");
        }
    }

    #[test]
    fn long_strings_escape_at_every_offset() {
        // Each escaped character at every position of strings longer than a word, among ASCII
        // and multi-byte characters, so the word-at-a-time scan is checked at every alignment.
        for special in ['"', '\\', '\n', '\u{1}', '\u{1f}', ' ', '\u{7f}', 'é', '中'] {
            for len in [7, 8, 9, 16, 17, 31] {
                for at in 0..len {
                    let s: String = (0..len)
                        .map(|i| {
                            if i == at {
                                special
                            } else {
                                ['a', 'é', 'Z'][i % 3]
                            }
                        })
                        .collect();
                    let v = Value::String(s);
                    assert_eq!(super::super::pretty(&v), serde(&v), "{v}");
                }
            }
        }
    }

    #[test]
    fn escapes_control_characters_in_lower_case_hex() {
        let mut s = String::new();
        super::string(&mut s, "a\u{1}b\u{1f}\"");
        assert_eq!(s, r#""a\u0001b\u001f\"""#);
    }
}
