//! Webhooks (admins): the endpoints that receive the account's events, signed with a secret
//! shown once, and the history of each delivery, with a resend for the failed ones.

mod create_form;
mod deliveries;
mod delivery_row;
mod endpoints_table;

use std::rc::Rc;

use shared::webhooks::{CreatedWebhookEndpoint, UpdateWebhookEndpoint, WebhookEndpoint};
use uuid::Uuid;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::components::problem_banner::ProblemBanner;
use crate::components::secret_callout::SecretCallout;
use crate::hooks::{use_api, Api};
use crate::pages::SignedInPageProps;
use create_form::CreateForm;
use deliveries::Deliveries;
use endpoints_table::EndpointsTable;

#[derive(Clone, PartialEq, Default)]
struct EndpointsState {
    /// `None` until the first load answers.
    endpoints: Option<Vec<WebhookEndpoint>>,
    error: Option<ApiError>,
    /// The endpoint just created (or given a new secret), with its one-time secret.
    created: Option<CreatedWebhookEndpoint>,
    /// Whether `created` is a new secret of an endpoint that was there.
    rotated: bool,
    /// The endpoint with a change in flight.
    busy: Option<Uuid>,
    /// The endpoint whose deletion awaits confirmation.
    confirming_delete: Option<Uuid>,
    /// The endpoint whose deliveries are shown (`None`: every endpoint's).
    showing: Option<Uuid>,
    /// Bumped when the deliveries should be fetched again.
    deliveries_revision: u32,
}

enum Action {
    Loaded(Vec<WebhookEndpoint>),
    Failed(ApiError),
    Created(CreatedWebhookEndpoint),
    Rotated(CreatedWebhookEndpoint),
    DismissCreated,
    Busy(Uuid),
    Updated(WebhookEndpoint),
    Deleted(Uuid),
    AskDelete(Option<Uuid>),
    Show(Option<Uuid>),
}

impl Reducible for EndpointsState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Loaded(endpoints) => {
                next.endpoints = Some(endpoints);
                next.error = None;
            }
            Action::Failed(error) => {
                next.error = Some(error);
                next.busy = None;
                next.confirming_delete = None;
            }
            Action::Created(created) => {
                next.endpoints
                    .get_or_insert_with(Vec::new)
                    .insert(0, created.endpoint.clone());
                next.created = Some(created);
                next.rotated = false;
                next.error = None;
            }
            Action::Rotated(rotated) => {
                next.busy = None;
                next.confirming_delete = None;
                next.created = Some(rotated);
                next.rotated = true;
                next.error = None;
            }
            Action::DismissCreated => next.created = None,
            Action::Busy(id) => {
                next.busy = Some(id);
                next.error = None;
            }
            Action::Updated(endpoint) => {
                if let Some(row) = next
                    .endpoints
                    .iter_mut()
                    .flatten()
                    .find(|row| row.id == endpoint.id)
                {
                    *row = endpoint;
                }
                next.busy = None;
            }
            Action::Deleted(id) => {
                if let Some(endpoints) = &mut next.endpoints {
                    endpoints.retain(|row| row.id != id);
                }
                if next.showing == Some(id) {
                    next.showing = None;
                }
                next.busy = None;
                next.confirming_delete = None;
                next.deliveries_revision = next.deliveries_revision.wrapping_add(1);
            }
            Action::AskDelete(id) => {
                next.confirming_delete = id;
                next.error = None;
            }
            Action::Show(id) => next.showing = id,
        }
        Rc::new(next)
    }
}

fn fail(state: &UseReducerDispatcher<EndpointsState>, api: &Api, error: ApiError) {
    if let Some(error) = api.check(error) {
        state.dispatch(Action::Failed(error));
    }
}

