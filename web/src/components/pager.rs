//! "First page" and "Next page" under a cursor-paged list.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PagerProps {
    /// The list's name: the buttons are `#{id}-first-page` and `#{id}-next-page`.
    pub id: AttrValue,
    /// 1 for the first page.
    pub page_number: u32,
    pub has_next: bool,
    /// A page is being fetched.
    #[prop_or_default]
    pub busy: bool,
    pub on_first: Callback<()>,
    pub on_next: Callback<()>,
}

#[component]
pub fn Pager(props: &PagerProps) -> Html {
    if props.page_number <= 1 && !props.has_next {
        return Html::default();
    }
    let on_first = props.on_first.reform(|_: MouseEvent| ());
    let on_next = props.on_next.reform(|_: MouseEvent| ());
    html! {
        <nav class="pager" aria-label="Pages" id={format!("{}-pager", props.id)}>
            <button
                type="button"
                id={format!("{}-first-page", props.id)}
                class="button secondary small"
                disabled={props.busy || props.page_number <= 1}
                onclick={on_first}
            >
                { "First page" }
            </button>
            <span class="pager-position" id={format!("{}-page-number", props.id)}>
                { format!("Page {}", props.page_number) }
            </span>
            <button
                type="button"
                id={format!("{}-next-page", props.id)}
                class="button secondary small"
                disabled={props.busy || !props.has_next}
                onclick={on_next}
            >
                { "Next page" }
            </button>
        </nav>
    }
}
