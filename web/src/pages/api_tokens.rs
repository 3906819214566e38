//! API tokens: credentials for integrators calling the REST API. Admins only.

use std::rc::Rc;

use chrono::{DateTime, Days, NaiveDate, Utc};
use shared::api_tokens::{ApiToken, CreateApiTokenRequest, CreatedApiToken};
use shared::role::Role;
use uuid::Uuid;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::clock::now;
use crate::components::form::input_value;
use crate::components::problem_banner::{ErrorBanner, ProblemBanner};
use crate::components::role_select::RoleSelect;
use crate::components::secret_callout::SecretCallout;
use crate::format;
use crate::pages::SignedInPageProps;
use crate::session::{use_unauthorized_guard, UnauthorizedGuard};

#[derive(Clone, PartialEq)]
struct TokensState {
    /// `None` until the first load answers.
    tokens: Option<Vec<ApiToken>>,
    error: Option<ApiError>,
    /// A check made before sending failed.
    invalid: Option<&'static str>,
    name: String,
    role: Role,
    /// The expiry day as the date input gives it (`YYYY-MM-DD`), empty for never.
    expires_on: String,
    creating: bool,
    /// The token just created, with its one-time secret.
    created: Option<CreatedApiToken>,
    /// The token whose revocation awaits confirmation.
    confirming_revoke: Option<Uuid>,
    /// The token with a revocation in flight.
    busy_token: Option<Uuid>,
}

impl Default for TokensState {
    fn default() -> Self {
        TokensState {
            tokens: None,
            error: None,
            invalid: None,
            name: String::new(),
            role: Role::Viewer,
            expires_on: String::new(),
            creating: false,
            created: None,
            confirming_revoke: None,
            busy_token: None,
        }
    }
}

enum Action {
    Loaded(Vec<ApiToken>),
    Failed(ApiError),
    Invalid(&'static str),
    Name(String),
    Role(Role),
    ExpiresOn(String),
    Creating,
    Created(CreatedApiToken),
    DismissCreated,
    AskRevoke(Option<Uuid>),
    Revoking(Uuid),
}

impl Reducible for TokensState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Loaded(tokens) => {
                next.tokens = Some(tokens);
                next.error = None;
                next.busy_token = None;
                next.confirming_revoke = None;
            }
            Action::Failed(error) => {
                next.error = Some(error);
                next.creating = false;
                next.busy_token = None;
                next.confirming_revoke = None;
            }
            Action::Invalid(message) => next.invalid = Some(message),
            Action::Name(name) => {
                next.name = name;
                next.invalid = None;
            }
            Action::Role(role) => next.role = role,
            Action::ExpiresOn(day) => {
                next.expires_on = day;
                next.invalid = None;
            }
            Action::Creating => {
                next.creating = true;
                next.error = None;
                next.invalid = None;
                next.created = None;
            }
            Action::Created(created) => {
                // Newest first, as the server lists them.
                if let Some(tokens) = &mut next.tokens {
                    tokens.insert(0, created.token.clone());
                }
                next.created = Some(created);
                next.creating = false;
                next.name.clear();
                next.expires_on.clear();
            }
            Action::DismissCreated => next.created = None,
            Action::AskRevoke(id) => {
                next.confirming_revoke = id;
                next.error = None;
            }
            Action::Revoking(id) => {
                next.busy_token = Some(id);
                next.error = None;
            }
        }
        Rc::new(next)
    }
}

/// Reports a failed call to the page, unless it ended the session.
fn fail(state: &UseReducerDispatcher<TokensState>, guard: &UnauthorizedGuard, error: ApiError) {
    if let Some(error) = guard.check(error) {
        state.dispatch(Action::Failed(error));
    }
}

async fn load(state: UseReducerDispatcher<TokensState>, guard: UnauthorizedGuard, token: String) {
    // Every page: the table shows all tokens.
    let tokens = match api::list_api_tokens(&token).await {
        Ok(first) => api::rest_of(&token, first).await,
        Err(error) => Err(error),
    };
    match tokens {
        Ok(tokens) => state.dispatch(Action::Loaded(tokens)),
        Err(error) => fail(&state, &guard, error),
    }
}

