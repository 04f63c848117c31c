//! The cold-start distributions side by side, as an SVG: one row per subject, every sample a dot
//! (init and first answer in two colours), the median a bar; a log time axis, since Python and
//! Rust are orders of magnitude apart.

use std::path::Path;

use plotters::prelude::*;

use crate::lambda::ColdStartResult;

const INIT: RGBColor = RGBColor(31, 119, 180);
const FIRST: RGBColor = RGBColor(255, 127, 14);

pub fn cold_starts(path: &Path, results: &[ColdStartResult]) -> Result<(), String> {
    let all = results
        .iter()
        .flat_map(|r| r.init_samples_ms.iter().chain(&r.first_response_samples_ms))
        .copied()
        .filter(|v| *v > 0.0);
    let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return Err("no samples to draw".into());
    }
    let rows = results.len();
    let height = 120 + 60 * rows as u32;
    let root = SVGBackend::new(path, (960, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let names: Vec<String> = results.iter().map(|r| r.subject.clone()).collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Cold start: exec to first poll (init) and to first answer, ms (log)",
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(150)
        .build_cartesian_2d(
            (lo * 0.8..hi * 1.25)
                .log_scale()
                .with_key_points(key_points(lo * 0.8, hi * 1.25)),
            -0.5..rows as f64 - 0.5,
        )
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .y_labels(rows)
        .y_max_light_lines(0)
        .x_max_light_lines(0)
        .y_label_formatter(&|y| {
            // Row 0 at the top.
            let row = rows as f64 - 1.0 - y.round();
            if (y - y.round()).abs() < 0.01 && row >= 0.0 {
                names.get(row as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_label_formatter(&|v| format!("{v}"))
        .x_desc("milliseconds since exec")
        .draw()
        .map_err(|e| e.to_string())?;

    for (row, result) in results.iter().enumerate() {
        let y = (rows - 1 - row) as f64;
        for (samples, colour, offset, median, label) in [
            (
                &result.init_samples_ms,
                INIT,
                -0.15,
                result.init.p50_ms,
                "init",
            ),
            (
                &result.first_response_samples_ms,
                FIRST,
                0.15,
                result.first_response.p50_ms,
                "first answer",
            ),
        ] {
            let count = samples.len().max(1) as f64;
            let dots = samples.iter().enumerate().map(|(n, v)| {
                // A small vertical spread keeps equal values apart.
                let jitter = (n as f64 / count - 0.5) * 0.16;
                Circle::new((*v, y + offset + jitter), 3, colour.mix(0.5).filled())
            });
            let drawn = chart.draw_series(dots).map_err(|e| e.to_string())?;
            if row == 0 {
                drawn
                    .label(label)
                    .legend(move |(x, y)| Circle::new((x + 10, y), 4, colour.filled()));
            }
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(median, y + offset - 0.12), (median, y + offset + 0.12)],
                    colour.stroke_width(3),
                )))
                .map_err(|e| e.to_string())?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// 1-2-5 steps across the range, so that a log axis over a few milliseconds still has labels.
fn key_points(lo: f64, hi: f64) -> Vec<f64> {
    let mut points = Vec::new();
    let mut decade = 10f64.powi(lo.log10().floor() as i32);
    while decade <= hi {
        for step in [1.0, 2.0, 5.0] {
            let point = decade * step;
            if (lo..=hi).contains(&point) {
                points.push(point);
            }
        }
        decade *= 10.0;
    }
    points
}

/// The price per million calls of each function as stacked bars: Lambda, API Gateway, DynamoDB.
pub fn costs(path: &Path, rows: &[crate::cost::CostRow]) -> Result<(), String> {
    let max = rows.iter().map(|r| r.total_usd).fold(0.0, f64::max);
    if rows.is_empty() || max <= 0.0 {
        return Err("no costs to draw".into());
    }
    let n = rows.len();
    let root = SVGBackend::new(path, (960, 100 + 44 * n as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    // A function with several rows names its call too.
    let names: Vec<String> = rows
        .iter()
        .map(|r| {
            if rows.iter().filter(|o| o.function == r.function).count() > 1 {
                format!("{} ({})", r.function, r.call)
            } else {
                r.function.clone()
            }
        })
        .collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Price per million calls, USD (Lambda arm64 128 MB, API Gateway REST, DynamoDB on-demand)",
            ("sans-serif", 18),
        )
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(150)
        .build_cartesian_2d(0.0..max * 1.1, -0.5..n as f64 - 0.5)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .y_labels(n)
        .y_max_light_lines(0)
        .y_label_formatter(&|y| {
            let row = n as f64 - 1.0 - y.round();
            if (y - y.round()).abs() < 0.01 && row >= 0.0 {
                names.get(row as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_desc("USD per million calls")
        .draw()
        .map_err(|e| e.to_string())?;
    let parts: [(&str, RGBColor, CostPart); 4] = [
        ("Lambda", INIT, |r| r.lambda_usd),
        ("API Gateway", FIRST, |r| r.api_gateway_usd),
        ("DynamoDB", RGBColor(44, 160, 44), |r| r.dynamodb_usd),
        ("KMS", RGBColor(148, 103, 189), |r| r.kms_usd),
    ];
    for (label, colour, part) in parts {
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                let y = (n - 1 - i) as f64;
                let start: f64 = parts_before(r, label);
                Rectangle::new(
                    [(start, y - 0.3), (start + part(r), y + 0.3)],
                    colour.filled(),
                )
            }))
            .map_err(|e| e.to_string())?
            .label(label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

/// One part of an endpoint's price.
type CostPart = fn(&crate::cost::CostRow) -> f64;

/// Where a part's bar starts: after the parts drawn before it.
fn parts_before(row: &crate::cost::CostRow, label: &str) -> f64 {
    match label {
        "Lambda" => 0.0,
        "API Gateway" => row.lambda_usd,
        "DynamoDB" => row.lambda_usd + row.api_gateway_usd,
        _ => row.lambda_usd + row.api_gateway_usd + row.dynamodb_usd,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_points_step_1_2_5_within_the_range() {
        assert_eq!(
            super::key_points(1.5, 60.0),
            vec![2.0, 5.0, 10.0, 20.0, 50.0]
        );
    }
}
