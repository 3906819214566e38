//! The words the pages use for the API's states.

use shared::audit::ActorKind;
use shared::billing::DiscrepancyKind;
use shared::directory::{PartState, ServicePartKind, ServiceState};
use shared::jobs::JobStatus;
use shared::numbers::{CapacityScope, Mismatch, NumberStatus};
use shared::phone_service::BulkItemOutcome;
use shared::webhooks::{DeliveryStatus, WebhookEventType};

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
        BulkItemOutcome::Removed => "Service removed",
        BulkItemOutcome::Skipped => "Left alone (changed since)",
    }
}

/// Where one part of a user's phone service stands.
pub fn part_state(state: PartState) -> &'static str {
    match state {
        PartState::Pending => "Pending",
        PartState::InEffect => "In effect",
        PartState::Differs => "Differs in Teams",
        PartState::NeedsManualAction => "Needs manual action",
        PartState::Failed => "Failed",
    }
}

/// The CSS word of a part's state (also its `data-state`).
pub fn part_state_key(state: PartState) -> &'static str {
    match state {
        PartState::Pending => "pending",
        PartState::InEffect => "in_effect",
        PartState::Differs => "differs",
        PartState::NeedsManualAction => "needs_manual_action",
        PartState::Failed => "failed",
    }
}

pub fn part_kind_key(kind: ServicePartKind) -> &'static str {
    match kind {
        ServicePartKind::Number => "number",
        ServicePartKind::EmergencyLocation => "emergency_location",
        ServicePartKind::Policy => "policy",
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

pub fn discrepancy(kind: DiscrepancyKind) -> &'static str {
    match kind {
        DiscrepancyKind::AssignedOutsidePortal => "Has a number in Teams, no service in the portal",
        DiscrepancyKind::MissingInTeams => "Has service in the portal, not in Teams",
    }
}

pub fn actor_kind(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::User => "Person",
        ActorKind::ApiToken => "API token",
        ActorKind::System => "System",
    }
}

/// An audit event type (`phone_service.enabled`) in words; an unknown type as it is.
pub fn event_type(kind: &str) -> &str {
    match kind {
        "phone_service.enabled" => "Phone service added",
        "phone_service.disabled" => "Phone service removed",
        "phone_service.failed" => "Phone service change failed",
        "numbers.loaded" => "Numbers loaded",
        "numbers.low_stock" => "Numbers low on stock",
        "bulk_job.finished" => "Bulk provisioning finished",
        "tenant_connection.setup_started" => "Connection setup started",
        "tenant_connection.signed_in" => "Signed in to Microsoft",
        "tenant_connection.consent_granted" => "Admin consent granted",
        "tenant_connection.consent_cancelled" => "Admin consent cancelled",
        "tenant_connection.consent_needs_admin" => "Consent needs an admin",
        "tenant_connection.consent_wrong_account" => "Consent from the wrong account",
        "tenant_connection.sign_in_refused" => "Microsoft sign-in refused",
        "tenant_connection.consent_refused" => "Consent refused",
        "tenant_connection.consent_error" => "Consent failed",
        "tenant_connection.consent_expired" => "Consent link expired",
        "tenant_connection.connected" => "Tenant connected",
        "tenant_connection.verified" => "Connection verified",
        "tenant_connection.verify_failed" => "Verification failed",
        "tenant_connection.verify_timed_out" => "Verification timed out",
        "tenant_connection.needs_attention" => "Connection needs attention",
        "tenant_connection.legacy" => "Legacy connection found",
        "tenant_connection.legacy_removed" => "Legacy connection removed",
        "tenant_connection.disconnected" => "Tenant disconnected",
        "auth.signed_in" => "Signed in",
        "auth.password_changed" => "Password changed",
        "members.invited" => "Member invited",
        "members.role_changed" => "Member's role changed",
        "members.removed" => "Member removed",
        "api_tokens.created" => "API token created",
        "api_tokens.revoked" => "API token revoked",
        "billing.rule_changed" => "Billing rule changed",
        "webhooks.endpoint_created" => "Webhook endpoint added",
        "webhooks.endpoint_updated" => "Webhook endpoint changed",
        "webhooks.endpoint_deleted" => "Webhook endpoint deleted",
        other => other,
    }
}

pub fn webhook_event(kind: WebhookEventType) -> &'static str {
    event_type(kind.as_str())
}

pub fn delivery_status(status: DeliveryStatus) -> &'static str {
    match status {
        DeliveryStatus::Pending => "Pending",
        DeliveryStatus::Delivered => "Delivered",
        DeliveryStatus::Failed => "Failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_has_words() {
        for kind in shared::audit::EVENT_TYPES {
            assert_ne!(event_type(kind), *kind, "{kind} has no label");
        }
    }
}
