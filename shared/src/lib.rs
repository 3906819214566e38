//! Wire types both sides of the API agree on: the server (`api/`) serialises them, the web app
//! (`web/`) and integrators deserialise them. serde only; `utoipa::ToSchema` behind the
//! `openapi` feature so this crate stays free of server dependencies and compiles to wasm32.

// Declared before the modules so they see it by textual scope.
/// Declares a wire struct with the derives every DTO needs, plus `ToSchema` when the
/// `openapi` feature is on.
macro_rules! dto {
    ($(#[$meta:meta])* $vis:vis struct $name:ident $body:tt) => {
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        $(#[$meta])*
        $vis struct $name $body
    };
}

pub mod api_tokens;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod bounded;
pub mod directory;
pub mod jobs;
pub mod members;
pub mod numbers;
pub mod paging;
pub mod phone_service;
pub mod problem;
pub mod role;
#[cfg(feature = "openapi")]
mod schemas;
pub mod tenant_connection;
pub mod voice_profiles;
pub mod webhooks;
