//! The card around a list's table: "Loading…" before the first answer, a sentence when the
//! list is empty, the table otherwise.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ListCardProps {
    /// How many items are shown; `None` until the first answer.
    pub count: Option<usize>,
    /// The list could not be fetched (the page shows why).
    #[prop_or_default]
    pub failed: bool,
    /// A fetch is under way (the table stays, marked busy).
    #[prop_or_default]
    pub busy: bool,
    pub loading_text: AttrValue,
    pub empty_text: AttrValue,
    /// The table.
    #[prop_or_default]
    pub children: Html,
}

#[component]
pub fn ListCard(props: &ListCardProps) -> Html {
    let body = match props.count {
        None if props.failed => Html::default(),
        None => html! { <p class="loading">{ props.loading_text.clone() }</p> },
        Some(0) => html! { <p class="empty">{ props.empty_text.clone() }</p> },
        Some(_) => props.children.clone(),
    };
    html! {
        <div
            class={classes!("card", "table-card", props.busy.then_some("busy"))}
            aria-busy={props.busy.then_some("true")}
        >
            { body }
        </div>
    }
}
