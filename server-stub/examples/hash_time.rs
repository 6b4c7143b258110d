//! How long one password hash takes here: the unit of the register/login throughput bound
//! (cores ÷ one hash's time). Prints the median of 20 hashes in milliseconds.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut times = Vec::new();
    for _ in 0..20 {
        let start = std::time::Instant::now();
        server_stub::secrets::hash_password("correct horse battery staple".into()).await?;
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!("{:.2}", times[times.len() / 2]);
    Ok(())
}
