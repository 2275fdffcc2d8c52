//! The actions the audit log records, by their stored names.

/// What was done. Stored as its [`AuditAction::as_str`]; the names are
/// part of the API (`GET …/audit?action=`), so a variant is never renamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    LoginSucceeded,
    /// Wrong password or unknown email (or a disabled account).
    LoginFailed,
    /// An email or a client IP reached its failure limit and is locked.
    LoginLocked,
    PasswordReset,
    PasswordChanged,
    AccountDeleted,
    /// One login session revoked from the session list.
    SessionRevoked,
    /// The caller's own session ended by logout.
    Logout,
    /// A refresh token was presented again after its grace window: the
    /// session was revoked as stolen.
    RefreshTokenReused,
    ApiKeyCreated,
    ApiKeyRevoked,
    OrgCreated,
    OrgRenamed,
    OrgOwnershipTransferred,
    OrgDeleted,
    MemberAdded,
    MemberRoleChanged,
    MemberRemoved,
    /// A member removed themself (`leave`, or account deletion).
    MemberLeft,
    InviteCreated,
    InviteAccepted,
    InviteRevoked,
    WebhookEndpointCreated,
    WebhookEndpointUpdated,
    WebhookEndpointDeleted,
    WebhookSecretRotated,
    AdminUserDisabled,
    AdminUserEnabled,
    /// An operator ended every login session of a user.
    AdminUserLoggedOut,
    AdminJobRetried,
    AdminJobDiscarded,
    AdminDeadJobsRetried,
    AdminDeadJobsDiscarded,
}

impl AuditAction {
    /// Every action, in the order of the enum.
    pub const ALL: &'static [AuditAction] = &[
        AuditAction::LoginSucceeded,
        AuditAction::LoginFailed,
        AuditAction::LoginLocked,
        AuditAction::PasswordReset,
        AuditAction::PasswordChanged,
        AuditAction::AccountDeleted,
        AuditAction::SessionRevoked,
        AuditAction::Logout,
        AuditAction::RefreshTokenReused,
        AuditAction::ApiKeyCreated,
        AuditAction::ApiKeyRevoked,
        AuditAction::OrgCreated,
        AuditAction::OrgRenamed,
        AuditAction::OrgOwnershipTransferred,
        AuditAction::OrgDeleted,
        AuditAction::MemberAdded,
        AuditAction::MemberRoleChanged,
        AuditAction::MemberRemoved,
        AuditAction::MemberLeft,
        AuditAction::InviteCreated,
        AuditAction::InviteAccepted,
        AuditAction::InviteRevoked,
        AuditAction::WebhookEndpointCreated,
        AuditAction::WebhookEndpointUpdated,
        AuditAction::WebhookEndpointDeleted,
        AuditAction::WebhookSecretRotated,
        AuditAction::AdminUserDisabled,
        AuditAction::AdminUserEnabled,
        AuditAction::AdminUserLoggedOut,
        AuditAction::AdminJobRetried,
        AuditAction::AdminJobDiscarded,
        AuditAction::AdminDeadJobsRetried,
        AuditAction::AdminDeadJobsDiscarded,
    ];

    /// The stored name, `area.what_happened`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditAction::LoginSucceeded => "login.succeeded",
            AuditAction::LoginFailed => "login.failed",
            AuditAction::LoginLocked => "login.locked",
            AuditAction::PasswordReset => "password.reset",
            AuditAction::PasswordChanged => "password.changed",
            AuditAction::AccountDeleted => "account.deleted",
            AuditAction::SessionRevoked => "session.revoked",
            AuditAction::Logout => "session.logout",
            AuditAction::RefreshTokenReused => "session.refresh_token_reused",
            AuditAction::ApiKeyCreated => "api_key.created",
            AuditAction::ApiKeyRevoked => "api_key.revoked",
            AuditAction::OrgCreated => "org.created",
            AuditAction::OrgRenamed => "org.renamed",
            AuditAction::OrgOwnershipTransferred => "org.ownership_transferred",
            AuditAction::OrgDeleted => "org.deleted",
            AuditAction::MemberAdded => "member.added",
            AuditAction::MemberRoleChanged => "member.role_changed",
            AuditAction::MemberRemoved => "member.removed",
            AuditAction::MemberLeft => "member.left",
            AuditAction::InviteCreated => "invite.created",
            AuditAction::InviteAccepted => "invite.accepted",
            AuditAction::InviteRevoked => "invite.revoked",
            AuditAction::WebhookEndpointCreated => "webhook.endpoint_created",
            AuditAction::WebhookEndpointUpdated => "webhook.endpoint_updated",
            AuditAction::WebhookEndpointDeleted => "webhook.endpoint_deleted",
            AuditAction::WebhookSecretRotated => "webhook.secret_rotated",
            AuditAction::AdminUserDisabled => "admin.user_disabled",
            AuditAction::AdminUserEnabled => "admin.user_enabled",
            AuditAction::AdminUserLoggedOut => "admin.user_logged_out",
            AuditAction::AdminJobRetried => "admin.job_retried",
            AuditAction::AdminJobDiscarded => "admin.job_discarded",
            AuditAction::AdminDeadJobsRetried => "admin.dead_jobs_retried",
            AuditAction::AdminDeadJobsDiscarded => "admin.dead_jobs_discarded",
        }
    }

    /// The action stored as `name`.
    pub fn from_name(name: &str) -> Option<AuditAction> {
        Self::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert!(seen.insert(a.as_str()), "{a:?} repeats a name");
            assert_eq!(AuditAction::from_name(a.as_str()), Some(*a));
        }
        assert_eq!(AuditAction::from_name("login"), None);
    }
}
