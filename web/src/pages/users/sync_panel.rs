//! When the directory was last synced, "Sync now", and the sync's progress.

use std::rc::Rc;
use std::time::Duration;

use shared::directory::SyncStatus;
use shared::jobs::{Job, JobStatus};
use shared::problem::ConflictCode;
use uuid::Uuid;
use yew::platform::spawn_local;
use yew::prelude::*;
use yew_router::prelude::Link;

use crate::api::{self, ApiError};
use crate::components::problem_banner::{ErrorBanner, ProblemBanner};
use crate::components::progress::{ProgressBar, ProgressTone};
use crate::format;
use crate::hooks::{use_poll, Api};
use crate::labels;
use crate::route::Route;

#[derive(Clone, PartialEq, Default)]
struct SyncState {
    status: Option<SyncStatus>,
    /// The latest news of the sync started or found running.
    job: Option<Job>,
    /// The sync being followed, until it finishes.
    following: Option<Uuid>,
    starting: bool,
    error: Option<ApiError>,
}

enum SyncAction {
    Status(SyncStatus),
    Starting,
    Started(Job),
    Progress(Job),
    Failed(ApiError),
}

impl Reducible for SyncState {
    type Action = SyncAction;

    fn reduce(self: Rc<Self>, action: SyncAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            SyncAction::Status(status) => {
                // A sync started elsewhere (another tab, a colleague) is followed too; one this
                // panel saw finish is not followed again.
                let finished = next
                    .job
                    .as_ref()
                    .filter(|job| job.status.is_finished())
                    .map(|job| job.id);
                if next.following.is_none() && status.job_id != finished {
                    next.following = status.job_id;
                }
                next.status = Some(status);
            }
            SyncAction::Starting => {
                next.starting = true;
                next.error = None;
            }
            SyncAction::Started(job) => {
                next.starting = false;
                next.following = (!job.status.is_finished()).then_some(job.id);
                next.job = Some(job);
            }
            SyncAction::Progress(job) => {
                if job.status.is_finished() {
                    next.following = None;
                }
                next.job = Some(job);
            }
            SyncAction::Failed(error) => {
                next.error = Some(error);
                next.starting = false;
                next.following = None;
            }
        }
        Rc::new(next)
    }
}

