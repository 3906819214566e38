//! One user of the table: their phone service, and for staff and admins the buttons that add or
//! remove it. While Teams works on a change the row follows the user until it settles.

use std::time::Duration;

use shared::directory::{DirectoryUser, ServiceState};
use shared::phone_service::PhoneServiceRequest;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::components::form::{input_value, is_checked};
use crate::hooks::{use_poll, Api};
use crate::labels;

#[derive(Properties, PartialEq)]
pub struct UserRowProps {
    pub user: DirectoryUser,
    pub api: Api,
    /// Staff and admins: the row has its checkbox and actions.
    pub can_manage: bool,
    pub selected: bool,
    /// (user principal name, ticked)
    pub on_select: Callback<(String, bool)>,
    /// The user as they now stand (after an action, or while following one).
    pub on_updated: Callback<DirectoryUser>,
    /// Why an action or the following failed; `None` when a new action starts.
    pub on_error: Callback<Option<ApiError>>,
}

/// The request this row has in flight.
#[derive(Clone, Copy, PartialEq)]
enum Sending {
    Add,
    Remove,
}

#[component]
pub fn UserRow(props: &UserRowProps) -> Html {
    let user = &props.user;
    let number = use_state(String::new);
    let sending = use_state(|| None::<Sending>);
    let confirming = use_state(|| false);
    let in_flight = user.service.state.is_in_flight();

    // Follow the user while Teams works on their number.
    {
        let (api, on_updated, on_error) = (
            props.api.clone(),
            props.on_updated.clone(),
            props.on_error.clone(),
        );
        use_poll(
            in_flight.then(|| user.id.clone()),
            Duration::from_secs(1),
            move |id: String| {
                let (api, on_updated, on_error) =
                    (api.clone(), on_updated.clone(), on_error.clone());
                async move {
                    match api::get_user(api.token(), &id).await {
                        Ok(user) => {
                            let settled = !user.service.state.is_in_flight();
                            on_updated.emit(user);
                            !settled
                        }
                        Err(error) => {
                            if let Some(error) = api.check(error) {
                                on_error.emit(Some(error));
                            }
                            false
                        }
                    }
                }
            },
        );
    }

    let send = {
        let (api, id) = (props.api.clone(), user.id.clone());
        let (on_updated, on_error) = (props.on_updated.clone(), props.on_error.clone());
        let (number, sending, confirming) = (number.clone(), sending.clone(), confirming.clone());
        Callback::from(move |what: Sending| {
            if sending.is_some() {
                return;
            }
            sending.set(Some(what));
            confirming.set(false);
            on_error.emit(None);
            // One key per click: a retried request is done once, a new click is a new request.
            let key = api::new_idempotency_key();
            let chosen = number.trim().to_owned();
            let (api, id) = (api.clone(), id.clone());
            let (on_updated, on_error) = (on_updated.clone(), on_error.clone());
            let (number, sending) = (number.clone(), sending.clone());
            spawn_local(async move {
                let outcome = match what {
                    Sending::Add => {
                        let body = PhoneServiceRequest {
                            number: (!chosen.is_empty()).then_some(chosen),
                        };
                        api::add_phone_service(api.token(), &id, key, &body).await
                    }
                    Sending::Remove => api::remove_phone_service(api.token(), &id, key).await,
                };
                match outcome {
                    Ok(outcome) => {
                        number.set(String::new());
                        on_updated.emit(outcome.user);
                    }
                    Err(error) => {
                        if let Some(error) = api.check(error) {
                            on_error.emit(Some(error));
                        }
                    }
                }
                sending.set(None);
            });
        })
    };

    let on_tick = {
        let (on_select, upn) = (props.on_select.clone(), user.user_principal_name.clone());
        Callback::from(move |event: Event| on_select.emit((upn.clone(), is_checked(&event))))
    };
    let state = user.service.state;
    html! {
        <tr
            data-user-upn={user.user_principal_name.clone()}
            data-user-id={user.id.clone()}
            data-state={state.as_str()}
            class={classes!(props.selected.then_some("selected"))}
        >
            if props.can_manage {
                <td class="select">
                    <input
                        type="checkbox"
                        class="select-user"
                        aria-label={format!("Select {}", user.display_name)}
                        checked={props.selected}
                        onchange={on_tick}
                    />
                </td>
            }
            <td class="user-name">
                { user.display_name.clone() }
                if !user.account_enabled {
                    { " " }<span class="tag muted-tag">{ "Sign-in blocked" }</span>
                }
            </td>
            <td class="upn">{ user.user_principal_name.clone() }</td>
            <td class="usage-location">
                { user.usage_location.clone().unwrap_or_else(|| "—".to_owned()) }
            </td>
            <td class="licence" data-licensed={user.licensed.to_string()}>
                if user.licensed {
                    { "Teams Phone" }
                } else {
                    <span class="muted">{ "Not licensed" }</span>
                }
            </td>
            <td class="number">{ number_cell(user) }</td>
            <td class="service-state" data-state={state.as_str()}>
                <span class={classes!("service-badge", state.as_str())}>
                    if in_flight {
                        <span class="spinner" aria-hidden="true"></span>
                    }
                    { labels::service_state(state) }
                </span>
                if let Some(detail) = user.service.detail.as_ref().filter(|_| state == ServiceState::Failed) {
                    <p class="service-detail">{ detail.clone() }</p>
                }
            </td>
            if props.can_manage {
                <td class="actions">
                    { actions(props, *sending, &number, &confirming, &send) }
                </td>
            }
        </tr>
    }
}

