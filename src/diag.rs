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
    /// Stable, documented code such as [`Code::CidrOverlap`] (`cidr-overlap`).
    pub code: Code,
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
        code: Code,
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
        code: Code,
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

/// Declares [`Code`]: one line per code with its variant, its printed name and its meaning, so
/// a code cannot exist without a name and a description.
macro_rules! codes {
    ($($variant:ident = $name:literal: $description:literal,)*) => {
        /// Every diagnostic code aks-harden can emit. The printed names are stable: users and
        /// scripts match on them, and the diagnostics snapshots show them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Code {
            $(
                #[doc = $description]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The kebab-case name as printed, such as `cidr-overlap`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// What the code means, in one line.
            pub const fn description(self) -> &'static str {
                match self {
                    $(Code::$variant => $description,)*
                }
            }
        }
    };
}

codes! {
    Io = "io": "the file cannot be read",
    TooLarge = "too-large": "the file is larger than aks-harden reads",
    NotUtf8 = "not-utf8": "the file is not UTF-8 text",
    Syntax = "syntax": "the file is not valid JSON or YAML",
    TooDeep = "too-deep": "the document nests deeper than aks-harden reads",
    NotObject = "not-object": "the document is not a JSON object",
    ExtendsUnknown = "extends-unknown": "`extends` names no built-in profile or readable file",
    ExtendsCycle = "extends-cycle": "`extends` chains back to a file already being read",
    UnknownKey = "unknown-key": "a key the estate format does not have",
    MissingKey = "missing-key": "a required key is absent",
    WrongType = "wrong-type": "a value has the wrong JSON type",
    BadValue = "bad-value": "a value is not one of those allowed",
    CidrSyntax = "cidr-syntax": "not an IPv4 CIDR or address",
    CidrHostBits = "cidr-host-bits": "a CIDR has host bits set",
    CidrOutside = "cidr-outside": "a subnet or address is not inside its parent range",
    CidrOverlap = "cidr-overlap": "two address ranges overlap",
    SubnetSize = "subnet-size": "a subnet is smaller or larger than Azure requires",
    NameLength = "name-length": "a resource name is too short or too long for Azure",
    NameChars = "name-chars": "a resource name has characters Azure does not allow",
    Region = "region": "not a known Azure region",
    Guid = "guid": "not a GUID",
    Date = "date": "not a date YYYY-MM-DD",
    Time = "time": "not a time HH:MM or UTC offset",
    PoolCount = "pool-count": "node counts are out of order or out of range",
    PoolSystem = "pool-system": "the cluster has no system node pool",
    Inconsistent = "inconsistent": "settings that contradict each other",
    RouteLoop = "route-loop": "a next hop that routes back through the firewall",
    SubnetShared = "subnet-shared": "a subnet Azure wants for one service alone is shared with other resources",
    IngressRoute = "ingress-route": "a route on the Application Gateway subnet that Azure rejects",
    WaiverUnknown = "waiver-unknown": "a waiver names no control",
    TierRequirement = "tier-requirement": "the tier demands a setting the estate does not have",
    KubernetesVersion = "kubernetes-version": "a Kubernetes version AKS does not support",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Code;
    use std::collections::BTreeSet;

    /// Lower-case ASCII words of letters and digits joined by single hyphens, starting with a
    /// letter: `cidr-host-bits`, `not-utf8`.
    fn is_kebab_case(s: &str) -> bool {
        s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.split('-').all(|word| {
                !word.is_empty()
                    && word
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    }

    #[test]
    fn codes_have_distinct_kebab_case_names_and_descriptions() {
        let mut seen = BTreeSet::new();
        for code in Code::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{code:?}: {name:?} is used twice");
            assert!(is_kebab_case(name), "{code:?}: {name:?} is not kebab-case");
            assert!(
                !code.description().trim().is_empty(),
                "{code:?} has no description"
            );
            assert_eq!(code.to_string(), name, "{code:?}: Display is the name");
        }
    }

    #[test]
    fn kebab_case_check() {
        for good in ["io", "not-utf8", "cidr-host-bits"] {
            assert!(is_kebab_case(good), "{good}");
        }
        for bad in [
            "",
            "-io",
            "io-",
            "cidr--overlap",
            "Cidr",
            "cidr_overlap",
            "8bit",
            "a b",
        ] {
            assert!(!is_kebab_case(bad), "{bad}");
        }
    }
}
