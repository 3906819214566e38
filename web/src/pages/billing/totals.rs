//! The month's figures: billable users under the rule, users with service, user-days, and the
//! peak of concurrent users.

use shared::billing::{BillingRule, UsageReport};
use yew::prelude::*;

use crate::format;

/// A count of users under the rule: whole under "any day", two decimals under "pro rata".
pub fn billable(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

fn rule_explained(rule: BillingRule, days_in_month: u32) -> String {
    match rule {
        BillingRule::AnyDay => "Each user with service on any day counts once.".to_owned(),
        BillingRule::ProRata => {
            format!("User-days divided by the {days_in_month} days of the month.")
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct TotalsProps {
    pub report: UsageReport,
}

#[component]
pub fn Totals(props: &TotalsProps) -> Html {
    let report = &props.report;
    let totals = &report.totals;
    let stat = |id: &'static str, value: String, label: String, note: Option<String>| {
        html! {
            <div class="stat" {id} data-value={value.clone()}>
                <span class="stat-value">{ value }</span>
                <span class="stat-label">{ label }</span>
                if let Some(note) = note {
                    <span class="stat-note muted">{ note }</span>
                }
            </div>
        }
    };
    html! {
        <div id="billing-totals" class="stats">
            { stat(
                "total-billable-users",
                billable(totals.billable_users),
                format!("Billable users ({})", report.rule.label().to_lowercase()),
                Some(rule_explained(report.rule, report.days_in_month)),
            ) }
            { stat(
                "total-users-with-service",
                totals.users_with_service.to_string(),
                "Users with service".to_owned(),
                Some("On at least one day.".to_owned()),
            ) }
            { stat(
                "total-user-days",
                totals.user_days.to_string(),
                "User-days".to_owned(),
                Some("Days with service, summed over the users.".to_owned()),
            ) }
            { stat(
                "total-peak",
                totals.peak_concurrent.to_string(),
                "Peak concurrent users".to_owned(),
                totals.peak_at.as_ref().map(|at| format!("First reached {}.", format::date_time(at))),
            ) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_counts_have_no_decimals() {
        assert_eq!(billable(3.0), "3");
        assert_eq!(billable(0.0), "0");
        assert_eq!(billable(1.5), "1.50");
        assert_eq!(billable(0.97), "0.97");
    }
}
