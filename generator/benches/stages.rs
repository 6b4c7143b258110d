//! One benchmark per pipeline stage on a spec set: `specs/` by default, or the config in
//! `GENERATOR_BENCH_CONFIG` (e.g. a synthetic 100× set from `tests/bench/synth_specs.py`).
//!
//! `cargo bench -p generator --bench stages`

use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use generator::{Generator, emit, lower, resolve, upgrade};

fn config_path() -> PathBuf {
    std::env::var_os("GENERATOR_BENCH_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../specs/codegen.toml"))
}

fn stages(c: &mut Criterion) {
    let generator = Generator::from_config_file(&config_path()).expect("config");
    let config = generator.config().clone();
    let (roots, extra) = (generator.spec_roots(), generator.configured_schemas());

    let documents = generator.load().expect("load");
    let resolved = resolve::resolve(&documents, &roots, &extra).expect("resolve");
    let upgraded = upgrade::upgrade(&resolved, &config.base_path_variables).expect("upgrade");
    let sources: Vec<String> = documents.documents.keys().cloned().collect();
    let ir = lower::lower(&upgraded, &config, sources.clone()).expect("lower");

    let mut group = c.benchmark_group("stages");
    group.bench_function("load", |b| b.iter(|| generator.load().expect("load")));
    group.bench_function("resolve", |b| {
        b.iter(|| resolve::resolve(&documents, &roots, &extra).expect("resolve"))
    });
    group.bench_function("upgrade", |b| {
        b.iter(|| upgrade::upgrade(&resolved, &config.base_path_variables).expect("upgrade"))
    });
    group.bench_function("lower", |b| {
        b.iter(|| lower::lower(&upgraded, &config, sources.clone()).expect("lower"))
    });
    group.bench_function("emit", |b| b.iter(|| emit::emit(&ir).expect("emit")));
    group.bench_function("all", |b| {
        b.iter(|| generator.generate().expect("generate"))
    });
    group.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