#[component]
pub fn ApiTokensPage(props: &SignedInPageProps) -> Html {
    let state = use_reducer(TokensState::default);
    let guard = use_unauthorized_guard();
    let token = props.session.access_token.clone();
    let is_admin = props.session.is_admin();

    {
        let (state, guard, token) = (state.dispatcher(), guard.clone(), token.clone());
        use_effect_with(is_admin, move |is_admin| {
            if *is_admin {
                spawn_local(load(state, guard, token));
            }
        });
    }

    let on_create = {
        let (state, guard, token) = (state.clone(), guard.clone(), token.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if state.creating {
                return;
            }
            let name = state.name.trim().to_owned();
            if name.is_empty() {
                return state.dispatch(Action::Invalid(
                    "Give the token a name, e.g. what it is for.",
                ));
            }
            let expires_at = match expiry(&state.expires_on) {
                Ok(at) => at,
                Err(message) => return state.dispatch(Action::Invalid(message)),
            };
            let request = CreateApiTokenRequest {
                name,
                role: state.role,
                expires_at,
            };
            state.dispatch(Action::Creating);
            let (state, guard, token) = (state.dispatcher(), guard.clone(), token.clone());
            spawn_local(async move {
                match api::create_api_token(&token, &request).await {
                    Ok(created) => state.dispatch(Action::Created(created)),
                    Err(error) => fail(&state, &guard, error),
                }
            });
        })
    };

    let on_revoke = {
        let (state, guard, token) = (state.dispatcher(), guard.clone(), token.clone());
        Callback::from(move |id: Uuid| {
            state.dispatch(Action::Revoking(id));
            let (state, guard, token) = (state.clone(), guard.clone(), token.clone());
            spawn_local(async move {
                match api::revoke_api_token(&token, id).await {
                    // Reload to show when it was revoked, as the server recorded it.
                    Ok(()) => load(state, guard, token).await,
                    Err(error) => fail(&state, &guard, error),
                }
            });
        })
    };

    let dispatcher = state.dispatcher();
    let on_name = {
        let state = dispatcher.clone();
        Callback::from(move |event: InputEvent| state.dispatch(Action::Name(input_value(&event))))
    };
    let on_role = {
        let state = dispatcher.clone();
        Callback::from(move |role: Role| state.dispatch(Action::Role(role)))
    };
    let on_expires = {
        let state = dispatcher.clone();
        Callback::from(move |event: InputEvent| {
            state.dispatch(Action::ExpiresOn(input_value(&event)))
        })
    };
    let on_confirming = {
        let state = dispatcher.clone();
        Callback::from(move |id: Option<Uuid>| state.dispatch(Action::AskRevoke(id)))
    };
    let on_dismiss_created = {
        let state = dispatcher.clone();
        Callback::from(move |()| state.dispatch(Action::DismissCreated))
    };

    let header = html! {
        <header class="page-header">
            <h1>{ "API tokens" }</h1>
            <p class="muted">
                { "Tokens let other systems call the Tenant Connect API on this account's behalf. \
                   Send one as " }
                <code>{ "Authorization: Bearer …" }</code>
                { "; it may do what its role allows." }
            </p>
        </header>
    };

    if !is_admin {
        return html! {
            <section class="page">
                { header }
                <div class="card" id="tokens-admin-only">
                    <p>{ "Only admins can see and manage API tokens." }</p>
                </div>
            </section>
        };
    }

    html! {
        <section class="page">
            { header }

            <ProblemBanner error={state.error.clone()} />
            if let Some(message) = state.invalid {
                <ErrorBanner {message} />
            }

            if let Some(created) = &state.created {
                <SecretCallout
                    key={created.secret.clone()}
                    id="token-secret"
                    title={format!("Token \u{201c}{}\u{201d} created", created.token.name)}
                    secret={created.secret.clone()}
                    hint="Copy this secret now and store it where the integration keeps its credentials."
                    ondismiss={on_dismiss_created}
                />
            }

            <form id="token-form" class="card form inline-form" onsubmit={on_create}>
                <h2>{ "Create a token" }</h2>
                <div class="inline-fields">
                    <div class="field grow">
                        <label for="token-name">{ "Name" }</label>
                        <input
                            id="token-name"
                            type="text"
                            placeholder="e.g. Billing export"
                            value={state.name.clone()}
                            oninput={on_name}
                        />
                    </div>
                    <div class="field">
                        <label for="token-role">{ "Role" }</label>
                        <RoleSelect id="token-role" value={state.role} onchange={on_role} />
                    </div>
                    <div class="field">
                        <label for="token-expires">{ "Expires after (optional)" }</label>
                        <input
                            id="token-expires"
                            type="date"
                            title="The token stops working at the end of this day (UTC). Empty: never."
                            value={state.expires_on.clone()}
                            oninput={on_expires}
                        />
                    </div>
                    <button
                        id="token-submit"
                        type="submit"
                        class="button primary"
                        disabled={state.creating}
                    >
                        { "Create token" }
                    </button>
                </div>
            </form>

            <div class="card table-card">
                { match &state.tokens {
                    None if state.error.is_some() => html! {},
                    None => html! { <p class="loading">{ "Loading tokens…" }</p> },
                    Some(tokens) if tokens.is_empty() => html! {
                        <p class="empty">{ "No API tokens yet." }</p>
                    },
                    Some(tokens) => html! {
                        <table id="tokens-table" class="table">
                            <thead>
                                <tr>
                                    <th>{ "Name" }</th>
                                    <th>{ "Role" }</th>
                                    <th>{ "Prefix" }</th>
                                    <th>{ "Created" }</th>
                                    <th>{ "Created by" }</th>
                                    <th>{ "Last used" }</th>
                                    <th>{ "Expires" }</th>
                                    <th>{ "Status" }</th>
                                    <th class="actions"><span class="visually-hidden">{ "Actions" }</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                { for tokens.iter().map(|token| html! {
                                    <TokenRow
                                        key={token.id.to_string()}
                                        token={token.clone()}
                                        busy={state.busy_token == Some(token.id)}
                                        confirming={state.confirming_revoke == Some(token.id)}
                                        on_revoke={on_revoke.clone()}
                                        on_confirming={on_confirming.clone()}
                                    />
                                }) }
                            </tbody>
                        </table>
                    },
                } }
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct TokenRowProps {
    token: ApiToken,
    busy: bool,
    confirming: bool,
    on_revoke: Callback<Uuid>,
    /// `Some(id)` asks to confirm revoking that token; `None` cancels.
    on_confirming: Callback<Option<Uuid>>,
}

#[component]
fn TokenRow(props: &TokenRowProps) -> Html {
    let token = &props.token;
    let id = token.id;
    let ask = props.on_confirming.reform(move |_: MouseEvent| Some(id));
    let cancel = props.on_confirming.reform(|_: MouseEvent| None);
    let confirm = props.on_revoke.reform(move |_: MouseEvent| id);
    let revoked = token.revoked_at.is_some();
    let expired = token.expires_at.is_some_and(|at| at <= now());

    html! {
        <tr
            data-token-id={id.to_string()}
            data-name={token.name.clone()}
            class={classes!(revoked.then_some("revoked"))}
        >
            <td class="token-name">{ token.name.clone() }</td>
            <td class="token-role">{ token.role.label() }</td>
            <td class="token-prefix"><code>{ format!("{}…", token.prefix) }</code></td>
            <td>{ format::date(&token.created_at) }</td>
            <td class="token-creator"
                title="The token acts with at most its creator's current role, and is revoked when they are removed.">
                { token.created_by.as_ref().map_or_else(|| "Unknown".to_owned(), |c| c.email.clone()) }
            </td>
            <td>
                { token.last_used_at.as_ref().map_or_else(|| "Never".to_owned(), format::date_time) }
            </td>
            <td class="token-expires">
                { token.expires_at.as_ref().map_or_else(|| "Never".to_owned(), format::date_time) }
            </td>
            <td class="token-status">
                { match (&token.revoked_at, expired) {
                    (Some(at), _) => html! {
                        <span class="status status-revoked">{ format!("Revoked {}", format::date(at)) }</span>
                    },
                    (None, true) => html! { <span class="status status-revoked">{ "Expired" }</span> },
                    (None, false) => html! { <span class="status status-active">{ "Active" }</span> },
                } }
            </td>
            <td class="actions">
                if revoked || expired {
                    { Html::default() }
                } else if props.confirming {
                    <span class="confirm-text">{ "Revoke this token?" }</span>
                    <button type="button" class="button danger small confirm-revoke"
                        disabled={props.busy} onclick={confirm}>
                        { "Revoke" }
                    </button>
                    <button type="button" class="button secondary small cancel-revoke"
                        disabled={props.busy} onclick={cancel}>
                        { "Cancel" }
                    </button>
                } else {
                    <button type="button" class="button secondary small revoke-token"
                        onclick={ask}>
                        { "Revoke" }
                    </button>
                }
            </td>
        </tr>
    }
}

/// The expiry of a token that should work through `day` (`YYYY-MM-DD`): the end of that day,
/// UTC. Empty: never expires.
fn expiry(day: &str) -> Result<Option<DateTime<Utc>>, &'static str> {
    if day.trim().is_empty() {
        return Ok(None);
    }
    let end = NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or("The expiry is not a date.")?;
    if end <= now() {
        return Err("The expiry must be today or later.");
    }
    Ok(Some(end))
}
