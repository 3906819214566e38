//! Microsoft Tenant Connect: the four setup steps as a stepper, the verification report, the
//! connection's health, and the FAQ answered in place.

use std::rc::Rc;

use shared::role::Role;
use shared::tenant_connection::{
    CheckKey, ConnectionState, Notice, NoticeKind, SetupStep, StepKey, StepStatus,
    TenantConnection, VerificationOutcome, VerificationReport,
};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::components::problem_banner::ProblemBanner;
use crate::format::date_time;
use crate::pages::SignedInPageProps;
use crate::session::use_unauthorized_guard;

/// What the page is doing right now.
#[derive(Clone, Copy, PartialEq)]
enum Busy {
    Loading,
    StartingSetup,
    Verifying,
    Disconnecting,
}

#[derive(Clone, PartialEq, Default)]
struct PageState {
    connection: Option<TenantConnection>,
    busy: Option<Busy>,
    error: Option<ApiError>,
    confirm_disconnect: bool,
}

enum Action {
    Busy(Busy),
    Loaded(Box<TenantConnection>),
    Failed(ApiError),
    ConfirmDisconnect(bool),
}

impl Reducible for PageState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Busy(busy) => {
                next.busy = Some(busy);
                next.error = None;
            }
            Action::Loaded(connection) => {
                next.connection = Some(*connection);
                next.busy = None;
                next.confirm_disconnect = false;
            }
            Action::Failed(error) => {
                next.error = Some(error);
                next.busy = None;
            }
            Action::ConfirmDisconnect(open) => next.confirm_disconnect = open,
        }
        Rc::new(next)
    }
}

const CHECKS: [(CheckKey, &str); 8] = [
    (CheckKey::ConsentPresent, "Admin consent is in place"),
    (CheckKey::TenantMatches, "The token is for your tenant"),
    (
        CheckKey::PermissionsGranted,
        "The app's permissions are granted",
    ),
    (
        CheckKey::DirectoryRoleAssigned,
        "The app holds the Teams Communications Administrator role",
    ),
    (CheckKey::UsersReadable, "Your users can be read"),
    (
        CheckKey::NumbersReadable,
        "Your Teams phone numbers can be read",
    ),
    (
        CheckKey::PhoneStateReadable,
        "Your users' Teams phone state can be read",
    ),
    (
        CheckKey::TenantReadable,
        "Your tenant's details can be read",
    ),
];

