//! What a load request asks for, as a list of valid numbers plus the rows that are not: a
//! contiguous range, a list, or a CSV file (`number[,location]`, a header row first).

use std::collections::BTreeSet;

use shared::numbers::{NewNumberBlock, RejectedRow};

use super::e164::E164;
use crate::{
    domain::{bounds, rejected::Rejected},
    error::ApiError,
};

/// The most numbers one load may hold.
pub use shared::numbers::MAX_NUMBERS_PER_LOAD;
/// The longest label or location: the bounds the numbers list's `location` filter keeps too.
const LABEL_MAX_CHARS: usize = 100;

/// A number to load, and the location its CSV row named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub number: E164,
    pub location: Option<String>,
    /// Where it came from: the CSV line (1 = header), or the position in the list or range.
    pub line: u32,
}

/// A parsed load: the good numbers, in order, and the bad rows.
#[derive(Debug, Default)]
pub struct Parsed {
    pub numbers: Vec<Candidate>,
    pub rejected: Rejected,
    pub label: Option<String>,
    pub location: Option<String>,
    pub number_type: shared::numbers::TeamsNumberType,
}

/// What to do with bad rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Any bad row refuses the whole load (the default).
    #[default]
    Reject,
    /// Load the good rows; report the bad ones.
    Skip,
}

fn optional_text(field: &str, value: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    bounds::line(field, value, LABEL_MAX_CHARS)?;
    Ok(Some(value.to_owned()))
}

/// A JSON load: `start` + `count`, or `numbers`.
pub fn from_request(request: &NewNumberBlock) -> Result<Parsed, ApiError> {
    let label = optional_text("label", request.label.as_deref())?;
    let location = optional_text("location", request.location.as_deref())?;
    let mut parsed = Parsed {
        label,
        location: location.clone(),
        number_type: request.number_type.unwrap_or_default(),
        ..Parsed::default()
    };
    match (&request.start, request.count, &request.numbers) {
        (Some(start), Some(count), None) => {
            let count = usize::try_from(count).unwrap_or(usize::MAX);
            if count == 0 || count > MAX_NUMBERS_PER_LOAD {
                return Err(ApiError::InvalidInput(format!(
                    "count must be between 1 and {MAX_NUMBERS_PER_LOAD}."
                )));
            }
            bounds::line("start", start, 40)?;
            let first = E164::parse(start).map_err(|e| ApiError::InvalidInput(e.0))?;
            for i in 0..count {
                let number = first
                    .offset(i as u64)
                    .map_err(|e| ApiError::InvalidInput(e.0))?;
                parsed.numbers.push(Candidate {
                    number,
                    location: location.clone(),
                    line: line_no(i + 1),
                });
            }
        }
        (None, None, Some(numbers)) => {
            if numbers.is_empty() || numbers.len() > MAX_NUMBERS_PER_LOAD {
                return Err(ApiError::InvalidInput(format!(
                    "numbers must hold between 1 and {MAX_NUMBERS_PER_LOAD} entries."
                )));
            }
            for (i, text) in numbers.iter().enumerate() {
                accept(&mut parsed, line_no(i + 1), text, location.clone());
            }
        }
        _ => {
            return Err(ApiError::InvalidInput(
                "Send either start and count (a contiguous range) or numbers (a list).".into(),
            ))
        }
    }
    Ok(parsed)
}

/// A CSV load: a header row naming a `number` column (and optionally `location`), then one
/// number per row, at most [`MAX_NUMBERS_PER_LOAD`] rows (reading stops at the first row past
/// them). A row's location keeps the bounds of the `location` parameter (a row that does not is
/// a bad row). Line numbers count the header as line 1.
pub fn from_csv(
    body: &[u8],
    label: Option<&str>,
    location: Option<&str>,
) -> Result<Parsed, ApiError> {
    let mut parsed = Parsed {
        label: optional_text("label", label)?,
        location: optional_text("location", location)?,
        ..Parsed::default()
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::InvalidInput(format!("The CSV header row cannot be read: {e}.")))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
    };
    let Some(number_column) = column("number") else {
        return Err(ApiError::InvalidInput(
            "The CSV needs a header row with a 'number' column (and optionally 'location').".into(),
        ));
    };
    let location_column = column("location");
    for (i, record) in reader.records().enumerate() {
        let line = line_no(i + 2);
        if parsed.numbers.len() + parsed.rejected.count() >= MAX_NUMBERS_PER_LOAD {
            return Err(ApiError::InvalidInput(format!(
                "A CSV may hold at most {MAX_NUMBERS_PER_LOAD} numbers."
            )));
        }
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                parsed.rejected.push(RejectedRow {
                    line,
                    value: String::new(),
                    problem: format!("The row cannot be read: {e}."),
                });
                continue;
            }
        };
        let text = record.get(number_column).unwrap_or_default();
        let row_location = location_column
            .and_then(|c| record.get(c))
            .map(str::trim)
            .filter(|l| !l.is_empty());
        let row_location = match row_location {
            None => parsed.location.clone(),
            Some(l) => match bounds::line("location", l, LABEL_MAX_CHARS) {
                Ok(()) => Some(l.to_owned()),
                Err(e) => {
                    parsed.rejected.push(RejectedRow {
                        line,
                        value: text.chars().take(40).collect(),
                        problem: e.to_string(),
                    });
                    continue;
                }
            },
        };
        accept(&mut parsed, line, text, row_location);
    }
    if parsed.numbers.is_empty() && parsed.rejected.is_empty() {
        return Err(ApiError::InvalidInput("The CSV holds no numbers.".into()));
    }
    Ok(parsed)
}

