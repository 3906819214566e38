//! Deterministic tenant generation: the same seed gives the same tenant id, users and numbers, so
//! demos and tests repeat. Cheap enough for 100,000 users in a debug build.

use std::collections::HashMap;

use chrono::{Duration as ChronoDuration, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use uuid::Uuid;

use crate::{
    config::TenantSeed,
    policies::TeamsPolicies,
    state::{
        ChangeLog, NumberAssignment, NumberType, Tenant, User, E3_SKU, E5_SKU,
        GLOBAL_ADMINISTRATOR, PERSONAL_ACCOUNTS_DOMAIN, PERSONAL_ACCOUNTS_TENANT_ID,
        PERSONAL_ACCOUNTS_TENANT_NAME, PERSONAL_USER_UPN, PRIVILEGED_ROLE_ADMINISTRATOR,
        TEAMS_PHONE_SKU,
    },
};

const FIRST: [&str; 48] = [
    "Adele",
    "Alex",
    "Allan",
    "Amelia",
    "Ben",
    "Chloe",
    "Christie",
    "Daniel",
    "Debra",
    "Diego",
    "Emily",
    "Ethan",
    "Fatima",
    "Grace",
    "Grady",
    "Hannah",
    "Henrietta",
    "Isaac",
    "Isaiah",
    "Jack",
    "Johanna",
    "Joni",
    "Kenji",
    "Lee",
    "Lidia",
    "Lucas",
    "Lynne",
    "Maria",
    "Megan",
    "Miriam",
    "Nathan",
    "Nestor",
    "Noah",
    "Olivia",
    "Omar",
    "Patti",
    "Pradeep",
    "Priya",
    "Raul",
    "Sofia",
    "Sanjay",
    "Sara",
    "Tomas",
    "Uma",
    "Victor",
    "Wei",
    "Yara",
    "Zoe",
];
const LAST: [&str; 48] = [
    "Adams",
    "Bowen",
    "Brown",
    "Chen",
    "Clark",
    "Cruz",
    "Deyoung",
    "Diaz",
    "Evans",
    "Fernandez",
    "Garcia",
    "Gonzalez",
    "Gupta",
    "Hall",
    "Harris",
    "Holt",
    "Ito",
    "Johnson",
    "Khan",
    "Kim",
    "Lambert",
    "Lee",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Muller",
    "Nguyen",
    "Novak",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Sato",
    "Schmidt",
    "Silva",
    "Smith",
    "Stewart",
    "Taylor",
    "Vance",
    "Wagner",
    "Walker",
    "Weber",
    "Wilber",
    "Wilson",
    "Wright",
    "Young",
    "Zhang",
];
/// Usage locations with rough weights (out of 100).
const LOCATIONS: [(&str, u32); 5] = [("US", 45), ("GB", 20), ("DE", 15), ("FR", 10), ("AU", 10)];

/// Deterministic tenant id: uuid v5 of the domain.
pub fn tenant_id(domain: &str) -> String {
    Uuid::new_v5(&Uuid::NAMESPACE_DNS, domain.to_ascii_lowercase().as_bytes()).to_string()
}

pub fn build_tenant(seed: &TenantSeed) -> Tenant {
    let id = tenant_id(&seed.domain);
    let mut rng = StdRng::seed_from_u64(fold(&id));
    let now = Utc::now();
    let country = "US";
    let policies = TeamsPolicies::seeded(&id);
    let mut tenant = Tenant {
        id,
        name: seed.name.clone(),
        domain: seed.domain.to_ascii_lowercase(),
        personal: false,
        country,
        created: now - ChronoDuration::days(900),
        users: Vec::with_capacity(seed.users.max(3)),
        by_id: HashMap::with_capacity(seed.users.max(3)),
        by_upn: HashMap::with_capacity(seed.users.max(3)),
        next_ordinal: 0,
        delta: ChangeLog::default(),
        service_principal: None,
        role_assignments: Vec::new(),
        numbers: Vec::new(),
        operations: HashMap::new(),
        pending: Vec::new(),
        policies,
    };
    let domain = tenant.domain.clone();
    let created = now - ChronoDuration::days(400);
    let admin = |rng: &mut StdRng, local: &str, name: &str| User {
        id: random_uuid(rng),
        upn: format!("{local}@{domain}"),
        display_name: name.to_string(),
        usage_location: Some(country.to_string()),
        account_enabled: true,
        licenses: vec![E5_SKU],
        e5_phone_disabled: false,
        licensed: created,
        enterprise_voice: false,
        created,
        modified: created,
        ordinal: 0,
        changed: 0,
    };
    let ga = admin(&mut rng, "admin", "Adele Vance");
    let pra = admin(&mut rng, "pra", "Patti Fernandez");
    tenant.role_assignments.push(crate::state::RoleAssignment {
        id: format!("seed-ga-{}", ga.id),
        principal_id: ga.id.clone(),
        role_definition_id: GLOBAL_ADMINISTRATOR.into(),
    });
    tenant.role_assignments.push(crate::state::RoleAssignment {
        id: format!("seed-pra-{}", pra.id),
        principal_id: pra.id.clone(),
        role_definition_id: PRIVILEGED_ROLE_ADMINISTRATOR.into(),
    });
    tenant.push_user(ga);
    tenant.push_user(pra);

    let mut seen: HashMap<(usize, usize), u32> = HashMap::new();
    for _ in 2..seed.users.max(3) {
        let (f, l) = (
            rng.random_range(0..FIRST.len()),
            rng.random_range(0..LAST.len()),
        );
        let n = seen.entry((f, l)).or_insert(0);
        *n += 1;
        let local = if *n == 1 {
            format!("{}.{}", FIRST[f], LAST[l]).to_ascii_lowercase()
        } else {
            format!("{}.{}{}", FIRST[f], LAST[l], n).to_ascii_lowercase()
        };
        let roll: u32 = rng.random_range(0..100);
        let licensed = roll >= 8; // about 8% unlicensed
        let licenses = if !licensed {
            Vec::new()
        } else if roll < 88 {
            // most licensed users: Teams Phone plus an E3/E5-like suite
            let suite = if rng.random_bool(0.4) { E5_SKU } else { E3_SKU };
            vec![suite, TEAMS_PHONE_SKU]
        } else {
            vec![E3_SKU]
        };
        let usage_location = if licensed || rng.random_bool(0.5) {
            Some(pick_location(rng.random_range(0..100)).to_string())
        } else {
            None
        };
        tenant.push_user(User {
            id: random_uuid(&mut rng),
            upn: format!("{local}@{domain}"),
            display_name: format!("{} {}", FIRST[f], LAST[l]),
            usage_location,
            account_enabled: rng.random_range(0..100) >= 3,
            licenses,
            e5_phone_disabled: false,
            licensed: created,
            enterprise_voice: false,
            created,
            modified: created,
            ordinal: 0,
            changed: 0,
        });
    }
    seed_numbers(&mut tenant);
    tenant
}

/// The personal Microsoft accounts "tenant" (every consumer account's `tid`), with one user.
pub fn build_personal_tenant() -> Tenant {
    let created = Utc::now() - ChronoDuration::days(2000);
    let mut tenant = Tenant {
        id: PERSONAL_ACCOUNTS_TENANT_ID.to_string(),
        name: PERSONAL_ACCOUNTS_TENANT_NAME.to_string(),
        domain: PERSONAL_ACCOUNTS_DOMAIN.to_string(),
        personal: true,
        country: "US",
        created,
        users: Vec::with_capacity(1),
        by_id: HashMap::with_capacity(1),
        by_upn: HashMap::with_capacity(1),
        next_ordinal: 0,
        delta: ChangeLog::default(),
        service_principal: None,
        role_assignments: Vec::new(),
        numbers: Vec::new(),
        operations: HashMap::new(),
        pending: Vec::new(),
        policies: TeamsPolicies::empty(PERSONAL_ACCOUNTS_TENANT_ID),
    };
    tenant.push_user(User {
        // Personal accounts' object ids start with 16 zero hex digits (they wrap the account's PUID).
        id: "00000000-0000-0000-5a1e-7c3b9d2f4e61".into(),
        upn: PERSONAL_USER_UPN.into(),
        display_name: "Alex Personal".into(),
        usage_location: None,
        account_enabled: true,
        licenses: Vec::new(),
        e5_phone_disabled: false,
        licensed: created,
        enterprise_voice: false,
        created,
        modified: created,
        ordinal: 0,
        changed: 0,
    });
    tenant
}

/// A handful of Teams Phone users already have Direct Routing numbers (in fictional ranges).
fn seed_numbers(tenant: &mut Tenant) {
    let mut given = 0u32;
    for i in 2..tenant.users.len() {
        if given == 5 {
            break;
        }
        let user = &tenant.users[i];
        let Some(loc) = user.usage_location.clone() else {
            continue;
        };
        if !user.has_teams_phone() || !user.account_enabled {
            continue;
        }
        let n = 100 + given;
        let number = match loc.as_str() {
            "GB" => format!("+44207946{n:04}"),
            "DE" => format!("+49301234{n:04}"),
            "FR" => format!("+33199{n:06}"),
            "AU" => format!("+612555{n:04}"),
            _ => format!("+1206555{n:04}"),
        };
        let user_id = user.id.clone();
        let mut n = NumberAssignment::new(number, NumberType::DirectRouting, Some(loc));
        n.assignment_target_id = Some(user_id);
        tenant.insert_number(n);
        tenant.users[i].enterprise_voice = true;
        given += 1;
    }
}

fn pick_location(roll: u32) -> &'static str {
    let mut acc = 0;
    for (loc, weight) in LOCATIONS {
        acc += weight;
        if roll < acc {
            return loc;
        }
    }
    "US"
}

fn random_uuid(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

fn fold(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
