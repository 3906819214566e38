//! Teams telephony: `admin/teams/telephoneNumberManagement` (numberAssignments, assign/unassign/
//! updateNumber, operations) and `admin/teams/userConfigurations`.

use std::{collections::HashMap, time::Instant};

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::{json, Map, Value};

use super::{
    auth::{authorize, Need},
    call_argument, eq_filter,
    errors::GraphError,
    not_found, paging, TELEPHONY,
};
use crate::{
    http,
    state::{NumberAssignment, NumberType, Operation, OperationKind, TargetKind, Tenant, User},
    Simulator,
};

fn bad_request(req: &HttpRequest, message: impl Into<String>) -> GraphError {
    GraphError::new(req, StatusCode::BAD_REQUEST, "BadRequest", message)
}

fn parse_body<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, GraphError> {
    serde_json::from_slice(body).map_err(|e| bad_request(req, format!("Invalid request body: {e}")))
}

/// E.164 with the `+`: 8 to 15 digits, not starting with 0.
pub(crate) fn valid_e164(n: &str) -> bool {
    n.strip_prefix('+').is_some_and(|d| {
        (8..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
    })
}

/// A numberAssignment as Graph returns it (the doc's Direct Routing samples, TELEPHONY.md
/// section 2): `assignmentCategory` and `assignmentTargetId` are null while unassigned.
pub(crate) fn number_json(n: &NumberAssignment) -> Value {
    let assigned = n.assignment_target_id.is_some();
    let capabilities: &[&str] = if n.number_type == NumberType::DirectRouting {
        &[
            "conferenceAssignment",
            "voiceApplicationAssignment",
            "userAssignment",
        ]
    } else {
        &["userAssignment"]
    };
    json!({
        "id": n.id,
        "telephoneNumber": n.telephone_number,
        "operatorId": null,
        "numberType": n.number_type.as_str(),
        "activationState": n.activation.as_str(),
        "assignmentTargetId": n.assignment_target_id,
        "assignmentCategory": if assigned { Some(n.assignment_category.as_str()) } else { None },
        "assignmentStatus": n.assignment_status(),
        "capabilities": capabilities,
        "locationId": n.location_id,
        "civicAddressId": null,
        "networkSiteId": null,
        "city": null,
        "isoCountryCode": n.iso_country_code,
        "numberSource": "online",
        "portInStatus": null,
        "supportedCustomerActions": ["locationUpdate"],
        "reverseNumberLookupOptions": [],
    })
}

fn number_field<'a>(n: &'a NumberAssignment, field: &str) -> Option<&'a str> {
    let assigned = n.assignment_target_id.is_some();
    match field {
        "telephoneNumber" => Some(&n.telephone_number),
        "numberType" => Some(n.number_type.as_str()),
        "assignmentTargetId" => n.assignment_target_id.as_deref(),
        "assignmentStatus" => Some(n.assignment_status()),
        "assignmentCategory" => assigned.then_some(n.assignment_category.as_str()),
        "activationState" => Some(n.activation.as_str()),
        "isoCountryCode" => n.iso_country_code.as_deref(),
        "locationId" => n.location_id.as_deref(),
        _ => None,
    }
}

const FILTERABLE: [&str; 8] = [
    "telephoneNumber",
    "numberType",
    "assignmentTargetId",
    "assignmentStatus",
    "assignmentCategory",
    "activationState",
    "isoCountryCode",
    "locationId",
];

