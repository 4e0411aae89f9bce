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
//! - informational rows (min, p90, max…) print `ok`/`miss` and do not.
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
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "for the throughput benchmarks to come; remove when one uses it"
        )
    )]
    Higher,
}

/// Whether a row decides the verdict or only informs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Gate,
    Info,
}

/// One figure measured in this run, and the limit it is judged against.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
    pub limit: f64,
    pub better: Better,
    pub role: Role,
}

impl Row {
    /// `value / limit`, whichever direction is good: below 1 is within a
    /// lower-is-better limit, above 1 is within a higher-is-better one.
    pub fn ratio(&self) -> f64 {
        self.value / self.limit
    }

    pub fn within_limit(&self) -> bool {
        match self.better {
            Better::Lower => self.value <= self.limit,
            Better::Higher => self.value >= self.limit,
        }
    }

    fn verdict(&self) -> &'static str {
        match (self.role, self.within_limit()) {
            (Role::Gate, true) => "PASS",
            (Role::Gate, false) => "FAIL",
            (Role::Info, true) => "ok",
            (Role::Info, false) => "miss",
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
            limit,
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
            .map(|r| (figure(r.value), limit(r.limit)))
            .collect();
        let value_w = cells.iter().map(|c| c.0.len()).max().unwrap_or(0);
        let limit_w = cells.iter().map(|c| c.1.len()).max().unwrap_or(0);
        let unit_w = self.rows.iter().map(|r| r.unit.len()).max().unwrap_or(0);

        let mut out = format!("{}\n", self.title);
        for (row, (value, lim)) in self.rows.iter().zip(&cells) {
            // Writing to a String cannot fail.
            let _ = writeln!(
                out,
                "  {:<name_w$}  {value:>value_w$} {:<unit_w$}  limit {lim:>limit_w$} {:<unit_w$}  ratio {:.2}  {}",
                row.name,
                row.unit,
                row.unit,
                row.ratio(),
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
/// `127.3`); three for figures below 1 (`0.042`), which one would round away.
fn figure(v: f64) -> String {
    if v.abs() >= 1.0 {
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
}
