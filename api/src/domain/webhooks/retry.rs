//! When a failed delivery is tried again: after each delay of the schedule in turn
//! (`WEBHOOK_RETRY_SCHEDULE`, by default the Standard Webhooks suggestion: 5 s, 5 min, 30 min,
//! 2 h, 5 h, 10 h, 10 h, so eight attempts over about 28 hours). A delivery whose attempts are
//! used up is `failed`; an admin can re-send it, which starts the schedule again.

use std::time::Duration;

/// The default schedule, as the setting is written.
pub const DEFAULT_SCHEDULE: &str = "5s,5m,30m,2h,5h,10h,10h";
/// The longest delay the setting accepts.
const MAX_DELAY: Duration = Duration::from_secs(7 * 24 * 3600);

/// One delay of the schedule: a whole number and its unit (`ms`, `s`, `m`, `h`), e.g. `30s`.
pub fn parse_delay(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` has no unit (ms, s, m or h)"))?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a whole number"))?;
    let delay = match unit {
        "ms" => Duration::from_millis(number),
        "s" => Duration::from_secs(number),
        "m" => Duration::from_secs(number.saturating_mul(60)),
        "h" => Duration::from_secs(number.saturating_mul(3600)),
        _ => return Err(format!("`{text}`: the unit is ms, s, m or h")),
    };
    if delay > MAX_DELAY {
        return Err(format!("`{text}` is longer than 7 days"));
    }
    Ok(delay)
}

/// The delays between attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl RetrySchedule {
    pub fn new(delays: Vec<Duration>) -> RetrySchedule {
        RetrySchedule(delays)
    }

    /// Attempts a delivery gets before it fails: the first, and one per delay.
    pub fn attempts(&self) -> i32 {
        i32::try_from(self.0.len()).unwrap_or(i32::MAX - 1) + 1
    }

    /// The wait after failed attempt number `attempt` (1 for the first), or `None` when that
    /// was the last.
    pub fn after(&self, attempt: i32) -> Option<Duration> {
        usize::try_from(attempt - 1)
            .ok()
            .and_then(|i| self.0.get(i).copied())
    }
}

impl Default for RetrySchedule {
    fn default() -> RetrySchedule {
        RetrySchedule(
            DEFAULT_SCHEDULE
                .split(',')
                .filter_map(|d| parse_delay(d).ok())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn delays_are_numbers_with_units() {
        assert_eq!(parse_delay("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_delay(" 5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_delay("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_delay("2h"), Ok(Duration::from_secs(7200)));
        for bad in [
            "",
            "5",
            "s",
            "5 s",
            "-5s",
            "1.5s",
            "5d",
            "169h",
            "99999999999999999999s",
        ] {
            assert!(parse_delay(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_default_gives_eight_attempts_over_about_28_hours() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.attempts(), 8);
        assert_eq!(schedule.after(1), Some(Duration::from_secs(5)));
        assert_eq!(schedule.after(7), Some(Duration::from_secs(36_000)));
        assert_eq!(schedule.after(8), None);
        assert_eq!(schedule.after(0), None);
        let total: u64 = (1..8)
            .filter_map(|a| schedule.after(a))
            .map(|d| d.as_secs())
            .sum();
        assert_eq!(total, 5 + 300 + 1800 + 7200 + 18_000 + 36_000 + 36_000);
    }

    #[test]
    fn an_empty_schedule_tries_once() {
        let once = RetrySchedule::new(vec![]);
        assert_eq!(once.attempts(), 1);
        assert_eq!(once.after(1), None);
    }
}
