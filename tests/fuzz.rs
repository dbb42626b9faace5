//! A fuzzer for load → validate → plan → emit that runs on stable Rust, without `cargo-fuzz` or
//! `arbitrary`: it mutates seed inputs (the built-in profiles, the fixtures, the hostile corpus
//! and `tests/fuzz-corpus/`) deterministically from a seed, feeds them to
//! [`aks_harden::load_str`] and [`aks_harden::generate`], and catches panics.
//!
//! Mutations work on bytes (flips, insertions of syntax tokens, deletions, duplications,
//! splices of two inputs) and, when the input is JSON, on its structure (key deletion,
//! duplication and renaming, value swaps, interesting values, subtrees grafted from other
//! inputs, cloned spokes and pools). Inputs that reach a diagnostic (code and pointer) not seen
//! before join the pool, so the search spreads over the validator's branches.
//!
//! ```sh
//! AKS_FUZZ_SECONDS=600 nice -n 19 cargo test --release --test fuzz -- --ignored --nocapture
//! ```
//!
//! `AKS_FUZZ_SEED` picks the random sequence (default 0), `AKS_FUZZ_OUT` the folder where
//! panicking, slow and first-of-their-code inputs are saved (default: Cargo's temporary folder
//! for tests). Inputs worth keeping go to `tests/fuzz-corpus/`, named `<code>-<what>.<ext>` (or
//! `ok-<what>.<ext>`), and [`fuzz_corpus_replays`] checks them on every `cargo test`.

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

mod support;

use aks_harden::{Error, Format, Syntax, diag::Code};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

// ---- running one input ----

/// What one input did.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Loaded and rendered; the number of spokes.
    Rendered(usize),
    /// Refused with these diagnostics: (code, pointer).
    Invalid(Vec<(&'static str, String)>),
    /// Loaded, but a format could not be rendered.
    EmitError(String),
    /// Refused with a diagnostic that calls itself a bug in aks-harden: the input passed a
    /// check it should have failed. Counted and saved, not a failure of the run, because the
    /// known case (a number beyond 32 bits that the schema lets through) is in a file the
    /// fuzzer's owner does not own; see tests/hostile/bad-value-u32-overflow.json.
    SelfDeclaredBug(String),
}

/// Run one input through the whole pipeline, checking the invariants that hold for any input.
/// `Err` is a violation (not a panic): a diagnostic without a file or hint, an unknown code,
/// rendering that is not deterministic.
fn exercise(text: &str, syntax: Syntax) -> Result<Outcome, String> {
    match aks_harden::load_str("fuzz", text, syntax) {
        Ok(estate) => {
            if Format::IMPLEMENTED.contains(&Format::Terraform) {
                let azapi = aks_harden::emit::Options {
                    terraform_provider: aks_harden::emit::TerraformProvider::Azapi,
                };
                if let Err(e) = support::render_with(&estate, &[Format::Terraform], azapi) {
                    return Ok(Outcome::EmitError(e.to_string()));
                }
            }
            let first = support::render(&estate, Format::IMPLEMENTED);
            let second = support::render(&estate, Format::IMPLEMENTED);
            match (first, second) {
                (Ok(a), Ok(b)) if a == b => {
                    for (path, text) in &a {
                        let json = Path::new(path).extension().is_some_and(|e| e == "json");
                        if json && serde_json::from_str::<Value>(text).is_err() {
                            return Err(format!("{path} is not valid JSON"));
                        }
                        if !text.ends_with('\n') || text.contains('\r') {
                            return Err(format!("{path} does not end in one \\n line ending"));
                        }
                    }
                    Ok(Outcome::Rendered(estate.spokes.len()))
                }
                (Ok(_), Ok(_)) => Err("two renders of one estate differ".into()),
                (Err(e), _) | (_, Err(e)) => Ok(Outcome::EmitError(e.to_string())),
            }
        }
        Err(Error::Invalid(diags)) => {
            if diags.is_empty() {
                return Err("Error::Invalid without diagnostics".into());
            }
            for d in &diags {
                if !Code::ALL.contains(&d.code) {
                    return Err(format!("unknown diagnostic code {:?}", d.code));
                }
                if d.file.is_empty() || d.message.is_empty() || d.hint.is_empty() {
                    return Err(format!("diagnostic without file, message or hint: {d:?}"));
                }
                if !(d.pointer.is_empty() || d.pointer.starts_with('/')) {
                    return Err(format!("diagnostic pointer is not a JSON pointer: {d:?}"));
                }
            }
            if let Some(d) = diags.iter().find(|d| d.hint.contains("bug in aks-harden")) {
                return Ok(Outcome::SelfDeclaredBug(format!(
                    "{}: {}",
                    d.code, d.message
                )));
            }
            Ok(Outcome::Invalid(
                diags
                    .iter()
                    .map(|d| (d.code.as_str(), d.pointer.clone()))
                    .collect(),
            ))
        }
        Err(e) => Err(format!("load_str returned {e:?}, not Error::Invalid")),
    }
}

thread_local! {
    /// Set while an input runs, so the panic hook stays quiet for the panics the fuzzer catches.
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Install, once, a panic hook that is silent while an input runs and the default otherwise.
fn quiet_panics_while_catching() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(std::cell::Cell::get) {
                default(info);
            }
        }));
    });
}