pub async fn list_numbers(
    req: HttpRequest,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::NumbersRead).await?;
    let pairs = http::query_pairs(&req);
    let filter = match http::query_get(&pairs, "$filter") {
        None => Vec::new(),
        Some(raw) => eq_filter(raw)
            .filter(|c| c.iter().all(|(f, _)| FILTERABLE.contains(&f.as_str())))
            .ok_or_else(|| bad_request(&req, format!("Unsupported filter: {raw}")))?,
    };
    // $top (default 500, at most 1000) and $skip, over the numbers sorted by telephoneNumber,
    // as Get-CsPhoneNumberAssignment pages (TELEPHONY.md section 3).
    let top = paging::page_size(&req, &pairs, 500, 1000, "BadRequest")?;
    let skip = match http::query_get(&pairs, "$skip") {
        None => 0,
        Some(raw) => raw.trim().parse::<usize>().map_err(|_| {
            bad_request(
                &req,
                format!("Invalid value '{raw}' for $skip: a non-negative integer is expected."),
            )
        })?,
    };
    // A simulator-issued $skiptoken (only with next links switched on) is an absolute offset.
    let offset = match http::query_get(&pairs, "$skiptoken") {
        Some(_) => paging::offset(&req, &pairs, "numbers")?,
        None => skip,
    };
    sim.settle(&claims.tid);
    let world = sim.read();
    let t = world
        .tenant(&claims.tid)
        .ok_or_else(|| GraphError::internal(&req))?;
    let mut matching = t.numbers.iter().filter(|n| {
        filter
            .iter()
            .all(|(f, v)| number_field(n, f).is_some_and(|x| x.eq_ignore_ascii_case(v)))
    });
    let value: Vec<Value> = matching
        .by_ref()
        .skip(offset)
        .take(top)
        .map(number_json)
        .collect();
    let more = matching.next().is_some();
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(paging::context(
            &req,
            "admin/teams/telephoneNumberManagement/numberAssignments"
        )),
    );
    let next = paging::encode_token("numbers", offset + value.len());
    body.insert("value".into(), Value::Array(value));
    // The Teams back end is reported never to return a nextLink (TELEPHONY.md section 3,
    // UNCONFIRMED): none unless switched on (`PUT /_microsoft/control/settings`).
    if more && sim.number_next_links() {
        body.insert(
            "@odata.nextLink".into(),
            json!(paging::link_without(
                &req,
                &pairs,
                &["$skip"],
                "$skiptoken",
                &next
            )),
        );
    }
    Ok(HttpResponse::Ok().json(Value::Object(body)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssignBody {
    telephone_number: Option<String>,
    assignment_target_id: Option<String>,
    number_type: Option<String>,
    assignment_category: Option<String>,
    location_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UnassignBody {
    telephone_number: Option<String>,
    number_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateBody {
    telephone_number: Option<String>,
    location_id: Option<String>,
    #[serde(default)]
    network_site_id: Option<String>,
}

fn required_number(req: &HttpRequest, n: Option<String>) -> Result<String, GraphError> {
    let n = n.ok_or_else(|| bad_request(req, "The telephoneNumber parameter is required."))?;
    // The docs' examples send the number without its `+`; Teams stores it with one
    // (TELEPHONY.md section 5): both forms are accepted.
    let n = if n.starts_with('+') {
        n
    } else {
        format!("+{n}")
    };
    if !valid_e164(&n) {
        return Err(bad_request(
            req,
            format!("The telephone number '{n}' is not a valid E.164 number (+ followed by 8 to 15 digits)."),
        ));
    }
    Ok(n)
}

fn required_type(req: &HttpRequest, t: Option<String>) -> Result<NumberType, GraphError> {
    let t = t.ok_or_else(|| bad_request(req, "The numberType parameter is required."))?;
    NumberType::parse(&t).ok_or_else(|| {
        bad_request(
            req,
            format!(
                "Invalid numberType '{t}'. Expected directRouting, callingPlan or operatorConnect."
            ),
        )
    })
}

pub async fn assign_number(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::NumbersWrite).await?;
    let b: AssignBody = parse_body(&req, &body)?;
    let telephone_number = required_number(&req, b.telephone_number)?;
    let number_type = required_type(&req, b.number_type)?;
    let target = b
        .assignment_target_id
        .ok_or_else(|| bad_request(&req, "The assignmentTargetId parameter is required."))?
        .to_ascii_lowercase();
    let category = b.assignment_category.unwrap_or_else(|| "primary".into());
    if !["primary", "private", "alternate"].contains(&category.as_str()) {
        return Err(bad_request(
            &req,
            format!(
                "Invalid assignmentCategory '{category}'. Expected primary, private or alternate."
            ),
        ));
    }
    let kind = OperationKind::Assign {
        telephone_number,
        target: target.clone(),
        number_type,
        category,
        location_id: b.location_id,
    };
    start_operation(&req, &sim, &claims.tid, kind, |t| {
        t.by_id.contains_key(&target).then_some(()).ok_or_else(|| {
            format!("The assignmentTargetId '{target}' is not a user of this tenant.")
        })
    })
}

pub async fn unassign_number(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::NumbersWrite).await?;
    let b: UnassignBody = parse_body(&req, &body)?;
    let telephone_number = required_number(&req, b.telephone_number)?;
    let number_type = required_type(&req, b.number_type)?;
    start_operation(
        &req,
        &sim,
        &claims.tid,
        OperationKind::Unassign {
            telephone_number,
            number_type,
        },
        |_| Ok(()),
    )
}

/// Records a new operation; answers 202 with its `Location`.
fn start_operation(
    req: &HttpRequest,
    sim: &Simulator,
    tid: &str,
    kind: OperationKind,
    check: impl FnOnce(&Tenant) -> Result<(), String>,
) -> Result<HttpResponse, GraphError> {
    sim.settle(tid);
    let mut world = sim.write();
    let t = world
        .tenant_mut(tid)
        .ok_or_else(|| GraphError::internal(req))?;
    check(t).map_err(|m| bad_request(req, m))?;
    if let OperationKind::Assign {
        telephone_number,
        target,
        ..
    } = &kind
    {
        t.mark_assignment_pending(telephone_number, target);
    }
    let id = http::new_id();
    t.operations.insert(
        id.clone(),
        Operation {
            id: id.clone(),
            created: Utc::now(),
            started: Instant::now(),
            kind,
            outcome: None,
        },
    );
    t.pending.push(id.clone());
    tracing::info!(tenant = %tid, operation = %id, "number operation started");
    Ok(HttpResponse::Accepted()
        .insert_header(("Location", operation_url(req, &id)))
        .finish())
}

fn operation_url(req: &HttpRequest, id: &str) -> String {
    format!(
        "{}/_microsoft/graph{TELEPHONY}/operations('{id}')",
        http::origin(req)
    )
}

pub async fn update_number(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    body: web::Bytes,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::NumbersWrite).await?;
    let b: UpdateBody = parse_body(&req, &body)?;
    let telephone_number = required_number(&req, b.telephone_number)?;
    let _ = b.network_site_id;
    sim.settle(&claims.tid);
    let mut world = sim.write();
    let t = world
        .tenant_mut(&claims.tid)
        .ok_or_else(|| GraphError::internal(&req))?;
    let i = t
        .number_index(&telephone_number)
        .ok_or_else(|| not_in_tenant(&req, &telephone_number))?;
    // `""` clears the location, null or absent keeps it (TELEPHONY.md section 5); an unknown one
    // is refused (section 12: a 400 or a failure, UNCONFIRMED).
    let location = match b.location_id.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(l) => match t.policies.location(l) {
            Some(found) => Some(Some(found.id.clone())),
            None => return Err(bad_request(&req, format!("Location '{l}' is not found."))),
        },
    };
    if let Some(location) = location {
        t.numbers[i].location_id = location;
    }
    Ok(HttpResponse::Ok().finish())
}

