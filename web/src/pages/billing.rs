//! Billing: a month's billable users from the ledger, with the users per day, each user's
//! service, where Teams disagrees, a CSV to download, and (for admins) the billing rule.

mod chart;
mod discrepancies;
mod download;
mod month;
mod rule;
mod totals;
mod users_table;

use std::rc::Rc;

use shared::billing::UsageReport;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::components::problem_banner::ProblemBanner;
use crate::format;
use crate::hooks::use_api;
use crate::pages::SignedInPageProps;
use chart::UsageChart;
use discrepancies::Discrepancies;
use download::CsvDownload;
use month::{Month, MonthPicker};
use rule::RuleSetting;
use totals::Totals;
use users_table::UsageTable;

#[derive(Clone, PartialEq)]
struct BillingState {
    month: Month,
    /// Counts fetches; only the answer to the latest is taken.
    request: u32,
    /// The report shown (possibly of the previous month while the next loads).
    report: Option<UsageReport>,
    loading: bool,
    error: Option<ApiError>,
}

enum Action {
    Month(Month),
    Reload,
    Loaded { request: u32, report: UsageReport },
    Failed { request: u32, error: ApiError },
}

impl Reducible for BillingState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Month(month) if month == next.month => return self,
            Action::Month(month) => {
                next.month = month;
                next.request = next.request.wrapping_add(1);
                next.loading = true;
                next.error = None;
            }
            Action::Reload => {
                next.request = next.request.wrapping_add(1);
                next.loading = true;
                next.error = None;
            }
            Action::Loaded { request, report } => {
                if request != next.request {
                    return self;
                }
                next.report = Some(report);
                next.loading = false;
            }
            Action::Failed { request, error } => {
                if request != next.request {
                    return self;
                }
                next.report = None;
                next.error = Some(error);
                next.loading = false;
            }
        }
        Rc::new(next)
    }
}

#[component]
pub fn BillingPage(props: &SignedInPageProps) -> Html {
    let api = use_api(&props.session);
    let latest = Month::current();
    let state = use_reducer(move || BillingState {
        month: latest,
        request: 0,
        report: None,
        loading: true,
        error: None,
    });

    {
        let (dispatcher, api, month) = (state.dispatcher(), api.clone(), state.month);
        use_effect_with(state.request, move |&request| {
            spawn_local(async move {
                match api::usage_report(api.token(), &month.to_string()).await {
                    Ok(report) => dispatcher.dispatch(Action::Loaded { request, report }),
                    Err(error) => {
                        if let Some(error) = api.check(error) {
                            dispatcher.dispatch(Action::Failed { request, error });
                        }
                    }
                }
            });
        });
    }

    let on_month = {
        let state = state.dispatcher();
        Callback::from(move |month: Month| state.dispatch(Action::Month(month)))
    };
    let on_rule_changed = {
        let state = state.dispatcher();
        Callback::from(move |()| state.dispatch(Action::Reload))
    };
    // The report on screen is the month picked (not the previous one, still shown while the
    // next loads).
    let report = state
        .report
        .as_ref()
        .filter(|report| report.month == state.month.to_string());

    html! {
        <section class="page billing-page">
            <header class="page-header">
                <h1>{ "Billing" }</h1>
                <p class="muted">
                    { "The users with Teams phone service in a month, from the portal's ledger of every \
                       change: what to bill, day by day and user by user." }
                </p>
            </header>

            <div class="billing-toolbar">
                <MonthPicker month={state.month} {latest} on_change={on_month} />
                <CsvDownload api={api.clone()} month={state.month} />
            </div>

            <RuleSetting api={api.clone()} is_admin={props.session.is_admin()} on_changed={on_rule_changed} />

            <div id="billing-error">
                <ProblemBanner error={state.error.clone()} />
            </div>

            <div
                id="billing-report"
                class={classes!("billing-report", state.loading.then_some("busy"))}
                aria-busy={state.loading.then_some("true")}
                data-month={state.month.to_string()}
                data-loaded={report.is_some().then_some("true")}
            >
                { match report {
                    None if state.error.is_some() => Html::default(),
                    None => html! { <p class="loading card">{ "Loading the report…" }</p> },
                    Some(report) => view_report(report, state.month),
                } }
            </div>
        </section>
    }
}

fn view_report(report: &UsageReport, month: Month) -> Html {
    let status = if report.complete {
        format!("{}: the whole month.", month.title())
    } else if report.daily.is_empty() {
        format!("{} has not begun.", month.title())
    } else {
        format!(
            "{}, so far: up to {}.",
            month.title(),
            format::date_time(&report.generated_at)
        )
    };
    html! {
        <>
            <p id="billing-status" class="muted" data-complete={report.complete.to_string()}>{ status }</p>
            <Totals report={report.clone()} />
            <h2 class="section-title">{ "Users with service per day" }</h2>
            <div class="card">
                <UsageChart daily={report.daily.clone()} days_in_month={report.days_in_month} />
            </div>
            <h2 class="section-title">{ "Users" }</h2>
            <UsageTable users={report.users.clone()} />
            <Discrepancies report={report.clone()} />
        </>
    }
}
