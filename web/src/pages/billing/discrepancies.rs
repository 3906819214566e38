//! Where Teams and the ledger disagree, as of the last user sync.

use shared::billing::{Discrepancy, UsageReport};
use yew::prelude::*;

use crate::{format, labels};

#[derive(Properties, PartialEq)]
pub struct DiscrepanciesProps {
    pub report: UsageReport,
}

#[component]
pub fn Discrepancies(props: &DiscrepanciesProps) -> Html {
    let report = &props.report;
    let as_of = match &report.teams_checked_at {
        Some(at) => format!("As of the last user sync at {}.", format::date_time(at)),
        None => "No user sync yet: sync the users to compare the bill with Teams.".to_owned(),
    };
    html! {
        <div id="billing-discrepancies" class="discrepancies">
            <h2 class="section-title">{ "Teams and the portal" }</h2>
            <p id="teams-checked-at" class="muted">{ as_of }</p>
            if report.discrepancies.is_empty() {
                if report.teams_checked_at.is_some() {
                    <div class="card">
                        <p class="empty" id="no-discrepancies">
                            { "No discrepancies: Teams agrees with the portal on every user's number." }
                        </p>
                    </div>
                }
            } else {
                <div class="card table-card">
                    <table id="discrepancies-table" class="table">
                        <thead>
                            <tr>
                                <th>{ "Kind" }</th>
                                <th>{ "User" }</th>
                                <th>{ "Number" }</th>
                                <th>{ "Reason" }</th>
                            </tr>
                        </thead>
                        <tbody>
                            { for report.discrepancies.iter().map(row) }
                        </tbody>
                    </table>
                </div>
            }
        </div>
    }
}

fn row(discrepancy: &Discrepancy) -> Html {
    let name = discrepancy
        .display_name
        .clone()
        .unwrap_or_else(|| discrepancy.user_id.clone());
    html! {
        <tr class="discrepancy" data-kind={kind_code(discrepancy)} data-user-id={discrepancy.user_id.clone()}>
            <td><span class="conflict-badge">{ labels::discrepancy(discrepancy.kind) }</span></td>
            <td>
                <span class="holder-name">{ name }</span>
                if let Some(upn) = &discrepancy.user_principal_name {
                    <span class="holder-upn muted">{ upn.clone() }</span>
                }
            </td>
            <td class="e164">{ discrepancy.number.clone().unwrap_or_else(|| "—".to_owned()) }</td>
            <td>{ discrepancy.reason.clone() }</td>
        </tr>
    }
}

fn kind_code(discrepancy: &Discrepancy) -> &'static str {
    match discrepancy.kind {
        shared::billing::DiscrepancyKind::AssignedOutsidePortal => "assigned_outside_portal",
        shared::billing::DiscrepancyKind::MissingInTeams => "missing_in_teams",
    }
}
