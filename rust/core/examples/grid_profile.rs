//! Profile the Hoffmann-grid fit on the chinchilla_epoch2024 runs (240 lowest-loss):
//! cargo run -p scalecore-core --release --example grid_profile [path/to/runs.csv]
use std::time::Instant;

use scalecore_core::control::Control;
use scalecore_core::fit::{Fitter, Init, LbfgsOptions, Objective, ParamMap, Problem};
use scalecore_core::laws::{self, Columns};

fn main() {
    let path = std::env::args().nth(1).unwrap_or("../shared/data/chinchilla_epoch2024/runs.csv".into());
    let text = std::fs::read_to_string(&path).expect("runs.csv");
    let mut rows: Vec<(f64, f64, f64)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let (n, c, loss) =
                (f[3].parse::<f64>().unwrap(), f[4].parse::<f64>().unwrap(), f[6].parse::<f64>().unwrap());
            (n, c / (6.0 * n), loss)
        })
        .collect();
    rows.sort_by(|a, b| a.2.total_cmp(&b.2));
    rows.truncate(240);
    let n: Vec<f64> = rows.iter().map(|r| r.0).collect();
    let d: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let loss: Vec<f64> = rows.iter().map(|r| r.2).collect();
    let law = laws::get("chinchilla").unwrap();
    let cols = Columns { n: Some(&n), d: Some(&d), ..Default::default() };
    let problem = Problem::new(law.as_ref(), &cols, &loss, None, Objective::HuberLog { delta: 1e-3 }).unwrap();
    let limit: usize = std::env::var("GRID_LIMIT").ok().and_then(|v| v.parse().ok()).unwrap_or(usize::MAX);
    let grid: Vec<Vec<f64>> = law.default_grid().into_iter().take(limit).collect();
    let threads: usize = std::env::var("THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let fitter = Fitter { problem: &problem, map: ParamMap::free(5), lbfgs: LbfgsOptions::default() };
    for init in [Init::Hoffmann, Init::Auto] {
        let t = Instant::now();
        let out = pool.install(|| fitter.fit(&init, &Control::new())).unwrap();
        let evals: f64 = out.start_objectives.len() as f64;
        println!(
            "{init:?} on {threads} thread(s): {:.4}s objective {:.15e} at_best {}/{} (winner: {} iterations, {} evaluations; {} evaluations in all)",
            t.elapsed().as_secs_f64(), out.objective, out.n_at_best, evals, out.iterations, out.evaluations, out.total_evaluations
        );
    }
}