/// [`exercise`], with a panic turned into an `Err` carrying its message.
fn exercise_catching(text: &str, syntax: Syntax) -> Result<Outcome, String> {
    quiet_panics_while_catching();
    CATCHING.with(|c| c.set(true));
    let result = catch_unwind(AssertUnwindSafe(|| exercise(text, syntax)));
    CATCHING.with(|c| c.set(false));
    match result {
        Ok(r) => r,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
                .unwrap_or_else(|| "a panic".into());
            Err(format!("PANIC: {msg}"))
        }
    }
}

fn syntax_of(path: &Path) -> Syntax {
    match path.extension().and_then(|e| e.to_str()) {
        Some("yaml" | "yml") => Syntax::Yaml,
        _ => Syntax::Json,
    }
}

// ---- the replayed corpus ----

fn corpus_dir() -> PathBuf {
    root().join("tests").join("fuzz-corpus")
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Inputs the fuzzer found, replayed on every run: none may panic or break an invariant, and
/// each must still report the code its name starts with (or load, for `ok-`).
#[test]
fn fuzz_corpus_replays() {
    let files: Vec<PathBuf> = files_in(&corpus_dir())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .collect();
    assert!(!files.is_empty(), "tests/fuzz-corpus is empty");
    let mut failures = Vec::new();
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 name");
        let bytes = std::fs::read(path).expect("read corpus file");
        let text = String::from_utf8_lossy(&bytes);
        let outcome = exercise_catching(&text, syntax_of(path));
        let want = Code::ALL
            .iter()
            .map(|c| c.as_str())
            .filter(|c| name.starts_with(&format!("{c}-")))
            .max_by_key(|c| c.len());
        match (&outcome, want) {
            (Err(e), _) => failures.push(format!("{name}: {e}")),
            (Ok(Outcome::Invalid(d)), Some(code)) if d.iter().any(|(c, _)| *c == code) => {}
            (Ok(Outcome::SelfDeclaredBug(what)), Some(code)) if what.starts_with(code) => {}
            (Ok(Outcome::Rendered(_)), None) if name.starts_with("ok-") => {}
            (Ok(o), _) => failures.push(format!("{name}: expected {want:?}, got {o:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus inputs fail:\n  {}",
        failures.len(),
        files.len(),
        failures.join("\n  ")
    );
}

// ---- mutation ----

/// SplitMix64: small, fast, and the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next() % n as u64).unwrap_or(0)
        }
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    /// A random item; `items` must not be empty.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A random pointer from `ptrs`, or `""` (the whole document) when there is none.
fn any_of(r: &mut Rng, ptrs: &[String]) -> String {
    if ptrs.is_empty() {
        String::new()
    } else {
        r.pick(ptrs).clone()
    }
}

/// Bytes that mean something to a JSON or YAML parser.
const TOKENS: &[&str] = &[
    "{", "}", "[", "]", "\"", ",", ":", "null", "true", "-1", "0", "1e999", "\\u0000", "\\ud800",
    "&a ", "*a", "<<: ", "!tag ", "!!str ", "---\n", "\t", "\n", "? ", "- ", "#", "'", "|\n", "~",
    ".nan", "0x1F", "\u{feff}", "é", "\u{202e}", "%", "\\",
];

/// Values that sit on an edge of what the estate format takes.
fn interesting_value(r: &mut Rng) -> Value {
    let deep = |n: usize| {
        let mut v = Value::Null;
        for _ in 0..n {
            v = Value::Array(vec![v]);
        }
        v
    };
    match r.below(28) {
        0 => Value::Null,
        1 => Value::Bool(r.chance(2)),
        2 => 0.into(),
        3 => (-1).into(),
        4 => 4_294_967_296_u64.into(),
        5 => u64::MAX.into(),
        6 => serde_json::json!(1.5),
        7 => "".into(),
        8 => "x".repeat(r.below(300) + 1).into(),
        9 => "10.0.0.0/8".into(),
        10 => "fd00::/8".into(),
        11 => "0.0.0.0/0".into(),
        12 => "255.255.255.255/32".into(),
        13 => "10.1.0.1/16".into(),
        14 => "10.1.0.0/33".into(),
        15 => Value::Array(Vec::new()),
        16 => Value::Object(Map::new()),
        17 => deep(r.below(80) + 1),
        18 => "../../etc/passwd".into(),
        19 => "\u{1F4A5}".into(),
        20 => "00000000-0000-0000-0000-000000000000".into(),
        21 => "hub".into(),
        22 => "prod".into(),
        23 => "[concat('a')]".into(),
        24 => "Premium".into(),
        25 => "asm-1-25".into(),
        26 => "2000-02-30".into(),
        _ => "24:60".into(),
    }
}

/// Keys of the estate format, to insert and to misspell.
fn vocabulary(seeds: &[Value]) -> Vec<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    out.insert(k.clone());
                    walk(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut keys = BTreeSet::new();
    for s in seeds {
        walk(s, &mut keys);
    }
    keys.extend(
        [
            "qa",
            "hub",
            "a",
            "production1",
            "Prod",
            "p-1",
            "firewallManagement",
            "upstreamNextHop",
            "serviceMesh",
            "extraFqdns",
            "kubernetesVersion",
            "diskEncryptionSetId",
            "authorizedIpRanges",
            "waivers",
            "approver",
            "<<",
        ]
        .map(String::from),
    );
    keys.into_iter().collect()
}

/// Scalar values seen under each key in the seeds: alternatives of the right type and range.
fn values_by_key(seeds: &[Value]) -> BTreeMap<String, Vec<Value>> {
    fn walk(v: &Value, out: &mut BTreeMap<String, Vec<Value>>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if !x.is_object() {
                        let e = out.entry(k.clone()).or_default();
                        if !e.contains(x) {
                            e.push(x.clone());
                        }
                    }
                    walk(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    for s in seeds {
        walk(s, &mut out);
    }
    out
}

/// A nearby CIDR or address: another prefix length or octet.
fn nudge_cidr(r: &mut Rng, s: &str) -> Option<String> {
    let (addr, len) = s.split_once('/').map_or((s, None), |(a, l)| (a, Some(l)));
    let mut octets: Vec<u32> = addr
        .split('.')
        .map(|o| o.parse().ok())
        .collect::<Option<_>>()?;
    if octets.len() != 4 {
        return None;
    }
    let mut len: Option<u32> = len.and_then(|l| l.parse().ok());
    match r.below(3) {
        0 => {
            if let Some(l) = &mut len {
                *l = (*l + *r.pick(&[1u32, 2, 8, 31, 32])) % 34;
            }
        }
        1 => {
            let i = r.below(4);
            octets[i] = (octets[i] + *r.pick(&[1u32, 4, 16, 128, 255])) % 256;
        }
        _ => octets[1] = (octets[1] + 1) % 256,
    }
    let addr = octets
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".");
    Some(match len {
        Some(l) => format!("{addr}/{l}"),
        None => addr,
    })
}

/// Shift every IPv4 range and address in `v` by `by` in the second octet, so that a cloned
/// spoke gets an address plan of its own.
fn shift_cidrs(v: &mut Value, by: u32) {
    match v {
        Value::String(s) => {
            let (addr, rest) = s
                .split_once('/')
                .map_or((s.as_str(), String::new()), |(a, l)| (a, format!("/{l}")));
            let octets: Option<Vec<u32>> = addr.split('.').map(|o| o.parse().ok()).collect();
            if let Some(mut o) = octets.filter(|o| o.len() == 4) {
                o[1] = (o[1] + by) % 256;
                *s = format!("{}.{}.{}.{}{rest}", o[0], o[1], o[2], o[3]);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| shift_cidrs(x, by)),
        Value::Object(m) => m.values_mut().for_each(|x| shift_cidrs(x, by)),
        _ => {}
    }
}

/// One mutation that keeps the document's shape: a flipped switch, a number near a limit,
/// another value seen under the same key, a nudged address, a spoke or pool cloned under a new
/// key with its own addresses. Such inputs mostly pass the schema, so they reach validation,
/// planning and emission.
fn gentle_mutation(r: &mut Rng, doc: &mut Value, by_key: &BTreeMap<String, Vec<Value>>) {
    let ptrs = pointers(doc);
    let p = any_of(r, &ptrs);
    let key = p.rsplit('/').next().unwrap_or_default().to_string();
    if r.chance(5) {
        // Clone a spoke (or a node pool, or a workload) under a new name.
        for map in [
            "/spokes",
            "/spokes/*/cluster/nodePools",
            "/spokes/*/workloadIdentities",
        ] {
            let at = if map.contains('*') {
                let spokes: Vec<String> = doc
                    .pointer("/spokes")
                    .and_then(Value::as_object)
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                if spokes.is_empty() {
                    continue;
                }
                map.replace('*', r.pick(&spokes).as_str())
            } else {
                map.to_string()
            };
            if r.chance(2) {
                continue;
            }
            if let Some(Value::Object(m)) = doc.pointer_mut(&at) {
                let keys: Vec<String> = m.keys().cloned().collect();
                if keys.is_empty() {
                    continue;
                }
                let mut v = m.get(r.pick(&keys)).cloned().unwrap_or(Value::Null);
                let by = u32::try_from(r.below(200) + 1).unwrap_or(1);
                if at == "/spokes" {
                    shift_cidrs(&mut v, by);
                }
                let name = format!("{}{}", r.pick(&["qa", "x", "uat", "p", "e"]), r.below(100));
                m.insert(name, v);
                return;
            }
        }
    }
    let Some(slot) = doc.pointer_mut(&p) else {
        return;
    };
    let new = match slot {
        Value::Bool(b) => Value::Bool(!*b),
        Value::Number(n) => {
            let n = n.as_i64().unwrap_or(0);
            let choices = [
                n + 1,
                n - 1,
                n * 2,
                0,
                1,
                3,
                7,
                10,
                30,
                90,
                250,
                365,
                730,
                1000,
                2048,
                4096,
            ];
            (*r.pick(&choices)).into()
        }
        Value::String(s) => match nudge_cidr(r, s) {
            Some(c) if r.chance(2) => Value::String(c),
            _ => match by_key.get(&key).filter(|v| !v.is_empty()) {
                Some(v) => r.pick(v).clone(),
                None => Value::String(misspell(r, s)),
            },
        },
        Value::Null => interesting_value(r),
        Value::Array(a) => {
            if a.is_empty() || r.chance(2) {
                by_key
                    .get(&key)
                    .filter(|v| !v.is_empty())
                    .map_or(Value::Array(Vec::new()), |v| r.pick(v).clone())
            } else {
                let i = r.below(a.len());
                a.remove(i);
                return;
            }
        }
        Value::Object(m) => {
            // Delete an optional-looking member (merge patch: null deletes).
            let keys: Vec<String> = m.keys().cloned().collect();
            if !keys.is_empty() {
                let k = r.pick(&keys).clone();
                m.insert(k, Value::Null);
            }
            return;
        }
    };
    *slot = new;
}

/// JSON pointers of every node of `v`.
fn pointers(v: &Value) -> Vec<String> {
    fn walk(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    walk(
                        x,
                        format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }
    let mut out = Vec::new();
    walk(v, String::new(), &mut out);
    out
}

fn objects(v: &Value) -> Vec<String> {
    pointers(v)
        .into_iter()
        .filter(|p| v.pointer(p).is_some_and(Value::is_object))
        .collect()
}

fn misspell(r: &mut Rng, key: &str) -> String {
    let mut c: Vec<char> = key.chars().collect();
    if c.is_empty() {
        return "x".into();
    }
    let i = r.below(c.len());
    match r.below(4) {
        0 => {
            c.remove(i);
        }
        1 if c.len() > 1 => {
            let j = (i + 1) % c.len();
            c.swap(i, j);
        }
        2 => c[i] = c[i].to_ascii_uppercase(),
        _ => c.insert(i, 'x'),
    }
    c.into_iter().collect()
}

/// One structural mutation of a JSON document.
fn mutate_value(r: &mut Rng, doc: &mut Value, donors: &[Value], vocab: &[String]) {
    let ptrs = pointers(doc);
    let objs = objects(doc);
    match r.below(9) {
        // Delete a key.
        0 => {
            let p = any_of(r, &ptrs);
            if let Some((parent, key)) = p.rsplit_once('/') {
                let key = key.replace("~1", "/").replace("~0", "~");
                match doc.pointer_mut(parent) {
                    Some(Value::Object(m)) => {
                        m.shift_remove(&key);
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(i) = key.parse::<usize>() {
                            if i < a.len() {
                                a.remove(i);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        // Replace a value with an interesting one.
        1 | 2 => {
            let p = any_of(r, &ptrs);
            let v = interesting_value(r);
            if let Some(slot) = doc.pointer_mut(&p) {
                *slot = v;
            }
        }
        // Swap two values.
        3 => {
            let (a, b) = (any_of(r, &ptrs), any_of(r, &ptrs));
            if a.starts_with(&b) || b.starts_with(&a) {
                return;
            }
            let (va, vb) = (doc.pointer(&a).cloned(), doc.pointer(&b).cloned());
            if let (Some(va), Some(vb)) = (va, vb) {
                if let Some(s) = doc.pointer_mut(&a) {
                    *s = vb;
                }
                if let Some(s) = doc.pointer_mut(&b) {
                    *s = va;
                }
            }
        }
        // Insert a known key with a value grafted from another input.
        4 | 5 => {
            let donor = r.pick(donors);
            let dptrs = pointers(donor);
            let from = any_of(r, &dptrs);
            let v = donor.pointer(&from).cloned().unwrap_or(Value::Null);
            let key = r.pick(vocab).clone();
            let at = any_of(r, &objs);
            if let Some(Value::Object(m)) = doc.pointer_mut(&at) {
                m.insert(key, v);
            }
        }
        // Rename a key (a typo).
        6 => {
            let at = any_of(r, &objs);
            if let Some(Value::Object(m)) = doc.pointer_mut(&at) {
                let keys: Vec<String> = m.keys().cloned().collect();
                if keys.is_empty() {
                    return;
                }
                let k = r.pick(&keys).clone();
                if let Some(v) = m.shift_remove(&k) {
                    let renamed = misspell(r, &k);
                    m.insert(renamed, v);
                }
            }
        }
        // Clone a member of a map under a new key: spokes, pools, rules.
        _ => {
            let at = any_of(r, &objs);
            if let Some(Value::Object(m)) = doc.pointer_mut(&at) {
                let keys: Vec<String> = m.keys().cloned().collect();
                if keys.is_empty() {
                    return;
                }
                let k = r.pick(&keys).clone();
                let v = m.get(&k).cloned().unwrap_or(Value::Null);
                let new = if r.chance(2) {
                    r.pick(vocab).clone()
                } else {
                    misspell(r, &k)
                };
                m.insert(new, v);
            }
        }
    }
}

/// A JSON object's text with `key` given twice, to reach the duplicate-key checks.
fn with_duplicate_key(r: &mut Rng, doc: &Value) -> Option<String> {
    let objs = objects(doc);
    let at = any_of(r, &objs);
    let m = doc.pointer(&at)?.as_object()?;
    let key = m.keys().nth(r.below(m.len()))?.clone();
    let text = serde_json::to_string(doc).ok()?;
    let needle = format!("{}:", serde_json::to_string(&key).ok()?);
    let i = text.find(&needle)?;
    let extra = format!(
        "{needle}{},",
        serde_json::to_string(&interesting_value(r)).ok()?
    );
    Some(format!("{}{extra}{}", &text[..i], &text[i..]))
}

/// One byte-level mutation.
fn mutate_bytes(r: &mut Rng, bytes: &mut Vec<u8>, donors: &[Vec<u8>]) {
    let len = bytes.len();
    match r.below(6) {
        0 if len > 0 => {
            let i = r.below(len);
            bytes[i] ^= 1 << r.below(8);
        }
        1 => {
            let t = r.pick(TOKENS).as_bytes().to_vec();
            let i = r.below(len + 1);
            bytes.splice(i..i, t);
        }
        2 if len > 0 => {
            let i = r.below(len);
            let n = r.below((len - i).min(64)) + 1;
            bytes.drain(i..i + n);
        }
        3 if len > 0 => {
            let i = r.below(len);
            let n = r.below((len - i).min(256)) + 1;
            let chunk: Vec<u8> = bytes[i..i + n].to_vec();
            let at = r.below(len + 1);
            bytes.splice(at..at, chunk);
        }
        4 => {
            // Splice: a prefix of this input and a suffix of another.
            let other = r.pick(donors);
            let cut = r.below(len + 1);
            let from = r.below(other.len() + 1);
            bytes.truncate(cut);
            bytes.extend_from_slice(&other[from..]);
        }
        _ if len > 0 => {
            let i = r.below(len);
            bytes[i] = *r.pick(b"{}[]\":,-0123456789 \n\tabcxyz\\/.#&*!?|>");
        }
        _ => bytes.push(b'{'),
    }
}

/// A new input from `base`: one to four mutations, structural when the input is JSON.
fn mutate(
    r: &mut Rng,
    base: &(Vec<u8>, Syntax),
    values: &[Value],
    raw: &[Vec<u8>],
    vocab: &[String],
    by_key: &BTreeMap<String, Vec<Value>>,
) -> (Vec<u8>, Syntax) {
    let (bytes, mut syntax) = base.clone();
    let parsed = serde_json::from_slice::<Value>(&bytes).ok();
    if let Some(mut doc) = parsed.clone().filter(|_| r.chance(2)) {
        for _ in 0..=r.below(3) {
            gentle_mutation(r, &mut doc, by_key);
        }
        return (serde_json::to_vec_pretty(&doc).unwrap_or_default(), syntax);
    }
    let mut out = match parsed {
        Some(mut doc) if r.below(3) > 0 => {
            for _ in 0..=r.below(4) {
                mutate_value(r, &mut doc, values, vocab);
            }
            if r.chance(12) {
                if let Some(t) = with_duplicate_key(r, &doc) {
                    return (t.into_bytes(), syntax);
                }
            }
            if r.chance(6) {
                syntax = Syntax::Yaml; // JSON is (nearly) YAML
            }
            if r.chance(2) {
                serde_json::to_vec_pretty(&doc).unwrap_or_default()
            } else {
                serde_json::to_vec(&doc).unwrap_or_default()
            }
        }
        _ => bytes,
    };
    if out.is_empty() || r.below(3) == 0 {
        for _ in 0..=r.below(4) {
            mutate_bytes(r, &mut out, raw);
        }
    }
    if out.len() > 200_000 {
        out.truncate(200_000);
    }
    (out, syntax)
}

// ---- the fuzzer ----

fn seeds() -> Vec<(String, Vec<u8>, Syntax)> {
    let mut out: Vec<(String, Vec<u8>, Syntax)> = aks_harden::profile::BUILTIN
        .iter()
        .map(|(n, t)| (format!("profile:{n}"), t.as_bytes().to_vec(), Syntax::Json))
        .collect();
    let dirs = [
        root().join("tests/fixtures/valid"),
        root().join("tests/fixtures/invalid"),
        root().join("tests/hostile"),
        corpus_dir(),
    ];
    for dir in dirs {
        for p in files_in(&dir) {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
            if ["expect", "md"].contains(&ext) {
                continue;
            }
            let bytes = std::fs::read(&p).expect("read seed");
            out.push((p.display().to_string(), bytes, syntax_of(&p)));
        }
    }
    out
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A short stable name for an input.
fn fingerprint(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The shape of a diagnostic for novelty: its code and pointer with map keys and indices
/// blurred, so that a new spoke name is not a new behaviour.
fn feature(code: &str, pointer: &str) -> String {
    let blurred: Vec<&str> = pointer
        .split('/')
        .enumerate()
        .map(|(i, seg)| {
            let after_map = matches!(i, 2 | 4 | 6)
                && pointer.split('/').nth(i - 1).is_some_and(|p| {
                    [
                        "spokes",
                        "nodePools",
                        "waivers",
                        "tags",
                        "extraFqdns",
                        "labels",
                        "workloadIdentities",
                    ]
                    .contains(&p)
                });
            if after_map || seg.bytes().all(|b| b.is_ascii_digit()) && !seg.is_empty() {
                "*"
            } else {
                seg
            }
        })
        .collect();
    let shown = blurred.join("/");
    // A misspelt key is new text, not new behaviour: its parent is what counts.
    let shown = match code {
        "unknown-key" => shown
            .rsplit_once('/')
            .map_or(shown.clone(), |(p, _)| p.to_string()),
        _ => shown,
    };
    format!("{code}@{shown}")
}

/// Save an input to `dir` as `<kind>-<fingerprint>.<ext>`.
fn save(dir: &Path, kind: &str, bytes: &[u8], syntax: Syntax) -> PathBuf {
    let ext = if syntax == Syntax::Yaml {
        "yaml"
    } else {
        "json"
    };
    let p = dir.join(format!("{kind}-{}.{ext}", fingerprint(bytes)));
    std::fs::write(&p, bytes).expect("save input");
    p
}

/// The fuzzer's memory: the pool of inputs to mutate, what has been seen, what failed.
struct State {
    out_dir: PathBuf,
    current: Arc<Mutex<(Vec<u8>, Syntax)>>,
    progress: Arc<AtomicU64>,
    pool: Vec<(Vec<u8>, Syntax)>,
    /// Inputs that loaded and rendered: mutated half of the time, to reach plan and emit.
    valid: Vec<(Vec<u8>, Syntax)>,
    features: BTreeSet<String>,
    codes: BTreeMap<&'static str, u64>,
    /// Codes a mutated input (not a seed) has reached.
    mutant_codes: BTreeSet<&'static str>,
    self_declared_bugs: u64,
    rendered: u64,
    failures: Vec<String>,
    slowest: (Duration, String),
}

impl State {
    /// Run one input; keep it in the pool when it shows something new.
    fn run(&mut self, bytes: &[u8], syntax: Syntax, from_seed: bool) {
        if let Ok(mut c) = self.current.lock() {
            *c = (bytes.to_vec(), syntax);
        }
        let text = String::from_utf8_lossy(bytes);
        let start = Instant::now();
        let outcome = exercise_catching(&text, syntax);
        let took = start.elapsed();
        self.progress.fetch_add(1, Ordering::Relaxed);
        if took > self.slowest.0 {
            self.slowest = (took, fingerprint(bytes));
            if took > Duration::from_secs(2) {
                save(&self.out_dir, "slow", bytes, syntax);
            }
        }
        match outcome {
            Err(e) => {
                let p = save(&self.out_dir, "failure", bytes, syntax);
                self.failures.push(format!("{e} ({})", p.display()));
            }
            Ok(Outcome::Rendered(n)) => {
                self.rendered += 1;
                let fresh = self
                    .features
                    .insert(format!("rendered with {n} spokes via {syntax:?}"));
                if fresh && !from_seed {
                    save(&self.out_dir, &format!("ok-{n}-spokes"), bytes, syntax);
                }
                if (fresh || self.rendered % 16 == 0) && self.valid.len() < 5_000 {
                    self.valid.push((bytes.to_vec(), syntax));
                }
            }
            Ok(Outcome::EmitError(e)) => {
                if self.features.insert(format!("emit error {e}")) {
                    self.pool.push((bytes.to_vec(), syntax));
                }
            }
            Ok(Outcome::SelfDeclaredBug(what)) => {
                self.self_declared_bugs += 1;
                let first = what.split(':').next().unwrap_or_default().to_string();
                if self.features.insert(format!("self-declared bug {first}")) {
                    let p = save(&self.out_dir, "bug", bytes, syntax);
                    println!(
                        "fuzz: a diagnostic calls itself a bug: {what} ({})",
                        p.display()
                    );
                }
            }
            Ok(Outcome::Invalid(diags)) => {
                let mut new = false;
                for (code, pointer) in &diags {
                    let n = self.codes.entry(code).or_default();
                    *n += 1;
                    if *n == 1 && !from_seed {
                        // A code no seed and no earlier input reached.
                        save(&self.out_dir, &format!("new-{code}"), bytes, syntax);
                    }
                    if !from_seed && self.mutant_codes.insert(code) {
                        // The first mutant to reach each code: a regression case to keep.
                        save(&self.out_dir, &format!("first-{code}"), bytes, syntax);
                    }
                    new |= self.features.insert(feature(code, pointer));
                }
                if new && self.pool.len() < 20_000 {
                    self.pool.push((bytes.to_vec(), syntax));
                }
            }
        }
    }
}

#[test]
#[ignore = "long-running: AKS_FUZZ_SECONDS=600 nice -n 19 cargo test --release --test fuzz -- --ignored --nocapture"]
fn fuzz() {
    let seconds = env_u64("AKS_FUZZ_SECONDS", 30);
    let seed = env_u64("AKS_FUZZ_SEED", 0);
    let out_dir = std::env::var_os("AKS_FUZZ_OUT").map_or_else(
        || PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-out"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&out_dir).expect("create the output folder");
    let seeds = seeds();
    let raw: Vec<Vec<u8>> = seeds.iter().map(|(_, b, _)| b.clone()).collect();
    let values: Vec<Value> = raw
        .iter()
        .filter_map(|b| serde_json::from_slice::<Value>(b).ok())
        .collect();
    let vocab = vocabulary(&values);
    let by_key = values_by_key(&values);

    // A watchdog that saves the input being run if one run takes more than ten seconds.
    let progress = Arc::new(AtomicU64::new(0));
    let current: Arc<Mutex<(Vec<u8>, Syntax)>> = Arc::new(Mutex::new((Vec::new(), Syntax::Json)));
    let done = Arc::new(AtomicU64::new(0));
    let watchdog = {
        let (progress, current, done, out_dir) = (
            progress.clone(),
            current.clone(),
            done.clone(),
            out_dir.clone(),
        );
        std::thread::spawn(move || {
            let mut last = (u64::MAX, Instant::now());
            while done.load(Ordering::Relaxed) == 0 {
                std::thread::sleep(Duration::from_millis(500));
                let now = progress.load(Ordering::Relaxed);
                if now != last.0 {
                    last = (now, Instant::now());
                } else if last.1.elapsed() > Duration::from_secs(10) {
                    let bytes = current.lock().map(|c| c.0.clone()).unwrap_or_default();
                    let p = out_dir.join(format!("hang-{}.txt", fingerprint(&bytes)));
                    let _ = std::fs::write(&p, &bytes);
                    eprintln!(
                        "fuzz: one run has taken over 10 s; input saved to {}",
                        p.display()
                    );
                    last.1 = Instant::now();
                }
            }
        })
    };

    let mut st = State {
        out_dir: out_dir.clone(),
        current,
        progress,
        pool: Vec::new(),
        valid: Vec::new(),
        features: BTreeSet::new(),
        codes: BTreeMap::new(),
        mutant_codes: BTreeSet::new(),
        self_declared_bugs: 0,
        rendered: 0,
        failures: Vec::new(),
        slowest: (Duration::ZERO, String::new()),
    };
    for (_, bytes, syntax) in &seeds {
        st.run(bytes, *syntax, true);
        st.pool.push((bytes.clone(), *syntax));
    }
    let seed_features = st.features.len();
    let mut r = Rng(seed);
    let start = Instant::now();
    let deadline = Duration::from_secs(seconds);
    let mut executions = 0u64;
    let mut next_report = Duration::from_secs(60);
    while start.elapsed() < deadline {
        let base = if !st.valid.is_empty() && r.chance(2) {
            st.valid[r.below(st.valid.len())].clone()
        } else {
            st.pool[r.below(st.pool.len())].clone()
        };
        let (bytes, syntax) = mutate(&mut r, &base, &values, &raw, &vocab, &by_key);
        st.run(&bytes, syntax, false);
        executions += 1;
        if start.elapsed() > next_report {
            println!(
                "fuzz: {executions} executions in {:?}, {} features, pool {}, {} failures",
                start.elapsed(),
                st.features.len(),
                st.pool.len(),
                st.failures.len()
            );
            next_report += Duration::from_secs(60);
        }
    }
    done.store(1, Ordering::Relaxed);
    let _ = watchdog.join();
    let State {
        pool,
        features,
        codes,
        rendered,
        failures,
        slowest,
        self_declared_bugs,
        ..
    } = st;

    let elapsed = start.elapsed();
    println!(
        "fuzz: seed {seed}: {executions} executions in {elapsed:.1?} ({}/s); {rendered} rendered",
        u128::from(executions) * 1000 / elapsed.as_millis().max(1)
    );
    println!(
        "fuzz: {} features ({} from the {} seeds), pool {}, slowest run {:?} ({})",
        features.len(),
        seed_features,
        seeds.len(),
        pool.len(),
        slowest.0,
        slowest.1
    );
    println!("fuzz: diagnostic codes reached: {codes:?}");
    println!("fuzz: {self_declared_bugs} inputs got a diagnostic that calls itself a bug");
    let unreached: Vec<&str> = Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !codes.contains_key(c))
        .collect();
    println!(
        "fuzz: codes never reached: {unreached:?}; inputs saved in {}",
        out_dir.display()
    );
    assert!(
        failures.is_empty(),
        "{} failing inputs:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

#[test]
fn mutation_is_deterministic_and_stays_bounded() {
    let seeds = seeds();
    let raw: Vec<Vec<u8>> = seeds.iter().map(|(_, b, _)| b.clone()).collect();
    let values: Vec<Value> = raw
        .iter()
        .filter_map(|b| serde_json::from_slice::<Value>(b).ok())
        .collect();
    let vocab = vocabulary(&values);
    let by_key = values_by_key(&values);
    let base = (raw[0].clone(), Syntax::Json);
    let run = |seed| {
        let mut r = Rng(seed);
        (0..50)
            .map(|_| mutate(&mut r, &base, &values, &raw, &vocab, &by_key))
            .collect::<Vec<_>>()
    };
    let a = run(7);
    assert_eq!(a, run(7));
    assert_ne!(a, run(8));
    assert!(a.iter().all(|(b, _)| b.len() <= 200_000));
    // A handful of mutants through the pipeline, as the ignored fuzzer does.
    for (bytes, syntax) in a.iter().take(20) {
        let r = exercise_catching(&String::from_utf8_lossy(bytes), *syntax);
        assert!(r.is_ok(), "{r:?}");
    }
}
