//! Built-in Azure Policy definitions aks-harden assigns, and the namespaces they leave alone.

/// Policy set: Kubernetes cluster pod security baseline standards for Linux-based workloads.
pub const POD_SECURITY_BASELINE: &str = "a8640138-9b0a-4a28-b8cb-1666c838647d";
/// Policy set: Kubernetes cluster pod security restricted standards for Linux-based workloads.
pub const POD_SECURITY_RESTRICTED: &str = "42b8ef37-b724-4e24-bbc8-7a7708edfe00";
/// Policy: Kubernetes clusters should use internal load balancers (effects `Audit`, `Deny`,
/// `Disabled`).
pub const INTERNAL_LOAD_BALANCERS: &str = "3fc4dc25-5baf-40d8-9b05-7fe74c1bc64e";
/// Policy: Kubernetes cluster containers should only use allowed images
/// (`allowedContainerImagesRegex`, `effect`, `excludedNamespaces`).
pub const ALLOWED_IMAGES: &str = "febd0533-8e55-448f-b837-bd0e06f16469";
/// Policy: Kubernetes cluster containers CPU and memory resource limits should not exceed the
/// specified limits (`cpuLimit`, `memoryLimit`, `effect`, `excludedNamespaces`).
pub const CONTAINER_LIMITS: &str = "e345eecc-fa47-480f-9e88-67dcc122b164";

/// Namespaces AKS and its add-ons run their own pods in, which no workload policy should judge:
/// the defaults of the built-in Kubernetes policies.
pub const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "gatekeeper-system", "azure-arc"];

/// The namespaces of the Istio add-on's control plane and ingress gateways.
pub const MESH_NAMESPACES: &[&str] = &["aks-istio-system", "aks-istio-ingress"];
