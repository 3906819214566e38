//! The signed-in frame: top bar (product, account, user, sign out) and side navigation.

use std::rc::Rc;

use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api;
use crate::components::nav_link::NavLink;
use crate::route::Route;
use crate::session::{Session, SessionAction, SessionHandle};

#[derive(Properties, PartialEq)]
pub struct LayoutProps {
    pub session: Rc<Session>,
    #[prop_or_default]
    pub children: Html,
}

#[component]
pub fn Layout(props: &LayoutProps) -> Html {
    let handle = use_context::<SessionHandle>();
    let on_sign_out = {
        let token = props.session.access_token.clone();
        Callback::from(move |_: MouseEvent| {
            let (handle, token) = (handle.clone(), token.clone());
            spawn_local(async move {
                // The server ends the session first; the browser forgets it whatever the
                // answer (offline, or the session had ended already).
                let _ = api::logout(&token).await;
                if let Some(handle) = handle {
                    handle.dispatch(SessionAction::SignedOut);
                }
            });
        })
    };
    let me = &props.session.me;

    html! {
        <div class="shell">
            <header class="topbar">
                <div class="brand">
                    <span class="brand-mark" aria-hidden="true">{ "TC" }</span>
                    <span class="brand-name">{ "Tenant Connect" }</span>
                </div>
                <div class="account">
                    <span class="account-label">{ "Account" }</span>
                    <span id="account-name">{ me.account.name.clone() }</span>
                </div>
                <div class="user">
                    <span id="current-user">
                        <span class="user-email">{ me.email.clone() }</span>
                        { " " }
                        <span class="role-tag">{ me.role.label() }</span>
                    </span>
                    <button id="sign-out" type="button" class="button secondary" onclick={on_sign_out}>
                        { "Sign out" }
                    </button>
                </div>
            </header>
            <nav class="sidenav" aria-label="Main">
                <NavLink to={Route::TenantConnection} id="nav-tenant-connection" label="Tenant connection" />
                <NavLink to={Route::Users} id="nav-users" label="Users" />
                <NavLink to={Route::Numbers} id="nav-numbers" label="Numbers" />
                <NavLink to={Route::VoiceProfiles} id="nav-voice-profiles" label="Voice profiles" />
                <NavLink to={Route::Billing} id="nav-billing" label="Billing" />
                <NavLink to={Route::Audit} id="nav-audit" label="Audit" />
                <h2 class="nav-section">{ "Account" }</h2>
                if props.session.is_admin() {
                    <NavLink to={Route::Members} id="nav-members" label="Members" />
                    <NavLink to={Route::ApiTokens} id="nav-api-tokens" label="API tokens" />
                    <NavLink to={Route::Webhooks} id="nav-webhooks" label="Webhooks" />
                }
                <NavLink to={Route::Account} id="nav-account" label="My account" />
            </nav>
            <main class="content">
                { props.children.clone() }
            </main>
        </div>
    }
}
