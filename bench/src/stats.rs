//! Order statistics of a sample of durations.

use std::time::Duration;

use serde::Serialize;

/// Nearest-rank percentiles of a sample, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub samples: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
}

/// The nearest-rank `p`th percentile (0 < p ≤ 100) of `sorted`, which must be sorted and non-empty.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

impl Summary {
    /// `None` for an empty sample.
    pub fn of(sample: &[Duration]) -> Option<Self> {
        let mut ms: Vec<f64> = sample.iter().copied().map(millis).collect();
        if ms.is_empty() {
            return None;
        }
        ms.sort_by(f64::total_cmp);
        Some(Self {
            samples: ms.len(),
            p50_ms: percentile(&ms, 50.0),
            p90_ms: percentile(&ms, 90.0),
            p99_ms: percentile(&ms, 99.0),
            min_ms: ms[0],
            max_ms: ms[ms.len() - 1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|v| Duration::from_millis(*v)).collect()
    }

    #[test]
    fn nearest_rank_percentiles() {
        let s = Summary::of(&ms(&[10, 1, 9, 2, 8, 3, 7, 4, 6, 5])).unwrap();
        assert_eq!((s.p50_ms, s.p90_ms, s.p99_ms), (5.0, 9.0, 10.0));
        assert_eq!((s.min_ms, s.max_ms, s.samples), (1.0, 10.0, 10));
    }

    #[test]
    fn one_sample_is_every_percentile_and_none_is_none() {
        let s = Summary::of(&ms(&[7])).unwrap();
        assert_eq!((s.p50_ms, s.p99_ms), (7.0, 7.0));
        assert_eq!(Summary::of(&[]), None);
    }
}