#[component]
pub fn TenantConnectionPage(props: &SignedInPageProps) -> Html {
    let state = use_reducer(|| PageState {
        busy: Some(Busy::Loading),
        ..PageState::default()
    });
    let guard = use_unauthorized_guard();
    let token = props.session.access_token.clone();

    // Load, and reload after each action, so the page always shows the server's state.
    let reload = {
        let (state, guard, token) = (state.dispatcher(), guard.clone(), token.clone());
        Callback::from(move |_: ()| {
            let (state, guard, token) = (state.clone(), guard.clone(), token.clone());
            spawn_local(async move {
                match api::tenant_connection(&token).await {
                    Ok(connection) => state.dispatch(Action::Loaded(Box::new(connection))),
                    Err(error) => {
                        if let Some(error) = guard.check(error) {
                            state.dispatch(Action::Failed(error));
                        }
                    }
                }
            });
        })
    };
    {
        let reload = reload.clone();
        use_effect_with((), move |_| reload.emit(()));
    }

    let on_setup = {
        let (state, guard, token) = (state.dispatcher(), guard.clone(), token.clone());
        Callback::from(move |_: MouseEvent| {
            state.dispatch(Action::Busy(Busy::StartingSetup));
            let (state, guard, token) = (state.clone(), guard.clone(), token.clone());
            spawn_local(async move {
                match api::start_setup(&token).await {
                    Ok(setup) => {
                        // Step 2 happens at Microsoft; it sends the browser back here.
                        if let Some(window) = web_sys::window() {
                            let _ = window.location().set_href(&setup.consent_url);
                        }
                    }
                    Err(error) => {
                        if let Some(error) = guard.check(error) {
                            state.dispatch(Action::Failed(error));
                        }
                    }
                }
            });
        })
    };

    let on_verify = {
        let (state, guard, token, reload) = (
            state.dispatcher(),
            guard.clone(),
            token.clone(),
            reload.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            state.dispatch(Action::Busy(Busy::Verifying));
            let (state, guard, token, reload) =
                (state.clone(), guard.clone(), token.clone(), reload.clone());
            spawn_local(async move {
                match api::verify_connection(&token).await {
                    Ok(_) => reload.emit(()),
                    Err(error) => {
                        if let Some(error) = guard.check(error) {
                            state.dispatch(Action::Failed(error));
                        }
                    }
                }
            });
        })
    };

    let on_disconnect = {
        let (state, guard, token) = (state.dispatcher(), guard.clone(), token.clone());
        Callback::from(move |_: MouseEvent| {
            state.dispatch(Action::Busy(Busy::Disconnecting));
            let (state, guard, token) = (state.clone(), guard.clone(), token.clone());
            spawn_local(async move {
                match api::disconnect(&token).await {
                    Ok(connection) => state.dispatch(Action::Loaded(Box::new(connection))),
                    Err(error) => {
                        if let Some(error) = guard.check(error) {
                            state.dispatch(Action::Failed(error));
                        }
                    }
                }
            });
        })
    };
    let ask_disconnect = {
        let state = state.dispatcher();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::ConfirmDisconnect(true)))
    };
    let cancel_disconnect = {
        let state = state.dispatcher();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::ConfirmDisconnect(false)))
    };

    let rejected = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|q| q.contains("consent=rejected"));
    let is_admin = props.session.me.role == Role::Admin;
    let busy = state.busy;

    let body = match &state.connection {
        None if busy == Some(Busy::Loading) => html! {
            <div class="card"><p class="muted">{ "Loading your tenant connection…" }</p></div>
        },
        None => Html::default(),
        Some(connection) => {
            let actions = StepActions {
                on_setup: on_setup.clone(),
                on_verify: on_verify.clone(),
                busy,
                may_start_setup: is_admin || !connection.setup_admins_only,
            };
            html! {
                <>
                    { connection.notice.as_ref().map(notice_view).unwrap_or_default() }
                    { summary_view(connection) }
                    <ol class="stepper" id="setup-steps">
                        { for connection.steps.iter().map(|step| step_view(step, connection, &actions)) }
                    </ol>
                    if is_admin && matches!(connection.state, ConnectionState::Connected | ConnectionState::NeedsAttention) {
                        <div class="card danger-zone">
                            <h2>{ "Disconnect" }</h2>
                            <p class="muted">{ "The portal stops using your tenant. The history below is kept. To remove the app from your tenant as well, delete its enterprise application in Microsoft Entra ID." }</p>
                            if state.confirm_disconnect {
                                <div class="form-actions">
                                    <span>{ "Disconnect your tenant from the portal?" }</span>
                                    <button id="confirm-disconnect" class="button danger" onclick={on_disconnect} disabled={busy.is_some()}>{ "Disconnect" }</button>
                                    <button class="button" onclick={cancel_disconnect}>{ "Keep connected" }</button>
                                </div>
                            } else {
                                <button id="disconnect" class="button" onclick={ask_disconnect}>{ "Disconnect tenant" }</button>
                            }
                        </div>
                    }
                    { history_view(connection) }
                    { what_is_happening(connection) }
                </>
            }
        }
    };

    html! {
        <section class="page tenant-connection">
            <header class="page-header">
                <h1>{ "Microsoft Tenant Connect" }</h1>
                <p class="muted">
                    { "Connect your Microsoft 365 tenant so you can see your users, manage their phone numbers and service, and bill accurately — without anyone needing to be a Teams administrator." }
                </p>
            </header>
            <ProblemBanner error={state.error.clone()} />
            if rejected {
                <div id="consent-rejected" class="banner error" role="alert">
                    <p>{ "Microsoft's answer could not be accepted: the sign-in link had expired or was already used, or it was started in another browser or by someone else. Nothing was changed. Start again with the button in step 2, in this browser." }</p>
                </div>
            }
            { body }
            { faq_view() }
        </section>
    }
}

