//! Billing: the month's usage report (JSON, or CSV to download) and the account's billing rule.

use gloo_net::http::Method;
use shared::billing::{BillingSettings, UsageReport};

use super::{exchange, query_string, request, ApiError, Outgoing};

fn usage_path(month: &str) -> String {
    format!(
        "/billing/usage{}",
        query_string(&[("month", Some(month.to_owned()))])
    )
}

/// GET /billing/usage?month=YYYY-MM
pub async fn usage_report(token: &str, month: &str) -> Result<UsageReport, ApiError> {
    request::<(), _>(Method::GET, &usage_path(month), Some(token), None).await
}

/// GET /billing/usage?month=YYYY-MM with `Accept: text/csv`: the report as CSV text.
pub async fn usage_csv(token: &str, month: &str) -> Result<String, ApiError> {
    let mut outgoing = Outgoing::new(Method::GET, &usage_path(month), Some(token));
    outgoing.accept = "text/csv";
    exchange(outgoing).await.map_err(|refusal| refusal.error)
}

/// GET /billing/settings
pub async fn billing_settings(token: &str) -> Result<BillingSettings, ApiError> {
    request::<(), _>(Method::GET, "/billing/settings", Some(token), None).await
}

/// PUT /billing/settings (admins).
pub async fn set_billing_settings(
    token: &str,
    body: &BillingSettings,
) -> Result<BillingSettings, ApiError> {
    request(Method::PUT, "/billing/settings", Some(token), Some(body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_month_is_a_query_parameter() {
        assert_eq!(usage_path("2026-11"), "/billing/usage?month=2026-11");
    }
}
