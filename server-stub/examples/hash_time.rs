//! The password-hashing bound of the register/login benchmarks. Prints the median time of
//! one hash in milliseconds, then the hashes per second the server's hashing pool sustains
//! with every core busy (what "cores ÷ one hash's time" promises, measured).

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut times = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        server_stub::secrets::hash_password("correct horse battery staple".into()).await?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    let mut hashes = 0;
    while start.elapsed() < Duration::from_secs(3) {
        let batch: Vec<_> = (0..cores * 4)
            .map(|_| {
                tokio::spawn(server_stub::secrets::hash_password(
                    "correct horse battery staple".into(),
                ))
            })
            .collect();
        for hash in batch {
            hash.await??;
            hashes += 1;
        }
    }
    println!(
        "{:.2} {:.0}",
        times[times.len() / 2],
        hashes as f64 / start.elapsed().as_secs_f64()
    );
    Ok(())
}
