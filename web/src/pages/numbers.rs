//! Numbers: not yet available.

use yew::prelude::*;

use crate::components::not_yet_available::NotYetAvailable;

#[component]
pub fn NumbersPage() -> Html {
    html! {
        <NotYetAvailable
            title="Numbers"
            summary="See your number inventory and which numbers are available, reserved, assigned or ageing, to help you plan capacity."
        />
    }
}
