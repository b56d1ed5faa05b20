// The tenant's app-management policy as it bears on a new client secret (DESIGN §6): may the app get a
// password at all, and for how long. Pure: the Graph adapter hands over the restrictions it read.
//
// Graph: an app's own appManagementPolicy overrides the tenant default; a restriction counts when its
// state is `enabled` (absent means enabled). `restrictForAppsCreatedAfterDateTime` is not weighed: keyrelay
// rather asks for a shorter secret than fail on a date rule.

/** One `passwordCredentialConfiguration` (Graph shape). */
export interface PasswordRestriction {
  restrictionType: string;
  state?: string | null;
  /** ISO 8601 duration, e.g. `P90D`, `P1Y`, `P4DT12H`. */
  maxLifetime?: string | null;
}

export interface AppManagementPolicies {
  /** The tenant default, when enabled. */
  tenantDefault?: readonly PasswordRestriction[];
  /** The app's own enabled policies. */
  appPolicies: ReadonlyArray<readonly PasswordRestriction[]>;
}

export interface PasswordPolicy {
  forbidden: boolean;
  /** The longest lifetime a new password may have, in whole days. */
  maxLifetimeDays?: number;
}

/** The lifetime asked for once a refusal showed a cap keyrelay could not read (Microsoft's documented example cap). */
export const FALLBACK_CAPPED_LIFETIME_DAYS = 90;

const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Whole days in an ISO 8601 duration (years as 365 days, months as 30: never longer than the calendar). */
export function durationDays(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim() === 'P' || text.trim().endsWith('T')) return undefined;
  const [years, months, weeks, days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const totalDays = years * 365 + months * 30 + weeks * 7 + days + (hours + minutes / 60 + seconds / 3600) / 24;
  return Math.floor(totalDays);
}

const enabled = (restriction: PasswordRestriction): boolean => (restriction.state ?? 'enabled') === 'enabled';

export function effectivePasswordPolicy(policies: AppManagementPolicies): PasswordPolicy {
  const restrictions = policies.appPolicies.length > 0 ? policies.appPolicies.flat() : (policies.tenantDefault ?? []);
  const active = restrictions.filter(enabled);
  const caps = active
    .filter((restriction) => restriction.restrictionType === 'passwordLifetime' && restriction.maxLifetime)
    .map((restriction) => durationDays(restriction.maxLifetime ?? ''))
    .filter((days): days is number => days !== undefined);
  return {
    forbidden: active.some((restriction) => restriction.restrictionType === 'passwordAddition'),
    ...(caps.length > 0 ? { maxLifetimeDays: Math.min(...caps) } : {}),
  };
}

/**
 * The lifetime to ask for after Graph refused one as too long: a day under the cap when it is known (the
 * first request already was: the cap counts from Graph's clock, not ours), else the fallback; undefined
 * when nothing shorter is left to try.
 */
export function shorterLifetimeDays(requestedDays: number, knownCapDays: number | undefined): number | undefined {
  const candidate =
    knownCapDays !== undefined ? Math.min(knownCapDays - 2, requestedDays - 1) : FALLBACK_CAPPED_LIFETIME_DAYS - 1;
  return candidate >= 1 && candidate < requestedDays ? candidate : undefined;
}
