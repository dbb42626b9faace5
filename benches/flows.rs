//! The flow analysis against the whole `generate`, for prod and for an estate of 50 spokes:
//! the analysis (model built from the planned resources, every flow traced) must stay a small
//! part of what `gen` does. Spoke-to-spoke isolation is checked once per spoke against every
//! other spoke and any address outside the estate, not for every pair.

#![allow(
    clippy::unwrap_used,
    reason = "the benchmark inputs are fixed and valid"
)]

#[path = "../examples/fleet.rs"]
mod fleet;

use aks_harden::audit::{self, flows};
use aks_harden::posture::Date;
use aks_harden::{Gate, Options, Syntax, generate, load_str};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// `prod` with `n` spokes, each a name and an address space over prod's spoke defaults: the
/// fleet estates of `examples/fleet.rs`.
fn many_spokes(n: usize) -> String {
    fleet::estate(n)
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
