//! Shows why something failed, in plain words (a problem's `detail`), never raw JSON.

use web_sys::{Element, ScrollIntoViewOptions, ScrollLogicalPosition};
use yew::prelude::*;

use crate::api::ApiError;

#[derive(Properties, PartialEq)]
pub struct ProblemBannerProps {
    pub error: Option<ApiError>,
}

/// A failed API call.
#[component]
pub fn ProblemBanner(props: &ProblemBannerProps) -> Html {
    let Some(error) = &props.error else {
        return Html::default();
    };
    html! {
        <ErrorBanner
            message={error.message()}
            reference={error.request_id().map(|id| AttrValue::from(id.to_owned()))}
        />
    }
}

#[derive(Properties, PartialEq)]
pub struct ErrorBannerProps {
    pub message: AttrValue,
    /// The request id to quote to support.
    #[prop_or_default]
    pub reference: Option<AttrValue>,
}

/// A message about something that went wrong (also used for checks made before sending).
/// It scrolls into view, so a failure after a click far down a table is not missed.
#[component]
pub fn ErrorBanner(props: &ErrorBannerProps) -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with(props.message.clone(), move |_| {
            if let Some(element) = node.cast::<Element>() {
                let options = ScrollIntoViewOptions::new();
                options.set_block(ScrollLogicalPosition::Nearest);
                element.scroll_into_view_with_scroll_into_view_options(&options);
            }
        });
    }
    html! {
        <div class="error banner" role="alert" ref={node}>
            <p class="error-detail">{ props.message.clone() }</p>
            if let Some(reference) = &props.reference {
                <p class="error-reference">
                    { "Reference for support: " }<code>{ reference.clone() }</code>
                </p>
            }
        </div>
    }
}
