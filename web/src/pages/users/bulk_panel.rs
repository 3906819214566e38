//! Bulk add service: users pasted one per line, or ticked in the table, with a voice profile.
//! A preview comes first (who would get which number, who would be refused and why); applying
//! it starts the job, whose progress and outcomes follow. An admin can then roll the job back,
//! itself a job followed the same way. The jobs shown are in the page's address
//! (`/users?bulk=…&rollback=…`), so a reload, or the link sent to an admin, shows them again.

use std::rc::Rc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::jobs::JobStatus;
use shared::phone_service::{
    BulkAccepted, BulkItem, BulkItemOutcome, BulkRequest, BulkStatus, Preview, PreviewRequest,
    PreviewRow,
};
use shared::problem::ConflictCode;
use shared::voice_profiles::VoiceProfile;
use uuid::Uuid;
use yew::platform::spawn_local;
use yew::prelude::*;
use yew_router::prelude::{use_location, use_navigator};

use super::profile_select::ProfileSelect;
use crate::api::{self, ApiError};
use crate::components::form::textarea_value;
use crate::components::problem_banner::{ErrorBanner, ProblemBanner};
use crate::components::progress::{ProgressBar, ProgressTone};
use crate::hooks::{use_poll, Api};
use crate::labels;
use crate::route::Route;

/// The jobs shown, in the page's address.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
struct ShownJobs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bulk: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rollback: Option<Uuid>,
}

/// A job this panel follows.
#[derive(Clone, Copy, PartialEq)]
enum Run {
    Bulk,
    Rollback,
}

/// A preview shown, with what it was asked for (applying it sends the same).
#[derive(Clone, PartialEq)]
struct Previewed {
    profile: Option<Uuid>,
    preview: Preview,
    /// Whether the users came from the textarea (else from the ticks).
    from_text: bool,
}

impl Previewed {
    /// The users, as given, that would succeed: those the bulk is started with.
    fn to_apply(&self) -> Vec<String> {
        self.preview
            .rows
            .iter()
            .filter(|row| row.would_succeed)
            .map(|row| row.user.clone())
            .collect()
    }
}

#[derive(Clone, PartialEq, Default)]
struct BulkState {
    /// The textarea: user principal names or object ids, one per line. Kept after a run.
    text: String,
    /// The profile chosen; `None` until one is (the default is shown chosen).
    profile: Option<Uuid>,
    previewing: bool,
    previewed: Option<Previewed>,
    starting: bool,
    /// The job accepted last.
    accepted: Option<BulkAccepted>,
    /// Its latest status.
    status: Option<BulkStatus>,
    /// The rollback of that job, once started, and its latest status.
    rollback: Option<BulkAccepted>,
    rollback_status: Option<BulkStatus>,
    confirming_rollback: bool,
    rolling_back: bool,
    /// The job being followed, until it finishes.
    following: Option<(Uuid, Run)>,
    error: Option<ApiError>,
    invalid: Option<&'static str>,
}

