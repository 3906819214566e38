//! The root: the session context, the router, and the guard in front of signed-in pages.

use std::time::Duration;

use yew::platform::spawn_local;
use yew::platform::time::sleep;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::components::layout::Layout;
use crate::components::replace::Replace;
use crate::pages::{
    account::AccountPage, api_tokens::ApiTokensPage, audit::AuditPage, billing::BillingPage,
    members::MembersPage, not_found::NotFoundPage, numbers::NumbersPage, sign_in::SignInPage,
    tenant_connection::TenantConnectionPage, users::UsersPage, voice_profiles::VoiceProfilesPage,
    webhooks::WebhooksPage,
};
use crate::route::Route;
use crate::session::{use_session, SessionAction, SessionHandle, SessionState};

#[component]
pub fn App() -> Html {
    let session = use_reducer(SessionState::load);

    // Mirror every change into localStorage.
    use_effect_with((*session).clone(), |state| state.persist());

    // End the session when its token expires.
    {
        let dispatcher = session.dispatcher();
        let current = session.current.clone();
        use_effect_with(current, move |current| {
            if let Some(current) = current {
                let access_token = current.access_token.clone();
                let wait = Duration::from_millis(current.remaining_ms() as u64);
                spawn_local(async move {
                    sleep(wait).await;
                    dispatcher.dispatch(SessionAction::Expired { access_token });
                });
            }
        });
    }

    // On start, check a stored session with the server and pick up any change to `Me`.
    {
        let handle = session.clone();
        use_effect_with((), move |_| {
            if let Some(current) = handle.current.clone() {
                spawn_local(async move {
                    match api::me(&current.access_token).await {
                        Ok(me) => handle.dispatch(SessionAction::Refreshed(me)),
                        Err(error) if error.is_unauthorized() => {
                            handle.dispatch(SessionAction::SignedOut)
                        }
                        // Offline or a server hiccup: keep the session; pages will report it.
                        Err(_) => {}
                    }
                });
            }
        });
    }

    html! {
        <ContextProvider<SessionHandle> context={session}>
            <BrowserRouter>
                <Switch<Route> render={switch} />
            </BrowserRouter>
        </ContextProvider<SessionHandle>>
    }
}

fn switch(route: Route) -> Html {
    match route {
        Route::SignIn => html! { <SignInPage /> },
        Route::Home => html! { <Replace to={Route::TenantConnection} /> },
        Route::NotFound => html! { <NotFoundPage /> },
        route => html! { <SignedIn {route} /> },
    }
}

#[derive(Properties, PartialEq)]
struct SignedInProps {
    route: Route,
}

/// Renders a signed-in page inside the layout, or sends the visitor to the sign-in page.
#[component]
fn SignedIn(props: &SignedInProps) -> Html {
    let Some(session) = use_session() else {
        return html! { <Replace to={Route::SignIn} /> };
    };
    let page = match props.route {
        Route::TenantConnection => html! { <TenantConnectionPage session={session.clone()} /> },
        Route::Users => html! { <UsersPage session={session.clone()} /> },
        Route::Numbers => html! { <NumbersPage session={session.clone()} /> },
        Route::VoiceProfiles => html! { <VoiceProfilesPage session={session.clone()} /> },
        Route::Billing => html! { <BillingPage session={session.clone()} /> },
        Route::Audit => html! { <AuditPage session={session.clone()} /> },
        Route::Members => html! { <MembersPage session={session.clone()} /> },
        Route::ApiTokens => html! { <ApiTokensPage session={session.clone()} /> },
        Route::Webhooks => html! { <WebhooksPage session={session.clone()} /> },
        Route::Account => html! { <AccountPage session={session.clone()} /> },
        Route::SignIn | Route::Home | Route::NotFound => html! { <NotFoundPage /> },
    };
    html! { <Layout {session}>{ page }</Layout> }
}
