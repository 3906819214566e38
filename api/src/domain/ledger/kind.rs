//! What an event is: one variant per type the portal records. The text is what the ledger
//! stores, the audit log filters on and webhooks send as `type`: it never changes.

use shared::webhooks::WebhookEventType;

macro_rules! ledger_kinds {
    ($($(#[$meta:meta])* $name:ident = $text:literal,)*) => {
        /// The type of a ledger event.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum LedgerKind {
            $($(#[$meta])* $name,)*
        }

        impl LedgerKind {
            pub const ALL: &'static [LedgerKind] = &[$(LedgerKind::$name,)*];

            /// The stored text (`phone_service.enabled`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(LedgerKind::$name => $text,)*
                }
            }
        }
    };
}

ledger_kinds! {
    PhoneServiceEnabled = "phone_service.enabled",
    PhoneServiceDisabled = "phone_service.disabled",
    PhoneServiceFailed = "phone_service.failed",
    NumbersLoaded = "numbers.loaded",
    NumbersLowStock = "numbers.low_stock",
    BulkJobFinished = "bulk_job.finished",
    VoiceProfileCreated = "voice_profile.created",
    VoiceProfileUpdated = "voice_profile.updated",
    VoiceProfileDeleted = "voice_profile.deleted",
    TenantConnectionSetupStarted = "tenant_connection.setup_started",
    TenantConnectionSignedIn = "tenant_connection.signed_in",
    TenantConnectionConsentGranted = "tenant_connection.consent_granted",
    TenantConnectionConsentCancelled = "tenant_connection.consent_cancelled",
    TenantConnectionConsentNeedsAdmin = "tenant_connection.consent_needs_admin",
    TenantConnectionConsentWrongAccount = "tenant_connection.consent_wrong_account",
    TenantConnectionSignInRefused = "tenant_connection.sign_in_refused",
    TenantConnectionConsentRefused = "tenant_connection.consent_refused",
    TenantConnectionConsentError = "tenant_connection.consent_error",
    TenantConnectionConsentExpired = "tenant_connection.consent_expired",
    /// The connection became usable (set up, or recovered).
    TenantConnectionConnected = "tenant_connection.connected",
    /// A manual verification found a working connection working.
    TenantConnectionVerified = "tenant_connection.verified",
    /// A verification failed before the connection ever worked.
    TenantConnectionVerifyFailed = "tenant_connection.verify_failed",
    TenantConnectionVerifyTimedOut = "tenant_connection.verify_timed_out",
    /// A working connection broke.
    TenantConnectionNeedsAttention = "tenant_connection.needs_attention",
    TenantConnectionLegacy = "tenant_connection.legacy",
    TenantConnectionLegacyRemoved = "tenant_connection.legacy_removed",
    TenantConnectionDisconnected = "tenant_connection.disconnected",
    AuthSignedIn = "auth.signed_in",
    AuthPasswordChanged = "auth.password_changed",
    MembersInvited = "members.invited",
    MembersRoleChanged = "members.role_changed",
    MembersRemoved = "members.removed",
    ApiTokensCreated = "api_tokens.created",
    ApiTokensRevoked = "api_tokens.revoked",
    BillingRuleChanged = "billing.rule_changed",
    WebhooksEndpointCreated = "webhooks.endpoint_created",
    WebhooksEndpointUpdated = "webhooks.endpoint_updated",
    WebhooksEndpointDeleted = "webhooks.endpoint_deleted",
}

impl LedgerKind {
    /// The kind a stored text names; `None` for a text no code writes.
    pub fn parse(text: &str) -> Option<LedgerKind> {
        LedgerKind::ALL.iter().copied().find(|k| k.as_str() == text)
    }

    /// The webhook type endpoints subscribe to for events of this kind, if they can.
    pub fn webhook(self) -> Option<WebhookEventType> {
        match self {
            LedgerKind::TenantConnectionConnected => {
                Some(WebhookEventType::TenantConnectionConnected)
            }
            LedgerKind::TenantConnectionNeedsAttention => {
                Some(WebhookEventType::TenantConnectionNeedsAttention)
            }
            LedgerKind::PhoneServiceEnabled => Some(WebhookEventType::PhoneServiceEnabled),
            LedgerKind::PhoneServiceDisabled => Some(WebhookEventType::PhoneServiceDisabled),
            LedgerKind::PhoneServiceFailed => Some(WebhookEventType::PhoneServiceFailed),
            LedgerKind::NumbersLowStock => Some(WebhookEventType::NumbersLowStock),
            LedgerKind::BulkJobFinished => Some(WebhookEventType::BulkJobFinished),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use shared::webhooks::WebhookEventType;

    use super::LedgerKind;

    #[test]
    fn every_kind_parses_back_from_its_text() {
        for &kind in LedgerKind::ALL {
            assert_eq!(LedgerKind::parse(kind.as_str()), Some(kind));
        }
        let texts: HashSet<&str> = LedgerKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(texts.len(), LedgerKind::ALL.len(), "a text is used twice");
        assert_eq!(LedgerKind::parse("phone_service"), None);
        assert_eq!(LedgerKind::parse(""), None);
    }

    /// The webhook types are the public contract: each is the text of exactly one kind, which
    /// maps back to it, and no other kind is sent.
    #[test]
    fn webhook_types_are_exactly_the_kinds_that_map_to_them() {
        for w in WebhookEventType::ALL {
            assert_eq!(
                LedgerKind::parse(w.as_str()).and_then(|k| k.webhook()),
                Some(w)
            );
        }
        for &kind in LedgerKind::ALL {
            if let Some(w) = kind.webhook() {
                assert_eq!(w.as_str(), kind.as_str());
            }
        }
        let sent = LedgerKind::ALL.iter().filter(|k| k.webhook().is_some());
        assert_eq!(sent.count(), WebhookEventType::ALL.len());
    }

    /// The audit log's `type` filter offers exactly the kinds written.
    #[test]
    fn the_audit_filter_lists_every_kind() {
        let written: HashSet<&str> = LedgerKind::ALL.iter().map(|k| k.as_str()).collect();
        let offered: HashSet<&str> = shared::audit::EVENT_TYPES.iter().copied().collect();
        assert_eq!(written, offered);
    }
}
