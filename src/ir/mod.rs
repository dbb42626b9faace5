//! The intermediate representation: Azure resources as ARM understands them (type, apiVersion,
//! name, scope, properties, dependsOn), grouped into deployments by subscription and resource
//! group. Values are JSON-like trees whose leaves may be typed [`Expr`]essions, which each emitter
//! spells its own way. Planned by [`crate::plan`]; read by the emitters and the audit.

use crate::azure::types::api_version;
use indexmap::IndexMap;

/// A typed template expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A string literal inside an expression.
    Str(String),
    /// A template parameter (top level) or a deployment parameter (inside a deployment).
    Param(String),
    /// The id of the subscription the template is deployed to.
    DeploymentSubscriptionId,
    /// The tenant of the subscription the template is deployed to.
    DeploymentTenantId,
    /// A resource id.
    ResourceId {
        /// Subscription, when outside the current one.
        subscription: Option<Box<Expr>>,
        /// Resource group, when outside the current one.
        resource_group: Option<Box<Expr>>,
        /// Full resource type.
        rtype: String,
        /// Name segments, one per type segment after the provider.
        names: Vec<Expr>,
    },
    /// A subscription-level resource id (role and policy definitions).
    SubscriptionResourceId {
        /// Full resource type.
        rtype: String,
        /// Name.
        name: Box<Expr>,
    },
    /// A tenant-level resource id (built-in policy set definitions).
    TenantResourceId {
        /// Full resource type.
        rtype: String,
        /// Name.
        name: Box<Expr>,
    },
    /// A property of a deployed resource: `reference(id, apiVersion[, 'full']).path`.
    Reference {
        /// Resource id.
        id: Box<Expr>,
        /// API version to read with.
        api_version: String,
        /// Whether to read the full resource (for `identity`), not only `properties`.
        full: bool,
        /// Property path after the reference.
        path: Vec<String>,
    },
    /// A deterministic GUID from the given parts.
    Guid(Vec<Expr>),
    /// A list of string literals that ARM gets as `createArray(...)`: its resource schemas
    /// enumerate only some of the values the API takes (data collection rule streams list the VM
    /// streams, not Container Insights' or Prometheus'), and an expression is how the schema lets
    /// the rest through. Bicep and Terraform write a plain list.
    Strings(Vec<String>),
}

impl Expr {
    /// A string literal.
    pub fn str(s: impl Into<String>) -> Expr {
        Expr::Str(s.into())
    }

    /// A parameter.
    pub fn param(s: impl Into<String>) -> Expr {
        Expr::Param(s.into())
    }
}

/// A value: JSON with typed expressions at the leaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// String literal.
    Str(String),
    /// Array.
    Array(Vec<Value>),
    /// Object, keys in emission order.
    Object(IndexMap<String, Value>),
    /// An expression.
    Expr(Expr),
    /// An object whose keys are expressions (ARM's `userAssignedIdentities` map).
    ExprKeyed(Vec<(Expr, Value)>),
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Int(i64::from(n))
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::Str(s.clone())
    }
}
impl From<Expr> for Value {
    fn from(e: Expr) -> Self {
        Value::Expr(e)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::Array(v.into_iter().map(Into::into).collect())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl Value {
    /// The value at a `/`-separated path of object keys.
    pub fn at(&self, path: &str) -> Option<&Value> {
        path.split('/')
            .filter(|s| !s.is_empty())
            .try_fold(self, |v, key| match v {
                Value::Object(o) => o.get(key),
                Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            })
    }
}

/// Build an object value from `(key, value)` pairs, keeping their order and dropping nulls.
#[macro_export]
macro_rules! obj {
    (@one $k:expr) => { () };
    ($($k:expr => $v:expr),* $(,)?) => {{
        // Sized once for every field: growing a map as it fills copies it each time.
        #[allow(unused_mut)]
        let mut m = ::indexmap::IndexMap::<String, $crate::ir::Value>::with_capacity(
            <[()]>::len(&[$($crate::obj!(@one $k)),*]),
        );
        $(
            let v: $crate::ir::Value = ($v).into();
            if !matches!(v, $crate::ir::Value::Null) {
                m.insert(($k).to_string(), v);
            }
        )*
        $crate::ir::Value::Object(m)
    }};
}

/// A resource's name.
#[derive(Debug, Clone, PartialEq)]
pub enum Name {
    /// Literal segments: one for a top-level resource, parent names first for a child.
    Literal(Vec<String>),
    /// A computed name (role assignment GUIDs).
    Expr(Expr),
}

/// `Microsoft.Network/virtualNetworks/subnets` + `[vnet, snet]` →
/// `Microsoft.Network/virtualNetworks/vnet/subnets/snet`: a resource id relative to its provider,
/// as ARM's `scope` property takes it.
pub fn relative_id(rtype: &str, names: &[String]) -> String {
    let mut segs = rtype.split('/');
    let mut out = segs.next().unwrap_or_default().to_string();
    for (t, n) in segs.zip(names) {
        out.push('/');
        out.push_str(t);
        out.push('/');
        out.push_str(n);
    }
    out
}

/// A resource named by type and literal name segments, e.g. a subnet declared inside its VNet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Full resource type.
    pub rtype: String,
    /// Name segments, parents first.
    pub names: Vec<String>,
}

impl Target {
    /// A target.
    pub fn new(rtype: &str, names: &[&str]) -> Target {
        Target {
            rtype: rtype.to_string(),
            names: names.iter().map(|s| (*s).to_string()).collect(),
        }
    }

