//! Hostile input, data-driven: every file in `tests/hostile/` is fed to the real binary
//! (`aks-harden validate FILE`), which must exit 2 quickly, name the file, and report the
//! diagnostic its sidecar `<file>.expect` states, with a hint. Inputs that cannot sensibly be
//! committed (a 100 MB file, 10,000 levels of nesting, bytes that are not UTF-8, a folder, an
//! unreadable file, a pipe, symlink loops) are generated in a temporary folder and checked the
//! same way. The format of the sidecars is described in `tests/hostile/README.md`.

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one run may take before it counts as hanging. Generous for a debug build on a busy
/// machine; a limit error takes milliseconds.
const TIMEOUT: Duration = Duration::from_secs(20);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn corpus_dir() -> PathBuf {
    root().join("tests").join("hostile")
}

/// What a case must report, from its `.expect` sidecar.
#[derive(Debug, Default, Clone)]
struct Expect {
    code: String,
    /// JSON pointer the diagnostic names (`""` is the whole document).
    pointer: Option<String>,
    /// `L:C`, or `any` for "some line and column".
    position: Option<String>,
    /// Text the hint must contain.
    hint: Option<String>,
    /// The diagnostic names this file (a suffix of the path) instead of the case's own.
    file: Option<String>,
    /// A known bug in code this corpus does not own: only the weak checks apply.
    ignore: Option<String>,
}

fn parse_expect(path: &Path) -> Expect {
    let text = std::fs::read_to_string(path).expect("read .expect");
    let mut e = Expect::default();
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("{}: not key=value: {line:?}", path.display()));
        let v = v.to_string();
        match k {
            "code" => e.code = v,
            "pointer" => e.pointer = Some(v),
            "position" => e.position = Some(v),
            "hint" => e.hint = Some(v),
            "file" => e.file = Some(v),
            "ignore" => e.ignore = Some(v),
            _ => panic!("{}: unknown key {k:?}", path.display()),
        }
    }
    assert!(!e.code.is_empty(), "{}: no code=", path.display());
    assert!(
        aks_harden::diag::Code::ALL
            .iter()
            .any(|c| c.as_str() == e.code),
        "{}: {:?} is not a diagnostic code",
        path.display(),
        e.code
    );
    e
}

/// One case: the path passed to the binary and what it must report.
struct Case {
    name: String,
    arg: PathBuf,
    expect: Expect,
}

