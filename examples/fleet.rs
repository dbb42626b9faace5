//! Writes an estate that extends `prod` with `N` spokes to standard output, for measuring
//! aks-harden at fleet scale: `cargo run --release --example fleet -- 1000 > fleet.json`.
//!
//! Each spoke is written as a platform team would write it: a name and an address space, the
//! rest from prod's `spokeDefaults` (its subnets from the layout, its pod and service ranges
//! shared, as Azure CNI Overlay allows). Spoke `i` gets the `i+1`-th /20 of 10.0.0.0/8 (the hub
//! keeps the first), which leaves room for 1,024 spokes clear of the default cluster ranges. The
//! benchmarks include this file for the same estates.

use serde_json::{Value, json};

/// The most spokes the address plan above has room for.
pub const MAX_SPOKES: usize = 1024;

/// The estate text: `prod` with `n` spokes named `s0000`, `s0001`, ….
///
/// # Panics
/// If `n` exceeds [`MAX_SPOKES`].
pub fn estate(n: usize) -> String {
    assert!(
        n <= MAX_SPOKES,
        "at most {MAX_SPOKES} spokes fit the address plan"
    );
    let mut spokes = serde_json::Map::new();
    for i in 0..n {
        let k = i + 1;
        let space = format!("10.{}.{}.0/20", k / 16, (k % 16) * 16);
        spokes.insert(format!("s{i:04}"), json!({ "addressSpace": space }));
    }
    json!({ "extends": "prod", "spokes": Value::Object(spokes) }).to_string()
}

#[allow(
    dead_code,
    reason = "the benchmarks include this file for `estate` alone"
)]
fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    println!("{}", estate(n));
}
