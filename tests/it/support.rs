//! Helpers shared by the integration tests: build a config from JSON, run it, and simple
//! statistics whose tolerances come from the number of samples.

use fosim::report::Report;
use fosim::scenario::{Config, config};
use std::path::Path;

pub fn config_from(json: &serde_json::Value) -> Config {
    let text = json.to_string();
    let (scenario, _) = config::parse(Path::new("test.json"), &text).unwrap_or_else(|e| panic!("{e}"));
    config::build(&scenario, Path::new("test.json")).unwrap_or_else(|e| panic!("{e}"))
}

pub fn simulate(json: &serde_json::Value, runs: u32) -> Report {
    let config = config_from(json);
    fosim::simulate::simulate(&config, json, runs, false, &|_, _| {}).expect("the run succeeds")
}

pub struct Sample {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
}

impl Sample {
    pub fn of(values: &[f64]) -> Sample {
        let n = values.len();
        assert!(n > 1, "a sample needs at least two values");
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd = (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        Sample { n, mean, sd }
    }

    pub fn standard_error(&self) -> f64 {
        self.sd / (self.n as f64).sqrt()
    }

    /// Asserts the mean is within `k` standard errors of `expected`.
    pub fn assert_mean_near(&self, expected: f64, k: f64, what: &str) {
        let tolerance = k * self.standard_error();
        assert!(
            (self.mean - expected).abs() <= tolerance,
            "{what}: simulated mean {:.4} vs expected {expected:.4}, tolerance ±{tolerance:.4} ({k} SE over n = {})",
            self.mean,
            self.n
        );
    }
}
