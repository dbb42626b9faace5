//! Built-in Azure Policy definitions aks-harden assigns.

/// Policy set: Kubernetes cluster pod security baseline standards for Linux-based workloads.
pub const POD_SECURITY_BASELINE: &str = "a8640138-9b0a-4a28-b8cb-1666c838647d";
/// Policy set: Kubernetes cluster pod security restricted standards for Linux-based workloads.
pub const POD_SECURITY_RESTRICTED: &str = "42b8ef37-b724-4e24-bbc8-7a7708edfe00";
/// Policy: Kubernetes clusters should use internal load balancers (effects `Audit`, `Deny`,
/// `Disabled`).
pub const INTERNAL_LOAD_BALANCERS: &str = "3fc4dc25-5baf-40d8-9b05-7fe74c1bc64e";
