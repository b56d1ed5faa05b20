// ALLOWED_TENANTS (DESIGN §3, §4): which Entra tenants' users may connect mailboxes and get tokens.

/** Tenant ids in lower case, or `*` for any work or school tenant. */
export type AllowedTenants = '*' | readonly string[];

export function isTenantAllowed(tenantId: string, allowed: AllowedTenants): boolean {
  return allowed === '*' || allowed.includes(tenantId.toLowerCase());
}
