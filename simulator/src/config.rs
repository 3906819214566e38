//! What the simulator is started with: our app as registered "at Microsoft", and the seed tenants.

use std::time::Duration;

use secrecy::SecretString;

/// Default application permissions (CONTRACT.md section 5): the product description's two, plus
/// what Graph requires for user sync, numbers, each user's Teams phone state and voice policies.
pub const DEFAULT_PERMISSIONS: [&str; 6] = [
    "CrossTenantInformation.ReadBasic.All",
    "TeamSettings.ReadWrite.All",
    "User.Read.All",
    "TeamsTelephoneNumber.ReadWrite.All",
    "TeamsUserConfiguration.Read.All",
    "TeamsPolicyUserAssign.ReadWrite.All",
];

pub struct SimulatorConfig {
    /// Our multi-tenant app as registered "at Microsoft".
    pub app: RegisteredApp,
    /// Tenants seeded at start.
    pub tenants: Vec<TenantSeed>,
    /// Number operations go notStarted -> running -> done over this time.
    pub operation_delay: Duration,
    /// Lifetime of the access tokens issued (Microsoft: 3599 s).
    pub token_lifetime: Duration,
}

impl SimulatorConfig {
    /// One demo tenant, default delays, the given app.
    pub fn with_app(app: RegisteredApp) -> SimulatorConfig {
        SimulatorConfig {
            app,
            tenants: vec![TenantSeed::demo()],
            operation_delay: Duration::from_secs(2),
            token_lifetime: Duration::from_secs(3599),
        }
    }
}

pub struct RegisteredApp {
    pub client_id: String,
    pub client_secret: SecretString,
    pub display_name: String,
    pub redirect_uris: Vec<String>,
    /// Application permissions it requests, granted at admin consent.
    pub permissions: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct TenantSeed {
    pub name: String,
    /// e.g. `contoso.onmicrosoft.com`
    pub domain: String,
    /// Directory users in total (the two admins included; at least 3).
    pub users: usize,
}

impl TenantSeed {
    /// "Contoso", contoso.onmicrosoft.com, 250 users.
    pub fn demo() -> TenantSeed {
        TenantSeed {
            name: "Contoso".into(),
            domain: "contoso.onmicrosoft.com".into(),
            users: 250,
        }
    }

    /// The n-th extra demo tenant (n = 0 is Contoso).
    pub fn numbered(n: usize, users: usize) -> TenantSeed {
        const NAMES: [&str; 8] = [
            "Contoso",
            "Fabrikam",
            "Northwind Traders",
            "Adventure Works",
            "Tailspin Toys",
            "Wide World Importers",
            "Woodgrove Bank",
            "Litware",
        ];
        let base = NAMES[n % NAMES.len()];
        let name = if n < NAMES.len() {
            base.to_string()
        } else {
            format!("{base} {}", n / NAMES.len() + 1)
        };
        TenantSeed {
            domain: format!("{}.onmicrosoft.com", domain_label(&name)),
            name,
            users,
        }
    }
}

/// `Northwind Traders` -> `northwindtraders`.
pub fn domain_label(name: &str) -> String {
    let label: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if label.is_empty() {
        "tenant".into()
    } else {
        label
    }
}
