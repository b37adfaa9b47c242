//! Time the Hoffmann-grid and auto fits on the chinchilla_epoch2024 runs (240 lowest-loss), without
//! Python, for profiling the core (e.g. under `valgrind --tool=callgrind`):
//! `THREADS=1 cargo run -p scalecore-core --release --example grid_profile [path/to/runs.csv]`
use std::time::Instant;

use scalecore_core::control::Control;
use scalecore_core::fit::{Fitter, Init, LbfgsOptions, Objective, ParamMap, Problem};
use scalecore_core::laws::{self, Columns};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or("../shared/data/chinchilla_epoch2024/runs.csv".into());
    let text = std::fs::read_to_string(&path)?;
    let mut rows = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (n, c, loss): (f64, f64, f64) = (f[3].parse()?, f[4].parse()?, f[6].parse()?);
        rows.push((n, c / (6.0 * n), loss));
    }
    rows.sort_by(|a, b| a.2.total_cmp(&b.2));
    rows.truncate(240);
    let n: Vec<f64> = rows.iter().map(|r| r.0).collect();
    let d: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let loss: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let law = laws::get("chinchilla")?;
    let cols = Columns { n: Some(&n), d: Some(&d), ..Default::default() };
    let problem = Problem::new(law.as_ref(), &cols, &loss, None, Objective::HuberLog { delta: 1e-3 })?;
    let threads: usize = std::env::var("THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let fitter = Fitter { problem: &problem, map: ParamMap::free(5), lbfgs: LbfgsOptions::default() };
    for init in [Init::Hoffmann, Init::Auto] {
        let t = Instant::now();
        let out = pool.install(|| fitter.fit(&init, &Control::new()))?;
        println!(
            "{init:?} on {threads} thread(s): {:.4}s, objective {:.15e}, {}/{} starts at the best, {} evaluations in all",
            t.elapsed().as_secs_f64(),
            out.objective,
            out.n_at_best,
            out.n_starts,
            out.total_evaluations
        );
    }
    Ok(())
}
