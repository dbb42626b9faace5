//! Diagnostics: every problem found in an estate, each with a stable code, the file, the JSON
//! pointer of the offending value (or a line and column for syntax errors), a message and a hint.

use std::fmt;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The estate cannot be rendered.
    Error,
    /// The estate renders, but something deserves a look.
    Warning,
}

impl Severity {
    /// Lower-case name as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem in an estate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable, documented code such as `cidr-overlap`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// The file the value came from (a path, or `profile:<name>` for a built-in profile).
    pub file: String,
    /// JSON pointer of the offending value (`""` is the whole document).
    pub pointer: String,
    /// Line and column (1-based) where the input format can tell.
    pub position: Option<(usize, usize)>,
    /// What is wrong, lower-case, no trailing period.
    pub message: String,
    /// How to fix it.
    pub hint: String,
    /// Another place the problem involves (the other range of an overlap): when the user's file
    /// holds this one but not `pointer`, the diagnostic is reported here instead.
    pub related: Option<String>,
}

/// Longest message kept: diagnostics quote user values, which may be huge.
const MAX_MESSAGE: usize = 300;

fn bounded(s: String) -> String {
    if s.chars().count() <= MAX_MESSAGE {
        s
    } else {
        let mut t: String = s.chars().take(MAX_MESSAGE).collect();
        t.push('…');
        t
    }
}

impl Diagnostic {
    /// An error at `pointer`; `file` is filled in by the loader that knows where the value came from.
    pub fn error(
        code: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            file: String::new(),
            pointer: pointer.into(),
            position: None,
            message: bounded(message.into()),
            hint: bounded(hint.into()),
            related: None,
        }
    }

    /// Same diagnostic, also involving the value at `pointer`.
    #[must_use]
    pub fn related_to(mut self, pointer: impl Into<String>) -> Self {
        self.related = Some(pointer.into());
        self
    }

    /// A warning at `pointer`.
    pub fn warning(
        code: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, pointer, message, hint)
        }
    }

    /// Same diagnostic, attributed to `file`.
    #[must_use]
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = file.into();
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}[{}]: {}",
            self.severity.as_str(),
            self.code,
            self.message
        )?;
        write!(f, "\n  --> {}", self.file)?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        if !self.pointer.is_empty() || self.position.is_none() {
            let shown = if self.pointer.is_empty() {
                "/"
            } else {
                &self.pointer
            };
            write!(f, " at {shown}")?;
        }
        write!(f, "\n  = hint: {}", self.hint)
    }
}

/// Every diagnostic code aks-harden can emit, with a one-line meaning. Kept in one place so the
/// list is documented and snapshot-tested.
pub const CODES: &[(&str, &str)] = &[
    ("io", "the file cannot be read"),
    ("too-large", "the file is larger than aks-harden reads"),
    ("not-utf8", "the file is not UTF-8 text"),
    ("syntax", "the file is not valid JSON or YAML"),
    (
        "too-deep",
        "the document nests deeper than aks-harden reads",
    ),
    ("not-object", "the document is not a JSON object"),
    (
        "extends-unknown",
        "`extends` names no built-in profile or readable file",
    ),
    (
        "extends-cycle",
        "`extends` chains back to a file already being read",
    ),
    ("unknown-key", "a key the estate format does not have"),
    ("missing-key", "a required key is absent"),
    ("wrong-type", "a value has the wrong JSON type"),
    ("bad-value", "a value is not one of those allowed"),
    ("cidr-syntax", "not an IPv4 CIDR or address"),
    ("cidr-host-bits", "a CIDR has host bits set"),
    (
        "cidr-outside",
        "a subnet or address is not inside its parent range",
    ),
    ("cidr-overlap", "two address ranges overlap"),
    (
        "subnet-size",
        "a subnet is smaller or larger than Azure requires",
    ),
    (
        "name-length",
        "a resource name is too short or too long for Azure",
    ),
    (
        "name-chars",
        "a resource name has characters Azure does not allow",
    ),
    ("region", "not a known Azure region"),
    ("guid", "not a GUID"),
    ("date", "not a date YYYY-MM-DD"),
    ("time", "not a time HH:MM or UTC offset"),
    ("pool-count", "node counts are out of order or out of range"),
    ("pool-system", "the cluster has no system node pool"),
    ("inconsistent", "settings that contradict each other"),
    ("waiver-unknown", "a waiver names no control"),
    (
        "tier-requirement",
        "the tier demands a setting the estate does not have",
    ),
];
