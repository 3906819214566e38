//! The rows of an upload that are not acceptable: every one is counted, the first
//! [`SHOWN`] by line are kept to be shown. A file of bad rows then answers with a small
//! problem, not with an echo of itself.

use shared::numbers::RejectedRow;

use crate::error::ApiError;

/// How many rejected rows an answer lists; `rejected_count` says how many there were.
pub const SHOWN: usize = 100;

#[derive(Debug, Default)]
pub struct Rejected {
    /// Never more than twice `SHOWN`: trimmed to the first `SHOWN` by line when it gets there.
    rows: Vec<RejectedRow>,
    count: usize,
}

impl Rejected {
    pub fn push(&mut self, row: RejectedRow) {
        self.count += 1;
        self.rows.push(row);
        if self.rows.len() >= 2 * SHOWN {
            self.trim();
        }
    }

    fn trim(&mut self) {
        self.rows.sort_by_key(|r| r.line);
        self.rows.truncate(SHOWN);
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// How many rows were rejected in all.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The first `SHOWN` rows by line, and how many there were in all.
    pub fn into_parts(mut self) -> (Vec<RejectedRow>, u32) {
        self.trim();
        (self.rows, u32::try_from(self.count).unwrap_or(u32::MAX))
    }

    /// The `rejected_rows` problem (422) with these rows; `detail` is given their count.
    pub fn into_error(self, detail: impl FnOnce(usize) -> String) -> ApiError {
        let total = self.count;
        let mut detail = detail(total);
        let (rows, count) = self.into_parts();
        if rows.len() < total {
            detail.push_str(&format!(" The first {} are listed.", rows.len()));
        }
        ApiError::RejectedRows {
            detail,
            rows,
            count,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn row(line: u32) -> RejectedRow {
        RejectedRow {
            line,
            value: String::new(),
            problem: "bad".into(),
        }
    }

    #[test]
    fn all_are_counted_and_the_first_by_line_are_kept() {
        let mut rejected = Rejected::default();
        // Out of order, as a load adds its repeats and overlaps after the bad rows.
        for line in (1..=1000).rev() {
            rejected.push(row(line));
        }
        rejected.push(row(0));
        assert_eq!(rejected.count(), 1001);
        let (rows, count) = rejected.into_parts();
        assert_eq!(count, 1001);
        let lines: Vec<u32> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn the_problem_says_when_only_some_are_listed() {
        let mut few = Rejected::default();
        few.push(row(2));
        let ApiError::RejectedRows {
            detail,
            rows,
            count,
        } = few.into_error(|n| format!("{n} bad."))
        else {
            panic!("not rejected rows")
        };
        assert_eq!((detail.as_str(), rows.len(), count), ("1 bad.", 1, 1));

        let mut many = Rejected::default();
        (1..=150).for_each(|line| many.push(row(line)));
        let ApiError::RejectedRows {
            detail,
            rows,
            count,
        } = many.into_error(|n| format!("{n} bad."))
        else {
            panic!("not rejected rows")
        };
        assert_eq!(detail, "150 bad. The first 100 are listed.");
        assert_eq!((rows.len(), count), (100, 150));
    }
}
