//! Audit: not yet available.

use yew::prelude::*;

use crate::components::not_yet_available::NotYetAvailable;

#[component]
pub fn AuditPage() -> Html {
    html! {
        <NotYetAvailable
            title="Audit"
            summary="Review every change to your tenant connection and to your users' phone service, with who made it and when."
        />
    }
}
