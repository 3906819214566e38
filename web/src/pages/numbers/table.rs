//! The numbers of a page: status, holder, and any conflict with Teams in words.

use std::collections::HashMap;
use std::rc::Rc;

use shared::numbers::{NumberStatus, PhoneNumber};
use uuid::Uuid;
use yew::prelude::*;

use crate::format;
use crate::labels;

#[derive(Properties, PartialEq)]
pub struct NumbersTableProps {
    pub numbers: Vec<PhoneNumber>,
    /// Each block's name.
    pub blocks: Rc<HashMap<Uuid, String>>,
}

#[component]
pub fn NumbersTable(props: &NumbersTableProps) -> Html {
    html! {
        <table id="numbers-table" class="table numbers-table">
            <thead>
                <tr>
                    <th>{ "Number" }</th>
                    <th>{ "Status" }</th>
                    <th>{ "Country" }</th>
                    <th>{ "Location" }</th>
                    <th>{ "Block" }</th>
                    <th>{ "User" }</th>
                    <th>{ "Teams" }</th>
                </tr>
            </thead>
            <tbody>
                { for props.numbers.iter().map(|number| row(number, &props.blocks)) }
            </tbody>
        </table>
    }
}

fn row(number: &PhoneNumber, blocks: &HashMap<Uuid, String>) -> Html {
    let status = number.status;
    html! {
        <tr
            key={number.number.clone()}
            data-number={number.number.clone()}
            data-status={status.as_str()}
            class={classes!(number.conflict.is_some().then_some("has-conflict"))}
        >
            <td class="e164 number">{ number.number.clone() }</td>
            <td class="status" data-status={status.as_str()}>
                <span class={classes!("number-status", status.as_str())}>
                    { labels::number_status(status) }
                </span>
                if let (NumberStatus::Aging, Some(from)) = (status, &number.available_from) {
                    <span class="available-from muted">{ format!("until {}", format::date(from)) }</span>
                }
            </td>
            <td class="country">{ number.country.clone() }</td>
            <td class="location">{ number.location.clone().unwrap_or_else(|| "—".to_owned()) }</td>
            <td class="block muted">
                { blocks.get(&number.block_id).cloned().unwrap_or_default() }
            </td>
            <td class="holder">
                if let Some(user) = &number.user {
                    <span class="holder-name">{ user.display_name.clone() }</span>
                    <span class="holder-upn muted">{ user.user_principal_name.clone() }</span>
                } else {
                    <span class="muted">{ "—" }</span>
                }
            </td>
            <td class="conflict">
                if let Some(conflict) = &number.conflict {
                    <span class="conflict-badge" data-kind={conflict.kind.as_str()}>
                        { labels::mismatch(conflict.kind) }
                    </span>
                    if let Some(upn) = conflict.teams_user_principal_name.as_ref().or(conflict.teams_user_id.as_ref()) {
                        <span class="conflict-user muted">{ format!("Teams: {upn}") }</span>
                    }
                    <span class="conflict-found muted">{ format!("Found {}", format::date(&conflict.found_at)) }</span>
                } else {
                    <span class="in-step muted">{ "In step" }</span>
                }
            </td>
        </tr>
    }
}