fn not_in_tenant(req: &HttpRequest, telephone_number: &str) -> GraphError {
    GraphError::new(
        req,
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("The telephone number {telephone_number} was not found in the tenant."),
    )
}

/// `GET numberAssignments/{id}`: one number by its (opaque) id.
pub async fn get_number(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::NumbersRead).await?;
    let id = http::decode_path(&path.into_inner());
    sim.settle(&claims.tid);
    let world = sim.read();
    let n = world
        .tenant(&claims.tid)
        .and_then(|t| t.numbers.iter().find(|n| n.id.eq_ignore_ascii_case(&id)))
        .ok_or_else(|| {
            GraphError::new(
                &req,
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("The number assignment '{id}' was not found."),
            )
        })?;
    let mut body = number_json(n);
    if let Value::Object(o) = &mut body {
        o.insert(
            "@odata.context".into(),
            json!(paging::context(
                &req,
                "admin/teams/telephoneNumberManagement/numberAssignments/$entity"
            )),
        );
    }
    Ok(HttpResponse::Ok().json(body))
}

pub async fn operation(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let id = path.into_inner();
    operation_by_id(req, sim, id).await
}

pub async fn operation_call(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    match call_argument(&path, "operations", "id") {
        Some(id) => operation_by_id(req, sim, id).await,
        None => Ok(not_found(req).await),
    }
}

async fn operation_by_id(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    id: String,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::NumbersRead).await?;
    sim.settle(&claims.tid);
    let world = sim.read();
    let op = world
        .tenant(&claims.tid)
        .and_then(|t| t.operations.get(&id))
        .ok_or_else(|| {
            GraphError::new(
                &req,
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("The operation '{id}' was not found."),
            )
        })?;
    let status = op.status(Instant::now(), sim.inner.operation_delay);
    let detail = match &op.outcome {
        Some(Err(detail)) => Value::String(detail.clone()),
        _ => Value::Null,
    };
    Ok(HttpResponse::Ok().json(json!({
        "@odata.context": paging::context(&req, "admin/teams/telephoneNumberManagement/operations/$entity"),
        "id": op.id,
        "createdDateTime": op.created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "status": status,
        "numbers": [{
            "resourceLocation": operation_url(&req, &op.id),
            "status": status,
            "statusDetail": detail,
        }],
    })))
}

