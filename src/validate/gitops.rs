//! A spoke's GitOps block and its monitoring access: the repository is reached over HTTPS on 443
//! only, and no credential is written into the estate; private monitoring needs the Azure Monitor
//! workspace that managed Prometheus brings.

use super::{Validator, names};
use crate::diag::Code;
use crate::model;
use crate::profile;

/// Where the Flux extension runs; the estate cannot declare it as a managed namespace.
const FLUX_NAMESPACE: &str = model::GitOps::NAMESPACE;

/// Shortest and longest sync interval Flux is given, in seconds.
const SYNC_INTERVAL: std::ops::RangeInclusive<u32> = 60..=86_400;

/// What is wrong with a repository URL, as (message, hint); `None` when it is an HTTPS URL with
/// a host, a repository path, no credentials and no port other than 443.
fn url_problem(url: &str) -> Option<(String, String)> {
    let Some(rest) = url.strip_prefix("https://") else {
        let scheme = url.split_once("://").map_or("", |(s, _)| s);
        let hint = if scheme.eq_ignore_ascii_case("http") {
            "write the repository's https:// URL: Flux must not fetch what it applies to the cluster over plain HTTP"
        } else if url.starts_with("git@") || scheme.eq_ignore_ascii_case("ssh") {
            "write the repository's https:// URL: aks-harden opens HTTPS (443) to the repository's host, not SSH"
        } else {
            "write the repository's https:// URL, e.g. \"https://github.com/contoso/platform\""
        };
        return Some((format!("{url:?} is not an https:// URL"), hint.into()));
    };
    let no_credentials = "remove them: the estate holds no credentials. For a private repository, create a Kubernetes secret with its username and password (a token) in flux-system and name it in \"credentialsSecret\"";
    if url.contains(['?', '#']) {
        return Some((
            "the repository URL has a query or a fragment, where tokens hide".into(),
            no_credentials.into(),
        ));
    }
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.contains('@') {
        return Some((
            "the repository URL carries credentials (user@ or user:password@ before the host)"
                .into(),
            no_credentials.into(),
        ));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if let Some(p) = port {
        if p != "443" {
            return Some((
                format!("the repository URL names port {p:?}"),
                "use the repository's HTTPS URL on port 443: the firewall lets the nodes reach the host on 443 only".into(),
            ));
        }
    }
    let host_ok = host.len() <= 253
        && host.split('.').count() >= 2
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && !host
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()));
    if !host_ok {
        return Some((
            format!("{host:?} is not a host name"),
            "write the repository's host as a lowercase DNS name, e.g. github.com or dev.azure.com (the firewall allows names, not addresses)".into(),
        ));
    }
    if path.trim_matches('/').is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Some((
            "the repository URL names no repository".into(),
            "write the full URL of the repository, e.g. \"https://github.com/contoso/platform\""
                .into(),
        ));
    }
    None
}

/// Whether `branch` is a branch name git accepts (`git check-ref-format --branch`, in short).
fn branch_ok(branch: &str) -> bool {
    !branch.is_empty()
        && branch.len() <= 250
        && !branch.starts_with(['-', '/'])
        && !branch.ends_with(['/', '.'])
        && !branch.to_ascii_lowercase().ends_with(".lock")
        && !branch.contains("..")
        && !branch.contains("@{")
        && !branch.contains("//")
        && !branch
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "~^:?*[\\".contains(c))
}

/// Whether `path` is a folder inside the repository: relative, no `..`, no blanks.
fn path_ok(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 1024
        && !path.starts_with('/')
        && !path.chars().any(|c| c.is_whitespace() || c.is_control())
        && path.split('/').all(|seg| seg != "..")
}

