use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::*;

const ASSIGNMENTS: &str = "/v1.0/roleManagement/directory/roleAssignments";

#[actix_web::test]
async fn an_admin_assigns_and_removes_the_role_through_graph() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    sim.grant(&contoso, true).await;
    let sp_id = sim.tenant(&contoso).await["service_principal"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"principalId": sp_id, "roleDefinitionId": TCA, "directoryScopeId": "/"});

    // An ordinary user may not.
    let user = sim.tenant(&contoso).await["sample_users"][0]["upn"]
        .as_str()
        .unwrap()
        .to_string();
    let ordinary = sim.user_token(&contoso, &user).await;
    let res = sim
        .post_json(&ordinary, &sim.graph(ASSIGNMENTS), body.clone())
        .await;
    assert_eq!(
        graph_error(res).await,
        (StatusCode::FORBIDDEN, "Authorization_RequestDenied".into())
    );

    let admin = sim
        .user_token(&contoso, "pra@contoso.onmicrosoft.com")
        .await;
    let res = sim
        .post_json(&admin, &sim.graph(ASSIGNMENTS), body.clone())
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["principalId"], sp_id.as_str());
    assert_eq!(created["roleDefinitionId"], TCA);
    assert_eq!(created["directoryScopeId"], "/");
    // A second identical assignment conflicts.
    let res = sim.post_json(&admin, &sim.graph(ASSIGNMENTS), body).await;
    assert_eq!(graph_error(res).await.0, StatusCode::BAD_REQUEST);

    let claims = sim.verify(&contoso, &sim.app_token(&contoso).await).await;
    assert_eq!(claims["wids"], json!([TCA, IMPLICIT_APP_ROLE]));

    let list: Value = sim
        .get(
            &admin,
            &sim.graph(&format!("{ASSIGNMENTS}?$filter=principalId eq '{sp_id}'")),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    let id = list["value"][0]["id"].as_str().unwrap();

    let res = sim
        .http
        .delete(sim.graph(&format!("{ASSIGNMENTS}/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let claims = sim.verify(&contoso, &sim.app_token(&contoso).await).await;
    assert_eq!(claims["wids"], json!([IMPLICIT_APP_ROLE]));
}

#[actix_web::test]
async fn the_entra_page_assigns_by_clicking() {
    let sim = spawn().await;
    let contoso = sim.contoso().await;
    sim.grant(&contoso, true).await;
    let page = format!("{}/_microsoft/entra/{contoso}/roles", sim.origin);

    // Non-admins are refused.
    let user = sim.tenant(&contoso).await["sample_users"][0]["upn"]
        .as_str()
        .unwrap()
        .to_string();
    let res = sim
        .http
        .get(format!("{page}?user={}", urlencode(&user)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("You don't have permission to manage role assignments"));

    let admin = "admin@contoso.onmicrosoft.com";
    let html = sim
        .http
        .get(format!("{page}?user={admin}&search=tenant%20conn"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        r#"id="user""#,
        r#"id="search""#,
        r#"id="add-assignment""#,
        "Teams Communications Administrator",
        "Tenant Connect (Enterprise application)",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    let sp_id = sim.tenant(&contoso).await["service_principal"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let res = sim
        .http
        .post(&page)
        .form(&[("user", admin), ("action", "add"), ("principal_id", &sp_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let t = sim.tenant(&contoso).await;
    assert_eq!(t["service_principal"]["directory_roles"], json!([TCA]));

    let html = sim
        .http
        .get(format!("{page}?user={admin}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"class="remove-assignment""#));
    let marker = r#"name="assignment_id" value=""#;
    let start = html.find(marker).unwrap() + marker.len();
    let assignment_id = &html[start..start + html[start..].find('"').unwrap()];
    let res = sim
        .http
        .post(&page)
        .form(&[
            ("user", admin),
            ("action", "remove"),
            ("assignment_id", assignment_id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let t = sim.tenant(&contoso).await;
    assert_eq!(t["service_principal"]["directory_roles"], json!([]));
}
