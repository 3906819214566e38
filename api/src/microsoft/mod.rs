//! Microsoft: the identity platform and Graph, through the production client. The client only
//! knows two base URLs; in `simulated` mode they point at the `ms-simulator` crate mounted in
//! this same server, in `live` mode at Microsoft.

pub mod client;

use secrecy::SecretString;

use crate::config::{Config, MicrosoftMode, SIMULATED_CLIENT_ID};

/// Where and as whom the client talks to Microsoft, resolved from the configuration.
#[derive(Clone)]
pub struct MicrosoftSettings {
    pub mode: MicrosoftMode,
    pub client_id: String,
    pub client_secret: SecretString,
    pub login_url: String,
    pub graph_url: String,
}

impl MicrosoftSettings {
    pub fn resolve(config: &Config) -> anyhow::Result<MicrosoftSettings> {
        let public = config.public_url();
        let (default_login, default_graph) = match config.microsoft_mode {
            MicrosoftMode::Simulated => (
                format!("{public}/_microsoft/login"),
                format!("{public}/_microsoft/graph"),
            ),
            MicrosoftMode::Live => (
                "https://login.microsoftonline.com".to_owned(),
                "https://graph.microsoft.com".to_owned(),
            ),
        };
        let (client_id, client_secret) = match config.microsoft_mode {
            MicrosoftMode::Simulated => (
                config
                    .ms_client_id
                    .clone()
                    .unwrap_or_else(|| SIMULATED_CLIENT_ID.to_owned()),
                // The simulator registers whatever secret we give it: a fresh one per process.
                config.ms_client_secret.clone().unwrap_or_else(|| {
                    SecretString::from(crate::domain::api_token::random_secret(40))
                }),
            ),
            MicrosoftMode::Live => (
                config
                    .ms_client_id
                    .clone()
                    .ok_or_else(|| anyhow::anyhow!("MICROSOFT_MODE=live needs MS_CLIENT_ID"))?,
                config
                    .ms_client_secret
                    .clone()
                    .ok_or_else(|| anyhow::anyhow!("MICROSOFT_MODE=live needs MS_CLIENT_SECRET"))?,
            ),
        };
        Ok(MicrosoftSettings {
            mode: config.microsoft_mode,
            client_id,
            client_secret,
            login_url: config
                .ms_login_url
                .clone()
                .unwrap_or(default_login)
                .trim_end_matches('/')
                .to_owned(),
            graph_url: config
                .ms_graph_url
                .clone()
                .unwrap_or(default_graph)
                .trim_end_matches('/')
                .to_owned(),
        })
    }

    /// Where customers assign the directory role (setup step 3); `{tenant}` is filled in.
    pub fn role_assignment_url(&self, public_url: &str) -> String {
        match self.mode {
            MicrosoftMode::Simulated => format!("{public_url}/_microsoft/entra/{{tenant}}/roles"),
            MicrosoftMode::Live => {
                "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/RolesManagementMenuBlade/~/AllRoles"
                    .to_owned()
            }
        }
    }
}
