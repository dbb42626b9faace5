//! Load → validate → plan → emit every format, on `prod` and on estates with many spokes, and the
//! library's whole `generate` (audit gate included).

#![allow(
    clippy::unwrap_used,
    reason = "the benchmark inputs are fixed and valid"
)]

#[path = "../examples/fleet.rs"]
mod fleet;

use aks_harden::posture::Date;
use aks_harden::{Estate, Files, Format, Options, Syntax, emit, generate, load_str, plan};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;

/// `prod` with `n` spokes, each a name and an address space over prod's spoke defaults: the
/// fleet estates of `examples/fleet.rs`.
fn many_spokes(n: usize) -> String {
    fleet::estate(n)
}

/// Plan once and emit `formats`: the stages without the audit.
fn render(estate: &Estate, formats: &[Format]) -> Result<Files, emit::EmitError> {
    let template = plan::plan(estate);
    let mut files = Files::new();
    for f in formats {
        files.extend(emit::render(&template, *f, &emit::Options::default())?);
    }
    Ok(files)
}

fn bench(c: &mut Criterion) {
    let today = Date::parse("2026-01-15").unwrap();
    let prod = r#"{ "extends": "prod" }"#;
    c.bench_function("prod: load, validate, render all formats", |b| {
        b.iter(|| {
            let e = load_str("prod.json", black_box(prod), Syntax::Json).unwrap();
            render(&e, Format::IMPLEMENTED).unwrap()
        });
    });
    c.bench_function(
        "prod: load, validate, generate (audit gate included)",
        |b| {
            b.iter(|| {
                let e = load_str("prod.json", black_box(prod), Syntax::Json).unwrap();
                generate(&e, &Options::new(today)).unwrap()
            });
        },
    );
    c.bench_function("prod: load and validate", |b| {
        b.iter(|| load_str("prod.json", black_box(prod), Syntax::Json).unwrap());
    });
    let estate = load_str("prod.json", prod, Syntax::Json).unwrap();
    for format in Format::IMPLEMENTED {
        c.bench_function(&format!("prod: plan and render {}", format.as_str()), |b| {
            b.iter(|| render(black_box(&estate), &[*format]).unwrap());
        });
    }
    let fifty = load_str("spokes.json", &many_spokes(50), Syntax::Json).unwrap();
    for format in Format::IMPLEMENTED {
        c.bench_function(
            &format!("50 spokes: plan and render {}", format.as_str()),
            |b| {
                b.iter(|| render(black_box(&fifty), &[*format]).unwrap());
            },
        );
    }
    c.bench_function("50 spokes: load and validate", |b| {
        let text = many_spokes(50);
        b.iter(|| load_str("spokes.json", black_box(&text), Syntax::Json).unwrap());
    });
    let mut group = c.benchmark_group("spokes: load, validate, render all formats");
    group.sample_size(20);
    for n in [1, 10, 50] {
        let text = many_spokes(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
            b.iter(|| {
                let e = load_str("spokes.json", black_box(text), Syntax::Json).unwrap();
                render(&e, Format::IMPLEMENTED).unwrap()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
