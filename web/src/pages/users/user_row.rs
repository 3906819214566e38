//! One user of the table: their phone service, and for staff and admins the buttons that add or
//! remove it. Adding previews the change first (the number it would take, or why it would fail),
//! then applies it. While Teams works on a change the row follows the user until it settles.
//! Each part of the service (number, emergency location, each policy) shows in a panel below
//! the row, with its state and what Teams reports.

use std::rc::Rc;
use std::time::Duration;

use shared::directory::{DirectoryUser, PartState, ServicePart, ServicePartKind, ServiceState};
use shared::phone_service::{PhoneServiceRequest, PreviewRequest, PreviewRow};
use shared::problem::ConflictCode;
use shared::voice_profiles::VoiceProfile;
use uuid::Uuid;
use yew::platform::spawn_local;
use yew::prelude::*;

use super::bulk_panel::{preview_row, profile_to_send};
use super::profile_select::ProfileSelect;
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
    /// The account's voice profiles.
    pub profiles: Rc<Vec<VoiceProfile>>,
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
    Preview,
    Add,
    Remove,
}

/// A part Teams has not confirmed yet: worth reading the user again.
fn awaiting_teams(user: &DirectoryUser) -> bool {
    user.service.state == ServiceState::Active
        && user
            .service
            .parts
            .iter()
            .any(|part| part.state == PartState::Pending)
}

/// A part an admin should look at.
fn needs_attention(part: &ServicePart) -> bool {
    matches!(
        part.state,
        PartState::Differs | PartState::NeedsManualAction | PartState::Failed
    )
}

