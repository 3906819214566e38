//! My account: who I am, changing my own password, and signing out everywhere.

use std::rc::Rc;

use shared::auth::{ChangePasswordRequest, PrincipalKind};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::components::form::input_value;
use crate::components::problem_banner::{ErrorBanner, ProblemBanner};
use crate::pages::SignedInPageProps;
use crate::session::{use_unauthorized_guard, Session, SessionAction, SessionHandle};

/// The shortest new password the server accepts.
const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Clone, PartialEq, Default)]
enum Status {
    #[default]
    Editing,
    Sending,
    /// Refused before sending.
    Invalid(&'static str),
    Failed(ApiError),
    Changed,
}

#[derive(Clone, PartialEq, Default)]
struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
    status: Status,
}

enum Action {
    Current(String),
    New(String),
    Confirm(String),
    Sending,
    Invalid(&'static str),
    Failed(ApiError),
    Changed,
}

impl Reducible for PasswordForm {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Current(value) => next.current = value,
            Action::New(value) => next.new = value,
            Action::Confirm(value) => next.confirm = value,
            Action::Sending => next.status = Status::Sending,
            Action::Invalid(message) => next.status = Status::Invalid(message),
            Action::Failed(error) => next.status = Status::Failed(error),
            Action::Changed => {
                next = PasswordForm {
                    status: Status::Changed,
                    ..PasswordForm::default()
                }
            }
        }
        Rc::new(next)
    }
}

impl PasswordForm {
    /// The request to send, or why not.
    fn request(&self) -> Result<ChangePasswordRequest, &'static str> {
        if self.current.is_empty() {
            return Err("Enter your current password.");
        }
        if self.new.chars().count() < MIN_PASSWORD_CHARS {
            return Err("The new password must be at least 12 characters long.");
        }
        if self.new != self.confirm {
            return Err("The new password and its confirmation do not match.");
        }
        Ok(ChangePasswordRequest {
            current_password: self.current.clone(),
            new_password: self.new.clone(),
        })
    }
}

#[component]
pub fn AccountPage(props: &SignedInPageProps) -> Html {
    let form = use_reducer(PasswordForm::default);
    let guard = use_unauthorized_guard();
    let session_handle = use_context::<SessionHandle>();

    let onsubmit = {
        let form = form.clone();
        let session_handle = session_handle.clone();
        let token = props.session.access_token.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if form.status == Status::Sending {
                return;
            }
            let request = match form.request() {
                Ok(request) => request,
                Err(message) => return form.dispatch(Action::Invalid(message)),
            };
            form.dispatch(Action::Sending);
            let (form, guard, session_handle, token) = (
                form.dispatcher(),
                guard.clone(),
                session_handle.clone(),
                token.clone(),
            );
            spawn_local(async move {
                match api::change_password(&token, &request).await {
                    Ok(fresh) => {
                        // Earlier sessions end with the change: carry on with the new one.
                        if let Some(handle) = session_handle {
                            handle.dispatch(SessionAction::SignedIn(Session::from_login(fresh)));
                        }
                        form.dispatch(Action::Changed);
                    }
                    Err(error) => {
                        if let Some(error) = guard.check(error) {
                            form.dispatch(Action::Failed(error));
                        }
                    }
                }
            });
        })
    };
    let field = |action: fn(String) -> Action| {
        let form = form.dispatcher();
        Callback::from(move |event: InputEvent| form.dispatch(action(input_value(&event))))
    };

    // Signing out everywhere: `Some(error)` when the server refused.
    let everywhere_busy = use_state(|| false);
    let everywhere_error = use_state(|| None::<ApiError>);
    let on_sign_out_everywhere = {
        let (busy, error) = (everywhere_busy.clone(), everywhere_error.clone());
        let (session_handle, token) = (session_handle.clone(), props.session.access_token.clone());
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            error.set(None);
            let (busy, error, session_handle, token) = (
                busy.clone(),
                error.clone(),
                session_handle.clone(),
                token.clone(),
            );
            spawn_local(async move {
                match api::logout_everywhere(&token).await {
                    // A 401: this session had ended already; either way it is over here too.
                    Ok(()) => {}
                    Err(e) if e.is_unauthorized() => {}
                    Err(e) => {
                        busy.set(false);
                        return error.set(Some(e));
                    }
                }
                if let Some(handle) = session_handle {
                    handle.dispatch(SessionAction::SignedOut);
                }
            });
        })
    };

    let me = &props.session.me;
    let sending = form.status == Status::Sending;

    html! {
        <section class="page">
            <header class="page-header">
                <h1>{ "My account" }</h1>
                <p class="muted">{ "Your sign-in details for this portal." }</p>
            </header>

            <div class="card">
                <dl class="details">
                    <dt>{ "Email" }</dt>
                    <dd id="my-email">{ me.email.clone() }</dd>
                    <dt>{ "Role" }</dt>
                    <dd id="my-role">{ me.role.label() }</dd>
                    <dt>{ "Account" }</dt>
                    <dd>{ me.account.name.clone() }</dd>
                </dl>
            </div>

            <div class="card">
                <h2>{ "Change password" }</h2>
                if me.kind == PrincipalKind::ApiToken {
                    <p class="muted">{ "API tokens have no password." }</p>
                } else {
                    { match &form.status {
                        Status::Invalid(message) => html! { <ErrorBanner message={*message} /> },
                        Status::Failed(error) => html! { <ProblemBanner error={error.clone()} /> },
                        Status::Changed => html! {
                            <div class="success banner" id="password-changed" role="status">
                                { "Your password has been changed." }
                            </div>
                        },
                        Status::Editing | Status::Sending => Html::default(),
                    } }
                    <form id="password-form" class="form" {onsubmit}>
                        <label for="current-password">{ "Current password" }</label>
                        <input
                            id="current-password"
                            type="password"
                            autocomplete="current-password"
                            value={form.current.clone()}
                            oninput={field(Action::Current)}
                        />
                        <label for="new-password">{ "New password" }</label>
                        <input
                            id="new-password"
                            type="password"
                            autocomplete="new-password"
                            value={form.new.clone()}
                            oninput={field(Action::New)}
                        />
                        <p class="hint">{ "At least 12 characters." }</p>
                        <label for="confirm-password">{ "Confirm new password" }</label>
                        <input
                            id="confirm-password"
                            type="password"
                            autocomplete="new-password"
                            value={form.confirm.clone()}
                            oninput={field(Action::Confirm)}
                        />
                        <div class="form-actions">
                            <button
                                id="change-password"
                                type="submit"
                                class="button primary"
                                disabled={sending}
                            >
                                { "Change password" }
                            </button>
                        </div>
                    </form>
                }
            </div>

            if me.kind == PrincipalKind::User {
                <div class="card">
                    <h2>{ "Sessions" }</h2>
                    <p class="muted">
                        { "Signed in on a computer you no longer use, or lost one? End every \
                           session of yours, on every device, this one included." }
                    </p>
                    <ProblemBanner error={(*everywhere_error).clone()} />
                    <div class="form-actions">
                        <button
                            id="sign-out-everywhere"
                            type="button"
                            class="button danger"
                            disabled={*everywhere_busy}
                            onclick={on_sign_out_everywhere}
                        >
                            { "Sign out everywhere" }
                        </button>
                    </div>
                </div>
            }
        </section>
    }
}
