//! The words the product shows, kept in one place so they match the product description.

pub const VERIFY_FAILED: &str = "We weren't able to verify the app connection. Please try again or contact support if you're unable to complete this step.";

pub const NEED_ADMIN_APPROVAL_TITLE: &str = "Need admin approval";

pub const NEED_ADMIN_APPROVAL: &str = "To connect the app you need to be able to grant tenant-wide consent on behalf of your organization, and your Microsoft user does not have sufficient privileges. Check that you signed in with your Microsoft credentials associated with your company's Microsoft 365 tenant (not a personal Microsoft account). If you did, ask someone else in your organization who has the required rights (Global Administrator, Privileged Role Administrator, or a custom role allowed to grant permission to applications on behalf of all users) to complete the tenant connection process themselves in this portal.";

pub const CONSENT_GRANTED: &str = "Microsoft admin consent is granted. Next, assign the app the Teams Communications Administrator role (step 3), then click Verify Setup.";

pub const ROLE_NAME: &str = "Teams Communications Administrator";

pub fn connected(tenant_name: &str) -> String {
    format!("Your tenant is successfully connected: {tenant_name}. You can now see all your users and manage their phone service in the portal.")
}

pub fn role_remediation(app_display_name: &str) -> String {
    format!(
        "In Microsoft Entra ID, select Identity > Roles & admins > Roles & admins > {ROLE_NAME} > Add assignment, \
         search for \"{app_display_name}\", select it, then click Add. You need permission to assign roles. \
         Microsoft can take a few minutes to apply a new role: verify again shortly after."
    )
}

pub const CONSENT_REMEDIATION: &str = "Click Set Up Tenant Connection and sign in to Microsoft as a Global Administrator or Privileged Role Administrator of your tenant, then click Accept.";

pub const OPERATOR_PROBLEM: &str = "Microsoft refused the portal's own app credentials. This is a problem on our side, not in your tenant: please contact support.";
