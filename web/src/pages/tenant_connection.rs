//! Tenant connection: not yet available.

use yew::prelude::*;

use crate::components::not_yet_available::NotYetAvailable;

#[component]
pub fn TenantConnectionPage() -> Html {
    html! {
        <NotYetAvailable
            title="Tenant connection"
            summary="Connect your Microsoft 365 tenant through the Tenant Connect app in four steps (sign in, grant tenant-wide consent, assign the Teams Communications Administrator role, verify) and keep an eye on the connection's health."
        />
    }
}
