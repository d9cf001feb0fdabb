// access's error codes. Codes are API: add, never rename.
export const AccessErrors = {
  grantNotFound: 'grant_not_found',
  grantDenied: 'grant_denied',
  grantNotApproved: 'grant_not_approved',
  grantExpired: 'grant_expired',
  grantRevoked: 'grant_revoked',
  grantOutOfScope: 'grant_out_of_scope',
  notGrantHolder: 'not_grant_holder',
  approvalDenied: 'approval_denied',
  actionDenied: 'action_denied',
  invalidGrant: 'invalid_grant',
  invalidPolicy: 'invalid_policy',
} as const;