fn state_label(state: ConnectionState) -> (&'static str, &'static str) {
    match state {
        ConnectionState::NotConnected => ("Not connected", "neutral"),
        ConnectionState::Legacy => ("Connected the old way", "warning"),
        ConnectionState::ConsentPending => ("Waiting for Microsoft", "info"),
        ConnectionState::ConsentGranted => ("Consent granted", "info"),
        ConnectionState::Connected => ("Connected", "ok"),
        ConnectionState::NeedsAttention => ("Needs attention", "bad"),
    }
}

fn summary_view(connection: &TenantConnection) -> Html {
    let (label, tone) = state_label(connection.state);
    html! {
        <div class="card connection-summary">
            <div class="summary-row">
                <span id="connection-state" class={classes!("status-pill", tone)} data-state={format!("{:?}", connection.state)}>{ label }</span>
                if let Some(name) = &connection.tenant_name {
                    <span>{ "Tenant: " }<strong id="tenant-name">{ name.clone() }</strong></span>
                }
                if let Some(id) = &connection.tenant_id {
                    <span class="muted">{ "Tenant ID " }<code>{ id.clone() }</code></span>
                }
            </div>
            if connection.state == ConnectionState::Connected {
                <p id="connected-message" class="success-text">
                    { format!("Your tenant is successfully connected{}. You can now see your users and manage their phone service in the portal.",
                        connection.tenant_name.as_ref().map(|n| format!(": {n}")).unwrap_or_default()) }
                </p>
            }
            if let (Some(account), true) = (&connection.legacy_service_account, connection.state != ConnectionState::Connected) {
                <p class="muted">{ format!("Legacy connection through the user account {account}.") }</p>
            }
            if connection.state == ConnectionState::Legacy {
                <p>
                    { "Your tenant is connected through a user account. The new way connects through the Tenant Connect app in Microsoft Entra ID: better access control, a simpler connection and more resilience. It takes a couple of minutes: click " }
                    <strong>{ "Update Your Connection" }</strong>{ " below." }
                </p>
            }
            if let Some(at) = connection.connected_at {
                <p class="muted">{ format!("Connected since {}", date_time(&at)) }</p>
            }
        </div>
    }
}

fn notice_view(notice: &Notice) -> Html {
    let tone = match notice.kind {
        NoticeKind::ConsentGranted | NoticeKind::Connected => "success",
        NoticeKind::NeedAdminApproval | NoticeKind::NeedsAttention => "warning",
        NoticeKind::VerifyFailed | NoticeKind::ConsentError => "error",
    };
    html! {
        <div id="notice" class={classes!("banner", "notice", tone)} data-kind={format!("{:?}", notice.kind)} role="status">
            <p class="notice-title"><strong>{ notice.title.clone() }</strong></p>
            <p class="notice-message">{ notice.message.clone() }</p>
            if let Some(code) = &notice.code {
                <p class="muted">{ "Microsoft error code: " }<code>{ code.clone() }</code></p>
            }
        </div>
    }
}

struct StepActions {
    on_setup: Callback<MouseEvent>,
    on_verify: Callback<MouseEvent>,
    busy: Option<Busy>,
    /// False for a non-admin once a tenant is connected (the server refuses them too).
    may_start_setup: bool,
}

fn step_view(step: &SetupStep, connection: &TenantConnection, actions: &StepActions) -> Html {
    let status_class = match step.status {
        StepStatus::Todo => "todo",
        StepStatus::InProgress => "in-progress",
        StepStatus::Done => "done",
        StepStatus::Failed => "failed",
    };
    let marker = match step.status {
        StepStatus::Done => "✓".to_owned(),
        StepStatus::Failed => "!".to_owned(),
        _ => step.number.to_string(),
    };
    let content = match step.key {
        StepKey::SignIn => html! {
            <p>{ "You're signed in to the admin portal. Any user of your account can open this page and start the steps; only people with the right Microsoft permissions can complete them." }</p>
        },
        StepKey::Consent => consent_step(connection, actions),
        StepKey::AssignRole => role_step(connection),
        StepKey::Verify => verify_step(connection, actions),
    };
    html! {
        <li class={classes!("step", status_class)} id={format!("step-{}", step.number)} data-status={status_class}>
            <div class="step-marker" aria-hidden="true">{ marker }</div>
            <div class="step-body">
                <h2>{ format!("Step {}: {}", step.number, step.title) }</h2>
                if let Some(message) = &step.message {
                    <p class="step-message">{ message.clone() }</p>
                }
                { content }
            </div>
        </li>
    }
}

