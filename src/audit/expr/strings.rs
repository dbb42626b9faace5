//! String functions: `format`, `concat` of strings, `split`, `join`, `replace`, `substring`,
//! case and trimming, `startsWith`/`endsWith`/`indexOf` (case-insensitive, as ARM compares),
//! `padLeft`, `string`, base64, data URIs and URI encoding.

use super::Bad;
use super::text;
use serde_json::Value as Json;
use std::fmt::Write as _;

/// A string function over known arguments: `None` when `name` is not one for these argument
/// types, `Some(None)` when ARM would reject the call.
pub(super) fn call(name: &str, a: &[Json]) -> Option<Result<Json, Bad>> {
    let s = |i: usize| a.get(i).and_then(Json::as_str);
    let out = match name {
        "concat" if !a.iter().any(Json::is_array) => {
            let mut out = String::new();
            for v in a {
                out.push_str(&text(v)?);
            }
            Some(Json::String(out))
        }
        "format" => {
            let (fmt, rest) = a.split_first()?;
            format(fmt.as_str()?, rest).map(Json::String)
        }
        "tolower" => s(0).map(|x| Json::String(x.to_lowercase())),
        "toupper" => s(0).map(|x| Json::String(x.to_uppercase())),
        "trim" => s(0).map(|x| Json::String(x.trim().to_string())),
        "string" => a.first().map(|v| {
            Json::String(match v {
                Json::String(x) => x.clone(),
                Json::Null => String::new(),
                Json::Array(_) | Json::Object(_) => v.to_string(),
                other => text(other).unwrap_or_default(),
            })
        }),
        "split" => {
            let x = s(0)?;
            let seps: Vec<String> = match a.get(1)? {
                Json::String(d) => vec![d.clone()],
                Json::Array(ds) => ds
                    .iter()
                    .filter_map(|d| d.as_str().map(str::to_string))
                    .collect(),
                _ => return Some(Err(Bad)),
            };
            Some(Json::Array(
                split_any(x, &seps).into_iter().map(Json::String).collect(),
            ))
        }
        "join" => {
            let items = a.first()?.as_array()?;
            let d = s(1)?;
            let parts: Option<Vec<String>> = items.iter().map(text).collect();
            parts.map(|p| Json::String(p.join(d)))
        }
        "replace" => match (s(0), s(1), s(2)) {
            (Some(x), Some(old), Some(new)) if !old.is_empty() => {
                Some(Json::String(x.replace(old, new)))
            }
            _ => None,
        },
        "substring" => {
            let x: Vec<char> = s(0)?.chars().collect();
            let start = usize::try_from(a.get(1)?.as_i64()?).ok()?;
            let len = match a.get(2) {
                Some(l) => usize::try_from(l.as_i64()?).ok()?,
                None => x.len().checked_sub(start)?,
            };
            (start + len <= x.len()).then(|| Json::String(x[start..start + len].iter().collect()))
        }
        "startswith" => Some(Json::Bool(
            s(0)?.to_lowercase().starts_with(&s(1)?.to_lowercase()),
        )),
        "endswith" => Some(Json::Bool(
            s(0)?.to_lowercase().ends_with(&s(1)?.to_lowercase()),
        )),
        "indexof" | "lastindexof" => {
            let (x, find) = (s(0)?.to_lowercase(), s(1)?.to_lowercase());
            let at = if name == "indexof" {
                x.find(&find)
            } else {
                x.rfind(&find)
            };
            Some(Json::from(at.map_or(-1, |i| {
                i64::try_from(x[..i].chars().count()).unwrap_or(-1)
            })))
        }
        "padleft" => {
            let v = text(a.first()?)?;
            let width = usize::try_from(a.get(1)?.as_i64()?).ok()?;
            let pad = match a.get(2) {
                Some(p) => {
                    let p = p.as_str()?;
                    let mut c = p.chars();
                    match (c.next(), c.next()) {
                        (Some(ch), None) => ch,
                        _ => return Some(Err(Bad)),
                    }
                }
                None => ' ',
            };
            let n = v.chars().count();
            let mut out: String = std::iter::repeat_n(pad, width.saturating_sub(n)).collect();
            out.push_str(&v);
            Some(Json::String(out))
        }
        "base64" => Some(Json::String(base64_encode(s(0)?.as_bytes()))),
        "base64tostring" => base64_decode(s(0)?)
            .and_then(|b| String::from_utf8(b).ok())
            .map(Json::String),
        "base64tojson" => base64_decode(s(0)?).and_then(|b| serde_json::from_slice(&b).ok()),
        "datauri" => Some(Json::String(format!(
            "data:text/plain;charset=utf8;base64,{}",
            base64_encode(text(a.first()?)?.as_bytes())
        ))),
        "datauritostring" => {
            let (head, data) = s(0)?.split_once(',')?;
            if head.ends_with(";base64") {
                base64_decode(data)
                    .and_then(|b| String::from_utf8(b).ok())
                    .map(Json::String)
            } else {
                percent_decode(data).map(Json::String)
            }
        }
        "uricomponent" => Some(Json::String(percent_encode(s(0)?))),
        "uricomponenttostring" => percent_decode(s(0)?).map(Json::String),
        "uri" => {
            // As documented: a base ending in `/`, or with no `/` past its `//`, is followed by
            // the relative URI; otherwise everything after its last `/` is replaced by it.
            let (base, rel) = (s(0)?, s(1)?);
            let after_scheme = base.find("//").map_or(0, |i| i + 2);
            Some(Json::String(match base.rfind('/') {
                Some(i) if i >= after_scheme && !base.ends_with('/') => {
                    format!("{}{rel}", &base[..=i])
                }
                _ => format!("{base}{rel}"),
            }))
        }
        _ => return None,
    };
    Some(out.ok_or(Bad))
}

