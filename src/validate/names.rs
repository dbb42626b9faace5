//! Azure naming rules for the resources aks-harden names, and the deterministic suffix that makes
//! globally unique names unique without randomness.

use crate::diag::Code;

/// One Azure naming rule.
pub struct NameRule {
    /// What is named, for messages.
    pub what: &'static str,
    /// Shortest allowed.
    pub min: usize,
    /// Longest allowed.
    pub max: usize,
    /// Characters allowed anywhere.
    pub chars: fn(char) -> bool,
    /// Human description of the characters.
    pub chars_desc: &'static str,
    /// First character must be a letter.
    pub letter_first: bool,
    /// Last character must be a letter or digit.
    pub alnum_last: bool,
    /// Consecutive hyphens forbidden.
    pub no_double_hyphen: bool,
    /// The name becomes part of a public host name, where Azure refuses reserved words.
    pub public_fqdn: bool,
}

/// Words Azure refuses anywhere in a name that becomes a public host name.
const RESERVED_ANYWHERE: &[&str] = &["microsoft", "windows"];
/// Words Azure refuses as a whole name.
const RESERVED_WHOLE: &[&str] = &[
    "access",
    "app_code",
    "appservices",
    "azure",
    "azuredns",
    "bing",
    "bizspark",
    "biztalk",
    "cortana",
    "directx",
    "dotnet",
    "dynamics",
    "excel",
    "exchange",
    "forefront",
    "groove",
    "hololens",
    "hyperv",
    "kinect",
    "lync",
    "msdn",
    "o365",
    "office",
    "office365",
    "onedrive",
    "onenote",
    "outlook",
    "powerpoint",
    "sharepoint",
    "skype",
    "visio",
    "visualstudio",
];
/// Words Azure refuses at the start of a name.
const RESERVED_START: &[&str] = &["login", "xbox"];

fn lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}
fn lower_alnum_hyphen(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}
fn alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}
fn alnum_hyphen(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}
fn alnum_hyphen_underscore(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}
fn rg_chars(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.()".contains(c)
}
fn vnet_chars(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.".contains(c)
}

const fn rule(
    what: &'static str,
    min: usize,
    max: usize,
    chars: fn(char) -> bool,
    chars_desc: &'static str,
) -> NameRule {
    NameRule {
        what,
        min,
        max,
        chars,
        chars_desc,
        letter_first: false,
        alnum_last: true,
        no_double_hyphen: false,
        public_fqdn: false,
    }
}

/// The estate's short name.
pub const ESTATE: NameRule = NameRule {
    letter_first: true,
    ..rule("estate", 2, 10, lower_alnum, "lowercase letters and digits")
};
/// A spoke key.
pub const SPOKE: NameRule = NameRule {
    letter_first: true,
    ..rule("spoke", 1, 8, lower_alnum, "lowercase letters and digits")
};
/// A node pool name (Linux pools).
pub const POOL: NameRule = NameRule {
    letter_first: true,
    ..rule(
        "node pool",
        1,
        12,
        lower_alnum,
        "lowercase letters and digits",
    )
};
/// A workload identity key.
pub const WORKLOAD: NameRule = NameRule {
    letter_first: true,
    ..rule(
        "workload identity",
        1,
        24,
        lower_alnum_hyphen,
        "lowercase letters, digits and hyphens",
    )
};
/// A Kubernetes namespace or service account (DNS-1123 label).
pub const K8S_NAME: NameRule = NameRule {
    letter_first: false,
    ..rule(
        "Kubernetes",
        1,
        63,
        lower_alnum_hyphen,
        "lowercase letters, digits and hyphens",
    )
};
/// A fleet update stage or group.
pub const FLEET_GROUP: NameRule = NameRule {
    letter_first: true,
    ..rule(
        "fleet update stage or group",
        1,
        50,
        lower_alnum_hyphen,
        "lowercase letters, digits and hyphens",
    )
};
/// A firewall rule name.
pub const RULE: NameRule = rule(
    "firewall rule",
    1,
    80,
    alnum_hyphen_underscore,
    "letters, digits, hyphens and underscores",
);
/// Resource group.
pub const RESOURCE_GROUP: NameRule = rule(
    "resource group",
    1,
    90,
    rg_chars,
    "letters, digits, hyphens, underscores, periods and parentheses",
);
/// Virtual network.
pub const VNET: NameRule = rule(
    "virtual network",
    2,
    64,
    vnet_chars,
    "letters, digits, hyphens, underscores and periods",
);
/// AKS cluster.
pub const AKS: NameRule = rule(
    "AKS cluster",
    1,
    63,
    alnum_hyphen_underscore,
    "letters, digits, hyphens and underscores",
);
/// AKS DNS prefix.
pub const DNS_PREFIX: NameRule = NameRule {
    letter_first: true,
    public_fqdn: true,
    ..rule(
        "AKS DNS prefix",
        1,
        54,
        alnum_hyphen,
        "letters, digits and hyphens",
    )
};
/// Key Vault (globally unique).
pub const KEY_VAULT: NameRule = NameRule {
    letter_first: true,
    public_fqdn: true,
    no_double_hyphen: true,
    ..rule(
        "Key Vault",
        3,
        24,
        alnum_hyphen,
        "letters, digits and hyphens",
    )
};
/// Container registry (globally unique).
pub const REGISTRY: NameRule = NameRule {
    public_fqdn: true,
    ..rule("container registry", 5, 50, alnum, "letters and digits")
};
/// Log Analytics workspace.
pub const LOG_ANALYTICS: NameRule = NameRule {
    letter_first: false,
    ..rule(
        "Log Analytics workspace",
        4,
        63,
        alnum_hyphen,
        "letters, digits and hyphens",
    )
};

