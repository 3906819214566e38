//! Billing: not yet available.

use yew::prelude::*;

use crate::components::not_yet_available::NotYetAvailable;

#[component]
pub fn BillingPage() -> Html {
    html! {
        <NotYetAvailable
            title="Billing"
            summary="See accurate monthly billing based on the users with phone service enabled."
        />
    }
}