fn split_any(s: &str, seps: &[String]) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut rest = s;
    'outer: while !rest.is_empty() {
        for sep in seps.iter().filter(|x| !x.is_empty()) {
            if let Some(after) = rest.strip_prefix(sep.as_str()) {
                out.push(String::new());
                rest = after;
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let (Some(c), Some(last)) = (chars.next(), out.last_mut()) {
            last.push(c);
        }
        rest = chars.as_str();
    }
    out
}

/// .NET composite formatting: `{0}`, `{1:N0}` (grouped, N decimals), `{0:D3}`, `{{`/`}}`.
pub(super) fn format(fmt: &str, args: &[Json]) -> Option<String> {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut spec = String::new();
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                    spec.push(d);
                }
                let (idx, fmt_spec) = match spec.split_once(':') {
                    Some((i, f)) => (i, Some(f)),
                    None => (spec.as_str(), None),
                };
                let v = args.get(idx.trim().parse::<usize>().ok()?)?;
                match fmt_spec {
                    None => out.push_str(&text(v)?),
                    Some(f) => out.push_str(&number_format(v.as_i64()?, f)?),
                }
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

fn number_format(n: i64, spec: &str) -> Option<String> {
    let (kind, digits) = spec.split_at(1.min(spec.len()));
    let digits: usize = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    match kind {
        "N" | "n" => {
            let abs = n.unsigned_abs().to_string();
            let mut grouped = String::new();
            for (i, c) in abs.chars().enumerate() {
                if i > 0 && (abs.len() - i) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(c);
            }
            let sign = if n < 0 { "-" } else { "" };
            let decimals = if digits > 0 {
                format!(".{}", "0".repeat(digits))
            } else {
                String::new()
            };
            Some(format!("{sign}{grouped}{decimals}"))
        }
        "D" | "d" => {
            let sign = if n < 0 { "-" } else { "" };
            Some(format!("{sign}{:0>digits$}", n.unsigned_abs()))
        }
        "X" => Some(format!("{n:X}")),
        "x" => Some(format!("{n:x}")),
        _ => None,
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()) {
        let v = u32::try_from(B64.iter().position(|x| *x == c)?).ok()?;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
