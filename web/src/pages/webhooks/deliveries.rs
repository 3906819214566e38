//! The delivery history: every event sent (or to be sent) to the endpoints, newest first,
//! narrowed by endpoint and status. Fetched again while any is pending.

use std::time::Duration;

use shared::paging::Page;
use shared::webhooks::{DeliveryStatus, WebhookDelivery, WebhookEndpoint};
use uuid::Uuid;
use yew::prelude::*;

use super::delivery_row::DeliveryRow;
use crate::api::{self, ApiError, DeliveryFilter};
use crate::components::form::selected_value;
use crate::components::list_card::ListCard;
use crate::components::pager::Pager;
use crate::components::problem_banner::ProblemBanner;
use crate::hooks::{use_paged_list, use_poll, Api, ListAction, ListControls, ListQuery};
use crate::labels;

/// How often a list with pending deliveries is fetched again.
const PENDING_REFRESH: Duration = Duration::from_secs(3);

impl ListQuery for DeliveryFilter {
    type Item = WebhookDelivery;

    async fn first_page(&self, token: &str) -> Result<Page<WebhookDelivery>, ApiError> {
        api::list_webhook_deliveries(token, self).await
    }

    fn same(a: &WebhookDelivery, b: &WebhookDelivery) -> bool {
        a.id == b.id
    }
}

#[derive(Properties, PartialEq)]
pub struct DeliveriesProps {
    pub api: Api,
    pub endpoints: Vec<WebhookEndpoint>,
    /// The endpoint chosen (on the page, or here).
    pub endpoint: Option<Uuid>,
    /// Bumped when the list should be fetched again.
    pub revision: u32,
    pub on_show: Callback<Option<Uuid>>,
}

#[component]
pub fn Deliveries(props: &DeliveriesProps) -> Html {
    let list = use_paged_list(
        &props.api,
        DeliveryFilter {
            endpoint: props.endpoint,
            ..DeliveryFilter::default()
        },
    );
    let ListControls {
        on_apply,
        on_first,
        on_next,
        ..
    } = ListControls::new(&list);
    let dispatcher = list.dispatcher();
    let reload = {
        let list = dispatcher.clone();
        Callback::from(move |()| list.dispatch(ListAction::Reload))
    };

    // The page chose another endpoint.
    {
        let (on_apply, draft) = (on_apply.clone(), list.draft.clone());
        use_effect_with(props.endpoint, move |&endpoint| {
            if draft.endpoint != endpoint {
                on_apply.emit(DeliveryFilter { endpoint, ..draft });
            }
        });
    }
    {
        let list = dispatcher.clone();
        use_effect_with(props.revision, move |&revision| {
            if revision > 0 {
                list.dispatch(ListAction::Reload);
            }
        });
    }
    let (loading, request) = (list.loading, list.request());
    let pending = list
        .items
        .iter()
        .flatten()
        .any(|d| d.status == DeliveryStatus::Pending);
    {
        // Each answer with a pending delivery asks for the list again a little later.
        let list = dispatcher.clone();
        let target = (pending && !loading).then_some(request);
        use_poll(target, PENDING_REFRESH, move |_: u32| {
            let list = list.clone();
            async move {
                list.dispatch(ListAction::Reload);
                false
            }
        });
    }

    let on_endpoint = {
        let on_show = props.on_show.clone();
        Callback::from(move |event: Event| on_show.emit(selected_value(&event).parse().ok()))
    };
    let on_status = {
        let (on_apply, draft) = (on_apply.clone(), list.draft.clone());
        Callback::from(move |event: Event| {
            on_apply.emit(DeliveryFilter {
                status: DeliveryStatus::parse(&selected_value(&event)),
                ..draft.clone()
            })
        })
    };
    let on_refresh = reload.reform(|_: MouseEvent| ());
    let url_of = |id: Uuid| {
        props
            .endpoints
            .iter()
            .find(|e| e.id == id)
            .map(|e| e.url.clone())
            .unwrap_or_else(|| "Deleted endpoint".to_owned())
    };

    html! {
        <div id="webhook-deliveries" class="webhook-deliveries">
            <h2 class="section-title">{ "Deliveries" }</h2>
            <form class="card filters" id="deliveries-filters" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                <div class="field grow">
                    <label for="deliveries-endpoint">{ "Endpoint" }</label>
                    <select id="deliveries-endpoint" onchange={on_endpoint}>
                        <option value="" selected={props.endpoint.is_none()}>{ "Every endpoint" }</option>
                        { for props.endpoints.iter().map(|e| html! {
                            <option value={e.id.to_string()} selected={props.endpoint == Some(e.id)}>
                                { e.url.clone() }
                            </option>
                        }) }
                    </select>
                </div>
                <div class="field">
                    <label for="deliveries-status">{ "Status" }</label>
                    <select id="deliveries-status" onchange={on_status}>
                        <option value="" selected={list.draft.status.is_none()}>{ "Any" }</option>
                        { for DeliveryStatus::ALL.into_iter().map(|status| html! {
                            <option value={status.as_str()} selected={list.draft.status == Some(status)}>
                                { labels::delivery_status(status) }
                            </option>
                        }) }
                    </select>
                </div>
                <div class="filter-actions">
                    <button id="deliveries-refresh" type="button" class="button secondary" onclick={on_refresh}
                        disabled={list.loading}>
                        { "Refresh" }
                    </button>
                </div>
            </form>
            <div id="deliveries-error">
                <ProblemBanner error={list.error.clone()} />
            </div>
            <ListCard
                count={list.items.as_ref().map(Vec::len)}
                failed={list.error.is_some()}
                busy={list.loading}
                loading_text="Loading deliveries…"
                empty_text="No deliveries yet: they appear when an event an endpoint wants happens."
            >
                <table id="webhook-deliveries-table" class="table deliveries-table">
                    <thead>
                        <tr>
                            <th>{ "Time (UTC)" }</th>
                            <th>{ "Event" }</th>
                            <th>{ "Endpoint" }</th>
                            <th>{ "Status" }</th>
                            <th class="numeric">{ "Attempts" }</th>
                            <th>{ "Last answer" }</th>
                            <th class="actions"><span class="visually-hidden">{ "Actions" }</span></th>
                        </tr>
                    </thead>
                    { for list.items.iter().flatten().map(|delivery| html! {
                        <DeliveryRow
                            key={delivery.id.clone()}
                            api={props.api.clone()}
                            delivery={delivery.clone()}
                            endpoint_url={url_of(delivery.endpoint_id)}
                            on_resent={reload.clone()}
                        />
                    }) }
                </table>
            </ListCard>
            <Pager
                id="deliveries"
                page_number={list.page_number}
                has_next={list.next.is_some()}
                busy={list.loading}
                {on_first}
                {on_next}
            />
        </div>
    }
}
