//! Billing arithmetic: from a user's phone-service changes (the ledger's `enabled` and
//! `disabled` events) to the month's intervals, billable days, daily counts and peak. Pure: the
//! same events always give the same figures, which is what lets any past month be recomputed.
//!
//! Days are UTC calendar days. A user is billed for a day when they had service at any moment of
//! it; a service that began and ended at the same instant still counts for that day.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use shared::billing::BillingRule;

use crate::error::ApiError;

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    first: NaiveDate,
}

impl Month {
    /// Exactly `YYYY-MM` with a month 01–12 and a year 2000–9999.
    pub fn parse(text: &str) -> Result<Month, ApiError> {
        let bad = || {
            ApiError::InvalidInput(format!(
                "month must be YYYY-MM, such as 2026-11 (got {:?}).",
                text.chars().take(20).collect::<String>()
            ))
        };
        let (year, month) = text.split_once('-').ok_or_else(bad)?;
        if year.len() != 4
            || month.len() != 2
            || !(year.bytes().chain(month.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u32 = month.parse().map_err(|_| bad())?;
        if year < 2000 {
            return Err(bad());
        }
        NaiveDate::from_ymd_opt(year, month, 1)
            .map(|first| Month { first })
            .ok_or_else(bad)
    }

    pub fn of(day: NaiveDate) -> Month {
        Month {
            first: day.with_day(1).unwrap_or(day),
        }
    }

    pub fn start(self) -> NaiveDateTime {
        self.first.and_time(chrono::NaiveTime::MIN)
    }

    /// The first instant of the next month.
    pub fn end(self) -> NaiveDateTime {
        self.first_of_next().and_time(chrono::NaiveTime::MIN)
    }

    fn first_of_next(self) -> NaiveDate {
        let (y, m) = (self.first.year(), self.first.month());
        let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(self.first)
    }

    pub fn days(self) -> u32 {
        u32::try_from((self.first_of_next() - self.first).num_days()).unwrap_or(31)
    }

    pub fn label(self) -> String {
        self.first.format("%Y-%m").to_string()
    }

    pub fn day(self, index: u32) -> NaiveDate {
        self.first + Duration::days(i64::from(index))
    }
}

/// One change of a user's service, in the order the ledger recorded them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub at: NaiveDateTime,
    pub user: String,
    /// `Some(number)`: service with that number from now on (a new one, or a changed number);
    /// `None`: no service from now on.
    pub number: Option<String>,
}

/// A stretch of service inside the month; `to` is `None` while it goes on at the cut-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    pub from: NaiveDateTime,
    pub to: Option<NaiveDateTime>,
    pub number: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserDays {
    pub user: String,
    pub intervals: Vec<Interval>,
    pub billable_days: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub users: Vec<UserDays>,
    /// Users with service on each day of the month up to the cut-off.
    pub daily: Vec<u32>,
    pub user_days: u32,
    pub peak: u32,
    pub peak_at: Option<NaiveDateTime>,
}

impl Usage {
    pub fn billable_users(&self, rule: BillingRule, days_in_month: u32) -> f64 {
        match rule {
            BillingRule::AnyDay => f64::from(u32::try_from(self.users.len()).unwrap_or(u32::MAX)),
            BillingRule::ProRata => {
                // Half up to two decimals, in integers: hundredths = round(100·days / month).
                let (days, month) = (u64::from(self.user_days), u64::from(days_in_month.max(1)));
                let hundredths = (200 * days + month) / (2 * month);
                hundredths as f64 / 100.0
            }
        }
    }
}

/// The month's usage from `changes` (oldest first, any from before the month included, none
/// after `cut_off`), counted up to `cut_off` (the month's end, or now in a running month).
pub fn usage(changes: &[Change], month: Month, cut_off: NaiveDateTime) -> Usage {
    let (start, end) = (month.start(), month.end().min(cut_off));
    if end <= start {
        // A month not yet begun.
        return Usage {
            users: Vec::new(),
            daily: Vec::new(),
            user_days: 0,
            peak: 0,
            peak_at: None,
        };
    }
    let mut open: BTreeMap<&str, (NaiveDateTime, &str)> = BTreeMap::new();
    let mut done: BTreeMap<&str, Vec<Interval>> = BTreeMap::new();
    let mut concurrent = 0u32;
    let mut peak = Peak::default();
    let mut i = 0;
    while i < changes.len() && changes[i].at < end {
        // Every change at one instant first, then the count: the peak is of states, not of
        // the order the rows of one instant happen to be in.
        let at = changes[i].at;
        if at >= start {
            // What carried over from before the month is its first state.
            peak.start(concurrent, start);
        }
        while i < changes.len() && changes[i].at == at {
            let c = &changes[i];
            let was_on = open.contains_key(c.user.as_str());
            if let Some((since, number)) = open.remove(c.user.as_str()) {
                close(&mut done, &c.user, since, Some(at), number, start);
            }
            if let Some(number) = &c.number {
                open.insert(&c.user, (at, number));
            }
            match (was_on, c.number.is_some()) {
                (false, true) => concurrent += 1,
                (true, false) => concurrent -= 1,
                _ => {}
            }
            i += 1;
        }
        if at >= start {
            peak.see(concurrent, at);
        }
    }
    peak.start(concurrent, start);
    for (user, (since, number)) in open {
        close(&mut done, user, since, None, number, start);
    }
    let days_counted = if cut_off >= month.end() {
        month.days()
    } else {
        day_index(start, cut_off) + 1
    };
    let mut daily = vec![0u32; days_counted as usize];
    let mut users = Vec::new();
    for (user, intervals) in done {
        let mut days = vec![false; days_counted as usize];
        for interval in &intervals {
            let first = day_index(start, interval.from);
            let last = match interval.to {
                // Service up to `to`, not at it: ending at midnight does not bill the new day.
                Some(to) if to > interval.from => day_index(start, to - Duration::microseconds(1)),
                Some(_) => first,
                None => days_counted.saturating_sub(1),
            };
            for d in first..=last.min(days_counted.saturating_sub(1)) {
                days[d as usize] = true;
            }
        }
        let billable = days.iter().filter(|on| **on).count();
        if billable == 0 {
            continue;
        }
        for (d, on) in days.iter().enumerate() {
            daily[d] += u32::from(*on);
        }
        users.push(UserDays {
            user: user.to_owned(),
            intervals,
            billable_days: u32::try_from(billable).unwrap_or(u32::MAX),
        });
    }
    let user_days = users.iter().map(|u| u.billable_days).sum();
    Usage {
        users,
        daily,
        user_days,
        peak: peak.most,
        peak_at: peak.at,
    }
}

/// The most users with service at one moment of the month, and when first.
#[derive(Default)]
struct Peak {
    started: bool,
    most: u32,
    at: Option<NaiveDateTime>,
}

impl Peak {
    fn start(&mut self, concurrent: u32, start: NaiveDateTime) {
        if !self.started {
            self.started = true;
            self.see(concurrent, start);
        }
    }

    fn see(&mut self, concurrent: u32, at: NaiveDateTime) {
        if concurrent > self.most {
            self.most = concurrent;
            self.at = Some(at);
        }
    }
}

/// Keeps the part of `[since, to)` inside the month (from `start` on).
fn close<'a>(
    done: &mut BTreeMap<&'a str, Vec<Interval>>,
    user: &'a str,
    since: NaiveDateTime,
    to: Option<NaiveDateTime>,
    number: &str,
    start: NaiveDateTime,
) {
    if to.is_some_and(|to| to <= start && since < start) {
        return;
    }
    done.entry(user).or_default().push(Interval {
        from: since.max(start),
        to,
        number: number.to_owned(),
    });
}

fn day_index(start: NaiveDateTime, at: NaiveDateTime) -> u32 {
    u32::try_from((at - start).num_days()).unwrap_or(0)
}

#[cfg(test)]
mod tests;