fn consent_step(connection: &TenantConnection, actions: &StepActions) -> Html {
    let label = match connection.state {
        ConnectionState::Connected
        | ConnectionState::ConsentGranted
        | ConnectionState::NeedsAttention => "Sign in to Microsoft again",
        _ if connection.legacy_service_account.is_some() => "Update Your Connection",
        _ => "Set Up Tenant Connection",
    };
    let starting = actions.busy == Some(Busy::StartingSetup);
    html! {
        <>
            <p>
                { "To allow the app to connect, you'll need to sign in to Microsoft. Sign in with your Microsoft credentials connected to your company's Microsoft 365 tenant (not a personal Microsoft account). You must be allowed to grant tenant-wide consent on behalf of your organization: a Global Administrator or Privileged Role Administrator can." }
            </p>
            <button id="setup-connection" class="button primary" onclick={actions.on_setup.clone()} disabled={actions.busy.is_some() || !actions.may_start_setup}>
                { if starting { "Opening Microsoft sign-in…" } else { label } }
            </button>
            if !actions.may_start_setup {
                <p id="setup-admins-only" class="muted">{ "Your account is connected to a Microsoft tenant, so only an admin of your account can sign in to Microsoft again for it." }</p>
            }
        </>
    }
}

fn role_step(connection: &TenantConnection) -> Html {
    let app = &connection.app;
    html! {
        <>
            <p>
                { "Grant the app " }<strong>{ app.role_name.clone() }</strong>
                { " access in Microsoft Entra ID. You'll need permission to assign roles to complete this step." }
            </p>
            <ol class="instructions">
                <li>{ "Sign in to Microsoft Entra ID." }</li>
                <li>{ "Select " }<strong>{ "Identity" }</strong>{ " on the left panel." }</li>
                <li>{ "Click the " }<strong>{ "Roles & admins" }</strong>{ " dropdown and choose " }<strong>{ "Roles & admins" }</strong>{ "." }</li>
                <li>{ "Select the " }<strong>{ app.role_name.clone() }</strong>{ " role." }</li>
                <li>
                    { "Click " }<strong>{ "Add assignment" }</strong>{ ", enter " }
                    <code id="app-display-name">{ app.display_name.clone() }</code>
                    { " in the search box, select it, then click " }<strong>{ "Add" }</strong>{ "." }
                </li>
            </ol>
            <p class="muted">{ format!("The app's client ID is {}.", app.client_id) }</p>
            <a id="role-assignment-link" class="button" href={app.role_assignment_url.clone()} target="_blank" rel="noopener noreferrer">
                { "Open Roles & admins in Entra ID" }
            </a>
        </>
    }
}

fn verify_step(connection: &TenantConnection, actions: &StepActions) -> Html {
    let verifying = actions.busy == Some(Busy::Verifying);
    let label = if connection.state == ConnectionState::Connected {
        "Verify again"
    } else {
        "Verify Setup"
    };
    html! {
        <>
            <p>{ "Once you've completed steps 1, 2 and 3, click Verify Setup to check that everything is set up properly." }</p>
            <button id="verify-setup" class="button primary" onclick={actions.on_verify.clone()} disabled={actions.busy.is_some()}>
                { if verifying { "Verifying…" } else { label } }
            </button>
            if verifying {
                <ul class="checks pending" id="verification-progress">
                    { for CHECKS.iter().map(|(_, label)| html! {
                        <li class="check pending"><span class="spinner" aria-hidden="true"></span>{ *label }</li>
                    }) }
                </ul>
            } else if let Some(report) = &connection.last_verification {
                { report_view(report) }
            }
        </>
    }
}