async fn load_status(api: &Api, state: &UseReducerDispatcher<SyncState>) {
    match api::sync_status(api.token()).await {
        Ok(status) => state.dispatch(SyncAction::Status(status)),
        Err(error) => {
            if let Some(error) = api.check(error) {
                state.dispatch(SyncAction::Failed(error));
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct SyncPanelProps {
    pub api: Api,
    /// Staff and admins may start a sync.
    pub can_sync: bool,
    /// A sync finished well: the users list is worth fetching again.
    pub on_synced: Callback<()>,
}

#[component]
pub fn SyncPanel(props: &SyncPanelProps) -> Html {
    let state = use_reducer(SyncState::default);

    {
        let (api, state) = (props.api.clone(), state.dispatcher());
        use_effect_with((), move |_| {
            spawn_local(async move { load_status(&api, &state).await });
        });
    }

    {
        let following = state.following;
        let (api, state, on_synced) = (
            props.api.clone(),
            state.dispatcher(),
            props.on_synced.clone(),
        );
        use_poll(following, Duration::from_secs(1), move |id| {
            let (api, state, on_synced) = (api.clone(), state.clone(), on_synced.clone());
            async move {
                match api::job(api.token(), id).await {
                    Ok(job) => {
                        let status = job.status;
                        state.dispatch(SyncAction::Progress(job));
                        if status.is_finished() {
                            load_status(&api, &state).await;
                            if status == JobStatus::Succeeded {
                                on_synced.emit(());
                            }
                        }
                        !status.is_finished()
                    }
                    Err(error) => {
                        if let Some(error) = api.check(error) {
                            state.dispatch(SyncAction::Failed(error));
                        }
                        false
                    }
                }
            }
        });
    }

    let on_sync = {
        let (api, state) = (props.api.clone(), state.dispatcher());
        Callback::from(move |_: MouseEvent| {
            state.dispatch(SyncAction::Starting);
            let (api, state) = (api.clone(), state.clone());
            spawn_local(async move {
                match api::start_sync(api.token()).await {
                    Ok(job) => state.dispatch(SyncAction::Started(job)),
                    Err(error) => {
                        if let Some(error) = api.check(error) {
                            state.dispatch(SyncAction::Failed(error));
                        }
                    }
                }
            });
        })
    };

    let syncing = state.starting || state.following.is_some();
    let not_connected = matches!(
        state.error.as_ref().and_then(ApiError::conflict),
        Some(
            ConflictCode::TenantNotConnected
                | ConflictCode::NotConnected
                | ConflictCode::MissingPermission
                | ConflictCode::ConsentRequired
        )
    );

    html! {
        <div id="sync-panel" class="card sync-panel">
            <div class="sync-summary">
                <div class="sync-facts">
                    <span class="sync-label">{ "Directory" }</span>
                    { last_synced(state.status.as_ref()) }
                    if let Some(status) = &state.status {
                        <span id="directory-count" class="muted">
                            { format!("{} {}", status.users, if status.users == 1 { "user" } else { "users" }) }
                        </span>
                    }
                </div>
                if props.can_sync {
                    <button
                        id="sync-now"
                        type="button"
                        class="button secondary"
                        disabled={syncing}
                        onclick={on_sync}
                    >
                        if syncing {
                            <span class="spinner" aria-hidden="true"></span>{ "Syncing…" }
                        } else {
                            { "Sync now" }
                        }
                    </button>
                }
            </div>
            if let Some(job) = &state.job {
                { progress(job) }
            }
            { last_error(&state) }
            <ProblemBanner error={state.error.clone()} />
            if not_connected {
                <p class="hint" id="sync-connect-hint">
                    { "Users are read from your Microsoft tenant once it is connected, with the permissions it needs: see " }
                    <Link<Route> to={Route::TenantConnection}>{ "Tenant connection" }</Link<Route>>
                    { "." }
                </p>
            }
        </div>
    }
}

fn last_synced(status: Option<&SyncStatus>) -> Html {
    match status {
        None => html! { <span id="last-synced" class="muted">{ "Checking the last sync…" }</span> },
        Some(SyncStatus {
            last_synced_at: None,
            ..
        }) => {
            html! { <span id="last-synced" data-synced="never">{ "Never synced" }</span> }
        }
        Some(SyncStatus {
            last_synced_at: Some(at),
            ..
        }) => html! {
            <span id="last-synced" data-synced-at={at.to_rfc3339()}>
                { format!("Last synced {}", format::date_time(at)) }
            </span>
        },
    }
}

fn progress(job: &Job) -> Html {
    let (tone, percent) = match job.status {
        JobStatus::Succeeded => (ProgressTone::Done, Some(100)),
        JobStatus::Failed => (ProgressTone::Failed, job.progress.percent),
        JobStatus::Queued | JobStatus::Running => (ProgressTone::Working, job.progress.percent),
    };
    let label = match (job.status, job.progress.total) {
        (JobStatus::Running, Some(total)) => {
            format!("Syncing users: {} of {total}", job.progress.done)
        }
        (JobStatus::Running, None) => "Syncing users…".to_owned(),
        (JobStatus::Succeeded, _) => match job.progress.total {
            Some(total) => format!("Sync finished: {total} users read"),
            None => "Sync finished".to_owned(),
        },
        (JobStatus::Queued, _) if job.last_error.is_some() => format!(
            "Sync: waiting to try again ({})",
            job.last_error.as_deref().unwrap_or_default()
        ),
        (status, _) => format!("Sync: {}", labels::job_status(status).to_lowercase()),
    };
    html! { <ProgressBar id="sync-progress" {percent} {label} {tone} /> }
}

/// Why the latest sync failed: the job followed here, else the last one the server knows of.
fn last_error(state: &SyncState) -> Html {
    let message = match &state.job {
        Some(job) if job.status == JobStatus::Failed => Some(format!(
            "The sync failed: {}",
            job.last_error.as_deref().unwrap_or("no reason was given")
        )),
        Some(_) => None,
        None => state
            .status
            .as_ref()
            .filter(|status| status.job_id.is_none())
            .and_then(|status| status.last_error.as_ref())
            .map(|error| format!("The last sync failed: {error}")),
    };
    match message {
        Some(message) => html! { <div id="sync-error"><ErrorBanner {message} /></div> },
        None => Html::default(),
    }
}
