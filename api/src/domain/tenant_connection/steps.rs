//! The four setup steps as the page shows them, derived from the connection: pure rules.

use shared::tenant_connection::{
    CheckKey, ConnectionState, Notice, NoticeKind, SetupStep, StepKey, StepStatus,
    VerificationOutcome, VerificationReport,
};

use super::copy::{self, STEP_CONSENT, STEP_ROLE, STEP_SIGN_IN, STEP_VERIFY};

/// Checks that fail when consent granted fewer permissions than the app needs.
const PERMISSION_CHECKS: [CheckKey; 5] = [
    CheckKey::PermissionsGranted,
    CheckKey::UsersReadable,
    CheckKey::NumbersReadable,
    CheckKey::PhoneStateReadable,
    CheckKey::TenantReadable,
];

/// What the steps are derived from.
pub struct StepInputs<'a> {
    pub state: ConnectionState,
    pub consent_granted: bool,
    pub tenant_name: Option<&'a str>,
    pub notice: Option<&'a Notice>,
    pub report: Option<&'a VerificationReport>,
}

fn step(
    key: StepKey,
    number: u8,
    title: &str,
    status: StepStatus,
    message: Option<String>,
) -> SetupStep {
    SetupStep {
        key,
        number,
        title: title.to_owned(),
        status,
        message,
    }
}

fn check_passed(report: Option<&VerificationReport>, key: CheckKey) -> Option<bool> {
    report?
        .checks
        .iter()
        .find(|c| c.key == key)
        .map(|c| c.passed)
}

pub fn steps(input: &StepInputs<'_>) -> Vec<SetupStep> {
    use ConnectionState as S;
    let granted = input.consent_granted
        && matches!(
            input.state,
            S::ConsentGranted | S::Connected | S::NeedsAttention
        );
    let consent_refused = matches!(
        input.notice.map(|n| n.kind),
        Some(NoticeKind::VerifyFailed | NoticeKind::NeedAdminApproval | NoticeKind::ConsentError)
    ) && !granted;

    let consent = if input.state == S::ConsentPending {
        step(
            StepKey::Consent,
            2,
            STEP_CONSENT,
            StepStatus::InProgress,
            Some(copy::STEP_CONSENT_WAITING.to_owned()),
        )
    } else if granted && check_passed(input.report, CheckKey::ConsentPresent) == Some(false) {
        step(
            StepKey::Consent,
            2,
            STEP_CONSENT,
            StepStatus::Failed,
            Some(copy::STEP_CONSENT_LOST.to_owned()),
        )
    } else if granted
        && PERMISSION_CHECKS
            .iter()
            .any(|&key| check_passed(input.report, key) == Some(false))
    {
        step(
            StepKey::Consent,
            2,
            STEP_CONSENT,
            StepStatus::Failed,
            Some(copy::STEP_CONSENT_PARTIAL.to_owned()),
        )
    } else if granted {
        step(
            StepKey::Consent,
            2,
            STEP_CONSENT,
            StepStatus::Done,
            Some(copy::STEP_CONSENT_DONE.to_owned()),
        )
    } else if consent_refused {
        step(
            StepKey::Consent,
            2,
            STEP_CONSENT,
            StepStatus::Failed,
            input.notice.map(|n| n.title.clone()),
        )
    } else {
        step(StepKey::Consent, 2, STEP_CONSENT, StepStatus::Todo, None)
    };

    let role = match check_passed(input.report, CheckKey::DirectoryRoleAssigned) {
        Some(true) if granted => step(
            StepKey::AssignRole,
            3,
            STEP_ROLE,
            StepStatus::Done,
            Some(copy::STEP_ROLE_DONE.to_owned()),
        ),
        Some(false) if granted => step(
            StepKey::AssignRole,
            3,
            STEP_ROLE,
            StepStatus::Failed,
            Some(copy::STEP_ROLE_MISSING.to_owned()),
        ),
        _ if granted => step(
            StepKey::AssignRole,
            3,
            STEP_ROLE,
            StepStatus::InProgress,
            Some(copy::STEP_ROLE_NEXT.to_owned()),
        ),
        _ => step(StepKey::AssignRole, 3, STEP_ROLE, StepStatus::Todo, None),
    };

    let verify = match (input.state, input.report.map(|r| r.outcome)) {
        (S::Connected, _) => step(
            StepKey::Verify,
            4,
            STEP_VERIFY,
            StepStatus::Done,
            Some(match input.tenant_name {
                Some(name) => copy::step_connected(name),
                None => copy::CONNECTED_TITLE.to_owned() + ".",
            }),
        ),
        (
            _,
            Some(
                VerificationOutcome::Failed
                | VerificationOutcome::TimedOut
                | VerificationOutcome::Inconclusive,
            ),
        ) => step(
            StepKey::Verify,
            4,
            STEP_VERIFY,
            StepStatus::Failed,
            input.report.map(|r| r.message.clone()),
        ),
        _ => step(StepKey::Verify, 4, STEP_VERIFY, StepStatus::Todo, None),
    };

    vec![
        step(
            StepKey::SignIn,
            1,
            STEP_SIGN_IN,
            StepStatus::Done,
            Some(copy::STEP_SIGN_IN_DONE.to_owned()),
        ),
        consent,
        role,
        verify,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses(input: &StepInputs<'_>) -> Vec<StepStatus> {
        steps(input).into_iter().map(|s| s.status).collect()
    }

    #[test]
    fn a_new_account_has_only_the_portal_sign_in_done() {
        let input = StepInputs {
            state: ConnectionState::NotConnected,
            consent_granted: false,
            tenant_name: None,
            notice: None,
            report: None,
        };
        assert_eq!(
            statuses(&input),
            [
                StepStatus::Done,
                StepStatus::Todo,
                StepStatus::Todo,
                StepStatus::Todo
            ]
        );
    }

    #[test]
    fn after_consent_the_role_is_next_and_connected_is_all_done() {
        let granted = StepInputs {
            state: ConnectionState::ConsentGranted,
            consent_granted: true,
            tenant_name: None,
            notice: None,
            report: None,
        };
        assert_eq!(
            statuses(&granted),
            [
                StepStatus::Done,
                StepStatus::Done,
                StepStatus::InProgress,
                StepStatus::Todo
            ]
        );
        let pending = StepInputs {
            state: ConnectionState::ConsentPending,
            consent_granted: false,
            tenant_name: None,
            notice: None,
            report: None,
        };
        assert_eq!(statuses(&pending)[1], StepStatus::InProgress);
    }
}