    /// Its id inside the current resource group.
    pub fn id(&self) -> Expr {
        Expr::ResourceId {
            subscription: None,
            resource_group: None,
            rtype: self.rtype.clone(),
            names: self.names.iter().map(|n| Expr::Str(n.clone())).collect(),
        }
    }
}

/// One Azure resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// Symbolic name, unique within its deployment (Bicep identifier, Terraform label).
    pub id: String,
    /// Full resource type.
    pub rtype: String,
    /// Its name.
    pub name: Name,
    /// For extension resources: the resource in the same resource group they attach to.
    pub scope: Option<Target>,
    /// Top-level body fields after `name` (location, tags, sku, kind, identity, zones,
    /// properties), in emission order.
    pub body: IndexMap<String, Value>,
    /// Symbolic ids of resources in the same deployment this one needs first.
    pub depends_on: Vec<String>,
}

impl Resource {
    /// The API version for this resource's type.
    pub fn api_version(&self) -> &'static str {
        api_version(&self.rtype)
    }

    /// The literal name's segments (the parent's, then its own, for a child); none when the
    /// name is an expression.
    pub fn name_segments(&self) -> &[String] {
        match &self.name {
            Name::Literal(segs) => segs,
            Name::Expr(_) => &[],
        }
    }

    /// The literal name joined with `/`, if literal.
    pub fn literal_name(&self) -> Option<String> {
        match &self.name {
            Name::Literal(segs) => Some(segs.join("/")),
            Name::Expr(_) => None,
        }
    }

    /// The `properties` value, if any.
    pub fn properties(&self) -> Option<&Value> {
        self.body.get("properties")
    }
}

/// Where a deployment deploys to. `subscription: None` is the subscription the template is
/// deployed to (the connectivity subscription); `Some` is another one, such as a spoke's.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// A subscription (creates resource groups, Defender pricings).
    Subscription {
        /// Subscription id, when not the deployment's own.
        subscription: Option<Expr>,
    },
    /// A resource group.
    ResourceGroup {
        /// Subscription id, when not the deployment's own.
        subscription: Option<Expr>,
        /// Resource group name.
        resource_group: String,
    },
}

impl Scope {
    /// The other subscription this scope lies in, if any.
    pub fn subscription(&self) -> Option<&Expr> {
        match self {
            Scope::Subscription { subscription } | Scope::ResourceGroup { subscription, .. } => {
                subscription.as_ref()
            }
        }
    }
}

/// A parameter type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// String.
    String,
    /// Array of strings.
    Array,
}

/// A nested deployment (ARM) / module (Bicep): resources for one scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// Symbolic id and deployment name.
    pub id: String,
    /// Target scope.
    pub scope: Scope,
    /// Parameters passed in from the top level, with their types.
    pub parameters: IndexMap<String, (ParamType, Expr)>,
    /// Resources, in declaration order.
    pub resources: Vec<Resource>,
    /// Deployments this one needs first.
    pub depends_on: Vec<String>,
}

/// A top-level template parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Type.
    pub ptype: ParamType,
    /// What it is, for `@description`/`metadata.description`.
    pub description: String,
    /// Default, if any.
    pub default: Option<Value>,
    /// Value the estate gives, written to the parameter file.
    pub value: Option<Value>,
}

/// A whole estate as deployments, ready to emit.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Estate name, for banners.
    pub estate: String,
    /// Deployment region.
    pub location: String,
    /// The resource group in the deployment's own subscription through which deployments into
    /// other subscriptions are routed, and the deployment that creates it.
    pub home: (String, String),
    /// Top-level parameters.
    pub parameters: IndexMap<String, Parameter>,
    /// Deployments in dependency order.
    pub deployments: Vec<Deployment>,
    /// Kubernetes objects the clusters need once they run (applied with `kubectl`, not by ARM),
    /// written under `k8s/` beside every format.
    pub manifests: Vec<Manifest>,
}

/// A Kubernetes manifest file: one or more objects, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// Path below `k8s/`, `/`-separated, e.g. `prod/namespaces.yaml`.
    pub path: String,
    /// What the file says it is for, printed as its header comment.
    pub about: String,
    /// The objects, each a JSON tree of literal values.
    pub objects: Vec<serde_json::Value>,
}

impl Template {
    /// Every resource with the deployment it belongs to.
    pub fn resources(&self) -> impl Iterator<Item = (&Deployment, &Resource)> {
        self.deployments
            .iter()
            .flat_map(|d| d.resources.iter().map(move |r| (d, r)))
    }
}
