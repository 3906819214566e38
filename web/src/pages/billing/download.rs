//! "Download CSV": the month's report as CSV, fetched with the bearer token and saved through
//! the browser.

use yew::platform::spawn_local;
use yew::prelude::*;

use super::month::Month;
use crate::api::{self, ApiError};
use crate::components::problem_banner::{ErrorBanner, ProblemBanner};
use crate::download::save_text;
use crate::hooks::Api;

#[derive(Clone, PartialEq)]
enum State {
    Idle,
    Fetching,
    Saved(String),
    Failed(ApiError),
    /// The browser would not make the file.
    NotSaved,
}

#[derive(Properties, PartialEq)]
pub struct CsvDownloadProps {
    pub api: Api,
    pub month: Month,
}

#[component]
pub fn CsvDownload(props: &CsvDownloadProps) -> Html {
    let state = use_state(|| State::Idle);
    {
        // Another month: the last download's message is about the old one.
        let state = state.clone();
        use_effect_with(props.month, move |_| state.set(State::Idle));
    }
    let on_click = {
        let (api, month, state) = (props.api.clone(), props.month, state.clone());
        Callback::from(move |_: MouseEvent| {
            let (api, state) = (api.clone(), state.clone());
            state.set(State::Fetching);
            spawn_local(async move {
                let month = month.to_string();
                match api::usage_csv(api.token(), &month).await {
                    Ok(csv) => {
                        let name = format!("usage-{month}.csv");
                        state.set(if save_text(&name, "text/csv", &csv) {
                            State::Saved(name)
                        } else {
                            State::NotSaved
                        });
                    }
                    Err(error) => match api.check(error) {
                        Some(error) => state.set(State::Failed(error)),
                        None => state.set(State::Idle),
                    },
                }
            });
        })
    };
    html! {
        <div class="csv-download">
            <button
                id="billing-download-csv"
                type="button"
                class="button secondary"
                disabled={*state == State::Fetching}
                onclick={on_click}
            >
                { if *state == State::Fetching { "Preparing CSV…" } else { "Download CSV" } }
            </button>
            if let State::Saved(name) = &*state {
                <span id="billing-download-status" class="muted" data-file={name.clone()}>
                    { format!("Saved {name}") }
                </span>
            }
            if let State::Failed(error) = &*state {
                <ProblemBanner error={Some(error.clone())} />
            }
            if *state == State::NotSaved {
                <ErrorBanner message="The browser did not save the file. Try again, or use another browser." />
            }
        </div>
    }
}
