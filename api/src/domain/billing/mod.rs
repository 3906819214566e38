//! Billing of enabled users. The figures are derived from the ledger alone (`arithmetic`): the
//! same month always recomputes to the same report. Names come from the last user sync, and
//! the discrepancies compare the ledger with what Teams showed at that sync.

pub mod arithmetic;
mod csv_report;

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use shared::billing::{
    BillingRule, BillingSettings, DailyCount, Discrepancy, DiscrepancyKind, ServiceInterval,
    UsageReport, UsageTotals, UserUsage,
};

use self::arithmetic::{Change, Month};
use super::{
    ledger::{self, Actor, Entry, LedgerKind},
    principal::Principal,
    stored,
};
use crate::{
    db::{self, directory::DirectoryUserRow, ledger::LedgerEvent, DbConn},
    error::ApiError,
};

pub use csv_report::to_csv;

pub fn settings(conn: &mut DbConn, caller: &Principal) -> Result<BillingSettings, ApiError> {
    let stored = db::accounts::billing_rule(conn, caller.account_id.as_str())?;
    Ok(BillingSettings {
        rule: BillingRule::parse(&stored).unwrap_or(BillingRule::AnyDay),
    })
}

/// Changes the account's billing rule (admins) from the running month on: the change is a
/// ledger event, and a month is billed under the rule in force at its end, so a past month
/// keeps its answer.
pub fn set_settings(
    conn: &mut DbConn,
    caller: &Principal,
    wanted: &BillingSettings,
) -> Result<BillingSettings, ApiError> {
    caller.require_admin()?;
    db::transaction(conn, |conn| {
        let account = caller.account_id.as_str();
        db::lock_account(conn, account)?;
        let before = settings(conn, caller)?;
        if before.rule != wanted.rule {
            db::accounts::set_billing_rule(conn, account, wanted.rule.as_str())?;
            let summary = format!(
                "Changed the billing rule from {} to {}.",
                before.rule.label(),
                wanted.rule.label()
            );
            let actor = Actor::of(caller);
            let detail = format!("from={} to={}", before.rule.as_str(), wanted.rule.as_str());
            let entry = Entry {
                detail: Some(&detail),
                ..Entry::new(
                    &caller.account_id,
                    LedgerKind::BillingRuleChanged,
                    &actor,
                    summary,
                )
            };
            ledger::record(conn, entry)?;
        }
        Ok(wanted.clone())
    })
}

/// The month's report. A month not yet begun answers an empty report.
pub fn usage_report(
    conn: &mut DbConn,
    caller: &Principal,
    month: &str,
) -> Result<UsageReport, ApiError> {
    let month = Month::parse(month)?;
    let now = stored::now();
    let account = &caller.account_id;
    let rule = rule_at(conn, caller, month.end().min(now))?;
    // Every change to now: billing stops at the month's end, the discrepancies want today.
    let all = db::ledger::service_changes(conn, account, now)?;
    let changes: Vec<Change> = all.iter().filter_map(to_change).collect();
    let usage = arithmetic::usage(&changes, month, now);
    let ids: std::collections::BTreeSet<&str> =
        all.iter().filter_map(|c| c.user_id.as_deref()).collect();
    let ids: Vec<&str> = ids.into_iter().collect();
    let directory: HashMap<String, DirectoryUserRow> =
        db::directory::for_billing(conn, account, &ids)?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
    let name = |id: &str| {
        directory
            .get(id)
            .map(|u| {
                (
                    Some(u.user_principal_name.clone()),
                    Some(u.display_name.clone()),
                )
            })
            .unwrap_or((None, None))
    };
    let users = usage
        .users
        .iter()
        .map(|u| {
            let (upn, display) = name(&u.user);
            UserUsage {
                user_id: u.user.clone(),
                user_principal_name: upn,
                display_name: display,
                intervals: u
                    .intervals
                    .iter()
                    .map(|i| ServiceInterval {
                        from: stored::time(i.from),
                        to: i.to.map(stored::time),
                        number: i.number.clone(),
                    })
                    .collect(),
                billable_days: u.billable_days,
            }
        })
        .collect();
    let daily = usage
        .daily
        .iter()
        .enumerate()
        .map(|(d, n)| DailyCount {
            date: month.day(u32::try_from(d).unwrap_or(0)),
            enabled_users: *n,
        })
        .collect();
    let teams_read = teams_read_at(conn, account)?;
    let discrepancies = match teams_read {
        Some(read) => {
            let numbers = db::numbers::all_numbers(conn, account)?;
            discrepancies(&all, &directory, &numbers, read)
        }
        None => Vec::new(),
    };
    let teams_checked_at = teams_read.map(stored::time);
    Ok(UsageReport {
        month: month.label(),
        rule,
        days_in_month: month.days(),
        complete: now >= month.end(),
        generated_at: Utc::now(),
        totals: UsageTotals {
            users_with_service: u32::try_from(usage.users.len()).unwrap_or(u32::MAX),
            user_days: usage.user_days,
            billable_users: usage.billable_users(rule, month.days()),
            peak_concurrent: usage.peak,
            peak_at: usage.peak_at.map(stored::time),
        },
        daily,
        users,
        discrepancies,
        teams_checked_at,
    })
}

