//! Every stage of `gen` on fleets of 1, 10, 100 and 1,000 spokes (estates from
//! `examples/fleet.rs`), so that a regression shows which stage grew: load (parse, `extends`,
//! merge), validate (schema and semantics), plan, audit (the planned resources as ARM reads them,
//! judged), each emitter, the companion files, all formats in memory, and the write to disk.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "the benchmark inputs are fixed and valid"
)]

#[path = "../examples/fleet.rs"]
mod fleet;

use aks_harden::posture::Date;
use aks_harden::{Format, Syntax, audit, emit, plan, profile, validate, write};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

// The allocator `aks-harden` itself runs with, so that the figures are the command's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SIZES: [usize; 4] = [1, 10, 100, 1000];

fn resolve(text: &str) -> profile::Resolved {
    profile::resolve_text(
        "fleet.json",
        text,
        Syntax::Json,
        &profile::Base::BuiltinOnly,
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let today = Date::parse("2026-12-07").unwrap();
    for n in SIZES {
        let text = fleet::estate(n);
        let resolved = resolve(&text);
        let file = profile::to_estate_file(&resolved).unwrap();
        let estate = validate::validate(&file).unwrap();
        let template = plan::plan(&estate);
        let context = || audit::Context {
            tier: estate.tier,
            waivers: estate.waivers.clone(),
            tags: Some(estate.tags.clone()),
        };
        let mut files = emit::companions(&template);
        for f in Format::IMPLEMENTED {
            files.extend(emit::render(&template, *f, &emit::Options::default()).unwrap());
        }

        let mut g = c.benchmark_group("fleet");
        if n >= 100 {
            g.sample_size(10).warm_up_time(Duration::from_secs(1));
        }
        let id = |stage: &str| BenchmarkId::new(stage, n);
        g.bench_function(id("load"), |b| b.iter(|| resolve(black_box(&text))));
        g.bench_function(id("validate"), |b| {
            b.iter(|| {
                let file = profile::to_estate_file(black_box(&resolved)).unwrap();
                validate::validate(&file).unwrap()
            });
        });
        g.bench_function(id("plan"), |b| b.iter(|| plan::plan(black_box(&estate))));
        g.bench_function(id("audit"), |b| {
            b.iter(|| {
                let source = audit::Source::new("fleet", "", None);
                let input = audit::Input::from_ir(black_box(&template), context(), source);
                audit::audit(&input, today)
            });
        });
        for f in Format::IMPLEMENTED {
            g.bench_function(id(&format!("emit {}", f.as_str())), |b| {
                b.iter(|| emit::render(black_box(&template), *f, &emit::Options::default()));
            });
        }
        g.bench_function(id("companions"), |b| {
            b.iter(|| emit::companions(black_box(&template)));
        });
        // As `gen` renders them: each format on a thread of its own.
        g.bench_function(id("render all formats in memory"), |b| {
            b.iter(|| {
                emit::render_all(
                    black_box(&template),
                    Format::IMPLEMENTED,
                    &emit::Options::default(),
                )
                .unwrap()
            });
        });
        g.bench_function(id("render all formats in memory, one thread"), |b| {
            b.iter(|| {
                let mut all = emit::companions(black_box(&template));
                for f in Format::IMPLEMENTED {
                    all.extend(emit::render(&template, *f, &emit::Options::default()).unwrap());
                }
                all
            });
        });
        g.bench_function(id("write"), |b| {
            b.iter_with_setup(
                || tempfile::tempdir().unwrap(),
                // The folder is returned, so removing it is not timed.
                |dir| {
                    write::write(&dir.path().join("out"), black_box(&files)).unwrap();
                    dir
                },
            );
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