fn report_view(report: &VerificationReport) -> Html {
    let tone = match report.outcome {
        VerificationOutcome::Passed => "success",
        VerificationOutcome::Failed
        | VerificationOutcome::TimedOut
        | VerificationOutcome::Inconclusive => "error",
    };
    html! {
        <div id="verification-report" class="report" data-outcome={format!("{:?}", report.outcome)}>
            <p class={classes!("report-message", tone)}>{ report.message.clone() }</p>
            <ul class="checks">
                { for report.checks.iter().map(|check| html! {
                    <li class={classes!("check", if check.passed { "passed" } else { "failed" })} data-key={format!("{:?}", check.key)}>
                        <span class="check-mark" aria-hidden="true">{ if check.passed { "✓" } else { "✗" } }</span>
                        <div>
                            <strong>{ check.label.clone() }</strong>
                            <p class="check-detail">{ check.detail.clone() }</p>
                            if let Some(fix) = &check.remediation {
                                <p class="remediation">{ fix.clone() }</p>
                            }
                        </div>
                    </li>
                }) }
            </ul>
            <p class="muted">{ format!("Checked {}", date_time(&report.finished_at)) }</p>
        </div>
    }
}

fn history_view(connection: &TenantConnection) -> Html {
    if connection.history.is_empty() {
        return Html::default();
    }
    html! {
        <div class="card">
            <h2>{ "History" }</h2>
            <ul class="history" id="connection-history">
                { for connection.history.iter().map(|event| html! {
                    <li>
                        <span class="muted">{ date_time(&event.at) }</span>
                        <span>{ event.message.clone() }</span>
                        <span class="muted">{ event.actor.clone() }</span>
                    </li>
                }) }
            </ul>
        </div>
    }
}

/// The product description's "What is happening?", with every permission the app is granted
/// (the server's list: the description's two first, in its words).
fn what_is_happening(connection: &TenantConnection) -> Html {
    let app = &connection.app;
    html! {
        <div class="card" id="what-is-happening">
            <h2>{ "What is happening?" }</h2>
            <p>
                { "Using Microsoft 365 native features such as Microsoft Entra ID Enterprise applications means your provider can securely integrate your tenant through the " }
                <strong>{ app.display_name.clone() }</strong>
                { " application. The following Microsoft Graph permissions are utilised to achieve this:" }
            </p>
            <ul id="app-permissions">
                { for app.permissions.iter().map(|p| html! {
                    <li data-permission={p.name.clone()}><code>{ p.name.clone() }</code>{ ": " }{ p.purpose.clone() }</li>
                }) }
            </ul>
            <p>
                { "The enterprise application also needs to be assigned the role " }<strong>{ app.role_name.clone() }</strong>
                { ". This is to allow the admin portal to access the data it needs (such as a user's UPN) to provide its full suite of capabilities (such as assigning a number to a specific user)." }
            </p>
        </div>
    }
}

fn faq_view() -> Html {
    html! {
        <div class="card faq" id="faq">
            <h2>{ "Questions" }</h2>
            <details>
                <summary>{ "What permissions are needed?" }</summary>
                <p>{ "To connect your tenant you'll need one of the following Microsoft roles:" }</p>
                <ul>
                    <li>{ "Global Administrator" }</li>
                    <li>{ "Privileged Role Administrator" }</li>
                    <li>{ "Any custom directory role with the permission to grant permission to applications on behalf of all users" }</li>
                </ul>
            </details>
            <details>
                <summary>{ "Who can access the Tenant Connection page?" }</summary>
                <p>{ "Any user on your account can access this page and start the tenant connection steps. However, only users with the required Microsoft permissions will be able to progress through the steps to connect your tenant. Once your tenant is connected, only your account's admins can sign in to Microsoft again for it, and a different tenant can be connected only after an admin disconnects the current one." }</p>
            </details>
            <details>
                <summary>{ "Why did I see the error message \"Need admin approval\" in step 2?" }</summary>
                <p>{ "To connect the app you need to be able to grant tenant-wide consent on behalf of your organization. If you have seen this message, your Microsoft user does not have sufficient privileges to complete this step. Check that you're using your Microsoft credentials associated with your company's Microsoft tenant. If you are and you don't have sufficient rights, please ask someone else in your organization who has the required rights to complete the tenant connection process themselves in this portal." }</p>
            </details>
            <details>
                <summary>{ "Why did I see \"We weren't able to verify the app connection. Please try again or contact support if you're unable to complete this step.\"?" }</summary>
                <p>{ "You will see this message if you click Cancel on the Microsoft sign-in, or if Microsoft's response during verification times out. Try again and make sure you don't click Cancel." }</p>
            </details>
        </div>
    }
}
