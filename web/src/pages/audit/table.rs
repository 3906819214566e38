//! The events of a page: when, what, who, which user and number, in a sentence, with
//! Microsoft's operation id.

use shared::audit::{ActorKind, AuditEvent};
use yew::prelude::*;

use crate::{format, labels};

/// What a click in the table narrows the log to.
pub enum Narrow {
    /// The `actor` filter's value.
    Actor(String),
    /// A user's object id.
    User(String),
    Number(String),
}

#[derive(Properties, PartialEq)]
pub struct AuditTableProps {
    pub events: Vec<AuditEvent>,
    pub on_narrow: Callback<Narrow>,
}

#[component]
pub fn AuditTable(props: &AuditTableProps) -> Html {
    html! {
        <table id="audit-table" class="table audit-table">
            <thead>
                <tr>
                    <th>{ "Time (UTC)" }</th>
                    <th>{ "Event" }</th>
                    <th>{ "Who" }</th>
                    <th>{ "User" }</th>
                    <th>{ "Number" }</th>
                    <th>{ "What happened" }</th>
                    <th>{ "Operation id" }</th>
                </tr>
            </thead>
            <tbody>
                { for props.events.iter().map(|event| row(event, &props.on_narrow)) }
            </tbody>
        </table>
    }
}

/// The `actor` filter's value for an event's actor.
fn actor_value(event: &AuditEvent) -> Option<String> {
    match (event.actor.kind, event.actor.id) {
        (ActorKind::User, Some(id)) => Some(format!("user:{id}")),
        (ActorKind::ApiToken, Some(id)) => Some(format!("token:{id}")),
        (ActorKind::System, _) => Some("system".to_owned()),
        _ => None,
    }
}

fn narrow_button(
    on_narrow: &Callback<Narrow>,
    narrow: fn(String) -> Narrow,
    value: String,
    text: String,
    class: &'static str,
) -> Html {
    let onclick = on_narrow.reform(move |_: MouseEvent| narrow(value.clone()));
    html! {
        <button type="button" class={classes!("link-button", class)} title="Show only these events" {onclick}>
            { text }
        </button>
    }
}

fn row(event: &AuditEvent, on_narrow: &Callback<Narrow>) -> Html {
    let actor = match actor_value(event) {
        Some(value) => narrow_button(
            on_narrow,
            Narrow::Actor,
            value,
            event.actor.name.clone(),
            "actor-name",
        ),
        None => html! { <span class="actor-name">{ event.actor.name.clone() }</span> },
    };
    let user = event.user_id.as_ref().map(|id| {
        let shown = event
            .user_principal_name
            .clone()
            .unwrap_or_else(|| id.clone());
        narrow_button(on_narrow, Narrow::User, id.clone(), shown, "event-user")
    });
    let number = event.number.as_ref().map(|n| {
        narrow_button(
            on_narrow,
            Narrow::Number,
            n.clone(),
            n.clone(),
            "e164 event-number",
        )
    });
    html! {
        <tr
            key={event.id.to_string()}
            class="audit-event"
            data-event-id={event.id.to_string()}
            data-type={event.kind.clone()}
            data-occurred-at={event.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)}
        >
            <td class="event-time" title={format::date_time(&event.occurred_at)}>
                <span class="event-date">{ format::date(&event.occurred_at) }</span>
                <span class="event-clock">{ event.occurred_at.format("%H:%M:%S UTC").to_string() }</span>
            </td>
            <td class="event-type" title={event.kind.clone()}>
                { labels::event_type(&event.kind) }
            </td>
            <td class="event-actor">
                { actor }
                <span class="actor-kind muted">{ labels::actor_kind(event.actor.kind) }</span>
            </td>
            <td class="event-user-cell">{ user.unwrap_or_else(dash) }</td>
            <td class="event-number-cell">{ number.unwrap_or_else(dash) }</td>
            <td class="event-summary">
                { event.summary.clone() }
                if let Some(detail) = &event.detail {
                    <span class="event-detail muted">{ detail.clone() }</span>
                }
            </td>
            <td class="operation-id">
                if let Some(operation) = &event.operation_id {
                    <code>{ operation.clone() }</code>
                } else {
                    { dash() }
                }
            </td>
        </tr>
    }
}

fn dash() -> Html {
    html! { <span class="muted">{ "—" }</span> }
}