/// The portal's number for the user; else what Teams reports.
fn number_cell(user: &DirectoryUser) -> Html {
    match &user.service.number {
        Some(number) => html! { <span class="e164">{ number.clone() }</span> },
        None if !user.teams_numbers.is_empty() => html! {
            <span class="muted" title="Assigned in Teams, not through the portal">
                { format!("{} (in Teams)", user.teams_numbers.join(", ")) }
            </span>
        },
        None => html! { <span class="muted">{ "—" }</span> },
    }
}

/// Add (with an optional number), or remove after a confirmation; nothing while Teams works.
fn actions(
    props: &UserRowProps,
    sending: Option<Sending>,
    number: &UseStateHandle<String>,
    confirming: &UseStateHandle<bool>,
    send: &Callback<Sending>,
) -> Html {
    let user = &props.user;
    let add = send.reform(|_: MouseEvent| Sending::Add);
    let remove = send.reform(|_: MouseEvent| Sending::Remove);
    let on_number = {
        let number = number.clone();
        Callback::from(move |event: InputEvent| number.set(input_value(&event)))
    };
    let ask = {
        let confirming = confirming.clone();
        Callback::from(move |_: MouseEvent| confirming.set(true))
    };
    let cancel = {
        let confirming = confirming.clone();
        Callback::from(move |_: MouseEvent| confirming.set(false))
    };
    match user.service.state {
        ServiceState::None | ServiceState::Failed => {
            let blocked = !user.licensed;
            html! {
                <div class="row-actions">
                    <input
                        type="text"
                        class="service-number"
                        placeholder="Auto-select"
                        aria-label={format!("Number for {} (optional)", user.display_name)}
                        title="Leave empty to have an available number chosen"
                        value={(**number).clone()}
                        disabled={blocked || sending.is_some()}
                        oninput={on_number}
                    />
                    <button
                        type="button"
                        class="button primary small add-service"
                        disabled={blocked || sending.is_some()}
                        title={blocked.then_some("The user needs a Teams Phone licence first")}
                        onclick={add}
                    >
                        if sending == Some(Sending::Add) { { "Adding…" } }
                        else if user.service.state == ServiceState::Failed { { "Try again" } }
                        else { { "Add service" } }
                    </button>
                </div>
            }
        }
        ServiceState::Active if **confirming => html! {
            <div class="row-actions">
                <span class="confirm-text">{ "Remove this user's number?" }</span>
                <button type="button" class="button danger small confirm-remove-service"
                    disabled={sending.is_some()} onclick={remove}>
                    { if sending.is_some() { "Removing…" } else { "Remove" } }
                </button>
                <button type="button" class="button secondary small cancel-remove-service"
                    disabled={sending.is_some()} onclick={cancel}>
                    { "Cancel" }
                </button>
            </div>
        },
        ServiceState::Active => html! {
            <button type="button" class="button secondary small remove-service"
                disabled={sending.is_some()} onclick={ask}>
                { "Remove service" }
            </button>
        },
        ServiceState::Pending | ServiceState::Removing => html! {
            <span class="muted waiting">{ "Waiting for Teams…" }</span>
        },
    }
}
