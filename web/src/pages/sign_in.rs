//! Sign in with email and password.

use shared::auth::LoginRequest;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::components::form::input_value;
use crate::components::problem_banner::ProblemBanner;
use crate::components::replace::Replace;
use crate::route::Route;
use crate::session::{use_session, Session, SessionAction, SessionHandle};

#[component]
pub fn SignInPage() -> Html {
    let handle = use_context::<SessionHandle>();
    let signed_in = use_session().is_some();
    let email = use_state(String::new);
    let password = use_state(String::new);
    let pending = use_state(|| false);
    let error = use_state(|| None::<ApiError>);

    let onsubmit = {
        let (email, password, pending, error) = (
            email.clone(),
            password.clone(),
            pending.clone(),
            error.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *pending {
                return;
            }
            let request = LoginRequest {
                email: email.trim().to_owned(),
                password: (*password).clone(),
            };
            let (handle, pending, error) = (handle.clone(), pending.clone(), error.clone());
            pending.set(true);
            error.set(None);
            spawn_local(async move {
                match api::login(&request).await {
                    // The session change re-renders this page, which then moves on.
                    Ok(login) => {
                        if let Some(handle) = handle {
                            handle.dispatch(SessionAction::SignedIn(Session::from_login(login)));
                        }
                    }
                    Err(failure) => {
                        error.set(Some(failure));
                        pending.set(false);
                    }
                }
            });
        })
    };
    let on_email = {
        let email = email.clone();
        Callback::from(move |event: InputEvent| email.set(input_value(&event)))
    };
    let on_password = {
        let password = password.clone();
        Callback::from(move |event: InputEvent| password.set(input_value(&event)))
    };

    if signed_in {
        return html! { <Replace to={Route::TenantConnection} /> };
    }

    html! {
        <div class="centered sign-in-screen">
            <div class="card narrow">
                <div class="brand sign-in-brand">
                    <span class="brand-mark" aria-hidden="true">{ "TC" }</span>
                    <span class="brand-name">{ "Tenant Connect" }</span>
                </div>
                <h1>{ "Sign in" }</h1>
                <p class="muted">{ "Manage Microsoft Teams phone service for your organisation." }</p>
                <ProblemBanner error={(*error).clone()} />
                <form class="form" {onsubmit}>
                    <label for="email">{ "Email" }</label>
                    <input
                        id="email"
                        type="email"
                        autocomplete="username"
                        required=true
                        value={(*email).clone()}
                        oninput={on_email}
                    />
                    <label for="password">{ "Password" }</label>
                    <input
                        id="password"
                        type="password"
                        autocomplete="current-password"
                        required=true
                        value={(*password).clone()}
                        oninput={on_password}
                    />
                    <button
                        id="sign-in"
                        type="submit"
                        class="button primary wide"
                        disabled={*pending}
                        aria-busy={pending.then_some("true")}
                    >
                        { "Sign in" }
                    </button>
                </form>
            </div>
        </div>
    }
}
