//! Each user with service in the month: their intervals of service, with the number they had,
//! and their billable days.

use shared::billing::{ServiceInterval, UserUsage};
use yew::prelude::*;

use crate::format;

#[derive(Properties, PartialEq)]
pub struct UsageTableProps {
    pub users: Vec<UserUsage>,
}

#[component]
pub fn UsageTable(props: &UsageTableProps) -> Html {
    if props.users.is_empty() {
        return html! {
            <div class="card table-card">
                <p class="empty" id="billing-users-empty">{ "No user had phone service in this month." }</p>
            </div>
        };
    }
    html! {
        <div class="card table-card">
            <table id="billing-users-table" class="table billing-users-table">
                <thead>
                    <tr>
                        <th>{ "User" }</th>
                        <th>{ "User principal name" }</th>
                        <th>{ "Service (UTC)" }</th>
                        <th class="numeric">{ "Billable days" }</th>
                    </tr>
                </thead>
                <tbody>
                    { for props.users.iter().map(row) }
                </tbody>
            </table>
        </div>
    }
}

fn row(user: &UserUsage) -> Html {
    let upn = user.user_principal_name.clone().unwrap_or_default();
    html! {
        <tr
            key={user.user_id.clone()}
            class="billing-user"
            data-user-id={user.user_id.clone()}
            data-upn={upn.clone()}
        >
            <td class="user-name">
                { user.display_name.clone().unwrap_or_else(|| "No longer in the tenant".to_owned()) }
                if user.display_name.is_none() {
                    <span class="user-id muted">{ user.user_id.clone() }</span>
                }
            </td>
            <td class="upn">{ if upn.is_empty() { "—".to_owned() } else { upn } }</td>
            <td class="intervals">
                <ul class="interval-list">
                    { for user.intervals.iter().map(interval) }
                </ul>
            </td>
            <td class="billable-days numeric">{ user.billable_days }</td>
        </tr>
    }
}

fn interval(interval: &ServiceInterval) -> Html {
    let to = interval
        .to
        .as_ref()
        .map_or_else(|| "ongoing".to_owned(), format::date_time);
    html! {
        <li class="interval" data-number={interval.number.clone()}>
            <span class="e164">{ interval.number.clone() }</span>
            <span class="muted">{ format!(" {} – {to}", format::date_time(&interval.from)) }</span>
        </li>
    }
}