fn line_no(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn accept(parsed: &mut Parsed, line: u32, text: &str, location: Option<String>) {
    match E164::parse(text) {
        Ok(number) => parsed.numbers.push(Candidate {
            number,
            location,
            line,
        }),
        Err(e) => parsed.rejected.push(RejectedRow {
            line,
            value: text.chars().take(40).collect(),
            problem: e.0,
        }),
    }
}

impl Parsed {
    /// Refuses duplicates within the load itself, as rejected rows after the first.
    pub fn reject_repeats(&mut self) {
        let mut seen = BTreeSet::new();
        let mut kept = Vec::with_capacity(self.numbers.len());
        for candidate in std::mem::take(&mut self.numbers) {
            if seen.insert(candidate.number.clone()) {
                kept.push(candidate);
            } else {
                self.rejected.push(RejectedRow {
                    line: candidate.line,
                    value: candidate.number.to_string(),
                    problem: "This number appears more than once in the load.".into(),
                });
            }
        }
        self.numbers = kept;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn range(start: &str, count: u32) -> NewNumberBlock {
        NewNumberBlock {
            start: Some(start.into()),
            count: Some(count),
            numbers: None,
            label: None,
            location: Some("Seattle".into()),
            number_type: None,
        }
    }

    #[test]
    fn a_range_expands_to_consecutive_numbers() {
        let parsed = from_request(&range("+14255550100", 3)).unwrap();
        let numbers: Vec<_> = parsed
            .numbers
            .iter()
            .map(|c| c.number.to_string())
            .collect();
        assert_eq!(numbers, ["+14255550100", "+14255550101", "+14255550102"]);
        assert_eq!(parsed.numbers[0].location.as_deref(), Some("Seattle"));
    }

    #[test]
    fn a_range_needs_a_sane_count_and_one_shape() {
        assert!(from_request(&range("+14255550100", 0)).is_err());
        assert!(from_request(&range("+14255550100", 10_001)).is_err());
        let mut both = range("+14255550100", 2);
        both.numbers = Some(vec!["+14255550100".into()]);
        assert!(from_request(&both).is_err());
    }

    #[test]
    fn csv_rows_are_checked_one_by_one_with_their_line() {
        let csv = b"number,location\n+14255550100,Seattle\nnot a number,\n+442071838750,\n";
        let parsed = from_csv(csv, None, Some("HQ")).unwrap();
        assert_eq!(parsed.numbers.len(), 2);
        assert_eq!(parsed.numbers[1].location.as_deref(), Some("HQ"));
        let (rejected, count) = parsed.rejected.into_parts();
        assert_eq!((rejected[0].line, count), (3, 1));
        assert!(from_csv(b"phone\n+14255550100\n", None, None).is_err());
    }

    #[test]
    fn a_rows_location_keeps_the_bounds_of_the_location_parameter() {
        let long = "x".repeat(101);
        let csv = format!(
            "number,location\n+14255550100,\"a\0b\"\n+14255550101,\"Sea\r\ntle\"\n\
             +14255550102,{long}\n+14255550103,{}\n+14255550104,  \n",
            "é".repeat(100)
        );
        let parsed = from_csv(csv.as_bytes(), None, Some("HQ")).unwrap();
        let kept: Vec<(u32, Option<&str>)> = parsed
            .numbers
            .iter()
            .map(|c| (c.line, c.location.as_deref()))
            .collect();
        let accented = "é".repeat(100);
        assert_eq!(kept, [(5, Some(accented.as_str())), (6, Some("HQ"))]);
        let (rejected, _) = parsed.rejected.into_parts();
        let lines: Vec<(u32, &str)> = rejected
            .iter()
            .map(|r| (r.line, r.value.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (2, "+14255550100"),
                (3, "+14255550101"),
                (4, "+14255550102")
            ]
        );
    }

    #[test]
    fn repeats_within_a_load_are_rejected() {
        let mut parsed = from_request(&NewNumberBlock {
            start: None,
            count: None,
            numbers: Some(vec!["+14255550100".into(), "+1 425 555 0100".into()]),
            label: None,
            location: None,
            number_type: None,
        })
        .unwrap();
        parsed.reject_repeats();
        assert_eq!(parsed.numbers.len(), 1);
        let (rejected, count) = parsed.rejected.into_parts();
        assert_eq!((rejected[0].line, count), (2, 1));
    }
}