enum BulkAction {
    Text(String),
    Profile(Option<Uuid>),
    Invalid(&'static str),
    Previewing,
    Previewed(Previewed),
    CancelPreview,
    Starting,
    Started(BulkAccepted),
    Progress(Run, BulkStatus),
    /// A job named in the page's address, as it stands.
    Restored(Run, BulkStatus),
    AskRollback(bool),
    RollingBack,
    RollbackStarted(BulkAccepted),
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
                // A preview of other users would be applied to the wrong list.
                if next.previewed.as_ref().is_some_and(|p| p.from_text) {
                    next.previewed = None;
                }
            }
            BulkAction::Profile(profile) => {
                next.profile = profile;
                next.previewed = None;
            }
            BulkAction::Invalid(message) => next.invalid = Some(message),
            BulkAction::Previewing => {
                next.previewing = true;
                next.previewed = None;
                next.error = None;
                next.invalid = None;
            }
            BulkAction::Previewed(previewed) => {
                next.previewing = false;
                next.previewed = Some(previewed);
            }
            BulkAction::CancelPreview => next.previewed = None,
            BulkAction::Starting => {
                next.starting = true;
                next.error = None;
                next.invalid = None;
            }
            BulkAction::Started(accepted) => {
                next.starting = false;
                next.previewed = None;
                next.following = Some((accepted.job_id, Run::Bulk));
                next.accepted = Some(accepted);
                next.status = None;
                next.rollback = None;
                next.rollback_status = None;
                next.confirming_rollback = false;
            }
            BulkAction::Progress(run, status) => {
                if status.job.status.is_finished() {
                    next.following = None;
                }
                match run {
                    Run::Bulk => next.status = Some(status),
                    Run::Rollback => next.rollback_status = Some(status),
                }
            }
            BulkAction::Restored(run, status) => {
                let accepted = BulkAccepted {
                    job_id: status.job.id,
                    users: u32::try_from(status.items.len()).unwrap_or(u32::MAX),
                };
                if !status.job.status.is_finished() {
                    next.following = Some((accepted.job_id, run));
                }
                match run {
                    Run::Bulk => {
                        next.accepted = Some(accepted);
                        next.status = Some(status);
                    }
                    Run::Rollback => {
                        next.rollback = Some(accepted);
                        next.rollback_status = Some(status);
                    }
                }
            }
            BulkAction::AskRollback(asking) => {
                next.confirming_rollback = asking;
                next.error = None;
            }
            BulkAction::RollingBack => {
                next.rolling_back = true;
                next.error = None;
            }
            BulkAction::RollbackStarted(accepted) => {
                next.rolling_back = false;
                next.confirming_rollback = false;
                next.following = Some((accepted.job_id, Run::Rollback));
                next.rollback = Some(accepted);
                next.rollback_status = None;
            }
            BulkAction::Failed(error) => {
                next.error = Some(error);
                next.previewing = false;
                next.starting = false;
                next.rolling_back = false;
                next.confirming_rollback = false;
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

/// The profile a change names: the one chosen, else the account's default.
pub fn profile_to_send(chosen: Option<Uuid>, profiles: &[VoiceProfile]) -> Option<Uuid> {
    chosen.or_else(|| profiles.iter().find(|p| p.is_default).map(|p| p.id))
}

#[derive(Properties, PartialEq)]
pub struct BulkPanelProps {
    pub api: Api,
    /// The user principal names ticked in the table.
    pub selected: Vec<String>,
    /// The account's voice profiles (the default one is preselected).
    pub profiles: Rc<Vec<VoiceProfile>>,
    /// Admins: a finished bulk job can be rolled back.
    pub can_roll_back: bool,
    /// A job was accepted (the ticks can go).
    pub on_started: Callback<()>,
    /// A job finished: the users list is worth fetching again.
    pub on_finished: Callback<()>,
}

#[component]
pub fn BulkPanel(props: &BulkPanelProps) -> Html {
    let state = use_reducer(BulkState::default);
    let navigator = use_navigator();
    let location = use_location();

    // The jobs the address names: shown again, and followed while they run.
    {
        let shown = location
            .and_then(|l| l.query::<ShownJobs>().ok())
            .unwrap_or_default();
        let (api, state) = (props.api.clone(), state.dispatcher());
        use_effect_with((), move |_| {
            spawn_local(async move {
                for (job, run) in [(shown.bulk, Run::Bulk), (shown.rollback, Run::Rollback)] {
                    let Some(job_id) = job else { continue };
                    match api::bulk_status(api.token(), job_id).await {
                        Ok(status) => state.dispatch(BulkAction::Restored(run, status)),
                        Err(error) => {
                            if let Some(error) = api.check(error) {
                                state.dispatch(BulkAction::Failed(error));
                            }
                            return;
                        }
                    }
                }
            });
        });
    }
    // Keep the address in step with the jobs shown.
    {
        let shown = ShownJobs {
            bulk: state.accepted.as_ref().map(|a| a.job_id),
            rollback: state.rollback.as_ref().map(|a| a.job_id),
        };
        use_effect_with(shown, move |shown| {
            if shown.bulk.is_some() {
                if let Some(navigator) = navigator {
                    let _ = navigator.replace_with_query(&Route::Users, shown);
                }
            }
        });
    }

    {
        let following = state.following;
        let (api, state, on_finished) = (
            props.api.clone(),
            state.dispatcher(),
            props.on_finished.clone(),
        );
        use_poll(following, Duration::from_secs(1), move |(job_id, run)| {
            let (api, state, on_finished) = (api.clone(), state.clone(), on_finished.clone());
            async move {
                match api::bulk_status(api.token(), job_id).await {
                    Ok(status) => {
                        let finished = status.job.status.is_finished();
                        state.dispatch(BulkAction::Progress(run, status));
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

    let profile = profile_to_send(state.profile, &props.profiles);
    let preview = {
        let (api, state) = (props.api.clone(), state.dispatcher());
        Callback::from(move |(users, from_text): (Vec<String>, bool)| {
            if users.is_empty() {
                return state.dispatch(BulkAction::Invalid(
                    "Enter at least one user principal name or object id, one per line.",
                ));
            }
            state.dispatch(BulkAction::Previewing);
            let (api, state) = (api.clone(), state.clone());
            spawn_local(async move {
                let body = PreviewRequest {
                    users,
                    profile,
                    number: None,
                };
                match api::preview_phone_service(api.token(), &body).await {
                    Ok(preview) => state.dispatch(BulkAction::Previewed(Previewed {
                        profile,
                        preview,
                        from_text,
                    })),
                    Err(error) => {
                        if let Some(error) = api.check(error) {
                            state.dispatch(BulkAction::Failed(error));
                        }
                    }
                }
            });
        })
    };
    let on_apply = {
        let previewed = state.previewed.clone();
        let (api, state, on_started) = (
            props.api.clone(),
            state.dispatcher(),
            props.on_started.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(previewed) = previewed.clone() else {
                return;
            };
            let users = previewed.to_apply();
            if users.is_empty() {
                return;
            }
            state.dispatch(BulkAction::Starting);
            let (api, state, on_started) = (api.clone(), state.clone(), on_started.clone());
            spawn_local(async move {
                let body = BulkRequest {
                    users,
                    profile: previewed.profile,
                };
                match api::start_bulk(api.token(), &body).await {
                    Ok(accepted) => {
                        state.dispatch(BulkAction::Started(accepted));
                        if !previewed.from_text {
                            on_started.emit(());
                        }
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
        let (preview, text) = (preview.clone(), state.text.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            preview.emit((parse_users(&text), true));
        })
    };
    let on_selected = {
        let (preview, selected) = (preview.clone(), props.selected.clone());
        Callback::from(move |_: MouseEvent| preview.emit((selected.clone(), false)))
    };
    let on_text = {
        let state = state.dispatcher();
        Callback::from(move |event: InputEvent| {
            state.dispatch(BulkAction::Text(textarea_value(&event)))
        })
    };
    let on_profile = {
        let state = state.dispatcher();
        Callback::from(move |profile: Option<Uuid>| state.dispatch(BulkAction::Profile(profile)))
    };
    let on_cancel_preview = {
        let state = state.dispatcher();
        Callback::from(move |_: MouseEvent| state.dispatch(BulkAction::CancelPreview))
    };
    let on_ask_rollback = {
        let state = state.dispatcher();
        Callback::from(move |asking: bool| state.dispatch(BulkAction::AskRollback(asking)))
    };
    let on_rollback = {
        let job = state.accepted.as_ref().map(|a| a.job_id);
        let (api, state) = (props.api.clone(), state.dispatcher());
        Callback::from(move |_: MouseEvent| {
            let Some(job_id) = job else {
                return;
            };
            state.dispatch(BulkAction::RollingBack);
            let (api, state) = (api.clone(), state.clone());
            spawn_local(async move {
                match api::roll_back_bulk(api.token(), job_id).await {
                    Ok(accepted) => state.dispatch(BulkAction::RollbackStarted(accepted)),
                    Err(error) => {
                        if let Some(error) = api.check(error) {
                            state.dispatch(BulkAction::Failed(error));
                        }
                    }
                }
            });
        })
    };

    let busy = state.previewing || state.starting || state.following.is_some();
    let count = props.selected.len();
    let bulk_finished = state
        .status
        .as_ref()
        .is_some_and(|s| s.job.status.is_finished());

    html! {
        <form id="bulk-panel" class="card bulk-panel form" onsubmit={on_submit}>
            <h2>{ "Bulk add service" }</h2>
            <p class="muted">
                { "Give phone service to many users at once: paste their user principal names or object ids, \
                   one per line, or tick them in the table below. You see what would happen before anything changes." }
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
            if !props.profiles.is_empty() {
                <div class="inline-fields">
                    <div class="field grow">
                        <label for="bulk-profile">{ "Voice profile" }</label>
                        <ProfileSelect
                            id="bulk-profile"
                            profiles={Rc::clone(&props.profiles)}
                            chosen={state.profile}
                            disabled={busy}
                            on_choose={on_profile}
                        />
                    </div>
                </div>
            }
            if let Some(message) = state.invalid {
                <ErrorBanner {message} />
            }
            <div id="bulk-error">
                { bulk_error(state.error.as_ref()) }
            </div>
            <div class="form-actions">
                <button id="bulk-preview" type="submit" class="button primary" disabled={busy}>
                    { if state.previewing { "Checking…" } else { "Preview" } }
                </button>
                <button
                    id="bulk-selected"
                    type="button"
                    class="button secondary"
                    disabled={busy || count == 0}
                    onclick={on_selected}
                >
                    { match count {
                        0 => "Preview for selected".to_owned(),
                        1 => "Preview for 1 selected user".to_owned(),
                        n => format!("Preview for {n} selected users"),
                    } }
                </button>
            </div>
            if let Some(previewed) = &state.previewed {
                { preview_panel(previewed, busy, on_apply, on_cancel_preview) }
            }
            if let Some(accepted) = &state.accepted {
                { progress("bulk-progress", Run::Bulk, accepted, state.status.as_ref()) }
            }
            if let Some(status) = &state.status {
                { outcomes("bulk", status) }
            }
            if props.can_roll_back && bulk_finished && state.rollback.is_none() {
                { rollback_actions(&state, on_ask_rollback, on_rollback) }
            }
            if let Some(rollback) = &state.rollback {
                <h3 class="section-title">{ "Rollback" }</h3>
                { progress("rollback-progress", Run::Rollback, rollback, state.rollback_status.as_ref()) }
                if let Some(status) = &state.rollback_status {
                    { outcomes("rollback", status) }
                }
            }
        </form>
    }
}

/// Why the panel's last request failed; a rollback started already, or a bulk job still
/// running, are explained in the panel's terms.
fn bulk_error(error: Option<&ApiError>) -> Html {
    let Some(error) = error else {
        return Html::default();
    };
    let reference = error.request_id().map(|id| AttrValue::from(id.to_owned()));
    let message = match error.conflict() {
        Some(ConflictCode::RollbackStarted) => format!(
            "{} Its outcome shows in the audit log and on each user.",
            error.message()
        ),
        Some(ConflictCode::BulkJobUnfinished) => {
            format!("{} Wait for it to finish, then try again.", error.message())
        }
        _ => return html! { <ProblemBanner error={Some(error.clone())} /> },
    };
    html! { <ErrorBanner {message} {reference} /> }
}

fn preview_panel(
    previewed: &Previewed,
    busy: bool,
    on_apply: Callback<MouseEvent>,
    on_cancel: Callback<MouseEvent>,
) -> Html {
    let preview = &previewed.preview;
    let to_apply = previewed.to_apply().len();
    let profile = preview
        .profile
        .as_ref()
        .map(|p| format!(" with the profile {}", p.name))
        .unwrap_or_default();
    html! {
        <div id="bulk-preview-result" class="bulk-results preview-result"
            data-would-succeed={preview.would_succeed.to_string()}
            data-would-fail={preview.would_fail.to_string()}>
            <p id="bulk-preview-summary" class="bulk-summary">
                { format!(
                    "Preview{profile}: {} would succeed · {} would fail. Nothing has changed yet.",
                    preview.would_succeed, preview.would_fail
                ) }
            </p>
            if let Some(profile) = &preview.profile {
                { for profile.warnings.iter().map(|warning| html! {
                    <p class="banner warning profile-warning">{ warning.clone() }</p>
                }) }
            }
            <ul id="bulk-preview-rows" class="bulk-outcomes">
                { for preview.rows.iter().map(preview_row) }
            </ul>
            <div class="form-actions">
                <button id="bulk-apply" type="button" class="button primary"
                    disabled={busy || to_apply == 0} onclick={on_apply}>
                    { match to_apply {
                        0 => "No user to apply to".to_owned(),
                        1 => "Apply to 1 user".to_owned(),
                        n => format!("Apply to {n} users"),
                    } }
                </button>
                <button id="bulk-preview-cancel" type="button" class="button secondary" disabled={busy} onclick={on_cancel}>
                    { "Cancel" }
                </button>
            </div>
            if preview.would_fail > 0 && to_apply > 0 {
                <p class="hint">{ "The users who would fail are left out; fix what is listed and preview them again." }</p>
            }
        </div>
    }
}

/// One row of a preview (also used for a single user's).
pub fn preview_row(row: &PreviewRow) -> Html {
    let key = if row.would_succeed {
        "assigned"
    } else {
        "failed"
    };
    html! {
        <li class={classes!("bulk-outcome", "preview-row", key)}
            data-user={row.user.clone()}
            data-would-succeed={row.would_succeed.to_string()}>
            <span class="bulk-user">
                { row.display_name.clone().unwrap_or_else(|| row.user.clone()) }
                if row.display_name.is_some() {
                    <span class="muted">{ format!(" {}", row.user) }</span>
                }
            </span>
            <span class={classes!("outcome-tag", key)}>
                { if row.would_succeed { "Would succeed" } else { "Would fail" } }
            </span>
            if let Some(number) = &row.number {
                <span class="bulk-number e164 preview-number">{ number.clone() }</span>
            }
            { for row.problems.iter().map(|problem| html! {
                <span class="bulk-detail preview-problem">{ problem.clone() }</span>
            }) }
            { for row.notes.iter().map(|note| html! {
                <span class="bulk-detail preview-note">{ note.clone() }</span>
            }) }
        </li>
    }
}

fn rollback_actions(
    state: &BulkState,
    on_ask: Callback<bool>,
    on_rollback: Callback<MouseEvent>,
) -> Html {
    let ask = on_ask.reform(|_: MouseEvent| true);
    let cancel = on_ask.reform(|_: MouseEvent| false);
    html! {
        <div class="form-actions rollback-actions">
            if state.confirming_rollback {
                <span class="confirm-text">
                    { "Take away the service this bulk gave (numbers, policies and location)? Users changed since are left alone." }
                </span>
                <button id="bulk-rollback-confirm" type="button" class="button danger"
                    disabled={state.rolling_back} onclick={on_rollback}>
                    { if state.rolling_back { "Starting…" } else { "Roll back" } }
                </button>
                <button id="bulk-rollback-cancel" type="button" class="button secondary"
                    disabled={state.rolling_back} onclick={cancel}>
                    { "Cancel" }
                </button>
            } else {
                <button id="bulk-rollback" type="button" class="button secondary" onclick={ask}>
                    { "Roll back this bulk" }
                </button>
            }
        </div>
    }
}

fn progress(
    id: &'static str,
    run: Run,
    accepted: &BulkAccepted,
    status: Option<&BulkStatus>,
) -> Html {
    let users = accepted.users;
    let Some(status) = status else {
        let doing = match run {
            Run::Bulk => "Starting",
            Run::Rollback => "Starting the rollback",
        };
        return html! {
            <ProgressBar {id} percent={None::<u8>}
                label={format!("{doing}: {users} {}…", plural(users as usize, "user", "users"))} />
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
    let label = match (job.status, run) {
        (JobStatus::Succeeded, Run::Bulk) => {
            format!("Done: {total} {}", plural(total, "user", "users"))
        }
        (JobStatus::Succeeded, Run::Rollback) => {
            format!("Rolled back: {total} {}", plural(total, "user", "users"))
        }
        (JobStatus::Failed, Run::Bulk) => format!(
            "The bulk job stopped: {}",
            job.last_error.as_deref().unwrap_or("no reason was given")
        ),
        (JobStatus::Failed, Run::Rollback) => format!(
            "The rollback stopped: {}",
            job.last_error.as_deref().unwrap_or("no reason was given")
        ),
        (JobStatus::Queued | JobStatus::Running, Run::Bulk) => {
            format!("Adding service: {settled} of {total} users done")
        }
        (JobStatus::Queued | JobStatus::Running, Run::Rollback) => {
            format!("Rolling back: {settled} of {total} users done")
        }
    };
    html! { <ProgressBar {id} {percent} {label} {tone} /> }
}

/// The tally and each user's outcome; `prefix` names the ids (`bulk-summary`, `rollback-outcomes`).
fn outcomes(prefix: &'static str, status: &BulkStatus) -> Html {
    let tally = |outcome| {
        status
            .items
            .iter()
            .filter(|item| item.outcome == outcome)
            .count()
    };
    let summary = BulkItemOutcome::ALL
        .into_iter()
        .map(|outcome| (outcome, tally(outcome)))
        .filter(|(_, n)| *n > 0)
        .map(|(outcome, n)| format!("{}: {n}", labels::bulk_outcome(outcome)))
        .collect::<Vec<_>>()
        .join(" · ");
    html! {
        <div class="bulk-results">
            <p id={format!("{prefix}-summary")} class="bulk-summary">{ summary }</p>
            <ul id={format!("{prefix}-outcomes")} class="bulk-outcomes">
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
