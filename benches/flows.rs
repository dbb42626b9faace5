//! The flow analysis against the whole `generate`, for prod and for an estate of 50 spokes:
//! the analysis (model built from the planned resources, every flow traced) must stay a small
//! part of what `gen` does. Spoke-to-spoke isolation is checked once per spoke against every
//! other spoke and any address outside the estate, not for every pair.

#![allow(
    clippy::unwrap_used,
    reason = "the benchmark inputs are fixed and valid"
)]

use aks_harden::audit::{self, flows};
use aks_harden::posture::Date;
use aks_harden::{Gate, Options, Syntax, generate, load_str, profile};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::hint::black_box;

/// `prod` with `n` spokes, each a copy of prod's spoke in its own /16, as in `benches/render.rs`.
fn many_spokes(n: usize) -> String {
    let prod: Value = serde_json::from_str(profile::builtin("prod").unwrap()).unwrap();
    let template = prod["spokes"]["prod"].clone();
    let mut spokes = serde_json::Map::new();
    spokes.insert("prod".into(), Value::Null);
    for i in 0..n {
        let mut s = template.clone();
        let a = format!("10.{}", 1 + i);
        s["addressSpace"] = json!(format!("{a}.0.0/16"));
        s["subnets"] = json!({
            "system": format!("{a}.0.0/24"), "user": format!("{a}.4.0/22"),
            "apiServer": format!("{a}.8.0/28"), "privateEndpoints": format!("{a}.9.0/27"),
            "ingress": format!("{a}.10.0/24"), "applicationGateway": format!("{a}.11.0/24"),
        });
        let net = &mut s["cluster"]["network"];
        net["podCidr"] = json!(format!("100.{}.0.0/16", 64 + i));
        net["serviceCidr"] = json!(format!("198.18.{i}.0/24"));
        net["dnsServiceIp"] = json!(format!("198.18.{i}.10"));
        spokes.insert(format!("s{i}"), s);
    }
    json!({ "extends": "prod", "spokes": spokes }).to_string()
}

fn bench(c: &mut Criterion) {
    let today = Date::parse("2026-01-15").unwrap();
    let options = Options::new(today).gate(Gate::Off);
    for (label, text) in [
        ("prod", r#"{ "extends": "prod" }"#.to_string()),
        ("50 spokes", many_spokes(50)),
    ] {
        let estate = load_str("estate.json", &text, Syntax::Json).unwrap();
        let input = aks_harden::audit_input(&estate, audit::Source::new(label, "", None));
        // Every flow of these estates passes; a benchmark of a broken model would be no figure.
        let traced = flows::analyse(&input);
        assert!(
            traced.iter().all(|f| f.verdict() == flows::Verdict::Pass),
            "{label}: a flow does not pass"
        );
        let mut group = c.benchmark_group(label);
        group.sample_size(20);
        group.bench_function(
            "generate every format (gate off, audit and flows included)",
            |b| {
                b.iter(|| generate(black_box(&estate), &options).unwrap());
            },
        );
        group.bench_function("flow analysis (model and every flow)", |b| {
            b.iter(|| flows::analyse(black_box(&input)));
        });
        group.bench_function("audit (controls and flows)", |b| {
            b.iter(|| audit::audit(black_box(&input), today));
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
