//! Bulk add service: users pasted one per line, or ticked in the table; the job's progress
//! and each user's outcome.

use std::rc::Rc;
use std::time::Duration;

use shared::jobs::JobStatus;
use shared::phone_service::{BulkAccepted, BulkItem, BulkItemOutcome, BulkRequest, BulkStatus};
use uuid::Uuid;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::components::form::textarea_value;
use crate::components::problem_banner::{ErrorBanner, ProblemBanner};
use crate::components::progress::{ProgressBar, ProgressTone};
use crate::hooks::{use_poll, Api};
use crate::labels;

#[derive(Clone, PartialEq, Default)]
struct BulkState {
    /// The textarea: user principal names or object ids, one per line.
    text: String,
    starting: bool,
    /// The job accepted last.
    accepted: Option<BulkAccepted>,
    /// Its latest status.
    status: Option<BulkStatus>,
    /// The job being followed, until it finishes.
    following: Option<Uuid>,
    error: Option<ApiError>,
    invalid: Option<&'static str>,
}

enum BulkAction {
    Text(String),
    Invalid(&'static str),
    Starting,
    Started {
        accepted: BulkAccepted,
        from_text: bool,
    },
    Progress(BulkStatus),
    Failed(ApiError),
}

impl Reducible for BulkState {
    type Action = BulkAction;

    fn reduce(self: Rc<Self>, action: BulkAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            BulkAction::Text(text) => {
                next.text = text;
                next.invalid = None;
            }
            BulkAction::Invalid(message) => next.invalid = Some(message),
            BulkAction::Starting => {
                next.starting = true;
                next.error = None;
                next.invalid = None;
            }
            BulkAction::Started {
                accepted,
                from_text,
            } => {
                next.starting = false;
                next.following = Some(accepted.job_id);
                next.accepted = Some(accepted);
                next.status = None;
                if from_text {
                    next.text.clear();
                }
            }
            BulkAction::Progress(status) => {
                if status.job.status.is_finished() {
                    next.following = None;
                }
                next.status = Some(status);
            }
            BulkAction::Failed(error) => {
                next.error = Some(error);
                next.starting = false;
                next.following = None;
            }
        }
        Rc::new(next)
    }
}

/// The users named in the textarea: split on new lines, commas, semicolons and blanks, each
/// once, in the order given.
fn parse_users(text: &str) -> Vec<String> {
    let mut users: Vec<String> = Vec::new();
    for user in text
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|user| !user.is_empty())
    {
        if !users.iter().any(|seen| seen.eq_ignore_ascii_case(user)) {
            users.push(user.to_owned());
        }
    }
    users
}

#[derive(Properties, PartialEq)]
pub struct BulkPanelProps {
    pub api: Api,
    /// The user principal names ticked in the table.
    pub selected: Vec<String>,
    /// A job was accepted (the ticks can go).
    pub on_started: Callback<()>,
    /// The job finished: the users list is worth fetching again.
    pub on_finished: Callback<()>,
}

#[component]
pub fn BulkPanel(props: &BulkPanelProps) -> Html {
    let state = use_reducer(BulkState::default);

    {
        let following = state.following;
        let (api, state, on_finished) = (
            props.api.clone(),
            state.dispatcher(),
            props.on_finished.clone(),
        );
        use_poll(following, Duration::from_secs(1), move |job_id| {
            let (api, state, on_finished) = (api.clone(), state.clone(), on_finished.clone());
            async move {
                match api::bulk_status(api.token(), job_id).await {
                    Ok(status) => {
                        let finished = status.job.status.is_finished();
                        state.dispatch(BulkAction::Progress(status));
                        if finished {
                            on_finished.emit(());
                        }
                        !finished
                    }
                    Err(error) => {
                        if let Some(error) = api.check(error) {
                            state.dispatch(BulkAction::Failed(error));
                        }
                        false
                    }
                }
            }
        });
    }

    let start = {
        let (api, state, on_started) = (
            props.api.clone(),
            state.dispatcher(),
            props.on_started.clone(),
        );
        Callback::from(move |(users, from_text): (Vec<String>, bool)| {
            if users.is_empty() {
                return state.dispatch(BulkAction::Invalid(
                    "Enter at least one user principal name or object id, one per line.",
                ));
            }
            state.dispatch(BulkAction::Starting);
            let (api, state, on_started) = (api.clone(), state.clone(), on_started.clone());
            spawn_local(async move {
                match api::start_bulk(api.token(), &BulkRequest { users }).await {
                    Ok(accepted) => {
                        state.dispatch(BulkAction::Started {
                            accepted,
                            from_text,
                        });
                        on_started.emit(());
                    }
                    Err(error) => {
                        if let Some(error) = api.check(error) {
                            state.dispatch(BulkAction::Failed(error));
                        }
                    }
                }
            });
        })
    };
    let on_submit = {
        let (start, text) = (start.clone(), state.text.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            start.emit((parse_users(&text), true));
        })
    };
    let on_selected = {
        let (start, selected) = (start.clone(), props.selected.clone());
        Callback::from(move |_: MouseEvent| start.emit((selected.clone(), false)))
    };
    let on_text = {
        let state = state.dispatcher();
        Callback::from(move |event: InputEvent| {
            state.dispatch(BulkAction::Text(textarea_value(&event)))
        })
    };

    let busy = state.starting || state.following.is_some();
    let count = props.selected.len();

    html! {
        <form id="bulk-panel" class="card bulk-panel form" onsubmit={on_submit}>
            <h2>{ "Bulk add service" }</h2>
            <p class="muted">
                { "Give phone service to many users at once: paste their user principal names or object ids, \
                   one per line, or tick them in the table below. An available number is chosen for each." }
            </p>
            <label for="bulk-users">{ "Users" }</label>
            <textarea
                id="bulk-users"
                rows="4"
                placeholder={"adele.vance@contoso.example\nalex.wilber@contoso.example"}
                value={state.text.clone()}
                oninput={on_text}
                disabled={busy}
            />
            if let Some(message) = state.invalid {
                <ErrorBanner {message} />
            }
            <ProblemBanner error={state.error.clone()} />
            <div class="form-actions">
                <button id="bulk-start" type="submit" class="button primary" disabled={busy}>
                    { "Add service" }
                </button>
                <button
                    id="bulk-selected"
                    type="button"
                    class="button secondary"
                    disabled={busy || count == 0}
                    onclick={on_selected}
                >
                    { match count {
                        0 => "Add service for selected".to_owned(),
                        1 => "Add service for 1 selected user".to_owned(),
                        n => format!("Add service for {n} selected users"),
                    } }
                </button>
            </div>
            if let Some(accepted) = &state.accepted {
                { progress(accepted, state.status.as_ref()) }
            }
            if let Some(status) = &state.status {
                { outcomes(status) }
            }
        </form>
    }
}