/// The committed cases, sorted by file name.
fn committed_cases() -> Vec<Case> {
    let dir = corpus_dir();
    let mut cases: Vec<Case> = std::fs::read_dir(&dir)
        .expect("list tests/hostile")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "expect"))
        .map(|sidecar| {
            let file = sidecar.with_extension("");
            assert!(
                file.exists(),
                "{}: no case file next to it",
                sidecar.display()
            );
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 name")
                .to_string();
            Case {
                arg: Path::new("tests").join("hostile").join(&name),
                name,
                expect: parse_expect(&sidecar),
            }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    // Every case file has a sidecar, so nothing in the folder goes unchecked.
    for entry in std::fs::read_dir(&dir).expect("list tests/hostile") {
        let p = entry.expect("directory entry").path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if p.is_file() && !name.ends_with(".expect") && name != "README.md" {
            assert!(
                cases.iter().any(|c| c.name == name),
                "{}: no .expect sidecar",
                p.display()
            );
        }
    }
    cases
}

/// What one run of the binary gave.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// Run `aks-harden validate <arg>` from the package root, killing it after [`TIMEOUT`].
fn validate(arg: &Path) -> Run {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out_path = tmp.path().join("stdout");
    let err_path = tmp.path().join("stderr");
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_aks-harden"))
        .arg("validate")
        .arg(arg)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("run aks-harden");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into();
    let run = Run {
        code: status.and_then(|s| s.code()),
        stdout: read(&out_path),
        stderr: read(&err_path),
        elapsed,
    };
    assert!(
        status.is_some(),
        "{}: still running after {TIMEOUT:?}; killed",
        arg.display()
    );
    run
}

/// One diagnostic as printed: `error[code]: message`, `  --> location`, `  = hint: hint`.
#[derive(Debug)]
struct Block {
    code: String,
    location: String,
    hint: Option<String>,
}

fn blocks(stderr: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for line in stderr.lines() {
        let head = line
            .strip_prefix("error[")
            .or_else(|| line.strip_prefix("warning["));
        if let Some(rest) = head.and_then(|r| r.split_once("]: ")) {
            out.push(Block {
                code: rest.0.to_string(),
                location: String::new(),
                hint: None,
            });
        } else if let (Some(loc), Some(b)) = (line.strip_prefix("  --> "), out.last_mut()) {
            b.location = loc.to_string();
        } else if let (Some(h), Some(b)) = (line.strip_prefix("  = hint: "), out.last_mut()) {
            b.hint = Some(h.to_string());
        }
    }
    out
}

/// Whether `location` (`file[:L:C][ at /pointer]`) names `file`: exactly, or by suffix when
/// `suffix` is set.
fn names_file(location: &str, file: &str, suffix: bool) -> Option<String> {
    let candidates: Vec<usize> = location.match_indices(file).map(|(i, _)| i).collect();
    candidates.into_iter().find_map(|i| {
        let end = i + file.len();
        let rest = &location[end..];
        let boundary = rest.is_empty() || rest.starts_with(':') || rest.starts_with(" at ");
        let start_ok = if suffix {
            i == 0 || location[..i].ends_with(['/', '\\'])
        } else {
            i == 0
        };
        (boundary && start_ok).then(|| rest.to_string())
    })
}

/// Check a run against `expect` and return the problems found. `strict: false` is for known
/// bugs: the run must still end normally (exit 0 or 2, not a panic or a signal), and every
/// diagnostic it prints must have a hint.
fn check(case: &Case, run: &Run, strict: bool) -> Vec<String> {
    let e = &case.expect;
    let mut problems = Vec::new();
    let mut fail = |s: String| problems.push(s);
    if !strict {
        if !matches!(run.code, Some(0 | 2)) {
            fail(format!("exit code {:?}: a crash", run.code));
        }
        for b in blocks(&run.stderr) {
            if b.hint.as_deref().is_none_or(str::is_empty) {
                fail(format!("diagnostic {} has no hint line", b.code));
            }
        }
        return problems;
    }
    if run.code != Some(2) {
        fail(format!("exit code {:?}, expected 2", run.code));
    }
    if !run.stdout.is_empty() {
        fail(format!("stdout is not empty: {:?}", run.stdout));
    }
    let found = blocks(&run.stderr);
    if found.is_empty() {
        fail("no diagnostic on stderr".into());
    }
    for b in &found {
        if b.hint.as_deref().is_none_or(str::is_empty) {
            fail(format!("diagnostic {} has no hint line", b.code));
        }
    }
    if !run
        .stderr
        .lines()
        .any(|l| l.starts_with("error: ") && l.contains("problem"))
    {
        fail("no closing `error: N problems found` line".into());
    }
    let arg = case.arg.display().to_string();
    let (file, suffix) = match &e.file {
        Some(f) => (f.as_str(), true),
        None => (arg.as_str(), false),
    };
    // The diagnostics that name the expected file.
    let in_file: Vec<(&Block, String)> = found
        .iter()
        .filter_map(|b| names_file(&b.location, file, suffix).map(|rest| (b, rest)))
        .collect();
    if in_file.is_empty() {
        fail(format!("no diagnostic names the file {file:?}"));
    }
    let matching: Vec<&(&Block, String)> =
        in_file.iter().filter(|(b, _)| b.code == e.code).collect();
    if matching.is_empty() {
        fail(format!(
            "no {} diagnostic in {file:?}; found {:?}",
            e.code,
            found
                .iter()
                .map(|b| format!("{} at {}", b.code, b.location))
                .collect::<Vec<_>>()
        ));
        return problems;
    }
    let ok = |(b, rest): &&(&Block, String)| {
        let pointer_ok = e.pointer.as_ref().is_none_or(|p| {
            let shown = if p.is_empty() { "/" } else { p };
            rest.ends_with(&format!(" at {shown}"))
        });
        let position_ok = e.position.as_ref().is_none_or(|want| {
            let pos = rest
                .strip_prefix(':')
                .map(|r| r.split(" at ").next().unwrap_or(r));
            match (want.as_str(), pos) {
                ("any", Some(p)) => {
                    let mut parts = p.split(':');
                    parts.clone().count() == 2
                        && parts.all(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
                }
                (w, Some(p)) => w == p,
                (_, None) => false,
            }
        });
        let hint_ok = e
            .hint
            .as_ref()
            .is_none_or(|h| b.hint.as_deref().is_some_and(|bh| bh.contains(h.as_str())));
        pointer_ok && position_ok && hint_ok
    };
    if !matching.iter().any(ok) {
        fail(format!(
            "the {} diagnostic does not match pointer={:?} position={:?} hint={:?}: {:?}",
            e.code, e.pointer, e.position, e.hint, matching
        ));
    }
    problems
}

fn report(case: &Case, run: &Run, problems: &[String]) -> String {
    format!(
        "{} ({:?}):\n  - {}\n--- stderr\n{}",
        case.name,
        run.elapsed,
        problems.join("\n  - "),
        run.stderr
    )
}

#[test]
fn hostile_corpus_is_refused_with_the_expected_diagnostic() {
    let cases = committed_cases();
    assert!(
        cases.len() >= 40,
        "the corpus has {} cases; keep at least 40",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let run = validate(&case.arg);
        let strict = case.expect.ignore.is_none();
        if let Some(why) = &case.expect.ignore {
            println!("note: {} is a known bug, checked loosely: {why}", case.name);
        }
        let problems = check(case, &run, strict);
        if !problems.is_empty() {
            failures.push(report(case, &run, &problems));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// The cases marked `ignore=` in their sidecar, checked strictly: they fail until the bugs in
/// code outside this corpus's ownership are fixed.
#[test]
#[ignore = "known bugs in src/profile/schema.rs, src/validate: see the ignore= lines in tests/hostile/*.expect"]
fn hostile_known_bugs_are_fixed() {
    let mut failures = Vec::new();
    for case in committed_cases()
        .iter()
        .filter(|c| c.expect.ignore.is_some())
    {
        let run = validate(&case.arg);
        let problems = check(case, &run, true);
        if !problems.is_empty() {
            failures.push(report(case, &run, &problems));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Write `bytes` to `dir/name` and return the path.
fn put(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write generated case");
    p
}

fn generated(name: &str, arg: PathBuf, code: &str, pointer: Option<&str>) -> Case {
    Case {
        name: name.to_string(),
        arg,
        expect: Expect {
            code: code.to_string(),
            pointer: pointer.map(str::to_string),
            ..Expect::default()
        },
    }
}

/// Whether a file with mode 000 can still be read here (true for root).
#[cfg(unix)]
fn permissions_are_bypassed(path: &Path) -> bool {
    std::fs::read(path).is_ok()
}

/// Inputs generated into `dir`: none are committed, because they are huge, deep, binary, or
/// not files at all.
fn generated_cases(dir: &Path) -> Vec<Case> {
    const N: usize = 10_000;
    let mut cases = Vec::new();

    // 100 MB: refused from its size, before a byte is read. Sparse, so cheap to make.
    let big = dir.join("huge.json");
    std::fs::File::create(&big)
        .and_then(|f| f.set_len(100 * 1024 * 1024))
        .expect("make a 100 MB file");
    cases.push(generated("huge.json (100 MB)", big, "too-large", Some("")));

    // 10,000 levels of nesting, every way JSON and YAML can nest.
    let deep = [
        (
            "deep-arrays.json",
            format!(
                "{{\"extends\": \"prod\", \"x\": {}{}}}",
                "[".repeat(N),
                "]".repeat(N)
            ),
        ),
        (
            "deep-objects.json",
            format!(
                "{{\"extends\": \"prod\", \"x\": {}1{}}}",
                "{\"a\": ".repeat(N),
                "}".repeat(N)
            ),
        ),
        ("deep-block.yaml", format!("x:\n  {}1\n", "- ".repeat(N))),
        (
            "deep-flow.yaml",
            format!("x: {}{}\n", "[".repeat(N), "]".repeat(N)),
        ),
        ("deep-keys.yaml", format!("x:\n  {}a\n", "? ".repeat(N))),
        (
            "deep-flow-maps.yaml",
            format!("x: {}1{}\n", "{a: ".repeat(N), "}".repeat(N)),
        ),
        (
            // One-space steps: 2,000 levels in 2 MB.
            "deep-indent.yaml",
            (0..2_000).fold(String::new(), |mut s, i| {
                s.push_str(&" ".repeat(i));
                s.push_str("a:\n");
                s
            }),
        ),
    ];
    for (name, text) in deep {
        let p = put(dir, name, text);
        cases.push(generated(name, p, "too-deep", Some("")));
    }
    // Brackets inside a string are text, not nesting: the name is what is wrong.
    let p = put(
        dir,
        "brackets-in-string.json",
        format!("{{\"extends\": \"prod\", \"name\": \"{}\"}}", "[".repeat(N)),
    );
    cases.push(generated(
        "brackets-in-string.json",
        p,
        "name-length",
        Some("/name"),
    ));

    // Bytes that are not UTF-8.
    let not_utf8: [(&str, &[u8]); 5] = [
        (
            "latin1.json",
            b"{\"extends\": \"prod\", \"name\": \"caf\xe9\"}",
        ),
        (
            "utf16.json",
            b"\xff\xfe{\x00\"\x00e\x00\"\x00:\x001\x00}\x00",
        ),
        ("truncated.yaml", b"extends: prod\nname: caf\xc3"),
        (
            "overlong.json",
            b"{\"extends\": \"prod\", \"name\": \"\xc0\xaf\"}",
        ),
        ("surrogate-bytes.json", b"{\"extends\": \"\xed\xa0\x80\"}"),
    ];
    for (name, bytes) in not_utf8 {
        let p = put(dir, name, bytes);
        cases.push(generated(name, p, "not-utf8", Some("")));
    }

    // Paths that are not readable files.
    let folder = dir.join("folder.json");
    std::fs::create_dir(&folder).expect("create folder");
    cases.push(generated("folder.json", folder, "io", Some("")));
    cases.push(generated(
        "missing.json",
        dir.join("missing.json"),
        "io",
        Some(""),
    ));
    let file = put(dir, "plain.json", "{}");
    cases.push(generated(
        "plain.json/inner.json",
        file.join("inner.json"),
        "io",
        Some(""),
    ));
    #[cfg(unix)]
    {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let dangling = dir.join("dangling.json");
        symlink(dir.join("nowhere.json"), &dangling).expect("symlink");
        cases.push(generated("dangling.json", dangling, "io", Some("")));
        let (a, b) = (dir.join("loop-a.json"), dir.join("loop-b.json"));
        symlink(&b, &a).expect("symlink");
        symlink(&a, &b).expect("symlink");
        cases.push(generated("loop-a.json (symlink loop)", a, "io", Some("")));

        let locked = put(dir, "unreadable.json", "{\"extends\": \"prod\"}");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000))
            .expect("chmod 000");
        if permissions_are_bypassed(&locked) {
            println!(
                "note: skipping unreadable.json: this process reads files with mode 000 \
                 (running as root); the dangling symlink, symlink loop and file-as-folder cases \
                 cover unreadable paths instead"
            );
        } else {
            cases.push(generated("unreadable.json", locked, "io", Some("")));
        }

        // A pipe would block a reader forever: refused without reading.
        let fifo = dir.join("fifo.json");
        match Command::new("mkfifo").arg(&fifo).status() {
            Ok(s) if s.success() => cases.push(generated("fifo.json", fifo, "io", Some(""))),
            _ => println!("note: skipping fifo.json: mkfifo is not available"),
        }
    }
    // A device that never ends.
    if Path::new("/dev/zero").exists() {
        cases.push(generated(
            "/dev/zero",
            PathBuf::from("/dev/zero"),
            "io",
            Some(""),
        ));
    }
    cases
}

#[test]
fn generated_hostile_inputs_are_refused_quickly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cases = generated_cases(tmp.path());
    let mut failures = Vec::new();
    for case in &cases {
        let run = validate(&case.arg);
        let mut problems = check(case, &run, true);
        // A limit error is cheap; seconds mean the input was read or parsed in full.
        if run.elapsed > Duration::from_secs(5) {
            problems.push(format!("took {:?}", run.elapsed));
        }
        if !problems.is_empty() {
            failures.push(report(case, &run, &problems));
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(
            tmp.path().join("unreadable.json"),
            std::fs::Permissions::from_mode(0o600),
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} generated cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// The library refuses the same inputs given as text, without a file: nothing depends on the
/// binary's checks.
#[test]
fn library_refuses_huge_and_deep_text() {
    use aks_harden::{Syntax, load_str};
    let code = |text: &str, syntax| {
        let err = load_str("hostile", text, syntax).expect_err("must be refused");
        let d = err.diagnostics();
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].file, "hostile");
        assert!(!d[0].hint.is_empty());
        d[0].code.as_str()
    };
    let huge = format!(
        "{{\"extends\": \"prod\", \"description\": \"{}\"}}",
        "x".repeat(100 * 1024 * 1024)
    );
    let start = Instant::now();
    assert_eq!(code(&huge, Syntax::Json), "too-large");
    assert_eq!(code(&huge, Syntax::Yaml), "too-large");
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(code(&deep, Syntax::Json), "too-deep");
    assert_eq!(code(&deep, Syntax::Yaml), "too-deep");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn stderr_parser_reads_locations() {
    let b = blocks(
        "error[syntax]: invalid JSON\n  --> a.json:4:1\n  = hint: fix it\n\nerror: 1 problem found\n",
    );
    assert_eq!(b.len(), 1);
    assert_eq!(
        names_file(&b[0].location, "a.json", false).as_deref(),
        Some(":4:1")
    );
    assert_eq!(
        names_file("/x/b/a.json at /n", "a.json", true).as_deref(),
        Some(" at /n")
    );
    assert_eq!(names_file("/x/ba.json at /n", "a.json", true), None);
    assert_eq!(names_file("a.json.x at /", "a.json", false), None);
}
