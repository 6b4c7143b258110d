//! Scale: the whole generator, in one process, on 1, 2, 4 and 8 copies of the generality
//! corpus (53 files and 72 operations a copy, every construct the generator supports), so
//! the cost per copy shows whether it grows linearly.
//!
//! `cargo bench -p generator --bench corpus`

use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use generator::Generator;

#[path = "../tests/support/mod.rs"]
mod support;
use support::copy_dir;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/corpus")
}

/// `copies` copies of the corpus side by side, each API once per copy.
fn replicate(copies: usize, dir: &Path) -> PathBuf {
    let config = std::fs::read_to_string(corpus().join("codegen.toml")).unwrap();
    let (head, errors) = config.split_at(config.find("[errors]").unwrap());
    let (package, apis) = head.split_at(head.find("[[api]]").unwrap());
    let mut out = package.to_owned();
    for copy in 0..copies {
        copy_dir(&corpus(), &dir.join(format!("copy{copy}")));
        out.push_str(
            &apis
                .replace("name = \"", &format!("name = \"copy{copy}_"))
                .replace("\"apis/", &format!("\"copy{copy}/apis/")),
        );
    }
    out.push_str(&errors.replace("\"definitions/", "\"copy0/definitions/"));
    let path = dir.join("codegen.toml");
    std::fs::write(&path, out).unwrap();
    path
}

fn scale(c: &mut Criterion) {
    let mut group = c.benchmark_group("corpus");
    group.sample_size(20);
    for copies in [1, 2, 4, 8] {
        let dir = tempfile::tempdir().unwrap();
        let generator = Generator::from_config_file(&replicate(copies, dir.path())).unwrap();
        let ir = generator.ir().unwrap();
        let operations: usize = ir.apis.iter().map(|a| a.operations.len()).sum();
        eprintln!(
            "{copies} copies: {} files, {operations} operations",
            ir.sources.len()
        );
        group.throughput(Throughput::Elements(operations as u64));
        group.bench_with_input(BenchmarkId::new("generate", copies), &generator, |b, g| {
            b.iter(|| g.generate().unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