impl Validator {
    /// The spoke's GitOps block, checked, with the defaults filled in.
    pub(super) fn gitops(&mut self, s: &profile::Spoke, p: &str) -> Option<model::GitOps> {
        let g = s.gitops.as_ref()?;
        let gp = format!("{p}/gitops");
        let mut ok = true;
        if let Some((msg, hint)) = url_problem(&g.url) {
            self.err(Code::BadValue, &format!("{gp}/url"), msg, hint);
            ok = false;
        }
        if !branch_ok(&g.branch) {
            self.err(
                Code::BadValue,
                &format!("{gp}/branch"),
                format!("{:?} is not a branch name", g.branch),
                "write the branch Flux follows, e.g. \"main\"".into(),
            );
            ok = false;
        }
        if !path_ok(&g.path) {
            self.err(
                Code::BadValue,
                &format!("{gp}/path"),
                format!("{:?} is not a folder of the repository", g.path),
                "write a path relative to the repository's root, without \"..\", e.g. \"./clusters/prod\"".into(),
            );
            ok = false;
        }
        let interval = g.sync_interval_seconds.unwrap_or(300);
        if !SYNC_INTERVAL.contains(&interval) {
            self.err(
                Code::BadValue,
                &format!("{gp}/syncIntervalSeconds"),
                format!("a sync interval of {interval} seconds is out of range"),
                format!(
                    "sync every {} to {} seconds; 300 is the default",
                    SYNC_INTERVAL.start(),
                    SYNC_INTERVAL.end()
                ),
            );
            ok = false;
        }
        if let Some(secret) = &g.credentials_secret {
            self.name(&names::K8S_NAME, secret, &format!("{gp}/credentialsSecret"));
        }
        if s.namespaces.contains_key(FLUX_NAMESPACE) {
            self.err(
                Code::NameChars,
                &format!("{p}/namespaces/{FLUX_NAMESPACE}"),
                format!("{FLUX_NAMESPACE:?} is where the Flux extension runs"),
                "leave flux-system to the extension; put the workloads Flux deploys in namespaces of their own".into(),
            );
        }
        let host = g
            .url
            .strip_prefix("https://")
            .and_then(|r| r.split('/').next())
            .map(|a| a.rsplit_once(':').map_or(a, |(h, _)| h).to_string());
        match (ok, host) {
            (true, Some(host)) => Some(model::GitOps {
                url: g.url.clone(),
                host,
                branch: g.branch.clone(),
                path: g.path.clone(),
                prune: g.prune.unwrap_or(true),
                sync_interval_seconds: interval,
                credentials_secret: g.credentials_secret.clone(),
            }),
            _ => None,
        }
    }

    /// Private monitoring makes the Azure Monitor workspace private, which only managed
    /// Prometheus brings.
    pub(super) fn private_monitoring(&mut self, s: &profile::Spoke, p: &str) -> bool {
        let private = s.monitoring.as_ref().is_some_and(|m| m.private);
        if private && !s.cluster.addons.managed_prometheus {
            self.contradiction(
                &format!("{p}/monitoring/private"),
                &format!("{p}/cluster/addons/managedPrometheus"),
                "private monitoring keeps the Azure Monitor workspace private, and without managed Prometheus there is none".into(),
                "turn \"managedPrometheus\" on, or remove \"monitoring\": {\"private\": true}".into(),
            );
        }
        private
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_urls_without_credentials_pass() {
        for good in [
            "https://github.com/contoso/platform",
            "https://github.com/contoso/platform.git",
            "https://dev.azure.com/contoso/platform/_git/platform",
            "https://git.contoso.com:443/platform",
        ] {
            assert_eq!(url_problem(good), None, "{good}");
        }
        for (bad, says) in [
            ("http://github.com/contoso/platform", "not an https"),
            ("git@github.com:contoso/platform.git", "not an https"),
            ("ssh://git@github.com/contoso/platform", "not an https"),
            (
                "https://user:ghp_secret@github.com/contoso/platform",
                "credentials",
            ),
            ("https://token@github.com/contoso/platform", "credentials"),
            (
                "https://github.com/contoso/platform?access_token=x",
                "query",
            ),
            ("https://git.contoso.com:8443/platform", "port"),
            ("https://10.0.0.1/platform", "not a host"),
            ("https://GitHub.com/contoso/platform", "not a host"),
            ("https://github.com", "no repository"),
            ("https://github.com/", "no repository"),
        ] {
            let (msg, _) = url_problem(bad).unwrap_or_default();
            assert!(msg.contains(says), "{bad}: {msg}");
        }
    }

    #[test]
    fn branches_and_paths() {
        for good in ["main", "release/1.2", "env-prod"] {
            assert!(branch_ok(good), "{good}");
        }
        for bad in ["", "-x", "a..b", "a b", "x.lock", "a/", "a~1", "a:b"] {
            assert!(!branch_ok(bad), "{bad}");
        }
        for good in ["./clusters/prod", "clusters/prod", "."] {
            assert!(path_ok(good), "{good}");
        }
        for bad in ["", "/etc", "../other", "./a/../../b", "a b"] {
            assert!(!path_ok(bad), "{bad}");
        }
    }
}
