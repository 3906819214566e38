//! A one-time secret (a temporary password, a new API token), shown once with a copy button.

use wasm_bindgen_futures::JsFuture;
use yew::platform::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SecretCalloutProps {
    /// The id of the callout; the secret itself is in `#{id}-value`.
    pub id: AttrValue,
    pub title: AttrValue,
    pub secret: AttrValue,
    /// What to do with it, e.g. who to pass it to.
    pub hint: AttrValue,
    pub ondismiss: Callback<()>,
}

#[derive(Clone, Copy, PartialEq)]
enum CopyState {
    Idle,
    Copied,
    Failed,
}

#[component]
pub fn SecretCallout(props: &SecretCalloutProps) -> Html {
    let copy_state = use_state(|| CopyState::Idle);

    let oncopy = {
        let secret = props.secret.to_string();
        let copy_state = copy_state.clone();
        Callback::from(move |_: MouseEvent| {
            let secret = secret.clone();
            let copy_state = copy_state.clone();
            spawn_local(async move {
                let copied = copy_to_clipboard(&secret).await;
                copy_state.set(if copied {
                    CopyState::Copied
                } else {
                    CopyState::Failed
                });
            });
        })
    };
    let ondismiss = {
        let ondismiss = props.ondismiss.clone();
        Callback::from(move |_: MouseEvent| ondismiss.emit(()))
    };
    let copy_label = match *copy_state {
        CopyState::Idle => "Copy",
        CopyState::Copied => "Copied",
        CopyState::Failed => "Copy failed: select and copy",
    };

    html! {
        <div class="callout secret-callout" id={props.id.clone()} role="status">
            <h2>{ props.title.clone() }</h2>
            <div class="secret-row">
                <code class="secret" id={format!("{}-value", props.id)}>{ props.secret.clone() }</code>
                <button type="button" class="button secondary copy-secret" onclick={oncopy}>
                    { copy_label }
                </button>
            </div>
            <p class="hint">
                { props.hint.clone() }
                { " It will not be shown again." }
            </p>
            <button type="button" class="button secondary dismiss-secret" onclick={ondismiss}>
                { "Done" }
            </button>
        </div>
    }
}

/// Writes text to the clipboard; false where the browser does not allow it (e.g. plain http).
async fn copy_to_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let clipboard = window.navigator().clipboard();
    if clipboard.is_undefined() {
        return false;
    }
    JsFuture::from(clipboard.write_text(text)).await.is_ok()
}