impl NameRule {
    /// `None` when `name` is allowed, else the diagnostic code and what is wrong.
    pub fn check(&self, name: &str) -> Option<(Code, String)> {
        let n = name.chars().count();
        if n < self.min || n > self.max {
            return Some((
                Code::NameLength,
                format!(
                    "has {n} character{}; it takes {} to {}",
                    if n == 1 { "" } else { "s" },
                    self.min,
                    self.max
                ),
            ));
        }
        if let Some(c) = name.chars().find(|c| !(self.chars)(*c)) {
            return Some((Code::NameChars, format!("contains {c:?}")));
        }
        if self.letter_first && !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Some((Code::NameChars, "does not start with a letter".into()));
        }
        if self.alnum_last && !name.ends_with(|c: char| c.is_ascii_alphanumeric()) {
            return Some((
                Code::NameChars,
                "does not end with a letter or digit".into(),
            ));
        }
        if self.no_double_hyphen && name.contains("--") {
            return Some((Code::NameChars, "contains consecutive hyphens".into()));
        }
        if self.public_fqdn {
            let lower = name.to_ascii_lowercase();
            let reserved = RESERVED_ANYWHERE
                .iter()
                .find(|w| lower.contains(*w))
                .or_else(|| RESERVED_WHOLE.iter().find(|w| lower == **w))
                .or_else(|| RESERVED_START.iter().find(|w| lower.starts_with(*w)));
            if let Some(w) = reserved {
                return Some((
                    Code::NameChars,
                    format!(
                        "uses the reserved word {:?}, which Azure refuses in public host names",
                        w.to_ascii_uppercase()
                    ),
                ));
            }
        }
        None
    }

    /// The rule in words, for hints.
    pub fn describe(&self) -> String {
        let mut s = format!("{} to {} {}", self.min, self.max, self.chars_desc);
        if self.letter_first {
            s.push_str(", starting with a letter");
        }
        if self.alnum_last {
            s.push_str(", ending with a letter or digit");
        }
        if self.no_double_hyphen {
            s.push_str(", no consecutive hyphens");
        }
        s
    }
}

/// A 5-character lowercase suffix derived from `parts` (FNV-1a, base 36): the same estate always
/// gets the same globally unique names, different estates almost always different ones.
pub fn suffix(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = String::new();
    for _ in 0..5 {
        out.push(char::from(digits[usize::try_from(h % 36).unwrap_or(0)]));
        h /= 36;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_vault_rules() {
        assert_eq!(KEY_VAULT.check("kv-contoso-prod"), None);
        assert_eq!(KEY_VAULT.check("kv").unwrap().0, Code::NameLength);
        assert_eq!(KEY_VAULT.check("kv_contoso").unwrap().0, Code::NameChars);
        assert_eq!(KEY_VAULT.check("1kv-contoso").unwrap().0, Code::NameChars);
        assert_eq!(KEY_VAULT.check("kv--contoso").unwrap().0, Code::NameChars);
        assert_eq!(KEY_VAULT.check("kv-contoso-").unwrap().0, Code::NameChars);
        assert_eq!(
            KEY_VAULT.check(&"k".repeat(25)).unwrap().0,
            Code::NameLength
        );
        assert_eq!(REGISTRY.check("acr-contoso").unwrap().0, Code::NameChars);
        assert_eq!(
            KEY_VAULT.check("kv-microsoft-prod").unwrap().0,
            Code::NameChars
        );
        assert_eq!(REGISTRY.check("loginregistry").unwrap().0, Code::NameChars);
        assert_eq!(REGISTRY.check("azure").unwrap().0, Code::NameChars);
        assert_eq!(REGISTRY.check("azureregistry"), None);
    }

    #[test]
    fn suffix_is_stable_and_spreads() {
        assert_eq!(suffix(&["contoso", "prod"]), suffix(&["contoso", "prod"]));
        assert_ne!(suffix(&["contoso", "prod"]), suffix(&["contoso", "dev"]));
        assert_ne!(suffix(&["ab", "c"]), suffix(&["a", "bc"]));
        assert_eq!(suffix(&["x"]).len(), 5);
    }
}
