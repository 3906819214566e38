//! Saving text the app fetched as a file: a Blob, its object URL, and a click on an
//! `<a download>` (the fetch carried the bearer token, which a plain link cannot).

use std::time::Duration;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};
use yew::platform::spawn_local;
use yew::platform::time::sleep;

/// How long the object URL lives after the click (the browser reads it when the save starts).
const KEEP_URL: Duration = Duration::from_secs(30);

/// Offers `text` to the browser as a download named `filename`; false when the browser
/// would not make the file.
pub fn save_text(filename: &str, mime: &str, text: &str) -> bool {
    let Some(document) = web_sys::window().and_then(|window| window.document()) else {
        return false;
    };
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return false;
    };
    let Ok(url) = Url::create_object_url_with_blob(&blob) else {
        return false;
    };
    let Some(anchor) = document
        .create_element("a")
        .ok()
        .and_then(|element| element.dyn_into::<HtmlAnchorElement>().ok())
    else {
        let _ = Url::revoke_object_url(&url);
        return false;
    };
    anchor.set_href(&url);
    anchor.set_download(filename);
    anchor.set_hidden(true);
    let Some(body) = document.body() else {
        let _ = Url::revoke_object_url(&url);
        return false;
    };
    if body.append_child(&anchor).is_err() {
        let _ = Url::revoke_object_url(&url);
        return false;
    }
    anchor.click();
    anchor.remove();
    spawn_local(async move {
        sleep(KEEP_URL).await;
        let _ = Url::revoke_object_url(&url);
    });
    true
}
