//! The usage report as CSV: a header row, then one row per user with service in the month.
//! Each row carries the user's share of the bill: 1 under `any_day`; under `pro_rata` their
//! billable days over the days in the month, to four decimals (the report's total rounds the
//! exact sum to two).

use shared::billing::{BillingRule, UsageReport};

use crate::error::ApiError;

pub const HEADER: [&str; 10] = [
    "month",
    "user_id",
    "user_principal_name",
    "display_name",
    "billable_days",
    "days_in_month",
    "rule",
    "billable_share",
    "numbers",
    "intervals",
];

pub fn to_csv(report: &UsageReport) -> Result<String, ApiError> {
    // Every field quoted: a cell ends only where the CSV says, never at a `;` or tab in it.
    let mut out = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    let fail = |e: csv::Error| ApiError::internal(anyhow::anyhow!("writing CSV: {e}"));
    out.write_record(HEADER).map_err(fail)?;
    for user in &report.users {
        let share = match report.rule {
            BillingRule::AnyDay => "1".to_owned(),
            BillingRule::ProRata => format!(
                "{:.4}",
                f64::from(user.billable_days) / f64::from(report.days_in_month.max(1))
            ),
        };
        let mut numbers: Vec<&str> = user.intervals.iter().map(|i| i.number.as_str()).collect();
        numbers.dedup();
        let intervals: Vec<String> = user
            .intervals
            .iter()
            .map(|i| {
                let to = i.to.map(|t| t.to_rfc3339()).unwrap_or_default();
                format!("{}/{} {}", i.from.to_rfc3339(), to, i.number)
            })
            .collect();
        out.write_record([
            report.month.as_str(),
            &cell(&user.user_id),
            &cell(user.user_principal_name.as_deref().unwrap_or("")),
            &cell(user.display_name.as_deref().unwrap_or("")),
            &user.billable_days.to_string(),
            &report.days_in_month.to_string(),
            report.rule.as_str(),
            &share,
            &numbers.join(" "),
            &intervals.join("; "),
        ])
        .map_err(fail)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ApiError::internal(anyhow::anyhow!("CSV: {e}")))
}

/// Text from the tenant (ids, names) that a spreadsheet would run as a formula stays text
/// (OWASP: CSV injection): a trigger (`=`, `+`, `-`, `@`, tab, CR) gets a `'` before it at the
/// start of the text, and after a `;`, tab or `|` too, where a spreadsheet that splits cells at
/// those would start a new cell (`Bob;=1+1`). Spaces before a trigger do not hide it.
fn cell(text: &str) -> String {
    const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
    let mut out = String::with_capacity(text.len() + 2);
    let mut cell_start = true;
    for ch in text.chars() {
        if cell_start && TRIGGERS.contains(&ch) {
            out.push('\'');
        }
        out.push(ch);
        cell_start = matches!(ch, ';' | '\t' | '|') || (cell_start && ch == ' ');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_formula_is_text_at_the_start_and_after_each_separator() {
        for (name, safe) in [
            ("Bob", "Bob"),
            ("Bob-Smith (HR) a@b", "Bob-Smith (HR) a@b"),
            ("=1+1", "'=1+1"),
            ("  @SUM(A1)", "  '@SUM(A1)"),
            ("Bob;=1+1", "Bob;'=1+1"),
            ("Bob; +1", "Bob; '+1"),
            ("Bob\t=1+1", "Bob\t'=1+1"),
            ("\t=1", "'\t'=1"),
            ("a|-2|b", "a|'-2|b"),
            ("x;;@y", "x;;'@y"),
            ("\rBob", "'\rBob"),
        ] {
            assert_eq!(cell(name), safe, "{name:?}");
        }
    }
}
