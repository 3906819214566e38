//! The words the pages use for the API's states.

use shared::directory::ServiceState;
use shared::jobs::JobStatus;
use shared::numbers::{CapacityScope, Mismatch, NumberStatus};
use shared::phone_service::BulkItemOutcome;

pub fn service_state(state: ServiceState) -> &'static str {
    match state {
        ServiceState::None => "No service",
        ServiceState::Pending => "Assigning…",
        ServiceState::Active => "Active",
        ServiceState::Failed => "Failed",
        ServiceState::Removing => "Removing…",
    }
}

/// The service states as filter choices.
pub fn service_state_filter(state: ServiceState) -> &'static str {
    match state {
        ServiceState::None => "No service",
        ServiceState::Pending => "Assigning",
        ServiceState::Active => "Active",
        ServiceState::Failed => "Failed",
        ServiceState::Removing => "Removing",
    }
}

pub fn number_status(status: NumberStatus) -> &'static str {
    match status {
        NumberStatus::Available => "Available",
        NumberStatus::Reserved => "Reserved",
        NumberStatus::Assigned => "Assigned",
        NumberStatus::Aging => "Ageing",
    }
}

pub fn mismatch(kind: Mismatch) -> &'static str {
    match kind {
        Mismatch::AssignedOutsidePortal => "Assigned in Teams outside the portal",
        Mismatch::AssignedToOtherUser => "Assigned in Teams to another user",
        Mismatch::MissingInTeams => "Not assigned in Teams",
    }
}

pub fn bulk_outcome(outcome: BulkItemOutcome) -> &'static str {
    match outcome {
        BulkItemOutcome::Queued => "Waiting",
        BulkItemOutcome::Assigned => "Number assigned",
        BulkItemOutcome::AlreadyActive => "Already had service",
        BulkItemOutcome::Failed => "Failed",
    }
}

pub fn job_status(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Queued => "Waiting to start",
        JobStatus::Running => "Running",
        JobStatus::Succeeded => "Finished",
        JobStatus::Failed => "Failed",
    }
}

/// What a capacity group gathers, as a word (also its `data-scope`).
pub fn capacity_scope(scope: CapacityScope) -> &'static str {
    match scope {
        CapacityScope::Block => "block",
        CapacityScope::Country => "country",
        CapacityScope::Location => "location",
    }
}