/// A userConfiguration (TELEPHONY.md section 7): no `userId` (the `id` is the user's).
/// `effectivePolicyAssignments` lists the types with a direct or group assignment in effect
/// at `now`; a type not listed is at its Global policy.
fn user_configuration_json(
    t: &Tenant,
    u: &User,
    numbers: &[&NumberAssignment],
    now: Instant,
) -> Value {
    let effective: Vec<Value> = t
        .policies
        .effective_of(&u.id, now)
        .iter()
        .map(|e| {
            json!({
                "policyType": e.policy_type.as_str(),
                "policyAssignment": {
                    "displayName": e.policy.name,
                    "assignmentType": if e.group_id.is_some() { "group" } else { "direct" },
                    "policyId": e.policy.id,
                    "groupId": e.group_id,
                },
            })
        })
        .collect();
    let mut feature_types = vec!["Teams", "AudioConferencing"];
    if u.has_teams_phone() {
        feature_types.push("PhoneSystem");
    }
    json!({
        "id": u.id,
        "userPrincipalName": u.upn,
        "isEnterpriseVoiceEnabled": u.enterprise_voice,
        "telephoneNumbers": numbers.iter().map(|n| json!({
            "telephoneNumber": n.telephone_number,
            "assignmentCategory": n.assignment_category,
        })).collect::<Vec<_>>(),
        "accountType": "user",
        "effectivePolicyAssignments": effective,
        "featureTypes": feature_types,
        "tenantId": t.id,
        "createdDateTime": u.created.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "modifiedDateTime": u.modified.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    })
}

pub async fn list_user_configurations(
    req: HttpRequest,
    sim: web::Data<Simulator>,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::UserConfigurations).await?;
    let pairs = http::query_pairs(&req);
    let top = paging::page_size(&req, &pairs, 100, 999, "BadRequest")?;
    let from = paging::offset(&req, &pairs, "userconfigs")?;
    sim.settle(&claims.tid);
    let world = sim.read();
    let t = world
        .tenant(&claims.tid)
        .ok_or_else(|| GraphError::internal(&req))?;
    let mut by_user: HashMap<&str, Vec<&NumberAssignment>> = HashMap::new();
    for n in &t.numbers {
        if let Some(target) = n
            .assignment_target_id
            .as_ref()
            .filter(|_| n.target_kind == TargetKind::User)
        {
            by_user.entry(target.as_str()).or_default().push(n);
        }
    }
    // The cursor is the ordinal of the next user: a deletion between pages skips nobody.
    let rest = t.users_from(u64::try_from(from).unwrap_or(u64::MAX));
    let page = &rest[..rest.len().min(top)];
    let next = page
        .last()
        .filter(|_| rest.len() > page.len())
        .map(|u| usize::try_from(u.ordinal + 1).unwrap_or(usize::MAX));
    let now = Instant::now();
    let value: Vec<Value> = page
        .iter()
        .map(|u| {
            let numbers = by_user.get(u.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            user_configuration_json(t, u, numbers, now)
        })
        .collect();
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(paging::context(&req, "admin/teams/userConfigurations")),
    );
    body.insert("value".into(), Value::Array(value));
    if let Some(next) = next {
        body.insert(
            "@odata.nextLink".into(),
            json!(paging::link(
                &req,
                &pairs,
                "$skiptoken",
                &paging::encode_token("userconfigs", next)
            )),
        );
    }
    Ok(HttpResponse::Ok().json(Value::Object(body)))
}

pub async fn user_configuration(
    req: HttpRequest,
    sim: web::Data<Simulator>,
    path: web::Path<String>,
) -> Result<HttpResponse, GraphError> {
    let claims = authorize(&req, &sim, Need::UserConfigurations).await?;
    let id = path.into_inner();
    sim.settle(&claims.tid);
    let world = sim.read();
    let t = world
        .tenant(&claims.tid)
        .ok_or_else(|| GraphError::internal(&req))?;
    let u = t.user(&id).ok_or_else(|| {
        GraphError::new(
            &req,
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("The user '{id}' was not found."),
        )
    })?;
    let numbers: Vec<&NumberAssignment> = t.numbers_of(&u.id).collect();
    let mut body = user_configuration_json(t, u, &numbers, Instant::now());
    if let Value::Object(o) = &mut body {
        o.insert(
            "@odata.context".into(),
            json!(paging::context(
                &req,
                "admin/teams/userConfigurations/$entity"
            )),
        );
    }
    Ok(HttpResponse::Ok().json(body))
}