#[component]
pub fn WebhooksPage(props: &SignedInPageProps) -> Html {
    let api = use_api(&props.session);
    let state = use_reducer(EndpointsState::default);
    let is_admin = props.session.is_admin();

    {
        let (state, api) = (state.dispatcher(), api.clone());
        use_effect_with(is_admin, move |&is_admin| {
            if is_admin {
                spawn_local(async move {
                    let token = api.token();
                    let all = match api::list_webhook_endpoints(token).await {
                        Ok(first) => api::rest_of(token, first).await,
                        Err(error) => Err(error),
                    };
                    match all {
                        Ok(endpoints) => state.dispatch(Action::Loaded(endpoints)),
                        Err(error) => fail(&state, &api, error),
                    }
                });
            }
        });
    }

    let header = html! {
        <header class="page-header">
            <h1>{ "Webhooks" }</h1>
            <p class="muted">
                { "Your systems hear about phone service, numbers and the tenant connection as it happens: \
                   each event is POSTed to your endpoints, signed (Standard Webhooks) with the endpoint's \
                   secret, and retried until it is delivered." }
            </p>
        </header>
    };
    if !is_admin {
        return html! {
            <section class="page webhooks-page">
                { header }
                <div class="card" id="webhooks-admin-only">
                    <p>{ "Only admins can see and manage webhooks." }</p>
                </div>
            </section>
        };
    }

    let dispatcher = state.dispatcher();
    let on_created = {
        let state = dispatcher.clone();
        Callback::from(move |created| state.dispatch(Action::Created(created)))
    };
    let on_dismiss_created = {
        let state = dispatcher.clone();
        Callback::from(move |()| state.dispatch(Action::DismissCreated))
    };
    let on_toggle = {
        let (state, api) = (dispatcher.clone(), api.clone());
        Callback::from(move |(id, enabled): (Uuid, bool)| {
            state.dispatch(Action::Busy(id));
            let (state, api) = (state.clone(), api.clone());
            spawn_local(async move {
                let change = UpdateWebhookEndpoint {
                    url: None,
                    event_types: None,
                    description: None,
                    enabled: Some(enabled),
                };
                match api::update_webhook_endpoint(api.token(), id, &change).await {
                    Ok(endpoint) => state.dispatch(Action::Updated(endpoint)),
                    Err(error) => fail(&state, &api, error),
                }
            });
        })
    };
    let on_delete = {
        let (state, api) = (dispatcher.clone(), api.clone());
        Callback::from(move |id: Uuid| {
            state.dispatch(Action::Busy(id));
            let (state, api) = (state.clone(), api.clone());
            spawn_local(async move {
                match api::delete_webhook_endpoint(api.token(), id).await {
                    Ok(()) => state.dispatch(Action::Deleted(id)),
                    Err(error) => fail(&state, &api, error),
                }
            });
        })
    };
    let on_rotate = {
        let (state, api) = (dispatcher.clone(), api.clone());
        Callback::from(move |id: Uuid| {
            state.dispatch(Action::Busy(id));
            let (state, api) = (state.clone(), api.clone());
            spawn_local(async move {
                match api::rotate_webhook_secret(api.token(), id).await {
                    Ok(rotated) => state.dispatch(Action::Rotated(rotated)),
                    Err(error) => fail(&state, &api, error),
                }
            });
        })
    };
    let on_confirming = {
        let state = dispatcher.clone();
        Callback::from(move |id: Option<Uuid>| state.dispatch(Action::AskDelete(id)))
    };
    let on_show = {
        let state = dispatcher.clone();
        Callback::from(move |id: Option<Uuid>| state.dispatch(Action::Show(id)))
    };
    let endpoints = state.endpoints.clone().unwrap_or_default();

    html! {
        <section class="page webhooks-page">
            { header }

            <div id="webhooks-error">
                <ProblemBanner error={state.error.clone()} />
            </div>

            if let Some(created) = &state.created {
                <SecretCallout
                    key={created.secret.clone()}
                    id="webhook-secret"
                    title={if state.rotated {
                        format!("New secret for {}", created.endpoint.url)
                    } else {
                        format!("Endpoint {} added", created.endpoint.url)
                    }}
                    secret={created.secret.clone()}
                    hint="Copy this signing secret now into the system that receives the webhooks: it checks each delivery's signature with it."
                    ondismiss={on_dismiss_created}
                />
            }

            <CreateForm api={api.clone()} {on_created} />

            <h2 class="section-title">{ "Endpoints" }</h2>
            <div class="card table-card">
                { match &state.endpoints {
                    None if state.error.is_some() => Html::default(),
                    None => html! { <p class="loading">{ "Loading endpoints…" }</p> },
                    Some(list) if list.is_empty() => html! {
                        <p class="empty" id="webhook-endpoints-empty">{ "No endpoints yet. Add one above." }</p>
                    },
                    Some(list) => html! {
                        <EndpointsTable
                            endpoints={list.clone()}
                            busy={state.busy}
                            confirming_delete={state.confirming_delete}
                            showing={state.showing}
                            {on_toggle}
                            {on_delete}
                            {on_rotate}
                            {on_confirming}
                            on_show={on_show.clone()}
                        />
                    },
                } }
            </div>

            <Deliveries
                api={api.clone()}
                {endpoints}
                endpoint={state.showing}
                revision={state.deliveries_revision}
                {on_show}
            />
        </section>
    }
}
