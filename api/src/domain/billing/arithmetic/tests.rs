use chrono::{NaiveDate, NaiveDateTime};
use proptest::prelude::*;
use shared::billing::BillingRule;

use super::{usage, Change, Month};

fn at(day: u32, hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, day)
        .unwrap()
        .and_hms_opt(hour, 0, 0)
        .unwrap()
}

fn on(when: NaiveDateTime, user: &str, number: &str) -> Change {
    Change {
        at: when,
        user: user.to_owned(),
        number: Some(number.to_owned()),
    }
}

fn off(when: NaiveDateTime, user: &str) -> Change {
    Change {
        at: when,
        user: user.to_owned(),
        number: None,
    }
}

fn november() -> Month {
    Month::parse("2026-11").unwrap()
}

#[test]
fn months_parse_strictly() {
    let m = november();
    assert_eq!(m.days(), 30);
    assert_eq!(m.label(), "2026-11");
    assert_eq!(Month::parse("2024-02").unwrap().days(), 29);
    assert_eq!(
        Month::parse("2026-12").unwrap().end(),
        at(1, 0) + chrono::Duration::days(30) + chrono::Duration::days(31)
    );
    for bad in [
        "2026-13",
        "2026-00",
        "26-11",
        "2026-1",
        "2026/11",
        "2026-11-01",
        "",
        "1999-12",
        "２０２６-11",
        "+026-11",
    ] {
        assert!(Month::parse(bad).is_err(), "{bad:?} parsed");
    }
}

#[test]
fn a_user_enabled_on_the_3rd_and_disabled_on_the_5th_is_billed_three_days() {
    let changes = [on(at(3, 10), "u1", "+15550001"), off(at(5, 9), "u1")];
    let usage = usage(&changes, november(), november().end());
    assert_eq!(usage.users.len(), 1);
    assert_eq!(usage.users[0].billable_days, 3);
    assert_eq!(usage.user_days, 3);
    assert_eq!(usage.daily[1], 0);
    assert_eq!(&usage.daily[2..5], &[1, 1, 1]);
    assert_eq!(usage.daily[5], 0);
}

#[test]
fn service_from_an_earlier_month_starts_at_the_month_and_ending_at_midnight_bills_no_new_day() {
    let october = at(1, 0) - chrono::Duration::days(10);
    let changes = [on(october, "u1", "+15550001"), off(at(3, 0), "u1")];
    let usage = usage(&changes, november(), november().end());
    assert_eq!(usage.users[0].intervals[0].from, at(1, 0));
    assert_eq!(usage.users[0].billable_days, 2);
    assert_eq!(usage.peak, 1);
    assert_eq!(usage.peak_at, Some(at(1, 0)));
}

#[test]
fn service_that_ended_before_the_month_is_not_billed() {
    let october = at(1, 0) - chrono::Duration::days(10);
    let changes = [
        on(october, "u1", "+15550001"),
        off(october + chrono::Duration::days(1), "u1"),
    ];
    let usage = usage(&changes, november(), november().end());
    assert!(usage.users.is_empty());
    assert_eq!(usage.peak, 0);
    assert_eq!(usage.peak_at, None);
}

#[test]
fn rules_any_day_and_pro_rata() {
    // u1 the whole month (30 days), u2 for 3 days, u3 for 1 day: 34 user-days.
    let changes = [
        on(at(1, 0), "u1", "+15550001"),
        on(at(10, 8), "u2", "+15550002"),
        off(at(12, 20), "u2"),
        on(at(20, 8), "u3", "+15550003"),
        off(at(20, 9), "u3"),
    ];
    let usage = usage(&changes, november(), november().end());
    assert_eq!(usage.user_days, 34);
    assert_eq!(usage.billable_users(BillingRule::AnyDay, 30), 3.0);
    // 34 / 30 = 1.1333…
    assert_eq!(usage.billable_users(BillingRule::ProRata, 30), 1.13);
    assert_eq!(usage.peak, 2);
    assert_eq!(usage.peak_at, Some(at(10, 8)));
}

#[test]
fn pro_rata_rounds_half_up() {
    // 1 user-day in a 40-day "month" would be 0.025; with 30 days, 15 user-days is 0.5 exactly.
    let changes = [on(at(16, 0), "u1", "+1")];
    let usage = usage(&changes, november(), november().end());
    assert_eq!(usage.user_days, 15);
    assert_eq!(usage.billable_users(BillingRule::ProRata, 30), 0.5);
    let mut third = usage.clone();
    third.user_days = 1; // 1/30 = 0.0333…
    assert_eq!(third.billable_users(BillingRule::ProRata, 30), 0.03);
    third.user_days = 5; // 5/200 = 0.025 → 0.03 (half up)
    assert_eq!(third.billable_users(BillingRule::ProRata, 200), 0.03);
}

