//! The fuzz driver shared by `fuzz.rs` and `fuzz_models.rs`: hostile number generators and the loop
//! that runs one entry point's cases, catching panics and broken promises.
//!
//! Every case draws its inputs from a stream fixed by (entry point, case number), mixing ordinary values
//! with the extremes that break numerical code: zeros of both signs, subnormals, 1e-308, 1e154 (whose
//! square overflows), f64::MAX, infinities and NaN, empty and single-element arrays. A case passes when
//! the call returns an error or a result that honours the entry point's promises; a panic, a broken
//! promise or a case that runs longer than `SCALECORE_FUZZ_HANG` seconds (default 120: an effective
//! hang) fails the run and prints the case number that reproduces it.

// Each test binary uses a subset of the generators.
#![allow(dead_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
pub use rand_chacha::ChaCha8Rng;

pub const EXTREMES: [f64; 18] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    5e-324,
    1e-310,
    1e-308,
    1e-300,
    1e-20,
    1e20,
    1e154,
    1e200,
    1e308,
    f64::MAX,
    -f64::MAX,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
];

/// One hostile or ordinary number: mostly ordinary values at every scale, often an extreme.
pub fn number(rng: &mut ChaCha8Rng) -> f64 {
    match rng.random_range(0..10) {
        0..=2 => EXTREMES[rng.random_range(0..EXTREMES.len())],
        3..=5 => rng.random_range(-3.0..3.0),
        6..=8 => 10f64.powf(rng.random_range(-300.0..300.0)) * if rng.random_bool(0.8) { 1.0 } else { -1.0 },
        _ => rng.random_range(0.5..20.0),
    }
}

/// A positive number, sometimes not (to test validation).
pub fn positive(rng: &mut ChaCha8Rng) -> f64 {
    if rng.random_bool(0.9) {
        number(rng).abs()
    } else {
        number(rng)
    }
}

/// `n` values on a realistic scale (so that deep code paths are reached) with hostile ones mixed in.
pub fn column(rng: &mut ChaCha8Rng, n: usize, centre: f64) -> Vec<f64> {
    let hostile = rng.random_bool(0.3);
    (0..n)
        .map(|_| {
            if hostile && rng.random_bool(0.2) {
                number(rng)
            } else {
                centre * 10f64.powf(rng.random_range(-1.5..1.5))
            }
        })
        .collect()
}

pub fn length(rng: &mut ChaCha8Rng) -> usize {
    match rng.random_range(0..10) {
        0 => 0,
        1 => 1,
        2 => 2,
        _ => rng.random_range(3..40),
    }
}

/// Run `case` on the streams of `name`: for `SCALECORE_FUZZ_SECONDS` seconds when set, else `quick`
/// cases. Panics and broken promises are collected and reported with their case numbers; a case that
/// does not return within the hang limit ends the process (a stuck thread cannot be stopped) after
/// printing its number.
pub fn fuzz(name: &str, quick: u64, case: impl Fn(&mut ChaCha8Rng) -> Result<(), String>) {
    let seconds: Option<u64> = std::env::var("SCALECORE_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok());
    let hang: u64 = std::env::var("SCALECORE_FUZZ_HANG").ok().and_then(|s| s.parse().ok()).unwrap_or(120);
    let stop = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    let salt = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    let origin = Instant::now();
    // The running case and when it started (ms since `origin`), watched by a thread of its own.
    let current = Arc::new((AtomicU64::new(0), AtomicU64::new(0), AtomicBool::new(false)));
    let watched = current.clone();
    let label = name.to_string();
    let watchdog = std::thread::spawn(move || {
        while !watched.2.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(500));
            let started = watched.1.load(Ordering::Relaxed);
            if origin.elapsed().as_millis() as u64 > started + hang * 1000 && !watched.2.load(Ordering::Relaxed) {
                println!("fuzz {label}: case {} still running after {hang} s: hang", watched.0.load(Ordering::Relaxed));
                std::process::exit(2);
            }
        }
    });
    // `SCALECORE_FUZZ_FROM=n` starts at case n, to reproduce a failure printed by an earlier run.
    let first: u64 = std::env::var("SCALECORE_FUZZ_FROM").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut failures = Vec::new();
    let mut n = first;
    loop {
        match stop {
            Some(t) if Instant::now() >= t => break,
            None if n >= first + quick => break,
            _ => {}
        }
        current.0.store(n, Ordering::Relaxed);
        current.1.store(origin.elapsed().as_millis() as u64, Ordering::Relaxed);
        let mut rng = ChaCha8Rng::seed_from_u64(salt ^ n);
        match catch_unwind(AssertUnwindSafe(|| case(&mut rng))) {
            Ok(Ok(())) => {}
            Ok(Err(broken)) => failures.push(format!("case {n}: {broken}")),
            Err(_) => failures.push(format!("case {n}: panic")),
        }
        n += 1;
        if failures.len() >= 10 {
            break;
        }
    }
    current.2.store(true, Ordering::Relaxed);
    let _ = watchdog.join();
    println!(
        "fuzz {name}: {} cases in {:.0} s, {} failures",
        n - first,
        origin.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(failures.is_empty(), "{name}:\n{}", failures.join("\n"));
}
