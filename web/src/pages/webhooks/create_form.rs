//! "Add an endpoint": its URL, the events it wants, a description. On a demo server, one click
//! fills in the built-in receiver.

use std::collections::BTreeSet;

use shared::webhooks::{CreateWebhookEndpoint, CreatedWebhookEndpoint, WebhookEventType};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError, DEMO_RECEIVER_PATH};
use crate::components::form::{input_value, is_checked};
use crate::components::problem_banner::{ErrorBanner, ProblemBanner};
use crate::hooks::Api;
use crate::labels;

#[derive(Properties, PartialEq)]
pub struct CreateFormProps {
    pub api: Api,
    pub on_created: Callback<CreatedWebhookEndpoint>,
}

/// The page's own origin, e.g. `http://127.0.0.1:8080`.
fn origin() -> String {
    web_sys::window()
        .and_then(|window| window.location().origin().ok())
        .unwrap_or_default()
}

fn all_events() -> BTreeSet<usize> {
    (0..WebhookEventType::ALL.len()).collect()
}

#[component]
pub fn CreateForm(props: &CreateFormProps) -> Html {
    let url = use_state(String::new);
    let description = use_state(String::new);
    // Indexes into `WebhookEventType::ALL` of the events ticked.
    let events = use_state(all_events);
    let creating = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let invalid = use_state(|| None::<&'static str>);
    let demo_receiver = use_state(|| false);

    {
        let demo_receiver = demo_receiver.clone();
        use_effect_with((), move |_| {
            spawn_local(async move { demo_receiver.set(api::demo_receiver_available().await) });
        });
    }

    let on_url = {
        let (url, invalid) = (url.clone(), invalid.clone());
        Callback::from(move |event: InputEvent| {
            url.set(input_value(&event));
            invalid.set(None);
        })
    };
    let on_description = {
        let description = description.clone();
        Callback::from(move |event: InputEvent| description.set(input_value(&event)))
    };
    let on_demo = {
        let (url, invalid) = (url.clone(), invalid.clone());
        Callback::from(move |_: MouseEvent| {
            url.set(format!("{}{DEMO_RECEIVER_PATH}", origin()));
            invalid.set(None);
        })
    };
    let on_submit = {
        let (api, on_created) = (props.api.clone(), props.on_created.clone());
        let (url, description, events) = (url.clone(), description.clone(), events.clone());
        let (creating, error, invalid) = (creating.clone(), error.clone(), invalid.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *creating {
                return;
            }
            let target = url.trim().to_owned();
            if target.is_empty() {
                return invalid.set(Some("Enter the URL that receives the webhooks."));
            }
            let event_types: Vec<WebhookEventType> = events
                .iter()
                .filter_map(|&i| WebhookEventType::ALL.get(i).copied())
                .collect();
            if event_types.is_empty() {
                return invalid.set(Some("Tick at least one event to send."));
            }
            let body = CreateWebhookEndpoint {
                url: target,
                event_types,
                description: description.trim().to_owned(),
            };
            creating.set(true);
            error.set(None);
            invalid.set(None);
            let (api, on_created) = (api.clone(), on_created.clone());
            let (url, description, events) = (url.clone(), description.clone(), events.clone());
            let (creating, error) = (creating.clone(), error.clone());
            spawn_local(async move {
                match api::create_webhook_endpoint(api.token(), &body).await {
                    Ok(created) => {
                        url.set(String::new());
                        description.set(String::new());
                        events.set(all_events());
                        on_created.emit(created);
                    }
                    Err(failure) => error.set(api.check(failure)),
                }
                creating.set(false);
            });
        })
    };

    let receiver_page = format!("{}{DEMO_RECEIVER_PATH}", origin());
    html! {
        <form id="webhook-form" class="card form webhook-form" onsubmit={on_submit}>
            <h2>{ "Add an endpoint" }</h2>
            <ProblemBanner error={(*error).clone()} />
            if let Some(message) = *invalid {
                <ErrorBanner {message} />
            }
            <div class="inline-fields">
                <div class="field grow">
                    <label for="webhook-url">{ "URL" }</label>
                    <input
                        id="webhook-url"
                        type="url"
                        placeholder="https://example.com/webhooks/tenant-connect"
                        autocomplete="off"
                        value={(*url).clone()}
                        oninput={on_url}
                    />
                </div>
                if *demo_receiver {
                    <button id="webhook-use-demo-receiver" type="button" class="button secondary" onclick={on_demo}>
                        { "Use the demo receiver" }
                    </button>
                }
            </div>
            if *demo_receiver {
                <p class="hint">
                    { "This demo server has a receiver of its own: " }
                    <a id="webhook-demo-receiver-link" href={receiver_page} target="_blank" rel="noopener">
                        { "open it to see what arrives" }
                    </a>
                    { "." }
                </p>
            }
            <fieldset class="choice-group event-choices" id="webhook-events">
                <legend>{ "Events to send" }</legend>
                { for WebhookEventType::ALL.iter().enumerate().map(|(i, kind)| {
                    let onchange = {
                        let events = events.clone();
                        Callback::from(move |event: Event| {
                            let mut next = (*events).clone();
                            if is_checked(&event) {
                                next.insert(i);
                            } else {
                                next.remove(&i);
                            }
                            events.set(next);
                        })
                    };
                    let id = format!("webhook-event-{}", kind.as_str().replace('.', "-"));
                    html! {
                        <label class="checkbox-field" for={id.clone()} title={kind.as_str()}>
                            <input type="checkbox" {id} value={kind.as_str()} checked={events.contains(&i)} {onchange} />
                            { labels::webhook_event(*kind) }
                        </label>
                    }
                }) }
            </fieldset>
            <div class="field">
                <label for="webhook-description">{ "Description (optional)" }</label>
                <input
                    id="webhook-description"
                    type="text"
                    placeholder="e.g. Billing system"
                    value={(*description).clone()}
                    oninput={on_description}
                />
            </div>
            <div class="form-actions">
                <button id="webhook-submit" type="submit" class="button primary" disabled={*creating}>
                    { if *creating { "Adding…" } else { "Add endpoint" } }
                </button>
            </div>
        </form>
    }
}