#[test]
fn a_changed_number_is_one_stretch_of_billing_but_two_intervals() {
    let changes = [
        on(at(2, 9), "u1", "+15550001"),
        on(at(4, 9), "u1", "+15550002"),
        off(at(6, 9), "u1"),
    ];
    let usage = usage(&changes, november(), november().end());
    let user = &usage.users[0];
    assert_eq!(user.intervals.len(), 2);
    assert_eq!(user.intervals[1].number, "+15550002");
    assert_eq!(user.billable_days, 5);
    assert_eq!(usage.peak, 1);
}

#[test]
fn a_running_month_counts_to_now_and_leaves_open_intervals_open() {
    let changes = [on(at(2, 9), "u1", "+15550001")];
    let now = at(10, 12);
    let usage = usage(&changes, november(), now);
    assert_eq!(usage.daily.len(), 10);
    assert_eq!(usage.users[0].billable_days, 9);
    assert_eq!(usage.users[0].intervals[0].to, None);
}

#[test]
fn a_future_month_is_empty() {
    let changes = [on(at(2, 9), "u1", "+15550001")];
    let usage = usage(&changes, Month::parse("2027-03").unwrap(), at(10, 12));
    assert!(usage.users.is_empty());
    assert!(usage.daily.is_empty());
    assert_eq!(usage.peak, 0);
}

// The property: for any sequence of enable and disable events, the billed user-days equal a
// day-by-day count of enabled users, made here a second, independent way: by replaying the
// events to each day's start and looking for an enable within the day.

/// Whether `user` had service at any moment of `[a, b)`, by replaying the events.
fn had_service(changes: &[Change], user: &str, a: NaiveDateTime, b: NaiveDateTime) -> bool {
    let mut on_at_start = false;
    for c in changes.iter().filter(|c| c.user == user && c.at <= a) {
        on_at_start = c.number.is_some();
    }
    on_at_start
        || changes
            .iter()
            .any(|c| c.user == user && c.number.is_some() && c.at >= a && c.at < b)
}

fn arbitrary_changes() -> impl Strategy<Value = Vec<Change>> {
    // Four users, minutes across October to December 2026, some on the same instant.
    let start = NaiveDate::from_ymd_opt(2026, 10, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    prop::collection::vec((0u32..4, 0i64..(92 * 24 * 4), any::<bool>(), 0u8..3), 0..60).prop_map(
        move |raw| {
            let mut changes: Vec<Change> = raw
                .into_iter()
                .map(|(user, quarter_hours, enable, number)| Change {
                    at: start + chrono::Duration::minutes(quarter_hours * 15),
                    user: format!("u{user}"),
                    number: enable.then(|| format!("+1555000{number}")),
                })
                .collect();
            changes.sort_by_key(|c| c.at);
            changes
        },
    )
}

proptest! {
    #[test]
    fn billed_user_days_equal_a_day_by_day_count(changes in arbitrary_changes()) {
        let month = november();
        let usage = usage(&changes, month, month.end());
        let mut recount = 0u32;
        for d in 0..month.days() {
            let (a, b) = (month.start() + chrono::Duration::days(i64::from(d)), month.start() + chrono::Duration::days(i64::from(d) + 1));
            let enabled = (0..4).filter(|u| had_service(&changes, &format!("u{u}"), a, b)).count() as u32;
            prop_assert_eq!(usage.daily[d as usize], enabled, "day {}", d + 1);
            recount += enabled;
        }
        prop_assert_eq!(usage.user_days, recount);
        for user in &usage.users {
            let days = (0..month.days())
                .filter(|d| {
                    let a = month.start() + chrono::Duration::days(i64::from(*d));
                    had_service(&changes, &user.user, a, a + chrono::Duration::days(1))
                })
                .count() as u32;
            prop_assert_eq!(user.billable_days, days, "user {}", &user.user);
        }
        let any_day = (0..4)
            .filter(|u| had_service(&changes, &format!("u{u}"), month.start(), month.end()))
            .count();
        prop_assert_eq!(usage.users.len(), any_day);
    }

    #[test]
    fn the_peak_is_the_most_users_on_at_once(changes in arbitrary_changes()) {
        let month = november();
        let usage = usage(&changes, month, month.end());
        // The state after every instant of the month, and at its start.
        let state_after = |t: NaiveDateTime| {
            (0..4)
                .filter(|u| {
                    let user = format!("u{u}");
                    changes.iter().rfind(|c| c.user == user && c.at <= t).is_some_and(|c| c.number.is_some())
                })
                .count() as u32
        };
        let at_start = {
            let just_before = month.start() - chrono::Duration::microseconds(1);
            state_after(just_before)
        };
        let most = changes
            .iter()
            .filter(|c| c.at >= month.start() && c.at < month.end())
            .map(|c| state_after(c.at))
            .chain([at_start])
            .max()
            .unwrap_or(0);
        prop_assert_eq!(usage.peak, most);
    }
}
