//! One delivery: its status, tries and the endpoint's last answer; its every try on demand, and
//! a resend when it failed.

use shared::webhooks::{DeliveryAttempt, DeliveryStatus, WebhookDelivery};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::components::problem_banner::ProblemBanner;
use crate::hooks::Api;
use crate::{format, labels};

#[derive(Properties, PartialEq)]
pub struct DeliveryRowProps {
    pub api: Api,
    pub delivery: WebhookDelivery,
    pub endpoint_url: AttrValue,
    /// After a resend was accepted: the list is fetched again.
    pub on_resent: Callback<()>,
}

#[derive(Clone, PartialEq)]
enum History {
    Hidden,
    Loading,
    Shown(Vec<DeliveryAttempt>),
}

/// The endpoint's last answer in words: its status code, else why no answer came.
fn last_answer(delivery: &WebhookDelivery) -> String {
    match (&delivery.last_status_code, &delivery.last_error) {
        (Some(code), Some(error)) => format!("HTTP {code}: {error}"),
        (Some(code), None) => format!("HTTP {code}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "—".to_owned(),
    }
}

#[component]
pub fn DeliveryRow(props: &DeliveryRowProps) -> Html {
    let history = use_state(|| History::Hidden);
    let resending = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let delivery = &props.delivery;

    let on_history = {
        let (api, id, history, error) = (
            props.api.clone(),
            delivery.id.clone(),
            history.clone(),
            error.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if *history != History::Hidden {
                return history.set(History::Hidden);
            }
            history.set(History::Loading);
            let (api, id, history, error) =
                (api.clone(), id.clone(), history.clone(), error.clone());
            spawn_local(async move {
                match api::webhook_delivery(api.token(), &id).await {
                    Ok(found) => history.set(History::Shown(found.history)),
                    Err(failure) => {
                        history.set(History::Hidden);
                        error.set(api.check(failure));
                    }
                }
            });
        })
    };
    let on_resend = {
        let (api, id, on_resent) = (
            props.api.clone(),
            delivery.id.clone(),
            props.on_resent.clone(),
        );
        let (resending, error, history) = (resending.clone(), error.clone(), history.clone());
        Callback::from(move |_: MouseEvent| {
            resending.set(true);
            error.set(None);
            let (api, id, on_resent) = (api.clone(), id.clone(), on_resent.clone());
            let (resending, error, history) = (resending.clone(), error.clone(), history.clone());
            spawn_local(async move {
                match api::resend_webhook_delivery(api.token(), &id).await {
                    Ok(()) => {
                        history.set(History::Hidden);
                        on_resent.emit(());
                    }
                    Err(failure) => error.set(api.check(failure)),
                }
                resending.set(false);
            });
        })
    };

    let status = delivery.status;
    let when = match (status, &delivery.delivered_at, &delivery.next_attempt_at) {
        (DeliveryStatus::Delivered, Some(at), _) => format!("Delivered {}", format::date_time(at)),
        (DeliveryStatus::Pending, _, Some(at)) => format!("Next try {}", format::date_time(at)),
        _ => String::new(),
    };
    html! {
        <tbody class="delivery">
            <tr
                class="delivery-row"
                data-delivery-id={delivery.id.clone()}
                data-status={status.as_str()}
                data-event={delivery.event_type.as_str()}
                data-endpoint-id={delivery.endpoint_id.to_string()}
            >
                <td class="delivery-time">{ format::date_time(&delivery.created_at) }</td>
                <td class="delivery-event">{ labels::webhook_event(delivery.event_type) }</td>
                <td class="delivery-endpoint"><code class="url">{ props.endpoint_url.clone() }</code></td>
                <td class="delivery-status">
                    <span class={classes!("delivery-badge", status.as_str())}>{ labels::delivery_status(status) }</span>
                    if !when.is_empty() {
                        <span class="delivery-when muted">{ when }</span>
                    }
                </td>
                <td class="delivery-attempts numeric">{ delivery.attempts }</td>
                <td class="delivery-answer">{ last_answer(delivery) }</td>
                <td class="actions">
                    <button type="button" class="button secondary small show-history" onclick={on_history}
                        disabled={*history == History::Loading}>
                        { if matches!(*history, History::Shown(_)) { "Hide tries" } else { "Tries" } }
                    </button>
                    if status == DeliveryStatus::Failed {
                        <button type="button" class="button primary small resend-delivery" disabled={*resending}
                            onclick={on_resend}>
                            { if *resending { "Resending…" } else { "Resend" } }
                        </button>
                    }
                </td>
            </tr>
            if error.is_some() {
                <tr class="delivery-error-row">
                    <td colspan="7"><ProblemBanner error={(*error).clone()} /></td>
                </tr>
            }
            if let History::Shown(attempts) = &*history {
                <tr class="delivery-history-row">
                    <td colspan="7">
                        if attempts.is_empty() {
                            <p class="muted">{ "Not tried yet." }</p>
                        } else {
                            <ol class="delivery-history">
                                { for attempts.iter().map(attempt) }
                            </ol>
                        }
                    </td>
                </tr>
            }
        </tbody>
    }
}

fn attempt(attempt: &DeliveryAttempt) -> Html {
    let outcome = match (&attempt.status_code, &attempt.error) {
        (Some(code), Some(error)) => format!("HTTP {code}: {error}"),
        (Some(code), None) => format!("HTTP {code}"),
        (None, Some(error)) => error.clone(),
        (None, None) => "No answer".to_owned(),
    };
    let ok = attempt.status_code.is_some_and(|c| (200..300).contains(&c));
    html! {
        <li class={classes!("delivery-attempt", ok.then_some("ok"))}>
            <span class="attempt-time">{ format::date_time(&attempt.attempted_at) }</span>
            <span class="attempt-outcome">{ outcome }</span>
            <span class="attempt-duration muted">{ format!("{} ms", attempt.duration_ms) }</span>
        </li>
    }
}