/// The rule in force at `at`, from the ledger's rule changes: the last one before `at`, else
/// the one the first change replaced, else (never changed) the account's rule.
fn rule_at(
    conn: &mut DbConn,
    caller: &Principal,
    at: NaiveDateTime,
) -> Result<BillingRule, ApiError> {
    let changes = db::ledger::of_kind(conn, &caller.account_id, LedgerKind::BillingRuleChanged)?;
    let side = |event: &LedgerEvent, which: &str| {
        event.detail.as_deref().and_then(|d| {
            d.split(' ')
                .find_map(|part| part.strip_prefix(which))
                .and_then(BillingRule::parse)
        })
    };
    let before = changes.iter().rev().find(|c| c.occurred_at < at);
    let rule = match (before, changes.first()) {
        (Some(last), _) => side(last, "to="),
        (None, Some(first)) => side(first, "from="),
        (None, None) => None,
    };
    match rule {
        Some(rule) => Ok(rule),
        None => Ok(settings(conn, caller)?.rule),
    }
}

fn to_change(event: &LedgerEvent) -> Option<Change> {
    let user = event.user_id.clone()?;
    let number = match LedgerKind::parse(&event.kind) {
        Some(LedgerKind::PhoneServiceEnabled) => Some(event.number.clone()?),
        _ => None,
    };
    Some(Change {
        at: event.occurred_at,
        user,
        number,
    })
}

/// When the Teams numbers the directory holds were read: not before the last successful user
/// sync's job was created (a failed one may not have refreshed them; one running has not yet).
fn teams_read_at(
    conn: &mut DbConn,
    account: &crate::domain::ids::AccountId,
) -> Result<Option<NaiveDateTime>, ApiError> {
    Ok(db::jobs::latest_success(
        conn,
        account,
        shared::jobs::JobKind::UserSync,
    )?)
}

/// Where Teams (as read at `teams_read`) and the ledger disagree. A user whose ledger changed
/// since is not compared: Teams was read before the change.
fn discrepancies(
    changes: &[LedgerEvent],
    directory: &HashMap<String, DirectoryUserRow>,
    inventory: &[String],
    teams_read: NaiveDateTime,
) -> Vec<Discrepancy> {
    // The ledger's state of each user now: their number and when it last changed.
    let mut ledger: HashMap<&str, (Option<&str>, NaiveDateTime)> = HashMap::new();
    for c in changes {
        if let Some(user) = c.user_id.as_deref() {
            let number = (c.kind == LedgerKind::PhoneServiceEnabled.as_str())
                .then_some(c.number.as_deref())
                .flatten();
            ledger.insert(user, (number, c.occurred_at));
        }
    }
    let ours: std::collections::HashSet<&str> = inventory.iter().map(String::as_str).collect();
    let mut found = Vec::new();
    let mut users: Vec<&DirectoryUserRow> = directory.values().collect();
    users.sort_by(|a, b| a.id.cmp(&b.id));
    for user in users {
        // A change under way: Teams and the ledger may each be ahead of the other.
        if user.service_state.0.is_in_flight() {
            continue;
        }
        let (held, changed) = ledger
            .get(user.id.as_str())
            .copied()
            .unwrap_or((None, NaiveDateTime::MIN));
        if changed >= teams_read {
            continue;
        }
        let in_teams: Vec<&str> = user.teams_numbers.split_whitespace().collect();
        for number in in_teams.iter().filter(|n| ours.contains(**n)) {
            if held != Some(*number) {
                found.push(discrepancy(
                    DiscrepancyKind::AssignedOutsidePortal,
                    user,
                    Some(number),
                    format!(
                        "Teams shows {number}, one of your numbers, on this user, but the portal \
                         never gave it to them: it was assigned outside the portal and is not billed."
                    ),
                ));
            }
        }
        if let Some(number) = held {
            if !in_teams.contains(&number) {
                found.push(discrepancy(
                    DiscrepancyKind::MissingInTeams,
                    user,
                    Some(number),
                    format!(
                        "The portal gave this user {number} and bills it, but Teams no longer \
                         shows it on them: it was removed outside the portal."
                    ),
                ));
            }
        }
    }
    found
}

fn discrepancy(
    kind: DiscrepancyKind,
    user: &DirectoryUserRow,
    number: Option<&str>,
    reason: String,
) -> Discrepancy {
    Discrepancy {
        kind,
        user_id: user.id.clone(),
        user_principal_name: Some(user.user_principal_name.clone()),
        display_name: Some(user.display_name.clone()),
        number: number.map(str::to_owned),
        reason,
    }
}
