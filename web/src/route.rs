//! The app's paths. Real paths (not `#/...`): the server answers index.html for any non-API
//! path, so a reload of e.g. /members lands back on the same page.

use yew_router::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Routable)]
pub enum Route {
    #[at("/sign-in")]
    SignIn,
    #[at("/")]
    Home,
    #[at("/tenant-connection")]
    TenantConnection,
    #[at("/users")]
    Users,
    #[at("/numbers")]
    Numbers,
    #[at("/voice-profiles")]
    VoiceProfiles,
    #[at("/billing")]
    Billing,
    #[at("/audit")]
    Audit,
    #[at("/members")]
    Members,
    #[at("/api-tokens")]
    ApiTokens,
    #[at("/webhooks")]
    Webhooks,
    #[at("/account")]
    Account,
    #[not_found]
    #[at("/404")]
    NotFound,
}