#[component]
pub fn UserRow(props: &UserRowProps) -> Html {
    let user = &props.user;
    let number = use_state(String::new);
    let profile = use_state(|| None::<Uuid>);
    let sending = use_state(|| None::<Sending>);
    let confirming = use_state(|| false);
    // The preview of an "Add service", until applied or cancelled.
    let preview = use_state(|| None::<PreviewRow>);
    let expanded = use_state(|| false);
    let in_flight = user.service.state.is_in_flight();

    // Follow the user while Teams works on their number (each second), or while a part of their
    // service waits for Teams to show it (less often: policies can take a while).
    {
        let (api, on_updated, on_error) = (
            props.api.clone(),
            props.on_updated.clone(),
            props.on_error.clone(),
        );
        let following = (in_flight || awaiting_teams(user)).then(|| (user.id.clone(), in_flight));
        let every = if in_flight {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(3)
        };
        use_poll(following, every, move |(id, _): (String, bool)| {
            let (api, on_updated, on_error) = (api.clone(), on_updated.clone(), on_error.clone());
            async move {
                match api::get_user(api.token(), &id).await {
                    Ok(user) => {
                        let settled = !user.service.state.is_in_flight() && !awaiting_teams(&user);
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
        });
    }

    let send = {
        let (api, id) = (props.api.clone(), user.id.clone());
        let (on_updated, on_error) = (props.on_updated.clone(), props.on_error.clone());
        let chosen_profile = profile_to_send(*profile, &props.profiles);
        let (number, sending, confirming, preview) = (
            number.clone(),
            sending.clone(),
            confirming.clone(),
            preview.clone(),
        );
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
            let chosen = (!chosen.is_empty()).then_some(chosen);
            let (api, id) = (api.clone(), id.clone());
            let (on_updated, on_error) = (on_updated.clone(), on_error.clone());
            let (number, sending, preview) = (number.clone(), sending.clone(), preview.clone());
            spawn_local(async move {
                let outcome = match what {
                    Sending::Preview => {
                        let body = PreviewRequest {
                            users: vec![id.clone()],
                            profile: chosen_profile,
                            number: chosen,
                        };
                        match api::preview_phone_service(api.token(), &body).await {
                            Ok(answer) => match answer.rows.into_iter().next() {
                                Some(row) => {
                                    preview.set(Some(row));
                                    sending.set(None);
                                    return;
                                }
                                None => Err(ApiError::Unreadable),
                            },
                            Err(error) => Err(error),
                        }
                    }
                    Sending::Add => {
                        let body = PhoneServiceRequest {
                            number: chosen,
                            profile: chosen_profile,
                        };
                        api::add_phone_service(api.token(), &id, key, &body).await
                    }
                    Sending::Remove => api::remove_phone_service(api.token(), &id, key).await,
                };
                match outcome {
                    Ok(outcome) => {
                        number.set(String::new());
                        preview.set(None);
                        on_updated.emit(outcome.user);
                    }
                    Err(error) => {
                        let Some(error) = api.check(error) else {
                            sending.set(None);
                            return;
                        };
                        // Someone else changed this user meanwhile: show them as they now are.
                        if matches!(
                            error.conflict(),
                            Some(ConflictCode::AlreadyHasService | ConflictCode::ServicePending)
                        ) {
                            preview.set(None);
                            if let Ok(user) = api::get_user(api.token(), &id).await {
                                on_updated.emit(user);
                            }
                        }
                        on_error.emit(Some(error));
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
    let on_toggle = {
        let expanded = expanded.clone();
        Callback::from(move |_: MouseEvent| expanded.set(!*expanded))
    };
    let state = user.service.state;
    let parts = &user.service.parts;
    let attention = parts.iter().filter(|p| needs_attention(p)).count();
    let columns = if props.can_manage { 8 } else { 6 };
    html! {
        <>
        <tr
            data-user-upn={user.user_principal_name.clone()}
            data-user-id={user.id.clone()}
            data-state={state.as_str()}
            class={classes!(props.selected.then_some("selected"), (*expanded).then_some("expanded"))}
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
                if attention > 0 {
                    { " " }
                    <span class="tag warning-tag parts-attention">
                        { if attention == 1 { "1 part needs attention".to_owned() } else { format!("{attention} parts need attention") } }
                    </span>
                }
                if let Some(detail) = user.service.detail.as_ref().filter(|_| state == ServiceState::Failed) {
                    <p class="service-detail">{ detail.clone() }</p>
                }
                if !parts.is_empty() {
                    <button
                        type="button"
                        class="link-button toggle-parts"
                        aria-expanded={expanded.to_string()}
                        onclick={on_toggle}
                    >
                        { if *expanded { "Hide details" } else { "Details" } }
                    </button>
                }
            </td>
            if props.can_manage {
                <td class="actions">
                    { actions(props, *sending, &number, &profile, &confirming, preview.is_some(), &send) }
                </td>
            }
        </tr>
        if let Some(row) = &*preview {
            <tr class="user-detail-row service-preview-row" data-user-id={user.id.clone()}>
                <td colspan={columns.to_string()}>
                    { single_preview(row, *sending, &send, &preview) }
                </td>
            </tr>
        }
        if *expanded && !parts.is_empty() {
            <tr class="user-detail-row service-parts-row" data-user-id={user.id.clone()}>
                <td colspan={columns.to_string()}>
                    { parts_panel(user, &props.profiles) }
                </td>
            </tr>
        }
        </>
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

/// The preview of one user's change, with Apply and Cancel.
fn single_preview(
    row: &PreviewRow,
    sending: Option<Sending>,
    send: &Callback<Sending>,
    preview: &UseStateHandle<Option<PreviewRow>>,
) -> Html {
    let apply = send.reform(|_: MouseEvent| Sending::Add);
    let cancel = {
        let preview = preview.clone();
        Callback::from(move |_: MouseEvent| preview.set(None))
    };
    html! {
        <div class="service-preview">
            <ul class="bulk-outcomes">{ preview_row(row) }</ul>
            <div class="row-actions">
                <button type="button" class="button primary small apply-service"
                    disabled={!row.would_succeed || sending.is_some()} onclick={apply}>
                    { if sending == Some(Sending::Add) { "Adding…" } else { "Apply" } }
                </button>
                <button type="button" class="button secondary small cancel-preview"
                    disabled={sending.is_some()} onclick={cancel}>
                    { "Cancel" }
                </button>
            </div>
        </div>
    }
}

/// Each part of the user's service: what the portal asked for, where it stands, what Teams
/// reports.
fn parts_panel(user: &DirectoryUser, profiles: &[VoiceProfile]) -> Html {
    let profile = user
        .service
        .profile_id
        .and_then(|id| profiles.iter().find(|p| p.id == id));
    html! {
        <div class="service-parts-panel">
            <p class="muted service-profile">
                { match (profile, user.service.profile_id) {
                    (Some(profile), _) => format!("Profile: {}", profile.name),
                    (None, Some(_)) => "Profile: one since deleted".to_owned(),
                    (None, None) => "No profile: number only".to_owned(),
                } }
            </p>
            <ul class="service-parts">
                { for user.service.parts.iter().map(|part| part_item(part, profile)) }
            </ul>
        </div>
    }
}

fn part_item(part: &ServicePart, profile: Option<&VoiceProfile>) -> Html {
    let name = match (part.kind, part.policy_type) {
        (ServicePartKind::Number, _) => "Number",
        (ServicePartKind::EmergencyLocation, _) => "Emergency location",
        (ServicePartKind::Policy, Some(policy_type)) => policy_type.label(),
        (ServicePartKind::Policy, None) => "Policy",
    };
    // A location is a GUID: its label, when the profile has one, is what people recognise.
    let label = (part.kind == ServicePartKind::EmergencyLocation)
        .then(|| profile.and_then(|p| p.emergency_location.as_ref()))
        .flatten()
        .filter(|location| location.location_id == part.wanted)
        .and_then(|location| location.label.clone());
    let state = labels::part_state_key(part.state);
    let reported = match (&part.reported, part.state) {
        (Some(reported), _) => format!("Teams reports: {reported}"),
        (None, PartState::Pending) => "Teams does not show it yet".to_owned(),
        (None, PartState::NeedsManualAction | PartState::Failed) => String::new(),
        (None, _) => "Teams reports none".to_owned(),
    };
    html! {
        <li
            class={classes!("service-part", state)}
            data-kind={labels::part_kind_key(part.kind)}
            data-policy-type={part.policy_type.map(|t| t.as_str())}
            data-state={state}
        >
            <span class="part-name" title={part.policy_type.map(|t| t.as_str())}>{ name }</span>
            <span class={classes!("part-wanted", (part.kind != ServicePartKind::Policy).then_some("mono"))}>
                if let Some(label) = label {
                    { format!("{label} ") }
                }
                { part.wanted.clone() }
            </span>
            <span class={classes!("part-state", state)}>{ labels::part_state(part.state) }</span>
            if !reported.is_empty() {
                <span class="part-reported">{ reported }</span>
            }
            if let Some(detail) = &part.detail {
                <span class="part-detail">{ detail.clone() }</span>
            }
        </li>
    }
}

/// Add (a profile, an optional number: previewed first), or remove after a confirmation;
/// nothing while Teams works.
fn actions(
    props: &UserRowProps,
    sending: Option<Sending>,
    number: &UseStateHandle<String>,
    profile: &UseStateHandle<Option<Uuid>>,
    confirming: &UseStateHandle<bool>,
    previewing: bool,
    send: &Callback<Sending>,
) -> Html {
    let user = &props.user;
    let add = send.reform(|_: MouseEvent| Sending::Preview);
    let remove = send.reform(|_: MouseEvent| Sending::Remove);
    let on_number = {
        let number = number.clone();
        Callback::from(move |event: InputEvent| number.set(input_value(&event)))
    };
    let on_profile = {
        let profile = profile.clone();
        Callback::from(move |chosen: Option<Uuid>| profile.set(chosen))
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
            let locked = blocked || sending.is_some() || previewing;
            html! {
                <div class="row-actions">
                    if !props.profiles.is_empty() {
                        <ProfileSelect
                            id={format!("profile-{}", user.id)}
                            class={classes!("service-profile")}
                            aria_label={format!("Voice profile for {}", user.display_name)}
                            profiles={Rc::clone(&props.profiles)}
                            chosen={**profile}
                            disabled={locked}
                            on_choose={on_profile}
                        />
                    }
                    <input
                        type="text"
                        class="service-number"
                        placeholder="Auto-select"
                        aria-label={format!("Number for {} (optional)", user.display_name)}
                        title="Leave empty to have an available number chosen"
                        value={(**number).clone()}
                        disabled={locked}
                        oninput={on_number}
                    />
                    <button
                        type="button"
                        class="button primary small add-service"
                        disabled={locked}
                        title={blocked.then_some("The user needs a Teams Phone licence first")}
                        onclick={add}
                    >
                        if sending == Some(Sending::Preview) { { "Checking…" } }
                        else if user.service.state == ServiceState::Failed { { "Try again" } }
                        else { { "Add service" } }
                    </button>
                </div>
            }
        }
        ServiceState::Active if **confirming => html! {
            <div class="row-actions">
                <span class="confirm-text">{ "Remove this user's number and the policies the portal set?" }</span>
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
