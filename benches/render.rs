//! Load → validate → plan → emit every format, on `prod` and on estates with many spokes, and the
//! library's whole `generate` (audit gate included).

#![allow(
    clippy::unwrap_used,
    reason = "the benchmark inputs are fixed and valid"
)]

use aks_harden::posture::Date;
use aks_harden::{Estate, Files, Format, Options, Syntax, emit, generate, load_str, plan, profile};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::hint::black_box;

/// `prod` with `n` spokes, each a copy of prod's spoke in its own /16 (10.(1+i).0.0/16) with its
/// own pod range (100.(64+i).0.0/16) and service range (198.18.i.0/24).
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