fn progress(accepted: &BulkAccepted, status: Option<&BulkStatus>) -> Html {
    let users = accepted.users;
    let Some(status) = status else {
        return html! {
            <ProgressBar id="bulk-progress" percent={None::<u8>}
                label={format!("Starting: {users} {}…", plural(users as usize, "user", "users"))} />
        };
    };
    let job = &status.job;
    let settled = status
        .items
        .iter()
        .filter(|item| item.outcome != BulkItemOutcome::Queued)
        .count();
    let total = status.items.len().max(users as usize);
    let counted = (total > 0).then(|| (settled * 100 / total) as u8);
    let (tone, percent) = match job.status {
        JobStatus::Succeeded => (ProgressTone::Done, Some(100)),
        JobStatus::Failed => (ProgressTone::Failed, job.progress.percent.or(counted)),
        JobStatus::Queued | JobStatus::Running => {
            (ProgressTone::Working, job.progress.percent.or(counted))
        }
    };
    let label = match job.status {
        JobStatus::Succeeded => format!("Done: {total} {}", plural(total, "user", "users")),
        JobStatus::Failed => format!(
            "The bulk job stopped: {}",
            job.last_error.as_deref().unwrap_or("no reason was given")
        ),
        JobStatus::Queued | JobStatus::Running => {
            format!("Adding service: {settled} of {total} users done")
        }
    };
    html! { <ProgressBar id="bulk-progress" {percent} {label} {tone} /> }
}

fn outcomes(status: &BulkStatus) -> Html {
    let tally = |outcome| {
        status
            .items
            .iter()
            .filter(|item| item.outcome == outcome)
            .count()
    };
    let summary = [
        (BulkItemOutcome::Assigned, tally(BulkItemOutcome::Assigned)),
        (
            BulkItemOutcome::AlreadyActive,
            tally(BulkItemOutcome::AlreadyActive),
        ),
        (BulkItemOutcome::Failed, tally(BulkItemOutcome::Failed)),
        (BulkItemOutcome::Queued, tally(BulkItemOutcome::Queued)),
    ];
    html! {
        <div class="bulk-results">
            <p id="bulk-summary" class="bulk-summary">
                { summary
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(outcome, n)| format!("{}: {n}", labels::bulk_outcome(*outcome)))
                    .collect::<Vec<_>>()
                    .join(" · ") }
            </p>
            <ul id="bulk-outcomes" class="bulk-outcomes">
                { for status.items.iter().map(outcome_item) }
            </ul>
        </div>
    }
}

fn outcome_item(item: &BulkItem) -> Html {
    let key = item.outcome.as_str();
    html! {
        <li class={classes!("bulk-outcome", key)} data-user={item.user.clone()} data-outcome={key}>
            <span class="bulk-user">{ item.user.clone() }</span>
            <span class={classes!("outcome-tag", key)}>{ labels::bulk_outcome(item.outcome) }</span>
            if let Some(number) = &item.number {
                <span class="bulk-number e164">{ number.clone() }</span>
            }
            if let Some(detail) = &item.detail {
                <span class="bulk-detail">{ detail.clone() }</span>
            }
        </li>
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::parse_users;

    #[test]
    fn users_are_split_trimmed_and_deduplicated() {
        assert_eq!(
            parse_users(" a@x.example\n\nb@x.example, A@x.example;c\t"),
            vec!["a@x.example", "b@x.example", "c"]
        );
        assert!(parse_users(" \n ").is_empty());
    }
}
