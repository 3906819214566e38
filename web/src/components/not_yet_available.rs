//! A card for a page whose feature is still to come.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NotYetAvailableProps {
    pub title: AttrValue,
    /// One sentence: what the page will do.
    pub summary: AttrValue,
}

#[component]
pub fn NotYetAvailable(props: &NotYetAvailableProps) -> Html {
    html! {
        <section class="page">
            <header class="page-header">
                <h1>{ props.title.clone() }</h1>
            </header>
            <div class="card not-yet-available">
                <span class="badge">{ "Not yet available" }</span>
                <p>{ props.summary.clone() }</p>
                <p class="muted">{ "This page is being built and will appear here in a coming release." }</p>
            </div>
        </section>
    }
}
