//! The registered endpoints: URL, events, on or off; enable, disable, delete, and show their
//! deliveries.

use shared::webhooks::WebhookEndpoint;
use uuid::Uuid;
use yew::prelude::*;

use crate::{format, labels};

#[derive(Properties, PartialEq)]
pub struct EndpointsTableProps {
    pub endpoints: Vec<WebhookEndpoint>,
    /// The endpoint with a change in flight.
    pub busy: Option<Uuid>,
    pub confirming_delete: Option<Uuid>,
    /// The endpoint whose deliveries are shown.
    pub showing: Option<Uuid>,
    /// (endpoint, enabled wanted)
    pub on_toggle: Callback<(Uuid, bool)>,
    pub on_delete: Callback<Uuid>,
    /// Gives the endpoint a new signing secret.
    pub on_rotate: Callback<Uuid>,
    /// `Some(id)` asks to confirm deleting it; `None` cancels.
    pub on_confirming: Callback<Option<Uuid>>,
    pub on_show: Callback<Option<Uuid>>,
}

#[component]
pub fn EndpointsTable(props: &EndpointsTableProps) -> Html {
    html! {
        <table id="webhook-endpoints-table" class="table webhook-endpoints-table">
            <thead>
                <tr>
                    <th>{ "Endpoint" }</th>
                    <th>{ "Events" }</th>
                    <th>{ "Status" }</th>
                    <th>{ "Added" }</th>
                    <th class="actions"><span class="visually-hidden">{ "Actions" }</span></th>
                </tr>
            </thead>
            <tbody>
                { for props.endpoints.iter().map(|endpoint| row(props, endpoint)) }
            </tbody>
        </table>
    }
}

fn row(props: &EndpointsTableProps, endpoint: &WebhookEndpoint) -> Html {
    let id = endpoint.id;
    let busy = props.busy == Some(id);
    let toggle = {
        let enabled = endpoint.enabled;
        props.on_toggle.reform(move |_: MouseEvent| (id, !enabled))
    };
    let ask = props.on_confirming.reform(move |_: MouseEvent| Some(id));
    let cancel = props.on_confirming.reform(|_: MouseEvent| None);
    let delete = props.on_delete.reform(move |_: MouseEvent| id);
    let rotate = props.on_rotate.reform(move |_: MouseEvent| id);
    let showing = props.showing == Some(id);
    let show = props
        .on_show
        .reform(move |_: MouseEvent| if showing { None } else { Some(id) });
    html! {
        <tr
            key={id.to_string()}
            class={classes!("webhook-endpoint", (!endpoint.enabled).then_some("disabled"), showing.then_some("selected"))}
            data-endpoint-id={id.to_string()}
            data-url={endpoint.url.clone()}
            data-enabled={endpoint.enabled.to_string()}
        >
            <td class="endpoint-url">
                <code class="url">{ endpoint.url.clone() }</code>
                if !endpoint.description.is_empty() {
                    <span class="endpoint-description muted">{ endpoint.description.clone() }</span>
                }
            </td>
            <td class="endpoint-events">
                <ul class="tag-list">
                    { for endpoint.event_types.iter().map(|kind| html! {
                        <li class="tag muted-tag" data-event={kind.as_str()} title={kind.as_str()}>
                            { labels::webhook_event(*kind) }
                        </li>
                    }) }
                </ul>
            </td>
            <td class="endpoint-status">
                if endpoint.enabled {
                    <span class="status status-active">{ "Enabled" }</span>
                } else {
                    <span class="status status-revoked">{ "Disabled" }</span>
                }
            </td>
            <td>{ format::date(&endpoint.created_at) }</td>
            <td class="actions">
                <div class="endpoint-actions">
                if props.confirming_delete == Some(id) {
                    <span class="confirm-text">{ "Delete this endpoint?" }</span>
                    <button type="button" class="button danger small confirm-delete" disabled={busy} onclick={delete}>
                        { "Delete" }
                    </button>
                    <button type="button" class="button secondary small cancel-delete" disabled={busy} onclick={cancel}>
                        { "Cancel" }
                    </button>
                } else {
                    <button type="button" class="button secondary small show-deliveries" onclick={show}>
                        { if showing { "All deliveries" } else { "Deliveries" } }
                    </button>
                    <button type="button" class="button secondary small toggle-endpoint" disabled={busy} onclick={toggle}>
                        { if endpoint.enabled { "Disable" } else { "Enable" } }
                    </button>
                    <button type="button" class="button secondary small rotate-secret" disabled={busy} onclick={rotate}
                        title="A new signing secret, shown once; the old one stops working at once">
                        { "New secret" }
                    </button>
                    <button type="button" class="button secondary small delete-endpoint" disabled={busy} onclick={ask}>
                        { "Delete" }
                    </button>
                }
                </div>
            </td>
        </tr>
    }
}
