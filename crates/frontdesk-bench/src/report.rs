//! Uniform output for every benchmark: each figure on one line, next to its
//! limit.
//!
//! A figure on its own says little (it depends on the machine, the load, the
//! build), so every row carries the limit it is judged against and the ratio
//! `value / limit`, measured and printed in the same run. Rows come in two
//! kinds so that a benchmark can show the spread of its samples without
//! letting one noisy sample decide the verdict:
//!
//! - gating rows (usually medians) print `PASS`/`FAIL` and decide the exit
//!   code;
//! - informational rows (min, p90, max…) print `ok`/`miss` and do not;
//! - figure rows print a measured value with no limit at all (a rate the
//!   limits are derived from, a latency percentile): nothing to judge them
//!   against, so they show no ratio and no verdict.
//!
//! [`Summary`] gives the usual order statistics of a set of samples, so that
//! every benchmark computes "median" and "p90" the same way.

use std::fmt::Write as _;

/// Which direction of a figure is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Times, memory, sizes: the figure must stay at or below the limit.
    Lower,
    /// Throughput: the figure must reach at least the limit.
    Higher,
}

/// Whether a row decides the verdict, only informs, or has no limit at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Gate,
    Info,
    /// A bare figure: no limit, no ratio, no verdict.
    Figure,
}

/// One figure measured in this run, and the limit it is judged against.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
    /// `None` for [`Role::Figure`] rows.
    pub limit: Option<f64>,
    pub better: Better,
    pub role: Role,
}

impl Row {
    /// `value / limit`, whichever direction is good: below 1 is within a
    /// lower-is-better limit, above 1 is within a higher-is-better one.
    /// `None` without a limit, or with a limit of 0 (an error count).
    pub fn ratio(&self) -> Option<f64> {
        self.limit
            .filter(|&l| l != 0.0)
            .map(|limit| self.value / limit)
    }

    /// Always true for a row without a limit.
    pub fn within_limit(&self) -> bool {
        let Some(limit) = self.limit else {
            return true;
        };
        match self.better {
            Better::Lower => self.value <= limit,
            Better::Higher => self.value >= limit,
        }
    }

    fn verdict(&self) -> &'static str {
        match (self.role, self.within_limit()) {
            (Role::Gate, true) => "PASS",
            (Role::Gate, false) => "FAIL",
            (Role::Info, true) => "ok",
            (Role::Info, false) => "miss",
            (Role::Figure, _) => "",
        }
    }
}

/// The output of one benchmark run: a title, rows, and notes about anything
/// unusual seen while measuring.
#[derive(Debug, Clone)]
pub struct Report {
    title: String,
    rows: Vec<Row>,
    notes: Vec<String>,
}

impl Report {
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A row that decides the verdict (and the exit code).
    pub fn gate(
        &mut self,
        name: impl Into<String>,
        value: f64,
        unit: &'static str,
        limit: f64,
        better: Better,
    ) -> &mut Self {
        self.push(name.into(), value, unit, limit, better, Role::Gate)
    }

    /// A row printed against the limit for context, without deciding anything.
    pub fn info(
        &mut self,
        name: impl Into<String>,
        value: f64,
        unit: &'static str,
        limit: f64,
        better: Better,
    ) -> &mut Self {
        self.push(name.into(), value, unit, limit, better, Role::Info)
    }

    /// A measured figure with no limit to judge it against (a rate that other
    /// rows' limits are derived from, a latency percentile…).
    pub fn figure(&mut self, name: impl Into<String>, value: f64, unit: &'static str) -> &mut Self {
        self.rows.push(Row {
            name: name.into(),
            value,
            unit,
            limit: None,
            better: Better::Lower,
            role: Role::Figure,
        });
        self
    }

    fn push(
        &mut self,
        name: String,
        value: f64,
        unit: &'static str,
        limit: f64,
        better: Better,
        role: Role,
    ) -> &mut Self {
        self.rows.push(Row {
            name,
            value,
            unit,
            limit: Some(limit),
            better,
            role,
        });
        self
    }

    /// A one-line remark printed under the rows (e.g. a server that had to be
    /// killed).
    pub fn note(&mut self, text: impl Into<String>) -> &mut Self {
        self.notes.push(text.into());
        self
    }

    /// Whether every gating row is within its limit.
    pub fn passed(&self) -> bool {
        self.rows
            .iter()
            .filter(|r| r.role == Role::Gate)
            .all(Row::within_limit)
    }

    pub fn render(&self) -> String {
        let name_w = self.rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
        let cells: Vec<(String, String)> = self
            .rows
            .iter()
            .map(|r| (figure(r.value), r.limit.map(limit).unwrap_or_default()))
            .collect();
        let value_w = cells.iter().map(|c| c.0.len()).max().unwrap_or(0);
        let limit_w = cells.iter().map(|c| c.1.len()).max().unwrap_or(0);
        let unit_w = self.rows.iter().map(|r| r.unit.len()).max().unwrap_or(0);

        let mut out = format!("{}\n", self.title);
        for (row, (value, lim)) in self.rows.iter().zip(&cells) {
            // Writing to a String cannot fail.
            if row.limit.is_none() {
                let _ = writeln!(
                    out,
                    "  {:<name_w$}  {value:>value_w$} {}",
                    row.name, row.unit,
                );
                continue;
            }
            let ratio = row
                .ratio()
                .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}"));
            let _ = writeln!(
                out,
                "  {:<name_w$}  {value:>value_w$} {:<unit_w$}  limit {lim:>limit_w$} {:<unit_w$}  ratio {ratio:<4}  {}",
                row.name,
                row.unit,
                row.unit,
                row.verdict(),
            );
        }
        for note in &self.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        let gates = self.rows.iter().filter(|r| r.role == Role::Gate).count();
        let within = self
            .rows
            .iter()
            .filter(|r| r.role == Role::Gate && r.within_limit())
            .count();
        let verdict = if self.passed() { "PASS" } else { "FAIL" };
        let _ = writeln!(
            out,
            "{verdict}: {within} of {gates} gating figures within limits"
        );
        out
    }

    pub fn print(&self) {
        print!("{}", self.render());
    }
}

/// One decimal, so that a column of figures lines up on the point (`41.2`,
/// `127.3`); three for figures below 1 (`0.042`), which one would round away;
/// a plain `0` for zero (an error count).
fn figure(v: f64) -> String {
    if v == 0.0 {
        "0".to_owned()
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// Limits are round numbers chosen by people: print them as written.
fn limit(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// Order statistics of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub min: f64,
    pub median: f64,
    pub p90: f64,
    pub max: f64,
}

impl Summary {
    /// `None` for no samples.
    pub fn of(samples: &[f64]) -> Option<Self> {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        Some(Self {
            count: sorted.len(),
            min: *sorted.first()?,
            median: percentile(&sorted, 50.0),
            p90: percentile(&sorted, 90.0),
            max: *sorted.last()?,
        })
    }
}

/// The `p`th percentile of sorted samples, interpolating linearly between the
/// two nearest ranks (so the median of an even count is the mean of the middle
/// two). `NaN` for no samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let rank = (p / 100.0).clamp(0.0, 1.0) * (n - 1) as f64;
            // `rank` is within 0..=n-1, so these casts are exact indices.
            let lo = rank.floor() as usize;
            let hi = rank.ceil() as usize;
            sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let s = Summary::of(&[5.0, 1.0, 4.0, 2.0, 3.0]).expect("samples");
        assert_eq!((s.min, s.median, s.max), (1.0, 3.0, 5.0));
        assert!((s.p90 - 4.6).abs() < 1e-9, "{}", s.p90);
        assert_eq!(Summary::of(&[1.0, 2.0]).expect("samples").median, 1.5);
        assert_eq!(Summary::of(&[7.0]).expect("samples").p90, 7.0);
        assert!(Summary::of(&[]).is_none());
    }

    #[test]
    fn only_gating_rows_decide_the_verdict() {
        let mut r = Report::new("t");
        r.gate("median", 41.2, "ms", 300.0, Better::Lower).info(
            "max",
            400.0,
            "ms",
            300.0,
            Better::Lower,
        );
        assert!(r.passed());
        let text = r.render();
        assert!(
            text.contains("  median   41.2 ms  limit 300 ms  ratio 0.14  PASS"),
            "{text}"
        );
        assert!(text.contains("miss"), "{text}");
        r.gate("throughput", 90.0, "req/s", 100.0, Better::Higher);
        assert!(!r.passed());
        assert!(
            r.render()
                .ends_with("FAIL: 1 of 2 gating figures within limits\n")
        );
    }

    #[test]
    fn figures_have_no_verdict_and_zero_limits_no_ratio() {
        let mut r = Report::new("t");
        r.figure("rate", 2500.0, "signs/s")
            .gate("errors", 0.0, "req", 0.0, Better::Lower);
        assert!(r.passed());
        let text = r.render();
        assert!(text.contains("  rate    2500.0 signs/s\n"), "{text}");
        assert!(
            text.contains("  errors       0 req      limit 0 req      ratio -     PASS"),
            "{text}"
        );
        r.gate("errors again", 3.0, "req", 0.0, Better::Lower);
        assert!(!r.passed());
    }
}
